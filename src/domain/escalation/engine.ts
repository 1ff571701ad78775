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
  SignalRecord,
  Validation,
  VulnerabilityRecord,
} from '../records.js';
import { findingVulnerabilityIds, productName, statementsFor, vulnerabilityKey } from './advisory-match.js';
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

/** How a signal is tied to the finding's vulnerable path, or null when it is not. */
function tieOf(signal: SignalRecord, finding: FindingFacts, vulnIds: ReadonlySet<string>): string | null {
  if (signal.vulnerability !== null && vulnIds.has(vulnerabilityKey(signal.vulnerability))) {
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
  readonly flagged: boolean;
  readonly actions: readonly string[];
  readonly facts: readonly string[];
}

const NOT_FLAGGED: ContainmentFlag = Object.freeze({ flagged: false, actions: Object.freeze([]), facts: Object.freeze([]) });

/** Reads the analyst's containment flag (bool or named action) against the ruleset's names; `where` names the record. */
function readContainment(value: unknown, where: () => string, ruleset: Ruleset): ContainmentFlag {
  if (value === true) return { flagged: true, actions: [], facts: [`${where()} containment_needed is set`] };
  if (typeof value !== 'string') return NOT_FLAGGED;
  const key = normaliseActionName(value);
  if (ruleset.containment.not_flagged.some((n) => normaliseActionName(n) === key)) return NOT_FLAGGED;
  for (const [action, aliases] of Object.entries(ruleset.containment.actions)) {
    if ([action, ...aliases].some((n) => normaliseActionName(n) === key)) {
      return { flagged: true, actions: [action], facts: [`${where()} asks for containment: ${action}`] };
    }
  }
  return {
    flagged: true,
    actions: [value.trim()],
    facts: [`${where()} asks for containment: "${value.trim()}" (not a ruleset action name; counted as an analyst flag)`],
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
export function evaluate(input: EvaluationInput<FindingFacts>, ruleset: Ruleset, options: EvaluateOptions = {}): Decision {
  const { finding, asset, vulnerability: v } = input;
  // the finding's vulnerability ids (with aliases), lower-cased: built when a signal or a check needs them
  let ids: ReadonlySet<string> | null = null;
  const vulnIds = (): ReadonlySet<string> => (ids ??= findingVulnerabilityIds(finding));
  if (asset !== null && asset.id !== finding.asset) {
    throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is on asset ${finding.asset}, not ${asset.id}`);
  }
  if (v !== null && v.id !== finding.vulnerability && !vulnIds().has(vulnerabilityKey(v.id))) {
    throw new ClError('CL_BAD_INPUT', `finding ${finding.id} is about ${finding.vulnerability}, not ${v.id}`);
  }

  const explanation: ExplanationLine[] = [];
  const evidence: string[] = [];
  // Facts are words for `why` and handoff notes only. Every condition below is computed as a plain
  // boolean; the rule lines and their facts are written only when asked for (`line` is null
  // otherwise, and `line?.(…)` does not even build its arguments): a stored triage run decides a
  // million findings without writing a line of them, and `why` replays with explain on.
  const line = options.explain !== false
    ? (rule: string, holds: boolean, facts: () => string[]): void => {
        explanation.push({ rule, holds, facts: facts() });
      }
    : null;

  // --- advisories: VEX not_affected sets validation; under_investigation means vendor scope unknown
  const statements = statementsFor(input.advisories ?? [], finding, asset);
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
    facts.push(`reachability is ${finding.reachability}`);
    facts.push(
      applicable ? 'finding may apply to this asset' : `finding is ${validation}: dangerous_exposure and scope_unknown cannot fire`,
    );
    return facts;
  });

  // --- signals on this asset
  const signals = input.signals;
  const onAsset = signals.length === 0 ? NONE_SIGNALS : signals.filter((s) => s.asset === finding.asset);

  // observed_exploitation
  const exploitKinds = kindSet(ruleset.signals.observed_exploitation);
  const countingKinds = kindSet(applicable ? ruleset.signals.observed_exploitation : ruleset.signals.observed_exploitation_inapplicable);
  const exploitSignals: SignalRecord[] = [];
  for (const s of onAsset) {
    if (exploitKinds.has(s.kind) && countingKinds.has(s.kind) && tieOf(s, finding, vulnIds()) !== null) exploitSignals.push(s);
  }
  const observedExploitation = exploitSignals.length > 0;
  line?.('observed_exploitation', observedExploitation, () => {
    const facts: string[] = [];
    for (const s of onAsset.filter((x) => exploitKinds.has(x.kind))) {
      const tie = tieOf(s, finding, vulnIds());
      if (tie === null) {
        facts.push(
          `${describeSignal(s)} on asset ${s.asset} is not tied to the vulnerable path (names neither ${finding.vulnerability} nor component ${finding.component ?? '(none)'})`,
        );
      } else if (!countingKinds.has(s.kind)) {
        facts.push(`${describeSignal(s)} ${tie}, but the finding is ${validation}: an attempt against a component that is not affected is not counted`);
      } else {
        facts.push(`${describeSignal(s)} on asset ${s.asset} ${tie}`);
      }
    }
    const elsewhere = signals.filter((s) => s.asset !== finding.asset && s.vulnerability !== null && vulnIds().has(vulnerabilityKey(s.vulnerability)));
    if (elsewhere.length > 0) {
      facts.push(
        `${elsewhere.length} signal(s) about ${finding.vulnerability} on other assets (${uniq(elsewhere.map((s) => s.asset)).join(', ')}) are not counted for asset ${finding.asset}`,
      );
    }
    if (facts.length === 0) facts.push(`no exploitation signal on asset ${finding.asset}`);
    return facts;
  });

  // confirmed_compromise
  const compromiseKinds = kindSet(ruleset.signals.confirmed_compromise);
  const compromiseSignals = onAsset.length === 0 ? NONE_SIGNALS : onAsset.filter((s) => compromiseKinds.has(s.kind));
  const confirmedCompromise = compromiseSignals.length > 0;
  line?.('confirmed_compromise', confirmedCompromise, () =>
    confirmedCompromise
      ? compromiseSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`)
      : [`no compromise signal on asset ${finding.asset}`],
  );

  // dangerous_exposure: exploit pressure ∧ critical reachability ∧ environment fit
  const ep = ruleset.exploit_pressure;
  const epssMin = ruleset.thresholds.epss_exploit_pressure;
  const inKev = v !== null && ep.kev && v.kev !== null;
  const ransomware = v !== null && ep.ransomware && v.kev?.knownRansomwareCampaignUse === true;
  const exploited = v !== null && ep.exploitation.includes(v.exploitation);
  const publicPoc = v !== null && ep.public_poc && v.public_poc;
  const epssHigh = v !== null && epssMin !== null && v.epss !== null && v.epss.score >= epssMin;
  const pressure = inKev || ransomware || exploited || publicPoc || epssHigh;
  line?.('dangerous_exposure.exploit_pressure', pressure, () => {
    if (v === null) return [`nothing known about ${finding.vulnerability}`];
    if (!pressure) return [`${v.id}: not in KEV, no active exploitation, no public PoC`];
    const facts: string[] = [];
    if (inKev && v.kev !== null) facts.push(`${v.id} is in CISA KEV (added ${v.kev.dateAdded}${v.kev.dueDate === null ? '' : `, due ${v.kev.dueDate}`})`);
    if (ransomware) facts.push(`${v.id} has known ransomware campaign use`);
    if (exploited) facts.push(`${v.id} exploitation is ${v.exploitation}`);
    if (publicPoc) facts.push(`a public proof of concept exists for ${v.id}`);
    if (epssHigh && v.epss !== null) facts.push(`EPSS ${v.epss.score} ≥ ${epssMin}`);
    return facts;
  });

  const cr = ruleset.critical_reachability;
  const exposed = asset !== null && cr.exposure.includes(asset.exposure);
  const unauthenticated = asset !== null && cr.unauthenticated && !asset.auth_required;
  const privileged = asset !== null && cr.privileged && asset.privileged;
  const businessCriticalReach = asset !== null && cr.business_critical && asset.business_critical;
  const critical = exposed || unauthenticated || privileged || businessCriticalReach;
  line?.('dangerous_exposure.critical_reachability', critical, () => {
    if (asset === null) return [`asset ${finding.asset} is not in the inventory`];
    if (!critical) {
      return [
        `asset ${asset.id} is ${asset.exposure}, ${asset.auth_required ? 'requires authentication' : 'unauthenticated'}, ${asset.privileged ? 'privileged' : 'not privileged'}, ${asset.business_critical ? 'business-critical' : 'not business-critical'}`,
      ];
    }
    const facts: string[] = [];
    if (exposed) facts.push(`asset ${asset.id} exposure is ${asset.exposure}`);
    if (unauthenticated) facts.push(`asset ${asset.id} is reachable without authentication`);
    if (privileged) facts.push(`asset ${asset.id} is privileged`);
    if (businessCriticalReach) facts.push(`asset ${asset.id} is business-critical`);
    return facts;
  });

  const fitByEvidence = validation === 'validated' || finding.reachability === 'reachable';
  const fit = applicable && fitByEvidence && finding.reachability !== 'unreachable';
  line?.('dangerous_exposure.environment_fit', fit, () => [
    !applicable
      ? `finding is ${validation}`
      : finding.reachability === 'unreachable'
        ? 'reachability is unreachable'
        : fitByEvidence
          ? validation === 'validated' ? 'finding is validated' : 'vulnerable path is reachable'
          : 'finding is neither validated nor known reachable',
  ]);
  const dangerousExposure = pressure && critical && fit;
  line?.('dangerous_exposure', dangerousExposure, () => [
    `exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, environment fit ${fit ? 'yes' : 'no'}`,
  ]);

  // containment_needed: analyst flag on the finding or the asset
  const fromFinding = readContainment(finding.containment_needed, () => `finding ${finding.id}`, ruleset);
  const fromAsset = readContainment(asset?.extra['containment_needed'], () => `asset ${finding.asset}`, ruleset);
  const containmentNeeded = fromFinding.flagged || fromAsset.flagged;
  const containmentActions = containmentNeeded ? uniq([...fromFinding.actions, ...fromAsset.actions]) : NONE_STRINGS;
  line?.('containment_needed', containmentNeeded, () =>
    containmentNeeded ? [...fromFinding.facts, ...fromAsset.facts] : ['no containment flag'],
  );

  // scope_unknown: pressure ∧ business-critical ∧ a gap that keeps owners from bounding the blast radius
  const sg = ruleset.scope_gaps;
  const noOwner = asset !== null && sg.no_owner && (asset.owner === null || asset.owner.trim() === '');
  const noTelemetry = asset !== null && sg.no_telemetry && !asset.telemetry;
  const versionUnknown = sg.affected_version_unknown && !finding.affected_version_known;
  const vendorScopeUnknown = sg.vendor_scope_unknown && !vendorScopeKnown;
  const gap = noOwner || noTelemetry || versionUnknown || vendorScopeUnknown;
  const businessCritical = asset?.business_critical === true;
  line?.('scope_unknown.business_critical', businessCritical, () => [
    asset === null
      ? `asset ${finding.asset} is not in the inventory`
      : `asset ${asset.id} is ${asset.business_critical ? '' : 'not '}business-critical`,
  ]);
  line?.('scope_unknown.gap', gap, () => {
    const gaps: string[] = [];
    if (noOwner && asset !== null) gaps.push(`asset ${asset.id} has no owner`);
    if (noTelemetry && asset !== null) gaps.push(`asset ${asset.id} has no telemetry coverage`);
    if (versionUnknown) gaps.push('affected version unknown');
    if (vendorScopeUnknown) gaps.push('vendor scope unknown');
    return gaps.length > 0 ? gaps : ['owner, telemetry, affected version and vendor scope are known'];
  });
  const scopeUnknown = applicable && pressure && businessCritical && gap;
  line?.('scope_unknown', scopeUnknown, () => [
    `applicable ${applicable ? 'yes' : 'no'}, exploit pressure ${pressure ? 'yes' : 'no'}, business-critical ${businessCritical ? 'yes' : 'no'}, gap ${gap ? 'yes' : 'no'}`,
  ]);

  // regulated_impact: regulated scope ∧ (compromise/data_access signal ∨ dangerous exposure)
  const rs = ruleset.regulated_scope;
  const wanted = rs.regulated_classes;
  const classes =
    asset === null || asset.regulated.length === 0
      ? NONE_STRINGS
      : wanted === 'any' ? asset.regulated : asset.regulated.filter((c) => wanted.some((r) => lower(r) === lower(c)));
  const customerFacing = asset !== null && rs.customer_facing && asset.customer_facing;
  const safety = asset !== null && rs.safety && asset.safety;
  const regulatedScope = classes.length > 0 || customerFacing || safety;
  line?.('regulated_impact.scope', regulatedScope, () => {
    if (asset === null || !regulatedScope) return ['not regulated, customer-facing or safety-relevant'];
    const facts: string[] = [];
    if (classes.length > 0) facts.push(`asset ${asset.id} holds regulated data: ${classes.join(', ')}`);
    if (customerFacing) facts.push(`asset ${asset.id} is customer-facing`);
    if (safety) facts.push(`asset ${asset.id} is safety-relevant`);
    return facts;
  });
  const regulatedKinds = kindSet(ruleset.signals.regulated_impact);
  const regulatedSignals = onAsset.length === 0 ? NONE_SIGNALS : onAsset.filter((s) => regulatedKinds.has(s.kind));
  const harm = regulatedSignals.length > 0 || dangerousExposure;
  line?.('regulated_impact.harm', harm, () =>
    harm
      ? [...regulatedSignals.map((s) => `${describeSignal(s)} on asset ${s.asset}`), ...(dangerousExposure ? ['dangerous_exposure fired'] : [])]
      : ['no compromise/data access signal and no dangerous exposure'],
  );
  const regulatedImpact = regulatedScope && harm;
  line?.('regulated_impact', regulatedImpact, () => [
    `regulated scope ${regulatedScope ? 'yes' : 'no'}, compromise or dangerous exposure ${harm ? 'yes' : 'no'}`,
  ]);

  // the triggers, in vocabulary order
  const triggers: Trigger[] = [];
  if (observedExploitation) triggers.push('observed_exploitation');
  if (confirmedCompromise) triggers.push('confirmed_compromise');
  if (dangerousExposure) triggers.push('dangerous_exposure');
  if (containmentNeeded) triggers.push('containment_needed');
  if (scopeUnknown) triggers.push('scope_unknown');
  if (regulatedImpact) triggers.push('regulated_impact');
  const outcome: Outcome = triggers.length > 0 ? 'escalate' : 'stay';

  // validate_urgently: dangerous_exposure would fire if this unvalidated finding were validated
  const validateUrgently = validation === 'unvalidated' && pressure && critical && finding.reachability !== 'unreachable';
  line?.('flag.validate_urgently', validateUrgently, () => [
    validation !== 'unvalidated'
      ? `finding is ${validation}, not unvalidated`
      : `if validated: exploit pressure ${pressure ? 'yes' : 'no'}, critical reachability ${critical ? 'yes' : 'no'}, reachability ${finding.reachability}`,
  ]);
  const flags: Flag[] = validateUrgently ? ['validate_urgently'] : [];

  // stay reasons (reported only when nothing fired), in vocabulary order
  const cvss = v?.cvss ?? null;
  const epssEvidenceMin = ruleset.thresholds.epss_exploitability_evidence;
  const exposureEvidence = exposed || unauthenticated || finding.reachability === 'reachable';
  const exploitabilityEvidence =
    pressure || (epssEvidenceMin !== null && v?.epss !== null && v?.epss !== undefined && v.epss.score >= epssEvidenceMin);
  const impactEvidence = asset !== null && (asset.business_critical || asset.privileged || regulatedScope);
  const telemetryEvidence = onAsset.length > 0;
  const localEvidence = telemetryEvidence || validation === 'validated' || finding.reachability === 'reachable';
  const exploitAvailable = v !== null && (v.public_poc || v.exploitation === 'poc' || v.exploitation === 'active');
  const stayReasons: StayReason[] = [];
  if (outcome === 'stay') {
    const highScoreOnly =
      cvss !== null &&
      cvss.base_score >= ruleset.thresholds.cvss_high_score &&
      !exposureEvidence &&
      !exploitabilityEvidence &&
      !impactEvidence &&
      !telemetryEvidence;
    if (highScoreOnly) stayReasons.push('high_score_only');
    line?.('stay.high_score_only', highScoreOnly, () => [
      cvss === null ? 'no CVSS score' : `CVSS ${cvss.version} base score ${cvss.base_score} (threshold ${ruleset.thresholds.cvss_high_score})`,
      `exposure evidence ${exposureEvidence ? 'yes' : 'no'}, exploitability evidence ${exploitabilityEvidence ? 'yes' : 'no'}, impact evidence ${impactEvidence ? 'yes' : 'no'}, telemetry evidence ${telemetryEvidence ? 'yes' : 'no'}`,
    ]);
    const pocWithoutFit = exploitAvailable && !fit;
    if (pocWithoutFit) stayReasons.push('poc_without_environment_fit');
    line?.('stay.poc_without_environment_fit', pocWithoutFit, () => [
      exploitAvailable ? 'a public or in-the-wild exploit exists' : 'no public exploit known',
      `environment fit ${fit ? 'yes' : 'no'}`,
    ]);
    const unvalidated = validation === 'unvalidated';
    if (unvalidated) stayReasons.push('unvalidated_scanner_finding');
    line?.('stay.unvalidated_scanner_finding', unvalidated, () => [`validation is ${validation}`]);
    const vendorOnly = v !== null && v.vendor_advisory && !localEvidence;
    if (vendorOnly) stayReasons.push('vendor_advisory_only');
    line?.('stay.vendor_advisory_only', vendorOnly, () => [
      v?.vendor_advisory === true ? `${v.id} is known from a vendor advisory` : 'not known from a vendor advisory',
      `local evidence (signal, validation or reachability) ${localEvidence ? 'yes' : 'no'}`,
    ]);
  }

  // next actions: VR work that continues whatever the outcome, in vocabulary order
  const fixKnownMissing = v?.fix_available === false;
  const validate = applicable && (validation === 'unvalidated' || !finding.affected_version_known);
  const patch = applicable && !fixKnownMissing;
  const mitigate = applicable && (fixKnownMissing || pressure || outcome === 'escalate' || containmentNeeded);
  const monitor = outcome === 'escalate' || pressure || !applicable || telemetryEvidence || !(validate || patch || mitigate);
  const nextActions: NextAction[] = [];
  if (validate) nextActions.push('validate');
  if (patch) nextActions.push('patch');
  if (mitigate) nextActions.push('mitigate');
  if (monitor) nextActions.push('monitor');
  if (line !== null) {
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
          : pressure || outcome === 'escalate' || containmentNeeded
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
  }

  // SSVC cross-check
  const ssvc = computeSsvc({ vulnerability: v, asset, observedExploitation }, ruleset, { explain: line !== null });
  line?.('ssvc', true, () => ssvc.facts);

  // evidence
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
  for (const a of containmentActions) evidence.push(`containment:${a}`);
  if (containmentNeeded && containmentActions.length === 0) evidence.push('containment:flagged');

  line?.('outcome', outcome === 'escalate', () =>
    outcome === 'escalate'
      ? [`escalate: ${triggers.join(', ')}`]
      : [stayReasons.length > 0 ? `stay: no trigger fired; ${stayReasons.join(', ')}` : 'stay: no trigger fired and no stay reason applies'],
  );

  return {
    finding: finding.id,
    asset: finding.asset,
    vulnerability: finding.vulnerability,
    outcome,
    triggers,
    stay_reasons: stayReasons,
    flags,
    next_actions: nextActions,
    ssvc: ssvc.outcome,
    evidence: evidence.length > 1 ? uniq(evidence) : evidence,
    explanation,
  };
}
