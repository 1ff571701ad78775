/**
 * Closed vocabularies of the escalation engine (SPEC §2, FORMATS.md triage output). The strings
 * are a published contract (`closeloop triage --json`, rule cases, metrics by trigger), so they
 * live as `as const` arrays: the union types derive from them and the boundary can check them at
 * run time.
 */

/** Why a vulnerability became an incident question; any one escalates, all that fire are listed. */
export const TRIGGERS = [
  'observed_exploitation',
  'confirmed_compromise',
  'dangerous_exposure',
  'containment_needed',
  'scope_unknown',
  'regulated_impact',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Why a finding stays in vulnerability response; every one that applies is listed. */
export const STAY_REASONS = [
  'high_score_only',
  'poc_without_environment_fit',
  'unvalidated_scanner_finding',
  'vendor_advisory_only',
  'ruled_out',
  'unreachable',
] as const;
export type StayReason = (typeof STAY_REASONS)[number];

/** Flags ride beside the outcome: they ask for work without changing the outcome. */
export const FLAGS = ['validate_urgently'] as const;
export type Flag = (typeof FLAGS)[number];

/** Vulnerability-response work that continues whatever the outcome (VR remediation stays open). */
export const NEXT_ACTIONS = ['validate', 'patch', 'mitigate', 'monitor'] as const;
export type NextAction = (typeof NEXT_ACTIONS)[number];

export const OUTCOMES = ['escalate', 'stay'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** CISA SSVC coordinator outcomes, spelled as CISA writes them. */
export const SSVC_OUTCOMES = ['Track', 'Track*', 'Attend', 'Act'] as const;
export type SsvcOutcome = (typeof SSVC_OUTCOMES)[number];

/** Incident severities (SPEC §1 Incident): the incident workflow's own list, one contract. */
export { INCIDENT_SEVERITIES, type IncidentSeverity } from '../incident.js';

/** What the IR handoff asks IR to decide (seed 002 "Decision needed"). */
export const DECISIONS_NEEDED = [
  'containment',
  'hunt',
  'forensic_triage',
  'emergency_change',
  'leadership_legal_comms',
] as const;
export type DecisionNeeded = (typeof DECISIONS_NEEDED)[number];

/** Sorts a subset of a closed vocabulary into the vocabulary's own order (stable output). */
export function inVocabularyOrder<T extends string>(vocabulary: readonly T[], values: Iterable<T>): T[] {
  const present = new Set(values);
  return vocabulary.filter((v) => present.has(v));
}
