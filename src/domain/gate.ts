/**
 * The IR-6(2) closure gate (SPEC §3): pure evaluation of the five obligations over a snapshot of an
 * incident's records. Each missing item is reported in words a responder understands, with a
 * stable `item` code for machines.
 */

import type { RiskState } from './incident.js';

export const GATE_ITEMS = [
  'reportout_complete',
  'roles_notified',
  'roles_acknowledged',
  'weakness_followthrough',
  'third_party_notice',
] as const;
export type GateItem = (typeof GATE_ITEMS)[number];

export interface GateMissing {
  item: GateItem;
  /** What the gap is about: a role, a weakness id, … */
  subject: string | null;
  message: string;
}

export interface GateInput {
  weaknesses: { id: string; type: string; vendor: string | null }[];
  noneIdentifiedRationale: string | null;
  reportoutSent: boolean;
  requiredRoles: readonly string[];
  /** Notifications of the report-out, any status. */
  notifications: { role: string; status: string; delivered_at: string | null }[];
  acknowledgedRoles: readonly string[];
  remediation: { weakness_id: string | null; status: string }[];
  risks: { weakness_id: string; state: RiskState; review_by: string }[];
  notices: { weakness_id: string; sent_at: string | null; response: string | null; chased_at: string | null }[];
  /** Today's date (YYYY-MM-DD), for risk-acceptance expiry. */
  today: string;
}

/** True while an approved acceptance has not reached its review date. */
export function riskIsActive(risk: { state: RiskState; review_by: string }, today: string): boolean {
  return risk.state === 'approved' && risk.review_by > today;
}

/** The effective state of a risk acceptance on `today`: approved ones become `expired` at their review date. */
export function effectiveRiskState(risk: { state: RiskState; review_by: string }, today: string): RiskState {
  if (risk.state === 'approved' && risk.review_by <= today) return 'expired';
  return risk.state;
}

export function evaluateGate(input: GateInput): GateMissing[] {
  const missing: GateMissing[] = [];

  // 1. report-out complete
  if (input.weaknesses.length === 0 && !input.noneIdentifiedRationale) {
    missing.push({
      item: 'reportout_complete',
      subject: null,
      message: 'the report-out lists no weakness and is not marked "none identified" with a rationale',
    });
  }

  // 2. every required role notified, with delivery evidence
  for (const role of input.requiredRoles) {
    const mine = input.notifications.filter((n) => n.role === role);
    if (!input.reportoutSent || mine.length === 0) {
      missing.push({ item: 'roles_notified', subject: role, message: `role ${role} has not been sent the report-out` });
    } else if (!mine.some((n) => n.status === 'delivered' && n.delivered_at !== null)) {
      missing.push({
        item: 'roles_notified',
        subject: role,
        message: `the report-out to role ${role} has no delivery evidence yet (${mine.map((n) => n.status).join(', ')})`,
      });
    }
  }

  // 3. every required role acknowledged
  for (const role of input.requiredRoles) {
    if (!input.acknowledgedRoles.includes(role)) {
      missing.push({ item: 'roles_acknowledged', subject: role, message: `role ${role} has not acknowledged the report-out` });
    }
  }

  // 4. every weakness has a remediation item or an approved, unexpired risk acceptance
  for (const w of input.weaknesses) {
    const hasItem = input.remediation.some((r) => r.weakness_id === w.id);
    const risks = input.risks.filter((r) => r.weakness_id === w.id);
    const hasRisk = risks.some((r) => riskIsActive(r, input.today));
    if (!hasItem && !hasRisk) {
      const expired = risks.some((r) => effectiveRiskState(r, input.today) === 'expired');
      const pending = risks.some((r) => r.state === 'requested');
      const why = expired
        ? ' (its risk acceptance has expired and needs re-review)'
        : pending
          ? ' (its risk acceptance is still awaiting approval)'
          : '';
      missing.push({
        item: 'weakness_followthrough',
        subject: w.id,
        message: `weakness ${w.id} has no remediation item and no approved risk acceptance${why}`,
      });
    }
  }

  // 5. every third-party weakness: notice sent and the vendor response recorded or chased
  for (const w of input.weaknesses.filter((x) => x.type === 'third_party')) {
    const notices = input.notices.filter((n) => n.weakness_id === w.id);
    const vendor = w.vendor ?? 'the vendor';
    if (!notices.some((n) => n.sent_at !== null)) {
      missing.push({
        item: 'third_party_notice',
        subject: w.id,
        message: `third-party weakness ${w.id}: no notice has been sent to ${vendor}`,
      });
    } else if (!notices.some((n) => n.response !== null || n.chased_at !== null)) {
      missing.push({
        item: 'third_party_notice',
        subject: w.id,
        message: `third-party weakness ${w.id}: ${vendor} has not responded and the response has not been chased`,
      });
    }
  }
  return missing;
}
