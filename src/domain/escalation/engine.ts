/**
 * The escalation engine (SPEC §2): decides, from records only, whether a finding has become an
 * incident question. Pure: no I/O, no clock, no randomness; the same input and ruleset always give
 * the same Decision, so a stored decision can be replayed and explained (`closeloop why`).
 *
 * Semantics and the reasons behind each edge case: docs/decisions/escalation-semantics.md.
 */
import { ClError } from '../../errors.js';
import type {
  AdvisoryStatement,
  AssetRecord,
  FindingFacts,
  FindingRecord,
  Reachability,
  SignalRecord,
  Validation,
  VulnerabilityRecord,
} from '../records.js';
import { findingVulnerabilityIds, productName, statementsFor, vulnerabilityKey } from './advisory-match.js';
import { ENGINE_VERSION, type EngineVersion } from './engine-version.js';
import { normaliseActionName } from './ruleset.js';
import type { Ruleset } from './ruleset.js';
import { computeSsvc } from './ssvc.js';
import type { Flag, NextAction, Outcome, SsvcOutcome, StayReason, Trigger } from './vocabulary.js';

/**
 * Everything one decision is made from; the caller loads it, the engine only reads it. The engine
 * reads only the finding's facts (`EvaluationInput<FindingFacts>`); a handoff note also needs the
 * finding's words, hence the whole record by default.
 */
export interface EvaluationInput<F extends FindingFacts = FindingRecord> {
  finding: F;
  /** null when the finding names an asset that is not in the inventory. */
  asset: AssetRecord | null;
  /** null when nothing is known about the vulnerability beyond its id. */
  vulnerability: VulnerabilityRecord | null;
  /** Signals to consider; signals on other assets are ignored (and mentioned in the explanation). */
  signals: readonly SignalRecord[];
  /** CSAF / OpenVEX statements; those about this finding adjust validation and vendor scope. */
  advisories?: readonly AdvisoryStatement[];
}

/** One line of `closeloop why`: a rule, whether it held, and the facts that decided it. */
export interface ExplanationLine {
  rule: string;
  holds: boolean;
  facts: string[];
}

/**
 * The engine's answer for one finding. The fields up to `evidence` are exactly one entry of the
 * FORMATS.md triage output; `explanation` carries the rule lines for `why`.
 */
export interface Decision {
  finding: string;
  asset: string;
  vulnerability: string;
  outcome: Outcome;
  triggers: Trigger[];
  stay_reasons: StayReason[];
  flags: Flag[];
  next_actions: NextAction[];
  ssvc: SsvcOutcome;
  evidence: string[];
  explanation: ExplanationLine[];
}

const INAPPLICABLE: ReadonlySet<Validation> = new Set<Validation>(['not_affected', 'false_positive']);

// Shared empty lists: most findings have no advisory, signal, regulated class or containment action.
const NONE: readonly AdvisoryStatement[] = Object.freeze([]);
const NONE_SIGNALS: readonly SignalRecord[] = Object.freeze([]);
const NONE_STRINGS: readonly string[] = Object.freeze([]);

const lower = (s: string): string => s.trim().toLowerCase();

function describeSignal(s: SignalRecord): string {
  const details = [s.kind, s.source, s.confidence === null ? null : `${s.confidence} confidence`]
    .filter((d): d is string => d !== null)
    .join(', ');
  return `signal ${s.id} (${details}) at ${s.time}`;
}

/** A ruleset's list of kinds as a set, built once per list (rulesets are not changed once parsed). */
const kindSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function kindSet(list: readonly string[]): ReadonlySet<string> {
  let set = kindSets.get(list);
  if (set === undefined) {
    set = new Set(list);
    kindSets.set(list, set);
  }
  return set;
}

function uniq<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * Writes one explanation line; `null` when the caller did not ask for an explanation, so that
 * `line?.(…)` does not even build the facts. A stored triage run decides a million findings
 * without writing a line of them; `why` replays with the lines on.
 */
type Line = (rule: string, holds: boolean, facts: () => string[]) => void;

/**
 * The finding as every rule reads it, built once per `evaluate`: the records, the validation and
 * vendor scope after the advisories about it, and the signals on its asset. One object per call,
 * so the rules below take one argument instead of a dozen and allocate nothing to share them.
 */
interface Case {
  readonly finding: FindingFacts;
  readonly asset: AssetRecord | null;
  readonly v: VulnerabilityRecord | null;
  readonly ruleset: Ruleset;
  readonly line: Line | null;
  /** The engine version deciding: the current one, or an older one to replay an older decision. */
  readonly engine: EngineVersion;
  /** Reachability as the rules read it: the finding's, or `reachable` from a remote check (engine 2). */
  readonly reachability: Reachability;
  /** The `not_affected` statements that cover the finding: what ruled it out when no person did. */
  readonly notAffected: readonly AdvisoryStatement[];
  /** Evidence refs in Decision order: the advisories' first, the rules' after. */
  readonly evidence: string[];
  readonly signals: readonly SignalRecord[];
  readonly onAsset: readonly SignalRecord[];
  /** The finding's validation, or `not_affected` when an advisory says so and nobody validated it. */
  readonly validation: Validation;
  /** Not ruled out (`not_affected` / `false_positive`): the finding may apply to this asset. */
  readonly applicable: boolean;
  readonly vendorScopeKnown: boolean;
  /** The finding's vulnerability ids with aliases, lower-cased; built when first needed. */
  ids: ReadonlySet<string> | null;
}

function vulnIds(c: Case): ReadonlySet<string> {
  return (c.ids ??= findingVulnerabilityIds(c.finding));
}

/**
 * Checks the records belong together, reads the advisories (VEX `not_affected` sets validation;
 * `under_investigation` means vendor scope unknown) and writes the `applicability` line.
 */
function readCase(input: EvaluationInput<FindingFacts>, ruleset: Ruleset, line: Line | null, engine: EngineVersion): Case {
  const { finding, asset, vulnerability: v, signals } = input;
  let ids: ReadonlySet<string> | null = null;
  if (asset !== null && asset.id !== finding.asset) {
    throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is on asset ${finding.asset}, not ${asset.id}`);
  }
  if (v !== null && v.id !== finding.vulnerability) {
    ids = findingVulnerabilityIds(finding);
    if (!ids.has(vulnerabilityKey(v.id))) {
      throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is about ${finding.vulnerability}, not ${v.id}`);
    }
  }

  const evidence: string[] = [];
  const statements = statementsFor(input.advisories ?? NONE, finding, asset);
  let validation: Validation = finding.validation;
  let vendorScopeKnown = finding.vendor_scope_known;
  let notAffected: readonly AdvisoryStatement[] = NONE;
  let affected: readonly AdvisoryStatement[] = NONE;
  let underInvestigation = false;
  if (statements.length > 0) {
    notAffected = statements.filter((s) => s.status === 'not_affected');
    affected = statements.filter((s) => s.status === 'affected');
    for (const s of statements) evidence.push(`vex:${s.status}:${s.source}`);
    if (notAffected.length > 0 && finding.validation === 'unvalidated' && affected.length === 0) validation = 'not_affected';
    underInvestigation = statements.some((s) => s.status === 'under_investigation') && validation !== 'not_affected';
    if (underInvestigation) vendorScopeKnown = false;
  }
  const applicable = !INAPPLICABLE.has(validation);
  // A remote network check tested a listening port: reachable from the scanner's vantage point,
  // unless someone has said otherwise. An authenticated local check says nothing about it.
  const remoteCheck = engine >= 2 && finding.check === 'remote' && finding.reachability === 'unknown';
  const reachability: Reachability = remoteCheck ? 'reachable' : finding.reachability;
  if (remoteCheck) evidence.push(`remote_check:${finding.id}`);
  line?.('applicability', applicable, () => {
    const facts = [`finding ${finding.id} validation is ${finding.validation}`];
    if (notAffected.length > 0) {
      const sources = notAffected
        .map((s) => `${s.source}${s.justification === null ? '' : ` (${s.justification})`}`)
        .join(', ');
      if (finding.validation === 'unvalidated' && affected.length === 0) {
        facts.push(`advisory says not_affected: ${sources}; validation read as not_affected`);
      } else if (finding.validation === 'unvalidated') {
        facts.push(
          `advisories disagree (not_affected: ${sources}; affected: ${affected.map((s) => s.source).join(', ')}); validation left unvalidated`,
        );
      } else if (finding.validation === 'validated') {
        facts.push(`advisory says not_affected (${sources}) but a person validated the finding: the validation wins`);
      }
    }
    if (underInvestigation) facts.push('vendor advisory status is under_investigation: vendor scope unknown');
    facts.push(
      remoteCheck
        ? 'reachability is reachable: the scanner found it with a remote network check (a listening port answered)'
        : `reachability is ${finding.reachability}${engine >= 2 && finding.check === 'local' && finding.reachability === 'unknown' ? ' (an authenticated local check does not show reachability)' : ''}`,
    );
    facts.push(
      applicable ? 'finding may apply to this asset' : `finding is ${validation}: dangerous_exposure and scope_unknown cannot fire`,
    );
    return facts;
  });

  const onAsset = signals.length === 0 ? NONE_SIGNALS : signals.filter((s) => s.asset === finding.asset);
  return { finding, asset, v, ruleset, line, engine, reachability, notAffected, evidence, signals, onAsset, validation, applicable, vendorScopeKnown, ids };
}

/** How a signal is tied to the finding's vulnerable path, or null when it is not. */
function tieOf(signal: SignalRecord, c: Case): string | null {
  const finding = c.finding;
  if (signal.vulnerability !== null && vulnIds(c).has(vulnerabilityKey(signal.vulnerability))) {
    return `targets ${signal.vulnerability}`;
  }
  if (signal.component !== null && finding.component !== null) {
    const a = productName(signal.component);
    const b = productName(finding.component);
    if (lower(signal.component) === lower(finding.component) || a.name === b.name) {
      return `targets component ${signal.component} on the same asset`;
    }
  }
  return null;
}

/**
 * `observed_exploitation`: an exploitation signal on the asset tied to the vulnerable path. A
 * ruled-out finding has no vulnerable path, so only the ruleset's `…_inapplicable` kinds count
 * for it. Returns the signals that fired it (empty: it did not fire).
 */
function observedExploitation(c: Case): readonly SignalRecord[] {
  const { finding, ruleset, onAsset } = c;
  const exploitKinds = kindSet(ruleset.signals.observed_exploitation);
  const countingKinds = kindSet(c.applicable ? ruleset.signals.observed_exploitation : ruleset.signals.observed_exploitation_inapplicable);
  let fired: SignalRecord[] | null = null;
  for (const s of onAsset) {
    if (exploitKinds.has(s.kind) && countingKinds.has(s.kind) && tieOf(s, c) !== null) (fired ??= []).push(s);
  }
  const exploitSignals = fired ?? NONE_SIGNALS;
  c.line?.('observed_exploitation', exploitSignals.length > 0, () => {
    const facts: string[] = [];
    for (const s of onAsset.filter((x) => exploitKinds.has(x.kind))) {
      const tie = tieOf(s, c);
      if (tie === null) {
        facts.push(
          `${describeSignal(s)} on asset ${s.asset} is not tied to the vulnerable path (names neither ${finding.vulnerability} nor component ${finding.component ?? '(none)'})`,
        );
      } else if (!countingKinds.has(s.kind)) {
        facts.push(`${describeSignal(s)} ${tie}, but the finding is ${c.validation}: an attempt against a component that is not affected is not counted`);
      } else {
        facts.push(`${describeSignal(s)} on asset ${s.asset} ${tie}`);
      }
    }
    const ids = vulnIds(c);
    const elsewhere = c.signals.filter((s) => s.asset !== finding.asset && s.vulnerability !== null && ids.has(vulnerabilityKey(s.vulnerability)));
    if (elsewhere.length > 0) {
      facts.push(
        `${elsewhere.length} signal(s) about ${finding.vulnerability} on other assets (${uniq(elsewhere.map((s) => s.asset)).join(', ')}) are not counted for asset ${finding.asset}`,
      );
    }
    if (facts.length === 0) facts.push(`no exploitation signal on asset ${finding.asset}`);
    return facts;
  });
  return exploitSignals;
}

/** `confirmed_compromise`: a compromise signal anywhere on the asset. Returns the signals that fired it. */
function confirmedCompromise(c: Case): readonly SignalRecord[] {
  const compromiseKinds = kindSet(c.ruleset.signals.confirmed_compromise);
  const compromiseSignals = c.onAsset.length === 0 ? NONE_SIGNALS : c.onAsset.filter((s) => compromiseKinds.has(s.kind));
  const fired = compromiseSignals.length > 0;
  c.line?.('confirmed_compromise', fired, () =>
    fired
      ? compromiseSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`)
      : [`no compromise signal on asset ${c.finding.asset}`],
  );
  return compromiseSignals;
}

/** Exploit pressure (part of `dangerous_exposure` and `scope_unknown`): KEV, ransomware, exploitation, PoC or EPSS. */
function exploitPressure(c: Case): boolean {
  const { v, ruleset } = c;
  const ep = ruleset.exploit_pressure;
  const epssMin = ruleset.thresholds.epss_exploit_pressure;
  const inKev = v !== null && ep.kev && v.kev !== null;
  const ransomware = v !== null && ep.ransomware && v.kev?.knownRansomwareCampaignUse === true;
  const exploited = v !== null && ep.exploitation.includes(v.exploitation);
  const publicPoc = v !== null && ep.public_poc && v.public_poc;
  const epssHigh = v !== null && epssMin !== null && v.epss !== null && v.epss.score >= epssMin;
  const pressure = inKev || ransomware || exploited || publicPoc || epssHigh;
  c.line?.('dangerous_exposure.exploit_pressure', pressure, () => {
    if (v === null) return [`nothing known about ${c.finding.vulnerability}`];
    if (!pressure) return [`${v.id}: not in KEV, no active exploitation, no public PoC`];
    const facts: string[] = [];
    if (inKev && v.kev !== null) facts.push(`${v.id} is in CISA KEV (added ${v.kev.dateAdded}${v.kev.dueDate === null ? '' : `, due ${v.kev.dueDate}`})`);
    if (ransomware) facts.push(`${v.id} has known ransomware campaign use`);
    if (exploited) facts.push(`${v.id} exploitation is ${v.exploitation}`);
    if (publicPoc) facts.push(`a public proof of concept exists for ${v.id}`);
    if (epssHigh && v.epss !== null) facts.push(`EPSS ${v.epss.score} ≥ ${epssMin}`);
    return facts;
  });
  return pressure;
}

/**
 * Which parts of critical reachability hold, as bits (0: not critically reachable). A number
 * rather than an object: the stay reasons need two of the parts, and a million findings should
 * not allocate a record each for it.
 */
type Reach = number;
const REACH_EXPOSED = 1;
const REACH_UNAUTHENTICATED = 2;
const REACH_PRIVILEGED = 4;
const REACH_BUSINESS_CRITICAL = 8;

/** Critical reachability (part of `dangerous_exposure`): exposure, no authentication, privilege, business-critical. */
function criticalReachability(c: Case): Reach {
  const { asset } = c;
  const cr = c.ruleset.critical_reachability;
  if (asset === null) {
    c.line?.('dangerous_exposure.critical_reachability', false, () => [`asset ${c.finding.asset} is not in the inventory`]);
    return 0;
  }
  const reach =
    (cr.exposure.includes(asset.exposure) ? REACH_EXPOSED : 0) |
    (cr.unauthenticated && !asset.auth_required ? REACH_UNAUTHENTICATED : 0) |
    (cr.privileged && asset.privileged ? REACH_PRIVILEGED : 0) |
    (cr.business_critical && asset.business_critical ? REACH_BUSINESS_CRITICAL : 0);
  c.line?.('dangerous_exposure.critical_reachability', reach !== 0, () => {
    if (reach === 0) {
      return [
        ...(asset.not_in_inventory === true ? [`${asset.id}: asset not in inventory: owner and exposure unknown`] : []),
        `asset ${asset.id} is ${asset.exposure}, ${asset.auth_required ? 'requires authentication' : 'unauthenticated'}, ${asset.privileged ? 'privileged' : 'not privileged'}, ${asset.business_critical ? 'business-critical' : 'not business-critical'}`,
      ];
    }
    const facts: string[] = [];
    if ((reach & REACH_EXPOSED) !== 0) facts.push(`asset ${asset.id} exposure is ${asset.exposure}`);
    if ((reach & REACH_UNAUTHENTICATED) !== 0) facts.push(`asset ${asset.id} is reachable without authentication`);
    if ((reach & REACH_PRIVILEGED) !== 0) facts.push(`asset ${asset.id} is privileged`);
    if ((reach & REACH_BUSINESS_CRITICAL) !== 0) facts.push(`asset ${asset.id} is business-critical`);
    return facts;
  });
  return reach;
}

/** Environment fit (part of `dangerous_exposure`): applicable, validated or reachable, and not unreachable. */
function environmentFit(c: Case): boolean {
  const { reachability, validation, applicable } = c;
  const fitByEvidence = validation === 'validated' || reachability === 'reachable';
  const fit = applicable && fitByEvidence && reachability !== 'unreachable';
  c.line?.('dangerous_exposure.environment_fit', fit, () => [
    !applicable
      ? `finding is ${validation}`
      : reachability === 'unreachable'
        ? 'reachability is unreachable'
        : fitByEvidence
          ? validation === 'validated' ? 'finding is validated' : 'vulnerable path is reachable'
          : 'finding is neither validated nor known reachable',
  ]);
  return fit;
}

/** `dangerous_exposure`: exploit pressure ∧ critical reachability ∧ environment fit. */
function dangerousExposure(c: Case, pressure: boolean, reach: Reach, fit: boolean): boolean {
  const critical = reach !== 0;
  const fired = pressure && critical && fit;
  c.line?.('dangerous_exposure', fired, () => [
    `exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, environment fit ${fit ? 'yes' : 'no'}`,
  ]);
  return fired;
}

interface ContainmentFlag {
  readonly flagged: boolean;
  readonly actions: readonly string[];
  readonly facts: readonly string[];
}

const NOT_FLAGGED: ContainmentFlag = Object.freeze({ flagged: false, actions: Object.freeze([]), facts: Object.freeze([]) });

/** A ruleset's containment names, normalised once per ruleset (rulesets are not changed once parsed). */
interface ContainmentNames {
  readonly notFlagged: ReadonlySet<string>;
  /** Normalised name or alias → the action it names; the first action listed wins, as a scan would. */
  readonly actions: ReadonlyMap<string, string>;
}
const containmentNamesByRuleset = new WeakMap<Ruleset['containment'], ContainmentNames>();
function containmentNames(containment: Ruleset['containment']): ContainmentNames {
  let names = containmentNamesByRuleset.get(containment);
  if (names === undefined) {
    const actions = new Map<string, string>();
    for (const [action, aliases] of Object.entries(containment.actions)) {
      for (const n of [action, ...aliases]) {
        const key = normaliseActionName(n);
        if (!actions.has(key)) actions.set(key, action);
      }
    }
    names = { notFlagged: new Set(containment.not_flagged.map(normaliseActionName)), actions };
    containmentNamesByRuleset.set(containment, names);
  }
  return names;
}

/** Reads the analyst's containment flag (bool or named action) against the ruleset's names; `record` and `id` name where it was set. */
function readContainment(value: unknown, record: 'finding' | 'asset', id: string, ruleset: Ruleset): ContainmentFlag {
  if (value === true) return { flagged: true, actions: [], facts: [`${record} ${id} containment_needed is set`] };
  if (typeof value !== 'string') return NOT_FLAGGED;
  const key = normaliseActionName(value);
  const names = containmentNames(ruleset.containment);
  if (names.notFlagged.has(key)) return NOT_FLAGGED;
  const action = names.actions.get(key);
  if (action !== undefined) {
    return { flagged: true, actions: [action], facts: [`${record} ${id} asks for containment: ${action}`] };
  }
  return {
    flagged: true,
    actions: [value.trim()],
    facts: [`${record} ${id} asks for containment: "${value.trim()}" (not a ruleset action name; counted as an analyst flag)`],
  };
}

/**
 * `containment_needed`: an analyst flag on the finding or the asset. Returns the actions asked
 * for (empty when only flagged), or null when it did not fire.
 */
function containmentNeeded(c: Case): readonly string[] | null {
  const fromFinding = readContainment(c.finding.containment_needed, 'finding', c.finding.id, c.ruleset);
  const fromAsset = readContainment(c.asset?.extra['containment_needed'], 'asset', c.finding.asset, c.ruleset);
  const fired = fromFinding.flagged || fromAsset.flagged;
  c.line?.('containment_needed', fired, () => (fired ? [...fromFinding.facts, ...fromAsset.facts] : ['no containment flag']));
  if (!fired) return null;
  return fromFinding.actions.length + fromAsset.actions.length === 0 ? NONE_STRINGS : uniq([...fromFinding.actions, ...fromAsset.actions]);
}

/** `scope_unknown`: applicable ∧ exploit pressure ∧ business-critical ∧ a gap that keeps owners from bounding the blast radius. */
function scopeUnknown(c: Case, pressure: boolean): boolean {
  const { finding, asset, applicable } = c;
  const sg = c.ruleset.scope_gaps;
  const noOwner = asset !== null && sg.no_owner && (asset.owner === null || asset.owner.trim() === '');
  const noTelemetry = asset !== null && sg.no_telemetry && !asset.telemetry;
  const versionUnknown = sg.affected_version_unknown && !finding.affected_version_known;
  const vendorScopeUnknown = sg.vendor_scope_unknown && !c.vendorScopeKnown;
  const gap = noOwner || noTelemetry || versionUnknown || vendorScopeUnknown;
  const businessCritical = asset?.business_critical === true;
  c.line?.('scope_unknown.business_critical', businessCritical, () => [
    asset === null
      ? `asset ${finding.asset} is not in the inventory`
      : `asset ${asset.id} is ${asset.business_critical ? '' : 'not '}business-critical`,
  ]);
  c.line?.('scope_unknown.gap', gap, () => {
    const gaps: string[] = [];
    if (noOwner && asset !== null) gaps.push(`asset ${asset.id} has no owner`);
    if (noTelemetry && asset !== null) gaps.push(`asset ${asset.id} has no telemetry coverage`);
    if (versionUnknown) gaps.push('affected version unknown');
    if (vendorScopeUnknown) gaps.push('vendor scope unknown');
    return gaps.length > 0 ? gaps : ['owner, telemetry, affected version and vendor scope are known'];
  });
  const fired = applicable && pressure && businessCritical && gap;
  c.line?.('scope_unknown', fired, () => [
    `applicable ${applicable ? 'yes' : 'no'}, exploit pressure ${pressure ? 'yes' : 'no'}, business-critical ${businessCritical ? 'yes' : 'no'}, gap ${gap ? 'yes' : 'no'}`,
  ]);
  return fired;
}

/** Regulated scope (part of `regulated_impact`, and impact evidence for `high_score_only`): regulated data, customer-facing or safety. */
function regulatedScope(c: Case): boolean {
  const { asset } = c;
  const rs = c.ruleset.regulated_scope;
  const wanted = rs.regulated_classes;
  const classes =
    asset === null || asset.regulated.length === 0
      ? NONE_STRINGS
      : wanted === 'any' ? asset.regulated : asset.regulated.filter((cl) => wanted.some((r) => lower(r) === lower(cl)));
  const customerFacing = asset !== null && rs.customer_facing && asset.customer_facing;
  const safety = asset !== null && rs.safety && asset.safety;
  const inScope = classes.length > 0 || customerFacing || safety;
  c.line?.('regulated_impact.scope', inScope, () => {
    if (asset === null || !inScope) return ['not regulated, customer-facing or safety-relevant'];
    const facts: string[] = [];
    if (classes.length > 0) facts.push(`asset ${asset.id} holds regulated data: ${classes.join(', ')}`);
    if (customerFacing) facts.push(`asset ${asset.id} is customer-facing`);
    if (safety) facts.push(`asset ${asset.id} is safety-relevant`);
    return facts;
  });
  return inScope;
}

/** `regulated_impact`: regulated scope ∧ (a compromise/data-access signal ∨ dangerous exposure). */
function regulatedImpact(c: Case, inScope: boolean, dangerous: boolean): boolean {
  const regulatedKinds = kindSet(c.ruleset.signals.regulated_impact);
  const regulatedSignals = c.onAsset.length === 0 ? NONE_SIGNALS : c.onAsset.filter((s) => regulatedKinds.has(s.kind));
  const harm = regulatedSignals.length > 0 || dangerous;
  c.line?.('regulated_impact.harm', harm, () =>
    harm
      ? [...regulatedSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`), ...(dangerous ? ['dangerous_exposure fired'] : [])]
      : ['no compromise/data access signal and no dangerous exposure'],
  );
  const fired = inScope && harm;
  c.line?.('regulated_impact', fired, () => [
    `regulated scope ${inScope ? 'yes' : 'no'}, compromise or dangerous exposure ${harm ? 'yes' : 'no'}`,
  ]);
  return fired;
}

/** `validate_urgently`: dangerous_exposure would fire if this unvalidated finding were validated. */
function validateUrgently(c: Case, pressure: boolean, reach: Reach): boolean {
  const { reachability, validation } = c;
  const critical = reach !== 0;
  const flagged = validation === 'unvalidated' && pressure && critical && reachability !== 'unreachable';
  c.line?.('flag.validate_urgently', flagged, () => [
    validation !== 'unvalidated'
      ? `finding is ${validation}, not unvalidated`
      : `if validated: exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, reachability ${reachability}`,
  ]);
  return flagged;
}

/** `high_score_only`: a high CVSS score and no exposure, exploitability, impact or telemetry evidence. */
function highScoreOnly(c: Case, pressure: boolean, reach: Reach, inRegulatedScope: boolean): boolean {
  const { asset, v, ruleset } = c;
  const cvss = v?.cvss ?? null;
  const epssEvidenceMin = ruleset.thresholds.epss_exploitability_evidence;
  const exposureEvidence = (reach & (REACH_EXPOSED | REACH_UNAUTHENTICATED)) !== 0 || c.reachability === 'reachable';
  const exploitabilityEvidence =
    pressure || (epssEvidenceMin !== null && v?.epss !== null && v?.epss !== undefined && v.epss.score >= epssEvidenceMin);
  const impactEvidence = asset !== null && (asset.business_critical || asset.privileged || inRegulatedScope);
  const telemetryEvidence = c.onAsset.length > 0;
  const holds =
    cvss !== null &&
    cvss.base_score >= ruleset.thresholds.cvss_high_score &&
    !exposureEvidence &&
    !exploitabilityEvidence &&
    !impactEvidence &&
    !telemetryEvidence;
  c.line?.('stay.high_score_only', holds, () => [
    cvss === null ? 'no CVSS score' : `CVSS ${cvss.version} base score ${cvss.base_score} (threshold ${ruleset.thresholds.cvss_high_score})`,
    `exposure evidence ${exposureEvidence ? 'yes' : 'no'}, exploitability evidence ${exploitabilityEvidence ? 'yes' : 'no'}, impact evidence ${impactEvidence ? 'yes' : 'no'}, telemetry evidence ${telemetryEvidence ? 'yes' : 'no'}`,
  ]);
  return holds;
}

/** `poc_without_environment_fit`: a public or in-the-wild exploit, and no environment fit. */
function pocWithoutEnvironmentFit(c: Case, fit: boolean): boolean {
  const { v } = c;
  const exploitAvailable = v !== null && (v.public_poc || v.exploitation === 'poc' || v.exploitation === 'active');
  const holds = exploitAvailable && !fit;
  c.line?.('stay.poc_without_environment_fit', holds, () => [
    exploitAvailable ? 'a public or in-the-wild exploit exists' : 'no public exploit known',
    `environment fit ${fit ? 'yes' : 'no'}`,
  ]);
  return holds;
}

/** `unvalidated_scanner_finding`: nobody has validated the finding. */
function unvalidatedScannerFinding(c: Case): boolean {
  const holds = c.validation === 'unvalidated';
  c.line?.('stay.unvalidated_scanner_finding', holds, () => [`validation is ${c.validation}`]);
  return holds;
}

/**
 * `vendor_advisory_only`: known from a vendor advisory, with no signal, validation or reachability
 * verdict. Engine 1 counted only `validated` and `reachable` as local evidence, so a ruled-out or
 * unreachable finding read as "advisory only"; engine 2 names those `ruled_out` / `unreachable`.
 */
function vendorAdvisoryOnly(c: Case): boolean {
  const { v, reachability, validation } = c;
  const localEvidence =
    c.onAsset.length > 0 ||
    (c.engine === 1 ? validation === 'validated' || reachability === 'reachable' : validation !== 'unvalidated' || reachability !== 'unknown');
  const holds = v !== null && v.vendor_advisory && !localEvidence;
  c.line?.('stay.vendor_advisory_only', holds, () => [
    v?.vendor_advisory === true ? `${v.id} is known from a vendor advisory` : 'not known from a vendor advisory',
    `local evidence (signal, validation or reachability) ${localEvidence ? 'yes' : 'no'}`,
  ]);
  return holds;
}

/** The analyst whose verdict ruled the finding out (engine 2), or null: not ruled out, or not by a person. */
function rulingAnalyst(c: Case): string | null {
  const { finding } = c;
  return c.engine >= 2 && !c.applicable && finding.validation === c.validation ? finding.ruled_out_by : null;
}

/** Who or what ruled the finding out, in words: the analyst, the VEX/CSAF statements, or the import. */
function rulingOf(c: Case): string {
  const { validation, notAffected } = c;
  const analyst = rulingAnalyst(c);
  if (analyst !== null) return `analyst ${analyst} ruled it ${validation} (verdict on the finding)`;
  if (validation === 'not_affected' && notAffected.length > 0) {
    return `VEX/CSAF statement ${notAffected.map((s) => `${s.source}${s.justification === null ? '' : ` (${s.justification})`}`).join(', ')} says not_affected`;
  }
  return `the imported finding says ${validation} (no analyst verdict or VEX/CSAF statement on record)`;
}

/** `ruled_out` (engine 2): the finding is `not_affected` / `false_positive`; the line names who or which statement said so. */
function ruledOut(c: Case): boolean {
  const holds = c.engine >= 2 && !c.applicable;
  if (c.engine >= 2) c.line?.('stay.ruled_out', holds, () => [holds ? rulingOf(c) : `validation is ${c.validation}`]);
  return holds;
}

/** `unreachable` (engine 2): someone has found the vulnerable path unreachable. */
function unreachable(c: Case): boolean {
  const holds = c.engine >= 2 && c.reachability === 'unreachable';
  if (c.engine >= 2) c.line?.('stay.unreachable', holds, () => [`reachability is ${c.reachability}`]);
  return holds;
}

/** The stay reasons of a decision where nothing fired, in vocabulary order. */
function stayReasons(c: Case, pressure: boolean, reach: Reach, fit: boolean, inRegulatedScope: boolean): StayReason[] {
  const reasons: StayReason[] = [];
  if (highScoreOnly(c, pressure, reach, inRegulatedScope)) reasons.push('high_score_only');
  if (pocWithoutEnvironmentFit(c, fit)) reasons.push('poc_without_environment_fit');
  if (unvalidatedScannerFinding(c)) reasons.push('unvalidated_scanner_finding');
  if (vendorAdvisoryOnly(c)) reasons.push('vendor_advisory_only');
  if (ruledOut(c)) reasons.push('ruled_out');
  if (unreachable(c)) reasons.push('unreachable');
  return reasons;
}

/** Vulnerability-response work that continues whatever the outcome, in vocabulary order. */
function nextActions(c: Case, outcome: Outcome, pressure: boolean, containment: boolean): NextAction[] {
  const { finding, v, validation, applicable, line } = c;
  const telemetryEvidence = c.onAsset.length > 0;
  const fixKnownMissing = v?.fix_available === false;
  const validate = applicable && (validation === 'unvalidated' || !finding.affected_version_known);
  const patch = applicable && !fixKnownMissing;
  const mitigate = applicable && (fixKnownMissing || pressure || outcome === 'escalate' || containment);
  const monitor = outcome === 'escalate' || pressure || !applicable || telemetryEvidence || !(validate || patch || mitigate);
  const actions: NextAction[] = [];
  if (validate) actions.push('validate');
  if (patch) actions.push('patch');
  if (mitigate) actions.push('mitigate');
  if (monitor) actions.push('monitor');
  if (line === null) return actions;
  const notApplicable = `finding is ${validation}: no VR work on this finding`;
  line('next_action.validate', validate, () => [
    !applicable
      ? notApplicable
      : validation === 'unvalidated'
        ? 'confirm product, version, feature state and reachability'
        : !finding.affected_version_known
          ? 'confirm the installed version is affected'
          : `finding is ${validation} and the affected version is known`,
  ]);
  line('next_action.patch', patch, () => [
    !applicable
      ? notApplicable
      : fixKnownMissing
        ? 'no fix is available'
        : v?.fix_available === true
          ? 'a fix is available'
          : 'patch through normal VR (fix availability not known to be missing)',
  ]);
  line('next_action.mitigate', mitigate, () => [
    !applicable
      ? notApplicable
      : fixKnownMissing
        ? 'no fix is available'
        : pressure || outcome === 'escalate' || containment
          ? 'exploit pressure or escalation: reduce exposure while the patch lands'
          : 'a fix exists and nothing presses for interim controls',
  ]);
  line('next_action.monitor', monitor, () => [
    outcome === 'escalate'
      ? 'escalated: keep watching the asset while IR works'
      : pressure
        ? 'exploit pressure: watch for exploitation'
        : !applicable
          ? `finding is ${validation}: watch for changes to that determination`
          : telemetryEvidence
            ? 'signals seen on the asset'
            : !(validate || patch || mitigate)
              ? 'nothing else applies'
              : 'no exploit pressure, signal or escalation to watch',
  ]);
  return actions;
}

/** The Decision's evidence refs: advisories, the signals that fired, the vulnerability's facts, containment; each once. */
function evidenceRefs(
  c: Case,
  exploitSignals: readonly SignalRecord[],
  compromiseSignals: readonly SignalRecord[],
  containment: readonly string[] | null,
): string[] {
  const { evidence, v } = c;
  const analyst = rulingAnalyst(c);
  if (analyst !== null) evidence.push(`ruled_out_by:${analyst}`);
  for (const s of exploitSignals) evidence.push(s.id);
  for (const s of compromiseSignals) evidence.push(s.id);
  if (v !== null) {
    if (v.kev !== null) evidence.push(`kev:${v.id}`);
    if (v.epss !== null) evidence.push(`epss:${v.id}=${v.epss.score}`);
    if (v.cvss !== null) evidence.push(`cvss:${v.cvss.vector ?? `${v.cvss.version}/${v.cvss.base_score}`}`);
    if (v.exploitation !== 'none') evidence.push(`exploitation:${v.exploitation}`);
    if (v.public_poc) evidence.push(`public_poc:${v.id}`);
    if (v.vendor_advisory) evidence.push(`vendor_advisory:${v.id}`);
  }
  if (containment !== null) {
    for (const a of containment) evidence.push(`containment:${a}`);
    if (containment.length === 0) evidence.push('containment:flagged');
  }
  return evidence.length > 1 ? uniq(evidence) : evidence;
}

export interface EvaluateOptions {
  /** Build the explanation lines (default true). Without them the decision is the same, only faster. */
  explain?: boolean;
  /** Decide as this engine version did (default: the current one); `why` replays older decisions with theirs. */
  engine?: EngineVersion;
}

/**
 * Evaluates one finding against the ruleset: each trigger, flag and stay reason is one function
 * above, called in vocabulary order so that the explanation lines come out in that order too.
 * Throws `CL_BAD_INPUT` when the asset or vulnerability passed in is not the one the finding
 * names: a mismatched input would produce a confident but wrong decision.
 */
export function evaluate(input: EvaluationInput<FindingFacts>, ruleset: Ruleset, options: EvaluateOptions = {}): Decision {
  const explanation: ExplanationLine[] = [];
  const line: Line | null = options.explain !== false
    ? (rule, holds, facts) => {
        explanation.push({ rule, holds, facts: facts() });
      }
    : null;
  const c = readCase(input, ruleset, line, options.engine ?? ENGINE_VERSION);

  const exploitSignals = observedExploitation(c);
  const compromiseSignals = confirmedCompromise(c);
  const pressure = exploitPressure(c);
  const reach = criticalReachability(c);
  const fit = environmentFit(c);
  const dangerous = dangerousExposure(c, pressure, reach, fit);
  const containment = containmentNeeded(c);
  const scopeGap = scopeUnknown(c, pressure);
  const inRegulatedScope = regulatedScope(c);
  const regulated = regulatedImpact(c, inRegulatedScope, dangerous);

  const triggers: Trigger[] = [];
  if (exploitSignals.length > 0) triggers.push('observed_exploitation');
  if (compromiseSignals.length > 0) triggers.push('confirmed_compromise');
  if (dangerous) triggers.push('dangerous_exposure');
  if (containment !== null) triggers.push('containment_needed');
  if (scopeGap) triggers.push('scope_unknown');
  if (regulated) triggers.push('regulated_impact');
  const outcome: Outcome = triggers.length > 0 ? 'escalate' : 'stay';

  const flags: Flag[] = validateUrgently(c, pressure, reach) ? ['validate_urgently'] : [];
  const stay = outcome === 'stay' ? stayReasons(c, pressure, reach, fit, inRegulatedScope) : [];
  const actions = nextActions(c, outcome, pressure, containment !== null);
  const ssvc = computeSsvc({ vulnerability: c.v, asset: c.asset, observedExploitation: exploitSignals.length > 0 }, ruleset, { explain: line !== null });
  line?.('ssvc', true, () => ssvc.facts);
  const evidence = evidenceRefs(c, exploitSignals, compromiseSignals, containment);
  line?.('outcome', outcome === 'escalate', () =>
    outcome === 'escalate'
      ? [`escalate: ${triggers.join(', ')}`]
      : [stay.length > 0 ? `stay: no trigger fired; ${stay.join(', ')}` : 'stay: no trigger fired and no stay reason applies'],
  );

  return {
    finding: c.finding.id,
    asset: c.finding.asset,
    vulnerability: c.finding.vulnerability,
    outcome,
    triggers,
    stay_reasons: stay,
    flags,
    next_actions: actions,
    ssvc: ssvc.outcome,
    evidence,
    explanation,
  };
}
