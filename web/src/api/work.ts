/**
 * The calls of the follow-through, operations and settings pages (my work, remediation, risk
 * acceptances, deliveries, audit, settings), with the shapes the API answers. They go through
 * `apiFetch` (same cookie, CSRF token and errors as the typed client) while the OpenAPI document
 * does not describe these answers yet; each interface mirrors the route's response schema.
 */
import { API_PREFIX, apiFetch } from './client';

// ---- shapes ---------------------------------------------------------------------------------

export const REMEDIATION_STATES = ['open', 'in_progress', 'resolved', 'verified'] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];
export const RISK_STATES = ['requested', 'approved', 'rejected', 'expired'] as const;
export type RiskState = (typeof RISK_STATES)[number];
export const DELIVERY_STATES = ['queued', 'sending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface WorkAck {
  incident: string;
  title: string;
  severity: string;
  role: string;
  sent_at: string;
  due_at: string;
  overdue: boolean;
}

export interface WorkItem {
  id: string;
  incident: string | null;
  weakness: string | null;
  owner_role: string;
  assignee: string;
  criteria: string;
  status: RemediationState;
  due: string | null;
  overdue: boolean;
  ticket: string | null;
  mine_as: 'assignee' | 'owner_role';
}

export interface RiskAcceptance {
  id: string;
  incident: string;
  weakness: string;
  state: RiskState;
  effective_state: RiskState;
  requester: string;
  approver: string | null;
  rationale: string;
  controls: string;
  review_by: string;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
  can_decide: boolean;
}

export interface VendorNotice {
  id: string;
  incident: string;
  weakness: string;
  vendor: string;
  channel: string | null;
  status: 'pending' | 'sent' | 'responded';
  sent_at: string | null;
  response: string | null;
  responded_at: string | null;
  chased_at: string | null;
  chase_due: string | null;
  chase_overdue: boolean;
  tracking_item: string | null;
  created_at: string;
}

export interface MyWork {
  actor: string;
  roles: string[];
  acks: WorkAck[];
  remediation: WorkItem[];
  risk_decisions: RiskAcceptance[];
  vendor_chases: VendorNotice[];
  leading: { id: string; title: string; severity: string; state: string; reportout: 'not_open' | 'owed' | 'sent' | 'not_required' }[];
}

export interface BoardItem {
  id: string;
  incident: string | null;
  weakness: string | null;
  finding: string | null;
  owner_role: string;
  assignee: string;
  criteria: string;
  status: RemediationState;
  due: string | null;
  overdue: boolean;
  overdue_since: string | null;
  ticket: string | null;
  tickets: { system: string; key: string; url: string | null; status: string | null }[];
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  incident_id: string | null;
  purpose: string;
  role: string;
  channel: string;
  address: string;
  subject: string;
  body: string;
  status: DeliveryState;
  attempts: number;
  next_attempt_at: string | null;
  message_id: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  proof: { status?: number; response?: string; ticket?: { system: string; key: string; id: string; url?: string } } | null;
}

export interface DeliveryAttempt {
  notification_id: string;
  attempt: number;
  at: string;
  outcome: 'delivered' | 'error' | 'rejected';
  detail: string | null;
  channel: string | null;
  status: number | null;
  message_id: string | null;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity: { type: string; id: string };
  incident: string | null;
  digest: string;
  hash: string;
  prev_hash: string;
}

export interface ChainCheck {
  ok: boolean;
  events: number;
  headHash: string;
  firstBad: number | null;
  problem: string | null;
}

export interface Person {
  name: string;
  roles: string[];
  display_name: string | null;
  email: string | null;
  has_password: boolean;
  oidc_subject: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
}

export interface ApiToken {
  id: string;
  actor: string;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Route {
  channel: string;
  target: string;
}

export interface Settings {
  control_card: {
    id: string;
    version: number;
    objective: string;
    owner_role: string;
    triggers: string[];
    recipient_roles: string[];
    workflow_steps: string[];
    exception_rules: { approver_roles: string[]; max_review_days: number; requester_may_not_approve: boolean };
    evidence_location: string;
  };
  routing: { roles: Record<string, Route[]>; services: Record<string, Record<string, Route[]>>; vendors: Record<string, Route[]> };
  workflow: Record<string, unknown>;
  gate: { mode: 'hard' | 'soft' };
  delivery: Record<string, unknown>;
  tickets: unknown;
  server: Record<string, unknown>;
  people: { count: number };
  policy: { roles: string[]; actions: Record<string, string[]> };
}

// ---- calls ----------------------------------------------------------------------------------

/** A query string of the given values, leaving out the empty ones. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

async function getJson<T>(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): Promise<T> {
  const res = await apiFetch(`${API_PREFIX}${path}${queryString(params)}`);
  return (await res.json()) as T;
}

async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await apiFetch(`${API_PREFIX}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

const seg = encodeURIComponent;

export const workApi = {
  myWork: () => getJson<MyWork>('/me/work'),
  acknowledge: (incident: string, role: string) => postJson<unknown>(`/incidents/${seg(incident)}/acks`, { role }),
  chaseVendor: (notice: string) => postJson<unknown>(`/vendor-notices/${seg(notice)}/chase`),

  board: (f: { status?: string; owner?: string; overdue?: string; incident?: string; after?: string; limit?: number }) =>
    getJson<{ items: BoardItem[]; next: string | null }>('/remediation', f),
  moveRemediation: (item: string, state: RemediationState) => postJson<unknown>(`/remediation/${seg(item)}/move`, { state }),

  risks: (f: { state?: string; incident?: string; after?: string }) => getJson<{ risk_acceptances: RiskAcceptance[]; next: string | null }>('/risk-acceptances', f),
  approveRisk: (risk: string, reason?: string) => postJson<unknown>(`/risk-acceptances/${seg(risk)}/approve`, reason === undefined ? {} : { reason }),
  rejectRisk: (risk: string, reason: string) => postJson<unknown>(`/risk-acceptances/${seg(risk)}/reject`, { reason }),

  deliveries: (f: { state?: string; incident?: string; after?: string }) => getJson<{ deliveries: Delivery[]; next: string | null }>('/deliveries', f),
  delivery: (id: string) => getJson<{ delivery: Delivery; attempts: DeliveryAttempt[] }>(`/deliveries/${seg(id)}`),
  retryDelivery: (id: string) => postJson<Delivery>(`/deliveries/${seg(id)}/retry`),

  auditEvents: (f: { incident?: string; actor?: string; action?: string; entity_type?: string; entity_id?: string; from?: string; to?: string; before?: string }) =>
    getJson<{ events: AuditEvent[]; next: number | null }>('/audit/events', f),
  verifyAudit: () => getJson<ChainCheck>('/audit/verify'),

  settings: () => getJson<Settings>('/settings'),
  people: (includeRemoved: boolean) => getJson<{ people: Person[] }>('/people', { include_removed: includeRemoved ? 'true' : undefined }),
  addPerson: (name: string, roles: string[]) => postJson<Person>('/people', { name, roles }),
  setRoles: (name: string, roles: string[]) => postJson<Person>(`/people/${seg(name)}/roles`, { roles }),
  removePerson: (name: string) => postJson<Person>(`/people/${seg(name)}/remove`),
  tokens: () => getJson<{ tokens: ApiToken[] }>('/tokens'),
  createToken: (t: { actor: string; label?: string; expires?: string }) =>
    postJson<{ id: string; actor: string; label: string | null; expires_at: string | null; token: string }>('/tokens', t),
  revokeToken: (id: string) => postJson<ApiToken>(`/tokens/${seg(id)}/revoke`),
};
