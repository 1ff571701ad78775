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
  FindingRecord,
  SignalRecord,
  Validation,
  VulnerabilityRecord,
} from '../records.js';
import { findingVulnerabilityIds, productName, statementsFor } from './advisory-match.js';
import { normaliseActionName } from './ruleset.js';
import type { Ruleset } from './ruleset.js';
import { computeSsvc } from './ssvc.js';
import {
  FLAGS,
  NEXT_ACTIONS,
  STAY_REASONS,
  TRIGGERS,
  inVocabularyOrder,
} from './vocabulary.js';
import type { Flag, NextAction, Outcome, SsvcOutcome, StayReason, Trigger } from './vocabulary.js';

/** Everything one decision is made from; the caller loads it, the engine only reads it. */
export interface EvaluationInput {
  finding: FindingRecord;
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

/** How a signal is tied to the finding's vulnerable path, or null when it is not. */
function tieOf(signal: SignalRecord, finding: FindingRecord, vulnIds: ReadonlySet<string>): string | null {
  if (signal.vulnerability !== null && vulnIds.has(lower(signal.vulnerability))) {
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

interface ContainmentFlag {
  flagged: boolean;
  actions: string[];
  facts: string[];
}

/** Reads the analyst's containment flag (bool or named action) against the ruleset's names. */
function readContainment(value: unknown, where: string, ruleset: Ruleset): ContainmentFlag {
  if (value === true) return { flagged: true, actions: [], facts: [`${where} containment_needed is set`] };
  if (typeof value !== 'string') return { flagged: false, actions: [], facts: [] };
  const key = normaliseActionName(value);
  if (ruleset.containment.not_flagged.some((n) => normaliseActionName(n) === key)) {
    return { flagged: false, actions: [], facts: [] };
  }
  for (const [action, aliases] of Object.entries(ruleset.containment.actions)) {
    if ([action, ...aliases].some((n) => normaliseActionName(n) === key)) {
      return { flagged: true, actions: [action], facts: [`${where} asks for containment: ${action}`] };
    }
  }
  return {
    flagged: true,
    actions: [value.trim()],
    facts: [`${where} asks for containment: "${value.trim()}" (not a ruleset action name; counted as an analyst flag)`],
  };
}

export interface EvaluateOptions {
  /** Build the explanation lines (default true). Without them the decision is the same, only faster. */
  explain?: boolean;
}

/**
 * Evaluates one finding against the ruleset. Throws `CL_BAD_INPUT` when the asset or
 * vulnerability passed in is not the one the finding names: a mismatched input would produce a
 * confident but wrong decision.
 */
export function evaluate(input: EvaluationInput, ruleset: Ruleset, options: EvaluateOptions = {}): Decision {
  const { finding, asset, vulnerability: v } = input;
  const vulnIds = findingVulnerabilityIds(finding);
  if (asset !== null && asset.id !== finding.asset) {
    throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is on asset ${finding.asset}, not ${asset.id}`);
  }
  if (v !== null && !vulnIds.has(lower(v.id))) {
    throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is about ${finding.vulnerability}, not ${v.id}`);
  }

  const explanation: ExplanationLine[] = [];
  const evidence: string[] = [];
  const explain = options.explain !== false;
  // Facts are words for `why` and handoff notes only: they are built when asked for (a stored
  // triage run decides a million findings without writing a line of them; `why` replays).
  const line = (rule: string, holds: boolean, facts: () => string[]): boolean => {
    if (explain) explanation.push({ rule, holds, facts: facts() });
    return holds;
  };

  // --- advisories: VEX not_affected sets validation; under_investigation means vendor scope unknown
  const statements = statementsFor(input.advisories ?? [], finding, asset);
  let validation: Validation = finding.validation;
  let vendorScopeKnown = finding.vendor_scope_known;
  const applicabilityFacts: string[] = explain ? [`finding ${finding.id} validation is ${finding.validation}`] : [];
  const notAffected = statements.filter((s) => s.status === 'not_affected');
  const affected = statements.filter((s) => s.status === 'affected');
  for (const s of statements) evidence.push(`vex:${s.status}:${s.source}`);
  if (notAffected.length > 0) {
    const sources = notAffected
      .map((s) => `${s.source}${s.justification === null ? '' : ` (${s.justification})`}`)
      .join(', ');
    if (finding.validation === 'unvalidated' && affected.length === 0) {
      validation = 'not_affected';
      applicabilityFacts.push(`advisory says not_affected: ${sources}; validation read as not_affected`);
    } else if (finding.validation === 'unvalidated') {
      applicabilityFacts.push(
        `advisories disagree (not_affected: ${sources}; affected: ${affected.map((s) => s.source).join(', ')}); validation left unvalidated`,
      );
    } else if (finding.validation === 'validated') {
      applicabilityFacts.push(`advisory says not_affected (${sources}) but a person validated the finding: the validation wins`);
    }
  }
  if (statements.some((s) => s.status === 'under_investigation') && validation !== 'not_affected') {
    vendorScopeKnown = false;
    applicabilityFacts.push('vendor advisory status is under_investigation: vendor scope unknown');
  }
  if (explain) applicabilityFacts.push(`reachability is ${finding.reachability}`);
  const applicable = line('applicability', !INAPPLICABLE.has(validation), () => [
    ...applicabilityFacts,
    INAPPLICABLE.has(validation)
      ? `finding is ${validation}: dangerous_exposure and scope_unknown cannot fire`
      : 'finding may apply to this asset',
  ]);

  // --- signals on this asset
  const onAsset = input.signals.filter((s) => s.asset === finding.asset);
  const elsewhere = input.signals.filter(
    (s) => s.asset !== finding.asset && s.vulnerability !== null && vulnIds.has(lower(s.vulnerability)),
  );

  // observed_exploitation
  const exploitKinds = kindSet(ruleset.signals.observed_exploitation);
  const countingKinds = kindSet(applicable ? ruleset.signals.observed_exploitation : ruleset.signals.observed_exploitation_inapplicable);
  const exploitFacts: string[] = [];
  const exploitSignals: SignalRecord[] = [];
  for (const s of onAsset.filter((x) => exploitKinds.has(x.kind))) {
    const tie = tieOf(s, finding, vulnIds);
    if (tie === null) {
      if (explain) exploitFacts.push(
        `${describeSignal(s)} on asset ${s.asset} is not tied to the vulnerable path (names neither ${finding.vulnerability} nor component ${finding.component ?? '(none)'})`,
      );
    } else if (!countingKinds.has(s.kind)) {
      if (explain) exploitFacts.push(
        `${describeSignal(s)} ${tie}, but the finding is ${validation}: an attempt against a component that is not affected is not counted`,
      );
    } else {
      exploitSignals.push(s);
      if (explain) exploitFacts.push(`${describeSignal(s)} on asset ${s.asset} ${tie}`);
    }
  }
  if (explain && elsewhere.length > 0) {
    exploitFacts.push(
      `${elsewhere.length} signal(s) about ${finding.vulnerability} on other assets (${uniq(elsewhere.map((s) => s.asset)).join(', ')}) are not counted for asset ${finding.asset}`,
    );
  }
  if (exploitFacts.length === 0) exploitFacts.push(`no exploitation signal on asset ${finding.asset}`);
  const observedExploitation = line('observed_exploitation', exploitSignals.length > 0, () => exploitFacts);

  // confirmed_compromise
  const compromiseKinds = kindSet(ruleset.signals.confirmed_compromise);
  const compromiseSignals = onAsset.filter((s) => compromiseKinds.has(s.kind));
  const confirmedCompromise = line(
    'confirmed_compromise',
    compromiseSignals.length > 0,
    () => (compromiseSignals.length > 0
      ? compromiseSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`)
      : [`no compromise signal on asset ${finding.asset}`]),
  );

  // dangerous_exposure: exploit pressure ∧ critical reachability ∧ environment fit
  const pressureFacts: string[] = [];
  const ep = ruleset.exploit_pressure;
  if (v !== null) {
    if (ep.kev && v.kev !== null) {
      pressureFacts.push(
        `${v.id} is in CISA KEV (added ${v.kev.dateAdded}${v.kev.dueDate === null ? '' : `, due ${v.kev.dueDate}`})`,
      );
    }
    if (ep.ransomware && v.kev?.knownRansomwareCampaignUse === true) {
      pressureFacts.push(`${v.id} has known ransomware campaign use`);
    }
    if (ep.exploitation.includes(v.exploitation)) pressureFacts.push(`${v.id} exploitation is ${v.exploitation}`);
    if (ep.public_poc && v.public_poc) pressureFacts.push(`a public proof of concept exists for ${v.id}`);
    const epssMin = ruleset.thresholds.epss_exploit_pressure;
    if (epssMin !== null && v.epss !== null && v.epss.score >= epssMin) {
      pressureFacts.push(`EPSS ${v.epss.score} ≥ ${epssMin}`);
    }
  }
  const pressure = line(
    'dangerous_exposure.exploit_pressure',
    pressureFacts.length > 0,
    () => (pressureFacts.length > 0
      ? pressureFacts
      : [v === null ? `nothing known about ${finding.vulnerability}` : `${v.id}: not in KEV, no active exploitation, no public PoC`]),
  );

  const reachFacts: string[] = [];
  const cr = ruleset.critical_reachability;
  if (asset !== null) {
    if (cr.exposure.includes(asset.exposure)) reachFacts.push(`asset ${asset.id} exposure is ${asset.exposure}`);
    if (cr.unauthenticated && !asset.auth_required) reachFacts.push(`asset ${asset.id} is reachable without authentication`);
    if (cr.privileged && asset.privileged) reachFacts.push(`asset ${asset.id} is privileged`);
    if (cr.business_critical && asset.business_critical) reachFacts.push(`asset ${asset.id} is business-critical`);
  }
  const critical = line(
    'dangerous_exposure.critical_reachability',
    reachFacts.length > 0,
    () => (reachFacts.length > 0
      ? reachFacts
      : [
          asset === null
            ? `asset ${finding.asset} is not in the inventory`
            : `asset ${asset.id} is ${asset.exposure}, ${asset.auth_required ? 'requires authentication' : 'unauthenticated'}, ${asset.privileged ? 'privileged' : 'not privileged'}, ${asset.business_critical ? 'business-critical' : 'not business-critical'}`,
        ]),
  );

  const fitByEvidence = validation === 'validated' || finding.reachability === 'reachable';
  const fit = applicable && fitByEvidence && finding.reachability !== 'unreachable';
  const fitFacts = !applicable
    ? [`finding is ${validation}`]
    : finding.reachability === 'unreachable'
      ? ['reachability is unreachable']
      : fitByEvidence
        ? [validation === 'validated' ? 'finding is validated' : 'vulnerable path is reachable']
        : ['finding is neither validated nor known reachable'];
  line('dangerous_exposure.environment_fit', fit, () => fitFacts);
  const dangerousExposure = line('dangerous_exposure', pressure && critical && fit, () => [
    `exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, environment fit ${fit ? 'yes' : 'no'}`,
  ]);

  // containment_needed: analyst flag on the finding or the asset
  const fromFinding = readContainment(finding.containment_needed, `finding ${finding.id}`, ruleset);
  const fromAsset = readContainment(asset?.extra['containment_needed'], `asset ${finding.asset}`, ruleset);
  const containmentActions = uniq([...fromFinding.actions, ...fromAsset.actions]);
  const containmentNeeded = line(
    'containment_needed',
    fromFinding.flagged || fromAsset.flagged,
    () => (fromFinding.flagged || fromAsset.flagged ? [...fromFinding.facts, ...fromAsset.facts] : ['no containment flag']),
  );

  // scope_unknown: pressure ∧ business-critical ∧ a gap that keeps owners from bounding the blast radius
  const gaps: string[] = [];
  const sg = ruleset.scope_gaps;
  if (asset !== null) {
    if (sg.no_owner && (asset.owner === null || asset.owner.trim() === '')) gaps.push(`asset ${asset.id} has no owner`);
    if (sg.no_telemetry && !asset.telemetry) gaps.push(`asset ${asset.id} has no telemetry coverage`);
  }
  if (sg.affected_version_unknown && !finding.affected_version_known) gaps.push('affected version unknown');
  if (sg.vendor_scope_unknown && !vendorScopeKnown) gaps.push('vendor scope unknown');
  const businessCritical = line('scope_unknown.business_critical', asset?.business_critical === true, () => [
    asset === null
      ? `asset ${finding.asset} is not in the inventory`
      : `asset ${asset.id} is ${asset.business_critical ? '' : 'not '}business-critical`,
  ]);
  line('scope_unknown.gap', gaps.length > 0, () => (gaps.length > 0 ? gaps : ['owner, telemetry, affected version and vendor scope are known']));
  const scopeUnknown = line('scope_unknown', applicable && pressure && businessCritical && gaps.length > 0, () => [
    `applicable ${applicable ? 'yes' : 'no'}, exploit pressure ${pressure ? 'yes' : 'no'}, business-critical ${businessCritical ? 'yes' : 'no'}, gap ${gaps.length > 0 ? 'yes' : 'no'}`,
  ]);

  // regulated_impact: regulated scope ∧ (compromise/data_access signal ∨ dangerous exposure)
  const scopeFacts: string[] = [];
  const rs = ruleset.regulated_scope;
  if (asset !== null) {
    const wanted = rs.regulated_classes;
    const classes =
      wanted === 'any' ? asset.regulated : asset.regulated.filter((c) => wanted.some((r) => lower(r) === lower(c)));
    if (classes.length > 0) scopeFacts.push(`asset ${asset.id} holds regulated data: ${classes.join(', ')}`);
    if (rs.customer_facing && asset.customer_facing) scopeFacts.push(`asset ${asset.id} is customer-facing`);
    if (rs.safety && asset.safety) scopeFacts.push(`asset ${asset.id} is safety-relevant`);
  }
  const regulatedScope = line(
    'regulated_impact.scope',
    scopeFacts.length > 0,
    () => (scopeFacts.length > 0 ? scopeFacts : ['not regulated, customer-facing or safety-relevant']),
  );
  const regulatedKinds = kindSet(ruleset.signals.regulated_impact);
  const regulatedSignals = onAsset.filter((s) => regulatedKinds.has(s.kind));
  const harmFacts = [
    ...regulatedSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`),
    ...(dangerousExposure ? ['dangerous_exposure fired'] : []),
  ];
  const harm = line(
    'regulated_impact.harm',
    harmFacts.length > 0,
    () => (harmFacts.length > 0 ? harmFacts : ['no compromise/data access signal and no dangerous exposure']),
  );
  const regulatedImpact = line('regulated_impact', regulatedScope && harm, () => [
    `regulated scope ${regulatedScope ? 'yes' : 'no'}, compromise or dangerous exposure ${harm ? 'yes' : 'no'}`,
  ]);

  const fired: Record<Trigger, boolean> = {
    observed_exploitation: observedExploitation,
    confirmed_compromise: confirmedCompromise,
    dangerous_exposure: dangerousExposure,
    containment_needed: containmentNeeded,
    scope_unknown: scopeUnknown,
    regulated_impact: regulatedImpact,
  };
  const triggers = TRIGGERS.filter((t) => fired[t]);
  const outcome: Outcome = triggers.length > 0 ? 'escalate' : 'stay';

  // validate_urgently: dangerous_exposure would fire if this unvalidated finding were validated
  const validateUrgently = line(
    'flag.validate_urgently',
    validation === 'unvalidated' && pressure && critical && finding.reachability !== 'unreachable',
    () => [
      validation !== 'unvalidated'
        ? `finding is ${validation}, not unvalidated`
        : `if validated: exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, reachability ${finding.reachability}`,
    ],
  );
  const flags = inVocabularyOrder(FLAGS, validateUrgently ? ['validate_urgently' as const] : []);

  // stay reasons (reported only when nothing fired)
  const cvss = v?.cvss ?? null;
  const epssEvidenceMin = ruleset.thresholds.epss_exploitability_evidence;
  const exposureEvidence =
    (asset !== null && (cr.exposure.includes(asset.exposure) || (cr.unauthenticated && !asset.auth_required))) ||
    finding.reachability === 'reachable';
  const exploitabilityEvidence =
    pressure || (epssEvidenceMin !== null && v?.epss !== null && v?.epss !== undefined && v.epss.score >= epssEvidenceMin);
  const impactEvidence = asset !== null && (asset.business_critical || asset.privileged || regulatedScope);
  const telemetryEvidence = onAsset.length > 0;
  const localEvidence = telemetryEvidence || validation === 'validated' || finding.reachability === 'reachable';
  const exploitAvailable = v !== null && (v.public_poc || v.exploitation === 'poc' || v.exploitation === 'active');

  const stayCandidates: Array<[StayReason, boolean, () => string[]]> = [
    [
      'high_score_only',
      cvss !== null &&
        cvss.base_score >= ruleset.thresholds.cvss_high_score &&
        !exposureEvidence &&
        !exploitabilityEvidence &&
        !impactEvidence &&
        !telemetryEvidence,
      () => [
        cvss === null
          ? 'no CVSS score'
          : `CVSS ${cvss.version} base score ${cvss.base_score} (threshold ${ruleset.thresholds.cvss_high_score})`,
        `exposure evidence ${exposureEvidence ? 'yes' : 'no'}, exploitability evidence ${exploitabilityEvidence ? 'yes' : 'no'}, impact evidence ${impactEvidence ? 'yes' : 'no'}, telemetry evidence ${telemetryEvidence ? 'yes' : 'no'}`,
      ],
    ],
    [
      'poc_without_environment_fit',
      exploitAvailable && !fit,
      () => [
        exploitAvailable ? 'a public or in-the-wild exploit exists' : 'no public exploit known',
        `environment fit ${fit ? 'yes' : 'no'}`,
      ],
    ],
    ['unvalidated_scanner_finding', validation === 'unvalidated', () => [`validation is ${validation}`]],
    [
      'vendor_advisory_only',
      v !== null && v.vendor_advisory && !localEvidence,
      () => [
        v?.vendor_advisory === true ? `${v.id} is known from a vendor advisory` : 'not known from a vendor advisory',
        `local evidence (signal, validation or reachability) ${localEvidence ? 'yes' : 'no'}`,
      ],
    ],
  ];
  const stayReasons: StayReason[] = [];
  if (outcome === 'stay') {
    for (const [reason, holds, facts] of stayCandidates) {
      if (line(`stay.${reason}`, holds, facts)) stayReasons.push(reason);
    }
  }

  // next actions: VR work that continues whatever the outcome
  const fixKnownMissing = v?.fix_available === false;
  const notApplicable = `finding is ${validation}: no VR work on this finding`;
  const actionChecks: Array<[NextAction, boolean, string]> = [
    [
      'validate',
      applicable && (validation === 'unvalidated' || !finding.affected_version_known),
      !applicable
        ? notApplicable
        : validation === 'unvalidated'
          ? 'confirm product, version, feature state and reachability'
          : !finding.affected_version_known
            ? 'confirm the installed version is affected'
            : `finding is ${validation} and the affected version is known`,
    ],
    [
      'patch',
      applicable && !fixKnownMissing,
      !applicable
        ? notApplicable
        : fixKnownMissing
          ? 'no fix is available'
          : v?.fix_available === true
            ? 'a fix is available'
            : 'patch through normal VR (fix availability not known to be missing)',
    ],
    [
      'mitigate',
      applicable && (fixKnownMissing || pressure || outcome === 'escalate' || containmentNeeded),
      !applicable
        ? notApplicable
        : fixKnownMissing
          ? 'no fix is available'
          : pressure || outcome === 'escalate' || containmentNeeded
            ? 'exploit pressure or escalation: reduce exposure while the patch lands'
            : 'a fix exists and nothing presses for interim controls',
    ],
  ];
  const chosen = actionChecks.filter(([, holds]) => holds).map(([a]) => a);
  const monitor = outcome === 'escalate' || pressure || !applicable || telemetryEvidence || chosen.length === 0;
  const nextActions = inVocabularyOrder(NEXT_ACTIONS, monitor ? [...chosen, 'monitor'] : chosen);
  for (const [action, holds, why] of actionChecks) line(`next_action.${action}`, holds, () => [why]);
  line('next_action.monitor', monitor, () => [
    outcome === 'escalate'
      ? 'escalated: keep watching the asset while IR works'
      : pressure
        ? 'exploit pressure: watch for exploitation'
        : !applicable
          ? `finding is ${validation}: watch for changes to that determination`
          : telemetryEvidence
            ? 'signals seen on the asset'
            : chosen.length === 0
              ? 'nothing else applies'
              : 'no exploit pressure, signal or escalation to watch',
  ]);

  // SSVC cross-check
  const ssvc = computeSsvc({ vulnerability: v, asset, observedExploitation }, ruleset, { explain });
  line('ssvc', true, () => ssvc.facts);

  // evidence
  for (const s of [...exploitSignals, ...compromiseSignals]) evidence.push(s.id);
  if (v !== null) {
    if (v.kev !== null) evidence.push(`kev:${v.id}`);
    if (v.epss !== null) evidence.push(`epss:${v.id}=${v.epss.score}`);
    if (v.cvss !== null) evidence.push(`cvss:${v.cvss.vector ?? `${v.cvss.version}/${v.cvss.base_score}`}`);
    if (v.exploitation !== 'none') evidence.push(`exploitation:${v.exploitation}`);
    if (v.public_poc) evidence.push(`public_poc:${v.id}`);
    if (v.vendor_advisory) evidence.push(`vendor_advisory:${v.id}`);
  }
  for (const a of containmentActions) evidence.push(`containment:${a}`);
  if (containmentNeeded && containmentActions.length === 0) evidence.push('containment:flagged');

  line(
    'outcome',
    outcome === 'escalate',
    () => (outcome === 'escalate'
      ? [`escalate: ${triggers.join(', ')}`]
      : [
          stayReasons.length > 0
            ? `stay: no trigger fired; ${stayReasons.join(', ')}`
            : 'stay: no trigger fired and no stay reason applies',
        ]),
  );

  return {
    finding: finding.id,
    asset: finding.asset,
    vulnerability: finding.vulnerability,
    outcome,
    triggers,
    stay_reasons: inVocabularyOrder(STAY_REASONS, stayReasons),
    flags,
    next_actions: nextActions,
    ssvc: ssvc.outcome,
    evidence: uniq(evidence),
    explanation,
  };
}
