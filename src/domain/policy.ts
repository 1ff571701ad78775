/**
 * Who may do what: role-based policy, declared apart from handlers so the CLI and the HTTP API
 * enforce the same rules. `admin` administers (people, tokens) and may act for any workflow step,
 * but approval authority for risk acceptances comes only from the configured approver roles.
 */

export const ACTIONS = [
  'incident.read',
  'incident.open',
  'incident.move',
  'incident.close',
  'incident.reopen',
  'reportout.edit',
  'reportout.send',
  'remediation.edit',
  'risk.request',
  'vendor.edit',
  'delivery.run',
  'audit.verify',
  'audit.read',
  'audit.checkpoint',
  'keys.manage',
  'settings.read',
  'people.read',
  'people.manage',
  'token.manage',
  'store.backup',
  'store.restore',
  'vr.import',
  'vr.triage',
  'vr.escalate',
  'asset.read',
  'asset.merge',
  'vr.verdict',
  'channels.test',
  'delivery.read',
  'delivery.retry',
  'tickets.sync',
  'tickets.apply',
  'healthcheck.run',
  'healthcheck.read',
  'healthcheck.note',
  'evidence.export',
  'metrics.read',
  'oscal.export',
] as const;
export type Action = (typeof ACTIONS)[number];

const RESPONDERS = ['ir_lead', 'responder'];
const VR = ['vuln_mgmt_owner', 'service_owner', 'eng_ops_lead'];
const READERS = ['ir_lead', 'responder', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact', 'third_party_manager', 'contract_owner', 'risk_approver', 'auditor'];

export const POLICY: Record<Action, readonly string[]> = {
  'incident.read': READERS,
  'incident.open': RESPONDERS,
  'incident.move': RESPONDERS,
  'incident.close': RESPONDERS,
  'incident.reopen': [...RESPONDERS, 'grc_contact'],
  'reportout.edit': RESPONDERS,
  'reportout.send': RESPONDERS,
  'remediation.edit': [...RESPONDERS, ...VR],
  'risk.request': [...RESPONDERS, ...VR],
  'vendor.edit': ['ir_lead', 'third_party_manager', 'contract_owner'],
  'delivery.run': RESPONDERS,
  'audit.verify': ['ir_lead', 'grc_contact', 'auditor'],
  // the whole audit log; an incident's own events are its timeline, for its readers
  'audit.read': ['ir_lead', 'grc_contact', 'auditor'],
  // signing a checkpoint on demand changes no record: whoever verifies the log may fix its state
  'audit.checkpoint': ['ir_lead', 'grc_contact', 'auditor'],
  // making or rotating the audit signing key (also edits closeloop.yaml)
  'keys.manage': [],
  // the configuration as the settings page shows it (secrets by reference only)
  'settings.read': ['grc_contact', 'auditor'],
  // who holds which roles: an access review (AC-2) is part of assessing the control
  'people.read': ['grc_contact', 'auditor'],
  'people.manage': [],
  'token.manage': [],
  'store.backup': [],
  'store.restore': [],
  'vr.import': [...VR, ...RESPONDERS],
  'vr.triage': [...VR, ...RESPONDERS],
  'vr.escalate': [...VR, ...RESPONDERS],
  'asset.read': READERS,
  /** Merging a provisional asset re-decides its findings: the roles that triage. */
  'asset.merge': [...VR, ...RESPONDERS],
  // an analyst's verdict on a finding (validation, reachability, containment): the people who triage
  'vr.verdict': [...VR, ...RESPONDERS],
  'channels.test': RESPONDERS,
  'delivery.read': READERS,
  'delivery.retry': RESPONDERS,
  'tickets.sync': [...RESPONDERS, ...VR],
  // A ticket system's own status changes: granted to the system callers system:jira and system:servicenow.
  'tickets.apply': [],
  // control health checks (SPEC §5): the control's assessors run them and write reviewer notes; the IR lead reads what they found
  'healthcheck.run': ['grc_contact', 'auditor'],
  'healthcheck.read': ['grc_contact', 'auditor', 'ir_lead'],
  'healthcheck.note': ['grc_contact', 'auditor'],
  // an evidence bundle holds every record of an incident and proofs from the audit log: for the people who assess the control
  'evidence.export': ['ir_lead', 'grc_contact', 'auditor'],
  // the Prometheus scrape of the control's figures (`GET /metrics`): monitoring, assurance and the owners of the two loops
  'metrics.read': ['grc_contact', 'auditor', 'ir_lead', 'vuln_mgmt_owner'],
  // the POA&M and assessment results leave the system for assessors and authorising officials
  'oscal.export': ['grc_contact', 'auditor', 'vuln_mgmt_owner'],
};

export function isAllowed(roles: readonly string[], action: Action): boolean {
  if (roles.includes('admin')) return true;
  return POLICY[action].some((r) => roles.includes(r));
}
