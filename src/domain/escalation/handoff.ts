/**
 * The first IR handoff note for an escalated finding (SPEC §2, seed 002 "Copy Template"), as JSON
 * for the record and Markdown for people. Pure: the clock is injected (`now`) so the requested
 * response time is reproducible, and every field comes from the decision and its inputs.
 *
 * Mapping of triggers to "decision needed" and the uncertainty rules:
 * docs/decisions/escalation-semantics.md, "Handoff note".
 */
import { ClError } from '../../errors.js';
import type {
  AdvisoryStatement,
  AssetRecord,
  Confidence,
  FindingRecord,
  SignalRecord,
  VulnerabilityRecord,
} from '../records.js';
import type { Decision } from './engine.js';
import { statementsFor } from './advisory-match.js';
import { durationMs } from './ruleset.js';
import type { Ruleset } from './ruleset.js';
import { DECISIONS_NEEDED, INCIDENT_SEVERITIES, inVocabularyOrder } from './vocabulary.js';
import type { DecisionNeeded, IncidentSeverity, NextAction, SsvcOutcome, Trigger } from './vocabulary.js';

/** What the caller knows when it hands a finding to IR. */
export interface HandoffContext {
  decision: Decision;
  finding: FindingRecord;
  asset: AssetRecord | null;
  vulnerability: VulnerabilityRecord | null;
  signals: readonly SignalRecord[];
  advisories?: readonly AdvisoryStatement[];
  ruleset: Ruleset;
  /** Injected clock: the requested response time is counted from here. */
  now: Date;
  /** What VR/ops is doing right now, when the caller knows; otherwise derived from next actions. */
  current_action?: readonly string[];
  /** Asset groups the caller could not resolve (e.g. other hosts of the same image). */
  unresolved_asset_groups?: readonly string[];
}

export const UNCERTAINTY_KINDS = ['scope', 'telemetry', 'vendor', 'owner'] as const;
export type UncertaintyKind = (typeof UNCERTAINTY_KINDS)[number];

export interface HandoffEvidence {
  signal: string;
  log_source: string | null;
  alert: string | null;
  timestamp: string;
  indicator: string | null;
  payload: string | null;
  behaviour: string;
  confidence: Confidence | null;
}

/** The JSON handoff note: every field of the seed 002 template, named. */
export interface HandoffNote {
  finding: string;
  triggers: Trigger[];
  trigger_details: Array<{ trigger: Trigger; facts: string[] }>;
  advisory: {
    id: string;
    sources: string[];
    title: string | null;
    cvss: { version: string; base_score: number; vector: string | null } | null;
    kev: { dateAdded: string; dueDate: string | null; knownRansomwareCampaignUse: boolean } | null;
    epss: { score: number; percentile: number; date: string | null } | null;
    exploitation: string | null;
    public_poc: boolean | null;
    fix_available: boolean | null;
    references: string[];
  };
  affected_scope: {
    asset_group: string | null;
    asset: { id: string; name: string | null; in_inventory: boolean };
    product: string | null;
    version: string | null;
    business_service: string | null;
    owner: string | null;
    exposure: string | null;
    third_party: string | null;
    unresolved_asset_groups: string[];
  };
  evidence: HandoffEvidence[];
  evidence_refs: string[];
  current_action: string[];
  decision_needed: DecisionNeeded[];
  known_uncertainty: Array<{ kind: UncertaintyKind; detail: string }>;
  requested_response: { severity: IncidentSeverity; within: string; by: string };
  recommended_route: string[];
  ssvc: SsvcOutcome;
  ruleset: string;
  generated_at: string;
}

/** Which IR decisions each trigger asks for (documented in the decision note). */
export const DECISIONS_BY_TRIGGER: Readonly<Record<Trigger, readonly DecisionNeeded[]>> = Object.freeze({
  observed_exploitation: ['containment', 'hunt'],
  confirmed_compromise: ['containment', 'forensic_triage', 'hunt'],
  dangerous_exposure: ['emergency_change', 'hunt'],
  containment_needed: ['containment', 'emergency_change'],
  scope_unknown: ['hunt'],
  regulated_impact: ['leadership_legal_comms'],
});

const DECISION_LABELS: Readonly<Record<DecisionNeeded, string>> = {
  containment: 'containment',
  hunt: 'hunt',
  forensic_triage: 'forensic triage',
  emergency_change: 'emergency change',
  leadership_legal_comms: 'leadership/legal/comms',
};

const CURRENT_ACTION_BY_NEXT: Readonly<Record<NextAction, string>> = {
  validate: 'validation of product, version, feature state and reachability',
  patch: 'patching (the VR remediation item stays open)',
  mitigate: 'mitigation',
  monitor: 'monitoring',
};

/** The highest severity the fired triggers map to in the ruleset. */
export function handoffSeverity(triggers: readonly Trigger[], ruleset: Ruleset): IncidentSeverity {
  let rank = 0;
  for (const t of triggers) {
    rank = Math.max(rank, INCIDENT_SEVERITIES.indexOf(ruleset.severity.by_trigger[t]));
  }
  return INCIDENT_SEVERITIES[rank] ?? 'low';
}

/** The uncertainty a finding on a provisional asset (one a report named and the inventory does not) carries. */
export const NOT_IN_INVENTORY = 'asset not in inventory: owner and exposure unknown';

function uncertainties(ctx: HandoffContext): Array<{ kind: UncertaintyKind; detail: string }> {
  const { asset, finding } = ctx;
  const out: Array<{ kind: UncertaintyKind; detail: string }> = [];
  if (asset === null) out.push({ kind: 'scope', detail: `asset ${finding.asset} is not in the inventory` });
  const provisional = asset?.not_in_inventory === true;
  const basis = typeof asset?.extra.exposure_basis === 'string' ? asset.extra.exposure_basis : null;
  if (provisional && basis !== null) {
    // a network scanner's view of the host set its exposure (docs/importing.md): owner still unknown
    out.push({ kind: 'scope', detail: `asset not in inventory: owner unknown; exposure ${asset?.exposure ?? 'unknown'} from the scanner's view (${basis}) (${finding.asset})` });
  } else if (provisional) out.push({ kind: 'scope', detail: `${NOT_IN_INVENTORY} (${finding.asset})` });
  if (finding.validation === 'unvalidated') {
    out.push({ kind: 'scope', detail: 'finding not validated: product, version and feature state unconfirmed' });
  }
  if (finding.reachability === 'unknown') {
    // a remote network check reached the service: reachable from the scanner, not from everywhere
    const vantage = typeof finding.extra.vantage_point === 'string' ? ` from ${finding.extra.vantage_point}` : '';
    out.push({ kind: 'scope', detail: finding.check === 'remote' ? `reachable from the scanner (remote network check${vantage}); reachability from elsewhere not assessed` : 'reachability of the vulnerable path unknown' });
  }
  if (!finding.affected_version_known) {
    out.push({ kind: 'scope', detail: 'cannot tell whether the installed version is affected' });
  }
  for (const g of ctx.unresolved_asset_groups ?? []) out.push({ kind: 'scope', detail: `unresolved asset group: ${g}` });
  if (asset !== null && !asset.telemetry) {
    out.push({ kind: 'telemetry', detail: `no usable telemetry on ${asset.id}: absence of signals proves nothing` });
  }
  if (!finding.vendor_scope_known) out.push({ kind: 'vendor', detail: 'vendor has not said which products/versions are affected' });
  const underInvestigation = statementsFor(ctx.advisories ?? [], finding, asset).filter(
    (s) => s.status === 'under_investigation',
  );
  for (const s of underInvestigation) out.push({ kind: 'vendor', detail: `vendor status under investigation (${s.source})` });
  if (ctx.vulnerability?.fix_available === false) out.push({ kind: 'vendor', detail: 'no fix available from the vendor' });
  if (asset !== null && asset.third_party !== null) {
    out.push({ kind: 'vendor', detail: `managed by third party ${asset.third_party}: vendor support may be needed` });
  }
  if (asset !== null && !provisional && (asset.owner === null || asset.owner.trim() === '')) {
    out.push({ kind: 'owner', detail: `asset ${asset.id} has no owner` });
  }
  return out;
}

function advisorySources(ctx: HandoffContext): string[] {
  const v = ctx.vulnerability;
  const sources: string[] = [];
  if (v?.kev !== null && v?.kev !== undefined) sources.push(`CISA KEV (added ${v.kev.dateAdded})`);
  if (v?.vendor_advisory === true) sources.push('vendor advisory');
  if (ctx.finding.source !== null) sources.push(`scanner: ${ctx.finding.source}`);
  for (const s of statementsFor(ctx.advisories ?? [], ctx.finding, ctx.asset)) {
    sources.push(`advisory ${s.source}: ${s.status}`);
  }
  if (sources.length === 0) sources.push('closeloop record');
  return [...new Set(sources)];
}

function stringExtra(asset: AssetRecord | null, key: string): string | null {
  const value = asset?.extra[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/**
 * Builds the handoff note for an `escalate` decision. Refuses (`CL_RULE_REFUSED`) a `stay`
 * decision: the house rule is that nothing goes to IR without a fired trigger.
 */
export function buildHandoffNote(ctx: HandoffContext): { json: HandoffNote; markdown: string } {
  const { decision, finding, asset, ruleset } = ctx;
  const v = ctx.vulnerability;
  if (decision.outcome !== 'escalate') {
    throw new ClError('CL_RULE_REFUSED', `finding ${finding.id} was not escalated: no IR handoff for a stay decision`, {
      finding: finding.id,
      stay_reasons: decision.stay_reasons,
    });
  }
  if (decision.finding !== finding.id) {
    throw new ClError('CL_BAD_INPUT', `decision is for finding ${decision.finding}, not ${finding.id}`);
  }

  const evidenceIds = new Set(decision.evidence);
  const evidence: HandoffEvidence[] = ctx.signals
    .filter((s) => s.asset === finding.asset && evidenceIds.has(s.id))
    .map((s) => ({
      signal: s.id,
      log_source: s.source,
      alert: s.alert,
      timestamp: s.time,
      indicator: s.indicator,
      payload: s.payload,
      behaviour: s.kind.replace(/_/g, ' '),
      confidence: s.confidence,
    }));

  const severity = handoffSeverity(decision.triggers, ruleset);
  const within = ruleset.severity.response_time[severity];
  const by = new Date(ctx.now.getTime() + durationMs(within)).toISOString();

  const decisionNeeded = inVocabularyOrder(
    DECISIONS_NEEDED,
    decision.triggers.flatMap((t) => DECISIONS_BY_TRIGGER[t]),
  );
  const currentAction =
    ctx.current_action !== undefined && ctx.current_action.length > 0
      ? [...ctx.current_action]
      : [
          ...decision.next_actions.map((a) => CURRENT_ACTION_BY_NEXT[a]),
          ...decision.evidence.filter((e) => e.startsWith('containment:')).map((e) => `containment requested: ${e.slice(12)}`),
          ...(asset?.third_party !== null && asset?.third_party !== undefined ? [`vendor case with ${asset.third_party}`] : []),
        ];

  // The facts of the rule's own parts (exploit pressure, reachability, …) say more than its summary line.
  const triggerDetails = decision.triggers.map((t) => {
    const parts = decision.explanation.filter((l) => l.rule.startsWith(`${t}.`) && l.holds);
    const lines = parts.length > 0 ? parts : decision.explanation.filter((l) => l.rule === t);
    return { trigger: t, facts: lines.flatMap((l) => l.facts) };
  });

  const hasSignals = evidence.length > 0;
  const route = [
    hasSignals
      ? `Validate the trigger: confirm signal(s) ${evidence.map((e) => e.signal).join(', ')} and their tie to ${finding.vulnerability}.`
      : `Validate the trigger: confirm product, version and reachability of ${finding.vulnerability} on ${finding.asset}.`,
    `Send this handoff to IR now; response requested within ${within} (by ${by}).`,
    `Start a SOC hunt on ${finding.asset}${asset?.service ? ` and service ${asset.service}` : ''} for exploitation of ${finding.vulnerability} and post-exploit behaviour.`,
    `Keep patch/mitigation moving in parallel (${decision.next_actions.join(', ')}); the VR remediation stays open.`,
  ];

  const json: HandoffNote = {
    finding: finding.id,
    triggers: [...decision.triggers],
    trigger_details: triggerDetails,
    advisory: {
      id: finding.vulnerability,
      sources: advisorySources(ctx),
      title: v?.title ?? finding.title,
      cvss: v?.cvss ?? null,
      kev: v?.kev ?? null,
      epss: v?.epss ?? null,
      exploitation: v?.exploitation ?? null,
      public_poc: v?.public_poc ?? null,
      fix_available: v?.fix_available ?? null,
      references: v?.references ?? [],
    },
    affected_scope: {
      asset_group: stringExtra(asset, 'asset_group') ?? stringExtra(asset, 'group'),
      asset: { id: finding.asset, name: asset?.name ?? null, in_inventory: asset !== null && asset.not_in_inventory !== true },
      product: finding.component,
      version: finding.version,
      business_service: asset?.service ?? null,
      owner: asset?.owner ?? null,
      exposure: asset?.exposure ?? null,
      third_party: asset?.third_party ?? null,
      unresolved_asset_groups: [...(ctx.unresolved_asset_groups ?? [])],
    },
    evidence,
    evidence_refs: [...decision.evidence],
    current_action: currentAction,
    decision_needed: decisionNeeded,
    known_uncertainty: uncertainties(ctx),
    requested_response: { severity, within, by },
    recommended_route: route,
    ssvc: decision.ssvc,
    ruleset: ruleset.version,
    generated_at: ctx.now.toISOString(),
  };
  return { json, markdown: renderMarkdown(json) };
}

/** Escapes text so untrusted values (asset names, titles) cannot inject Markdown or HTML. */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~&]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');
}

/** Shows attacker-controlled text (payloads, indicators) as a code span, one line, bounded. */
function code(text: string, max = 300): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  const cut = oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
  const longestRun = Math.max(0, ...(cut.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  return `${fence} ${cut} ${fence}`;
}

const orDash = (v: string | null): string => (v === null ? '—' : md(v));

function renderMarkdown(n: HandoffNote): string {
  const s = n.affected_scope;
  const out: string[] = [];
  out.push(`# IR escalation: ${md(n.advisory.id)} on ${md(s.asset.id)}`, '');
  out.push(`**IR escalation trigger:** ${n.triggers.map((t) => t.replace(/_/g, ' ')).join(', ')}`);
  for (const d of n.trigger_details) {
    for (const f of d.facts) out.push(`- ${md(d.trigger.replace(/_/g, ' '))}: ${md(f)}`);
  }
  out.push('');
  out.push(`**CVE/advisory:** ${md(n.advisory.id)}${n.advisory.title === null ? '' : `: ${md(n.advisory.title)}`}`);
  out.push(`- source: ${n.advisory.sources.map(md).join('; ')}`);
  const facts: string[] = [];
  if (n.advisory.cvss !== null) {
    facts.push(`CVSS ${md(n.advisory.cvss.version)} ${n.advisory.cvss.base_score}${n.advisory.cvss.vector === null ? '' : ` ${code(n.advisory.cvss.vector)}`}`);
  }
  if (n.advisory.kev !== null) {
    facts.push(`KEV added ${md(n.advisory.kev.dateAdded)}${n.advisory.kev.knownRansomwareCampaignUse ? ', known ransomware use' : ''}`);
  }
  // a scanner that reports EPSS without its percentile (Tenable) leaves it 0: not printed as a fact
  if (n.advisory.epss !== null) facts.push(`EPSS ${n.advisory.epss.score}${n.advisory.epss.percentile > 0 ? ` (percentile ${n.advisory.epss.percentile})` : ''}`);
  if (n.advisory.exploitation !== null) facts.push(`exploitation ${md(n.advisory.exploitation)}`);
  if (n.advisory.fix_available !== null) facts.push(n.advisory.fix_available ? 'fix available' : 'no fix available');
  if (facts.length > 0) out.push(`- ${facts.join('; ')}`);
  out.push('');
  out.push('**Affected scope:**');
  out.push(`- asset group: ${orDash(s.asset_group)}`);
  out.push(`- asset: ${md(s.asset.id)}${s.asset.name === null ? '' : ` (${md(s.asset.name)})`}${s.asset.in_inventory ? '' : ' — not in the inventory'}`);
  out.push(`- product: ${orDash(s.product)}, version: ${orDash(s.version)}`);
  out.push(`- business service: ${orDash(s.business_service)}`);
  out.push(`- owner: ${s.owner === null ? 'none (owner gap)' : md(s.owner)}`);
  out.push(`- exposure: ${orDash(s.exposure)}${s.third_party === null ? '' : `; third party: ${md(s.third_party)}`}`);
  if (s.unresolved_asset_groups.length > 0) out.push(`- unresolved: ${s.unresolved_asset_groups.map(md).join(', ')}`);
  out.push('');
  out.push('**Evidence observed:**');
  if (n.evidence.length === 0) out.push('- no telemetry signal; the trigger rests on exposure facts and analyst flags');
  for (const e of n.evidence) {
    const parts = [
      `${md(e.timestamp)}`,
      `log source ${orDash(e.log_source)}`,
      `alert ${e.alert === null ? '—' : code(e.alert)}`,
      `behaviour ${md(e.behaviour)}`,
      `indicator ${e.indicator === null ? '—' : code(e.indicator)}`,
      `payload ${e.payload === null ? '—' : code(e.payload)}`,
      `confidence ${e.confidence ?? 'not stated'}`,
      `signal ${md(e.signal)}`,
    ];
    out.push(`- ${parts.join('; ')}`);
  }
  out.push(`- references: ${n.evidence_refs.map(md).join(', ')}`);
  out.push('');
  out.push(`**Current action:** ${n.current_action.map(md).join('; ')}`);
  out.push(`**Decision needed:** ${n.decision_needed.map((d) => DECISION_LABELS[d]).join(' / ')}`);
  out.push('**Known uncertainty:**');
  if (n.known_uncertainty.length === 0) out.push('- none recorded');
  for (const u of n.known_uncertainty) out.push(`- ${u.kind}: ${md(u.detail)}`);
  out.push(
    `**Requested response time:** within ${n.requested_response.within} (by ${n.requested_response.by}), proposed severity ${n.requested_response.severity}`,
  );
  out.push('');
  out.push('**Recommended route:**');
  n.recommended_route.forEach((r, i) => out.push(`${i + 1}. ${md(r)}`));
  out.push('');
  out.push(`_SSVC (CISA coordinator): ${md(n.ssvc)} · ruleset ${md(n.ruleset)} · generated ${n.generated_at}_`);
  return `${out.join('\n')}\n`;
}

/** Record text made safe for a Markdown note (escaped, one line): for notes built beside this one. */
export const markdownText = md;
