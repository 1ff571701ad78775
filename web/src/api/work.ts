/**
 * The calls of the follow-through, operations and settings pages (my work, remediation, risk
 * acceptances, deliveries, audit, settings), with the shapes the API answers. The read views go
 * through the typed client (their answers typed from the OpenAPI document); the routes whose
 * answers the document does not describe yet (deliveries, people, tokens) go through `apiFetch`
 * (same cookie, CSRF token and errors) with an interface that mirrors the route's response schema.
 */
import { api, API_PREFIX, apiFetch, data } from './client';
import type { operations } from './schema';

/** The JSON a documented operation answers with. */
type Answer<O extends keyof operations> = operations[O]['responses'] extends { 200: { content: { 'application/json': infer T } } } ? T : never;
/** The query a documented operation takes. */
type Query<O extends keyof operations> = NonNullable<operations[O]['parameters']['query']>;

// ---- shapes ---------------------------------------------------------------------------------

export const REMEDIATION_STATES = ['open', 'in_progress', 'resolved', 'verified'] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];
export const RISK_STATES = ['requested', 'approved', 'rejected', 'expired'] as const;
export type RiskState = (typeof RISK_STATES)[number];
export const DELIVERY_STATES = ['queued', 'sending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export type MyWork = Answer<'myWork'>;
export type WorkAck = MyWork['acks'][number];
export type WorkItem = MyWork['remediation'][number];
export type VendorNotice = MyWork['vendor_chases'][number];
export type RiskAcceptance = Answer<'listRiskAcceptances'>['risk_acceptances'][number];
export type BoardItem = Answer<'listRemediation'>['items'][number];

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

export type AuditEvent = Answer<'listAuditEvents'>['events'][number];

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

export type Settings = Answer<'showSettings'>;
export type Route = Settings['routing']['roles'][string][number];
export type ControlCardVersion = Answer<'controlCardHistory'>['versions'][number];

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

/** The filters that are set (an empty field means "any"). */
function given<T extends Record<string, string | number | undefined>>(f: T): Partial<T> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

export const workApi = {
  myWork: async () => data(await api.GET('/api/v1/me/work')),
  acknowledge: async (incident: string, role: string) => data(await api.POST('/api/v1/incidents/{id}/acks', { params: { path: { id: incident } }, body: { role } })),
  chaseVendor: async (notice: string) => data(await api.POST('/api/v1/vendor-notices/{id}/chase', { params: { path: { id: notice } }, body: {} })),

  board: async (f: { status?: string; owner?: string; overdue?: string; incident?: string; after?: string; limit?: number }) =>
    data(await api.GET('/api/v1/remediation', { params: { query: given(f) as Query<'listRemediation'> } })),
  moveRemediation: async (item: string, state: RemediationState) => data(await api.POST('/api/v1/remediation/{id}/move', { params: { path: { id: item } }, body: { state } })),

  risks: async (f: { state?: string; incident?: string; after?: string }) => data(await api.GET('/api/v1/risk-acceptances', { params: { query: given(f) as Query<'listRiskAcceptances'> } })),
  approveRisk: async (risk: string, reason?: string) =>
    data(await api.POST('/api/v1/risk-acceptances/{id}/approve', { params: { path: { id: risk } }, body: reason === undefined ? {} : { reason } })),
  rejectRisk: async (risk: string, reason: string) => data(await api.POST('/api/v1/risk-acceptances/{id}/reject', { params: { path: { id: risk } }, body: { reason } })),

  deliveries: (f: { state?: string; incident?: string; after?: string }) => getJson<{ deliveries: Delivery[]; next: string | null }>('/deliveries', f),
  delivery: (id: string) => getJson<{ delivery: Delivery; attempts: DeliveryAttempt[] }>(`/deliveries/${seg(id)}`),
  retryDelivery: (id: string) => postJson<Delivery>(`/deliveries/${seg(id)}/retry`),

  auditEvents: async (f: { incident?: string; actor?: string; action?: string; entity_type?: string; entity_id?: string; from?: string; to?: string; before?: string }) => {
    const { before, ...rest } = f;
    const query: Query<'listAuditEvents'> = { ...given(rest), ...(before === undefined || before === '' ? {} : { before: Number(before) }) };
    return data(await api.GET('/api/v1/audit/events', { params: { query } }));
  },
  verifyAudit: () => getJson<ChainCheck>('/audit/verify'),

  settings: async () => data(await api.GET('/api/v1/settings')),
  controlCardHistory: async () => data(await api.GET('/api/v1/control-card/history')),
  people: (includeRemoved: boolean) => getJson<{ people: Person[] }>('/people', { include_removed: includeRemoved ? 'true' : undefined }),
  addPerson: (name: string, roles: string[]) => postJson<Person>('/people', { name, roles }),
  setRoles: (name: string, roles: string[]) => postJson<Person>(`/people/${seg(name)}/roles`, { roles }),
  removePerson: (name: string) => postJson<Person>(`/people/${seg(name)}/remove`),
  passwordLink: (name: string) => postJson<{ name: string; url: string; expires_at: string }>(`/people/${seg(name)}/password-link`, {}),
  tokens: () => getJson<{ tokens: ApiToken[] }>('/tokens'),
  createToken: (t: { actor: string; label?: string; expires?: string }) =>
    postJson<{ id: string; actor: string; label: string | null; expires_at: string | null; token: string }>('/tokens', t),
  revokeToken: (id: string) => postJson<ApiToken>(`/tokens/${seg(id)}/revoke`),
};
