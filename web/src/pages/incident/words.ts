/**
 * The incident vocabulary in words: states, severities, weakness types (with the help text of the
 * IR-6(2) guidance the product follows), relations, and audit actions for the timeline.
 */
import type { GateItem, IncidentSeverity, IncidentState, RemediationState, ReportOutStatus, RiskState, WeaknessRelation, WeaknessType } from '../../api/incidents';

export const STATE_WORDS: Record<IncidentState, string> = {
  reported: 'Reported',
  triage: 'Triage',
  containment: 'Containment',
  eradication: 'Eradication',
  recovery: 'Recovery',
  post_incident: 'Post-incident',
  closed: 'Closed',
  closed_non_incident: 'Closed (non-incident)',
};

export const SEVERITY_WORDS: Record<IncidentSeverity, string> = { low: 'Low', moderate: 'Moderate', high: 'High', critical: 'Critical' };

export function severityTone(s: IncidentSeverity): 'neutral' | 'info' | 'warn' | 'bad' {
  return s === 'critical' ? 'bad' : s === 'high' ? 'warn' : s === 'moderate' ? 'info' : 'neutral';
}

export const REPORTOUT_WORDS: Record<ReportOutStatus, string> = {
  not_open: 'Not due yet',
  owed: 'Owed',
  sent: 'Sent',
  not_required: 'Not required',
};

/** The six weakness types: "vulnerability" read broadly, as the IR-6(2) guidance asks (not CVEs only). */
export const WEAKNESS_TYPE_HELP: Record<WeaknessType, { label: string; help: string }> = {
  technical: { label: 'Technical', help: 'Technical vulnerabilities: unpatched software, weak crypto settings, exposed management ports.' },
  configuration: { label: 'Configuration', help: 'Configuration weaknesses: overly permissive security groups, logging disabled, public storage buckets.' },
  identity_access: { label: 'Identity and access', help: 'Identity/control weaknesses: lack of MFA, stale accounts, excessive privileges.' },
  detection_gap: { label: 'Detection gap', help: 'Detection gaps discovered by the incident: missing telemetry on a critical host, alert rules absent.' },
  operational: { label: 'Operational', help: 'Operational weaknesses: backup failures, change management gaps that caused exposure.' },
  third_party: {
    label: 'Third party',
    help: 'Third party control failures on vendor-managed systems: notify the third party through your contractual security channel, capture their RCA/vulnerability statement, and open internal tracking items.',
  },
};

export const RELATION_HELP: Record<WeaknessRelation, { label: string; help: string }> = {
  enabled: { label: 'Enabled the incident', help: 'The weakness made the incident possible.' },
  worsened_impact: { label: 'Worsened the impact', help: 'The weakness made the incident worse than it would have been.' },
  delayed_detection: { label: 'Delayed detection', help: 'The weakness let the incident go unnoticed for longer.' },
};

export const REMEDIATION_WORDS: Record<RemediationState, string> = { open: 'Open', in_progress: 'In progress', resolved: 'Resolved', verified: 'Verified' };

export const RISK_WORDS: Record<RiskState, string> = { requested: 'Awaiting decision', approved: 'Approved', rejected: 'Rejected', expired: 'Expired (needs re-review)' };

export function riskTone(s: RiskState): 'neutral' | 'good' | 'warn' | 'bad' {
  return s === 'approved' ? 'good' : s === 'requested' ? 'warn' : 'bad';
}

export const GATE_ITEM_WORDS: Record<GateItem, string> = {
  reportout_complete: 'Report-out complete (weaknesses listed, or none identified with a rationale)',
  roles_notified: 'Every required role sent the report-out, with delivery evidence',
  roles_acknowledged: 'Every required role acknowledged the report-out',
  weakness_followthrough: 'Every weakness has a remediation item or an approved risk acceptance',
  third_party_notice: 'Every third-party weakness: vendor notified, and its response recorded or chased',
};

/** A role name as people read it: `service_owner` → "service owner". */
export function roleWords(role: string): string {
  return role.replace(/_/g, ' ');
}

const ACTION_WORDS: Record<string, string> = {
  'incident.opened': 'opened the incident',
  'incident.escalated': 'escalated to an incident',
  'incident.closed': 'closed the incident',
  'incident.closed_with_gaps': 'closed the incident with gate items missing',
  'incident.closed_non_incident': 'closed it as a non-incident',
  'incident.reopened': 'reopened the incident',
  'reportout.task_opened': 'opened the report-out task',
  'reportout.none_identified': 'recorded the report-out as "none identified"',
  'reportout.sent': 'sent the report-out',
  'reportout.acknowledged': 'acknowledged the report-out',
  'reportout.ack_superseded': 'asked a role to acknowledge again (the report-out changed)',
  'weakness.added': 'added a weakness',
  'remediation.opened': 'opened a remediation item',
  'remediation.overdue': 'marked a remediation item overdue',
  'remediation.ticket': 'linked a ticket to a remediation item',
  'risk.requested': 'requested a risk acceptance',
  'risk.approved': 'approved a risk acceptance',
  'risk.rejected': 'rejected a risk acceptance',
  'risk.expired': 'a risk acceptance reached its review date',
  'risk.review_warning': 'a risk acceptance review date is near',
  'third_party_notice.opened': 'opened a third-party notice',
  'third_party_notice.sent': 'notified the vendor',
  'third_party_notice.response': "recorded the vendor's response",
  'third_party_notice.chased': 'chased the vendor',
  'handoff.created': 'stored the handoff note',
  'handoff.revised': 'revised the handoff note',
  'handoff.sent': 'sent the handoff note',
  'ticket.recorded': 'recorded a ticket',
  'notification.queued': 'queued a message',
  'notification.delivered': 'delivered a message',
  'notification.failed': 'gave up delivering a message',
  'notification.retry': 'will retry a message',
  'notification.requeued': 'put a failed message back in the queue',
  'ticket.status': 'applied a ticket status',
  'control_card.initialized': 'recorded the control card',
  'control_card.changed': 'recorded a control card version',
};

/** An audit action in words; moves name their target (`incident.moved.triage` → "moved the incident to Triage"). */
export function actionWords(action: string): string {
  const known = ACTION_WORDS[action];
  if (known !== undefined) return known;
  const move = /^incident\.moved\.(.+)$/.exec(action);
  if (move) return `moved the incident to ${STATE_WORDS[move[1] as IncidentState] ?? move[1]}`;
  const rem = /^remediation\.moved\.(.+)$/.exec(action);
  if (rem) return `moved a remediation item to ${REMEDIATION_WORDS[rem[1] as RemediationState] ?? rem[1]}`;
  return action.replace(/[._]/g, ' ');
}
