/**
 * The incident routes the typed document does not yet describe the answers of: local types that
 * match the server's response schemas (src/api/schemas.ts, src/app/views/*), over `apiFetch` (same
 * cookie, CSRF token and errors as the typed client).
 */
import { api, API_PREFIX, apiFetch, data } from './client';

export const INCIDENT_STATES = ['reported', 'triage', 'containment', 'eradication', 'recovery', 'post_incident', 'closed', 'closed_non_incident'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const INCIDENT_SEVERITIES = ['low', 'moderate', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export const WEAKNESS_TYPES = ['technical', 'configuration', 'identity_access', 'detection_gap', 'operational', 'third_party'] as const;
export type WeaknessType = (typeof WEAKNESS_TYPES)[number];
export const WEAKNESS_RELATIONS = ['enabled', 'worsened_impact', 'delayed_detection'] as const;
export type WeaknessRelation = (typeof WEAKNESS_RELATIONS)[number];
export const REMEDIATION_STATES = ['open', 'in_progress', 'resolved', 'verified'] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];
export type RiskState = 'requested' | 'approved' | 'rejected' | 'expired';
export const GATE_ITEMS = ['reportout_complete', 'roles_notified', 'roles_acknowledged', 'weakness_followthrough', 'third_party_notice'] as const;
export type GateItem = (typeof GATE_ITEMS)[number];
export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'failed';
export type AckVia = 'cli' | 'api' | 'link';

export interface GateMissing {
  item: GateItem;
  subject: string | null;
  message: string;
}

export interface Incident {
  id: string;
  title: string;
  severity: IncidentSeverity;
  state: IncidentState;
  service: string | null;
  ir_lead: string | null;
  determination: 'incident' | 'non_incident' | null;
  determination_rationale: string | null;
  none_identified_rationale: string | null;
  reportout_opened_at: string | null;
  reportout_sent_at: string | null;
  gate_flags: GateMissing[];
  opened_by: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** The control card version in force when the incident was opened; null when it was opened before versions were recorded. */
  control_card_version: number | null;
}

export type ReportOutStatus = 'not_open' | 'owed' | 'sent' | 'not_required';

/** A listed incident: the list adds a summary (report-out, acknowledgments, overdue) when the server has it. */
export interface ListedIncident extends Incident {
  summary?: {
    reportout: ReportOutStatus;
    acks: { done: number; required: number };
    overdue: boolean;
    ack_overdue: boolean;
    remediation_overdue: boolean;
  };
}

export interface IncidentPage {
  incidents: ListedIncident[];
  next: string | null;
}

export interface Weakness {
  id: string;
  incident_id: string;
  type: WeaknessType;
  relation: WeaknessRelation;
  assets: string[];
  vulnerabilities: string[];
  notes: string;
  action: string;
  vendor: string | null;
  created_by: string;
  created_at: string;
}

export interface RemediationItem {
  id: string;
  incident_id: string | null;
  weakness_id: string | null;
  finding_id: string | null;
  owner_role: string;
  assignee: string;
  criteria: string;
  due: string | null;
  ticket: string | null;
  status: RemediationState;
  overdue_since: string | null;
  created_at: string;
  updated_at: string;
  history: { seq: number; status: RemediationState; actor: string; at: string }[];
}

export interface RiskAcceptance {
  id: string;
  incident_id: string;
  weakness_id: string;
  requester: string;
  approver: string | null;
  rationale: string;
  controls: string;
  review_by: string;
  state: RiskState;
  effective_state: RiskState;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface VendorNotice {
  id: string;
  incident_id: string;
  weakness_id: string;
  vendor: string;
  channel: string | null;
  status: 'pending' | 'sent' | 'responded';
  sent_at: string | null;
  response: string | null;
  responded_at: string | null;
  chased_at: string | null;
  tracking_item: string | null;
  created_at: string;
}

export interface MessageEvidence {
  id: string;
  purpose: string;
  revision: number | null;
  channel: string;
  address: string;
  status: DeliveryState;
  attempts: number;
  delivered_at: string | null;
  message_id: string | null;
  last_error: string | null;
}

export interface RoleEvidence {
  role: string;
  messages: MessageEvidence[];
  acknowledgment: { actor: string; at: string; via: AckVia | null; revision: number; comment: string | null } | null;
  superseded: { actor: string; at: string; via: AckVia | null; revision: number; superseded_by: number }[];
}

export interface IncidentView {
  incident: Incident;
  assets: string[];
  weaknesses: Weakness[];
  remediation: RemediationItem[];
  risk_acceptances: RiskAcceptance[];
  third_party_notices: VendorNotice[];
  handoff_notes: { id: string; decision_id: string; created_at: string }[];
  decisions: { id: string; finding_id: string; outcome: string; triggers: string[] }[];
  required_roles: string[];
  evidence: RoleEvidence[];
  gate: { ready: boolean; missing: GateMissing[] };
  gate_flags: GateMissing[];
}

export interface GateAnswer {
  incident: string;
  state: IncidentState;
  ready: boolean;
  missing: GateMissing[];
  flags: GateMissing[];
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: { type: string; id: string };
  incident: string | null;
}

export interface Timeline {
  incident: string;
  events: AuditEvent[];
  next: number | null;
}

export interface HandoffNote {
  id: string;
  decision: string | null;
  created_at: string;
  markdown: string;
}

export interface IncidentFilters {
  state?: string;
  severity?: string;
  service?: string;
  missing_reportout?: string;
  overdue?: string;
  after?: string;
}

const enc = encodeURIComponent;

async function get<T>(path: string): Promise<T> {
  const res = await apiFetch(`${API_PREFIX}${path}`);
  return (await res.json()) as T;
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await apiFetch(`${API_PREFIX}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

const isState = (v: string | undefined): v is IncidentState => (INCIDENT_STATES as readonly string[]).includes(v ?? '');
const isSeverity = (v: string | undefined): v is IncidentSeverity => (INCIDENT_SEVERITIES as readonly string[]).includes(v ?? '');
const flag = (v: string | undefined): 'true' | 'false' | undefined => (v === 'true' || v === 'false' ? v : undefined);

/** A page of incidents; filters from the address that are not values the API knows are left out. */
export async function listIncidents(f: IncidentFilters, limit = 50): Promise<IncidentPage> {
  const query = {
    limit,
    ...(isState(f.state) ? { state: f.state } : {}),
    ...(isSeverity(f.severity) ? { severity: f.severity } : {}),
    ...(f.service ? { service: f.service } : {}),
    ...(flag(f.missing_reportout) ? { missing_reportout: flag(f.missing_reportout) } : {}),
    ...(flag(f.overdue) ? { overdue: flag(f.overdue) } : {}),
    ...(f.after ? { after: f.after } : {}),
  };
  // the document does not describe this answer's body yet: IncidentPage is its shape
  return data(await api.GET('/api/v1/incidents', { params: { query } }));
}

export const incidentApi = {
  view: (id: string) => get<IncidentView>(`/incidents/${enc(id)}`),
  gate: (id: string) => get<GateAnswer>(`/incidents/${enc(id)}/gate`),
  timeline: async (id: string): Promise<Timeline> => data(await api.GET('/api/v1/incidents/{id}/timeline', { params: { path: { id } } })),
  handoff: async (id: string): Promise<HandoffNote[]> => {
    const body = await get<unknown>(`/incidents/${enc(id)}/handoff`);
    const list: unknown[] = Array.isArray(body) ? (body as unknown[]) : ((body as { notes?: unknown[] } | null)?.notes ?? []);
    return (list as Partial<HandoffNote & { decision_id: string }>[]).map((n) => ({
      id: n.id ?? '',
      decision: n.decision ?? n.decision_id ?? null,
      created_at: n.created_at ?? '',
      markdown: n.markdown ?? '',
    }));
  },
  riskDecidable: async (id: string): Promise<Record<string, boolean>> => {
    const body = data(await api.GET('/api/v1/risk-acceptances', { params: { query: { incident: id, limit: 1000 } } }));
    return Object.fromEntries(body.risk_acceptances.map((r) => [r.id, r.can_decide]));
  },
  open: (b: { title: string; severity: IncidentSeverity; service?: string; ir_lead?: string; assets?: string[] }) => post<Incident>('/incidents', b),
  move: (id: string, state: IncidentState) => post<Incident>(`/incidents/${enc(id)}/move`, { state }),
  close: (id: string, b: { non_incident?: boolean; rationale?: string }) => post<{ incident: Incident; flagged: GateMissing[] }>(`/incidents/${enc(id)}/close`, b),
  reopen: (id: string, reason: string) => post<Incident>(`/incidents/${enc(id)}/reopen`, { reason }),
  addWeakness: (
    id: string,
    b: { type: WeaknessType; relation: WeaknessRelation; assets: string[]; notes: string; action: string; vulnerabilities: string[]; vendor?: string },
  ) => post<Weakness>(`/incidents/${enc(id)}/weaknesses`, b),
  noneIdentified: (id: string, rationale: string) => post<Incident>(`/incidents/${enc(id)}/reportout/none`, { rationale }),
  send: (id: string) => post<{ revision: number; notices_opened: string[]; acks_kept: string[]; acks_superseded: string[] }>(`/incidents/${enc(id)}/reportout/send`, {}),
  acknowledge: (id: string, role: string, comment?: string) => post<unknown>(`/incidents/${enc(id)}/acks`, comment ? { role, comment } : { role }),
  addRemediation: (weakness: string, b: { owner_role: string; assignee: string; criteria: string; due?: string; ticket?: string }) =>
    post<unknown>(`/weaknesses/${enc(weakness)}/remediation`, b),
  moveRemediation: (item: string, state: RemediationState) => post<unknown>(`/remediation/${enc(item)}/move`, { state }),
  requestRisk: (weakness: string, b: { rationale: string; controls: string; review_by: string }) => post<unknown>(`/weaknesses/${enc(weakness)}/risk-acceptances`, b),
  approveRisk: (risk: string) => post<unknown>(`/risk-acceptances/${enc(risk)}/approve`, {}),
  rejectRisk: (risk: string, reason: string) => post<unknown>(`/risk-acceptances/${enc(risk)}/reject`, { reason }),
  notifyVendor: (weakness: string, b: { channel: string; tracking_item?: string }) => post<unknown>(`/weaknesses/${enc(weakness)}/vendor-notices`, b),
  vendorResponse: (notice: string, text: string) => post<unknown>(`/vendor-notices/${enc(notice)}/response`, { text }),
  chaseVendor: (notice: string) => post<unknown>(`/vendor-notices/${enc(notice)}/chase`, {}),
};

/** Query keys: every change to an incident invalidates ['incident', id] (view, gate, timeline, …) and the lists. */
export const incidentKeys = {
  list: (f: IncidentFilters) => ['incidents', f] as const,
  all: ['incidents'] as const,
  one: (id: string) => ['incident', id] as const,
  view: (id: string) => ['incident', id, 'view'] as const,
  gate: (id: string) => ['incident', id, 'gate'] as const,
  timeline: (id: string) => ['incident', id, 'timeline'] as const,
  handoff: (id: string) => ['incident', id, 'handoff'] as const,
  risks: (id: string) => ['incident', id, 'risks'] as const,
};
