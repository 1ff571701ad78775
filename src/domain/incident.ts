/**
 * The IR-6(2) incident workflow vocabulary and state machine (SPEC §3). Pure: no I/O.
 */

export const INCIDENT_STATES = [
  'reported',
  'triage',
  'containment',
  'eradication',
  'recovery',
  'post_incident',
  'closed',
  'closed_non_incident',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** Incident severities (SPEC §1 Incident), least to most severe; not a finding's scanner severity. */
export const INCIDENT_SEVERITIES = ['low', 'moderate', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const WEAKNESS_TYPES = [
  'technical',
  'configuration',
  'identity_access',
  'detection_gap',
  'operational',
  'third_party',
] as const;
export type WeaknessType = (typeof WEAKNESS_TYPES)[number];

export const WEAKNESS_RELATIONS = ['enabled', 'worsened_impact', 'delayed_detection'] as const;
export type WeaknessRelation = (typeof WEAKNESS_RELATIONS)[number];

export const REMEDIATION_STATES = ['open', 'in_progress', 'resolved', 'verified'] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];

/** A risk acceptance's states; `expired` is stored for none: it is computed from the review date (effectiveRiskState). */
export const RISK_STATES = ['requested', 'approved', 'rejected', 'expired'] as const;
export type RiskState = (typeof RISK_STATES)[number];

export const CLOSED_STATES: readonly IncidentState[] = ['closed', 'closed_non_incident'];

/**
 * Moves a responder may make with `incident move`. Closing is not a move: it goes through the
 * closure gate (`incident close`), and reopening through `incident reopen`, so that both are
 * deliberate, audited acts.
 */
const MOVES: Record<IncidentState, readonly IncidentState[]> = {
  reported: ['triage'],
  triage: ['containment', 'eradication'],
  containment: ['eradication'],
  eradication: ['recovery'],
  recovery: ['post_incident'],
  post_incident: [],
  closed: [],
  closed_non_incident: [],
};

export function allowedMoves(from: IncidentState): readonly IncidentState[] {
  return MOVES[from];
}

export function isClosed(state: IncidentState): boolean {
  return CLOSED_STATES.includes(state);
}

export type MoveCheck = { ok: true } | { ok: false; reason: string; allowed: readonly IncidentState[] };

/** Whether `incident move` may go from `from` to `to`; a refusal names the allowed moves. */
export function checkMove(from: IncidentState, to: IncidentState): MoveCheck {
  const allowed = MOVES[from];
  if (allowed.includes(to)) return { ok: true };
  let hint = '';
  if (to === 'closed' || to === 'closed_non_incident') hint = '; use `incident close` so the closure gate is checked';
  else if (isClosed(from)) hint = '; use `incident reopen` first';
  const list = allowed.length > 0 ? allowed.join(', ') : 'none';
  return {
    ok: false,
    allowed,
    reason: `cannot move from ${from} to ${to}; allowed moves from ${from}: ${list}${hint}`,
  };
}

/** States from which an incident may be closed as a real incident (through the gate). */
export const CLOSABLE_FROM: readonly IncidentState[] = ['post_incident'];
/** States from which an incident may be closed as a non-incident (determination + rationale). */
export const NON_INCIDENT_CLOSABLE_FROM: readonly IncidentState[] = ['reported', 'triage'];

/** Where a reopened incident goes back to: report-out work is done in post_incident. */
export function reopenTarget(from: IncidentState): IncidentState {
  return from === 'closed_non_incident' ? 'triage' : 'post_incident';
}

const STATE_ORDER: readonly IncidentState[] = INCIDENT_STATES;

/** True when `state` is at or past `milestone` in the workflow order. */
export function reached(state: IncidentState, milestone: IncidentState): boolean {
  return STATE_ORDER.indexOf(state) >= STATE_ORDER.indexOf(milestone);
}

export const REMEDIATION_MOVES: Record<RemediationState, readonly RemediationState[]> = {
  open: ['in_progress', 'resolved'],
  in_progress: ['resolved', 'open'],
  resolved: ['verified', 'in_progress'],
  verified: [],
};

export function formatIncidentId(year: number, n: number): string {
  return `INC-${year}-${String(n).padStart(4, '0')}`;
}
