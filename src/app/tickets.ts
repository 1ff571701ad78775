/**
 * Tickets in Jira and ServiceNow, both ways. Out: a remediation item whose owner role routes to a
 * ticket system is queued as a `ticket` message in the transaction that opens it, and the ticket
 * the delivery created is recorded against the item. Back: a ticket's status — pushed by the
 * system's webhook or polled by `closeloop tickets sync` — moves the item through the status map,
 * as `system:jira` / `system:servicenow`. A closed ticket makes the item `resolved` (awaiting
 * verification); nothing here touches the incident's own state.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { isTicketChannel, statusMapOf, type TicketSystem } from '../config/tickets.js';
import type { DeliveryEvent, DeliveryProof } from '../delivery/channel.js';
import { ticketClients } from '../delivery/channels/tickets.js';
import type { Env, ExternalStatus, TicketClient } from '../delivery/channels/ticket-system.js';
import { REMEDIATION_MOVES } from '../domain/incident.js';
import { resolveSecret } from '../config/secrets.js';
import { badInput } from '../errors.js';
import { appendRemediationHistory, findRemediationItem, setRemediationStatus } from '../store/repositories/remediation.js';
import { noteTicketStatus, openTickets, saveTicket, incidentFactsForTickets, setItemTicket, ticketsByRef } from '../store/repositories/tickets.js';
import type { Incident, Notification, RemediationItem, Ticket } from '../store/schema.js';
import { audit, inTransaction, isoNow, type AppContext, type Caller, type Trx } from './context.js';
import { enqueue } from './outbox.js';
import { routesFor } from './reportout.js';
import { authorizeCaller, DISPATCHER, JIRA, SERVICENOW } from './system-caller.js';

export { ticketClients };
export type { Env, TicketClient };

const SYSTEM_CALLER = { jira: JIRA, servicenow: SERVICENOW } as const;

/** The idempotency key of an item's ticket message on one route: the item is read back from it. */
const ticketKey = (item: string, route: { channel: string; address: string }): string => `ticket:${item}:${route.channel}:${route.address}`;
const ITEM_OF_KEY = /^ticket:([^:]+):/;

function ticketBody(item: RemediationItem, incident: { title: string; severity: string } | undefined): string {
  const about = item.weakness_id !== null ? `weakness ${item.weakness_id}` : item.finding_id !== null ? `finding ${item.finding_id}` : 'the incident';
  return [
    `Remediation item ${item.id} for ${about} of incident ${item.incident_id ?? '-'}${incident ? ` (${incident.severity}): ${incident.title}` : ''}`,
    `Owner role: ${item.owner_role}; assignee: ${item.assignee}; due: ${item.due ?? '-'}`,
    '',
    'Closure criteria:',
    item.criteria,
    '',
    'This ticket is tracked by closeloop: its status updates the remediation item. Closing the ticket marks the item resolved, awaiting verification in closeloop.',
  ].join('\n');
}

/** Whether any route of the configuration opens tickets (bulk escalation skips the lookups when none does). */
function routesToTickets(config: Config): boolean {
  const all = [...Object.values(config.routing.roles), ...Object.values(config.routing.services).flatMap((roles) => Object.values(roles))];
  return all.some((routes) => routes.some((r) => isTicketChannel(r.channel)));
}

/** The ticket message's structured content: the incident, then the item's facts as lines. */
export function ticketEvent(item: RemediationItem, incident: Pick<Incident, 'id' | 'title' | 'severity' | 'state'> | undefined): DeliveryEvent {
  const lines = [
    { label: 'Remediation item', text: item.id },
    ...(item.weakness_id !== null ? [{ label: 'Weakness', text: item.weakness_id }] : []),
    ...(item.finding_id !== null ? [{ label: 'Finding', text: item.finding_id }] : []),
    { label: 'Owner role', text: item.owner_role },
    { label: 'Assignee', text: item.assignee },
    { label: 'Due', text: item.due ?? '-' },
    { label: 'Closure criteria', text: item.criteria },
  ];
  const inc = incident === undefined ? null : { id: incident.id, title: incident.title, severity: incident.severity, state: incident.state };
  return { type: 'remediation.ticket', incident: inc, lines, data: { item: item.id } };
}

/**
 * Queues a ticket message for each of these (just opened) items whose owner role routes to a
 * ticket system, in the caller's transaction: the ticket is asked for exactly when the item exists.
 */
export async function queueItemTickets(trx: Trx, ctx: AppContext, caller: Caller, items: readonly RemediationItem[]): Promise<Notification[]> {
  if (items.length === 0 || !routesToTickets(ctx.config)) return [];
  const incidents = await incidentFactsForTickets(trx, [...new Set(items.flatMap((i) => (i.incident_id === null ? [] : [i.incident_id])))]);
  const queued: Notification[] = [];
  for (const item of items) {
    if (item.incident_id === null) continue;
    const inc = incidents.get(item.incident_id);
    for (const route of routesFor(ctx, item.owner_role, inc?.service ?? null).filter((r) => isTicketChannel(r.channel))) {
      // The event rides along for the outbox to store where it keeps events; the body says the same in text.
      const message = {
        incident: item.incident_id,
        purpose: 'ticket' as const,
        role: item.owner_role,
        route,
        subject: `[closeloop] ${item.incident_id} ${item.id}: ${item.criteria}`,
        body: ticketBody(item, inc),
        event: ticketEvent(item, inc),
        idempotencyKey: ticketKey(item.id, route),
      };
      queued.push(await enqueue(trx, ctx, caller, message));
    }
  }
  return queued;
}

/**
 * After a delivered message: the ticket its channel created or found is recorded, and an item's
 * ticket message sets the item's ticket ref to the key. Runs in the dispatcher's transaction that
 * records the attempt, so the ticket is known exactly when the delivery is.
 */
export async function recordTicket(trx: Trx, ctx: AppContext, n: Notification, proof: DeliveryProof): Promise<void> {
  const t = proof.ticket;
  if (t === undefined) return;
  const itemId = n.purpose === 'ticket' ? (ITEM_OF_KEY.exec(n.idempotency_key)?.[1] ?? null) : null;
  const at = isoNow(ctx);
  const row: Ticket = { notification_id: n.id, system: t.system, key: t.key, external_id: t.id, url: t.url ?? null, incident_id: n.incident_id, item_id: itemId, external_status: null, synced_at: null, created_at: at };
  await saveTicket(trx, row);
  await audit(trx, ctx, DISPATCHER, { action: 'ticket.recorded', entityType: 'ticket', entityId: `${t.system}:${t.key}`, incidentId: n.incident_id, state: row });
  if (itemId === null) return;
  const item = await setItemTicket(trx, itemId, t.key, at);
  if (item) await audit(trx, ctx, DISPATCHER, { action: 'remediation.ticket', entityType: 'remediation_item', entityId: item.id, incidentId: item.incident_id, state: item });
}

/** What a ticket's status did to its item. */
export interface TicketStatusResult {
  system: TicketSystem;
  ticket: string;
  item: string | null;
  status: string;
  /** The item's status before and after (equal when it did not move). */
  from?: string;
  to?: string;
  applied: boolean;
  /** Why the item did not move, when it did not. */
  note?: string;
}

/** The remediation status an external status maps to (Jira: status name first, then its category key). */
export function mappedState(config: Config, system: TicketSystem, s: ExternalStatus): string | undefined {
  const map = statusMapOf(config.tickets, system);
  if (Object.hasOwn(map, s.name)) return map[s.name];
  if (s.category !== undefined && Object.hasOwn(map, s.category)) return map[s.category];
  return undefined;
}

/** Applies one ticket's status to its item, as the ticket's system, in the caller's transaction. */
async function applyToTicket(trx: Trx, ctx: AppContext, t: Ticket, s: ExternalStatus): Promise<TicketStatusResult> {
  const caller = SYSTEM_CALLER[t.system];
  const at = isoNow(ctx);
  const result: TicketStatusResult = { system: t.system, ticket: t.key, item: t.item_id, status: s.name, applied: false };
  await noteTicketStatus(trx, t.notification_id, s.name, at);
  if (t.external_status !== s.name) {
    await audit(trx, ctx, caller, { action: 'ticket.status', entityType: 'ticket', entityId: `${t.system}:${t.key}`, incidentId: t.incident_id, state: { ...t, external_status: s.name, synced_at: at, category: s.category ?? null } });
  }
  if (t.item_id === null) return { ...result, note: 'the ticket tracks no remediation item' };
  const item = await findRemediationItem(trx, t.item_id);
  if (!item) return { ...result, note: `remediation item ${t.item_id} not found` };
  const target = mappedState(ctx.config, t.system, s);
  const moved = { from: item.status, to: item.status };
  if (target === undefined) return { ...result, ...moved, note: `status ${s.name} is not in tickets.status_map.${t.system}` };
  if (target === item.status) return { ...result, ...moved };
  const allowed = REMEDIATION_MOVES[item.status];
  const next = allowed.find((st) => st === target);
  if (next === undefined) return { ...result, ...moved, note: `${item.id} cannot move from ${item.status} to ${target}` };
  if (!(await setRemediationStatus(trx, item.id, item.status, next, at))) return { ...result, ...moved, note: `${item.id} was moved meanwhile` };
  await appendRemediationHistory(trx, { itemId: item.id, status: next, actor: caller.actor, at });
  await audit(trx, ctx, caller, { action: `remediation.moved.${next}`, entityType: 'remediation_item', entityId: item.id, incidentId: item.incident_id, state: { ...item, status: next, updated_at: at, ticket_status: s.name } });
  return { ...result, from: item.status, to: next, applied: true };
}

/**
 * A status a ticket system reports for one of its tickets (`ref`: a Jira key or issue id, a
 * ServiceNow number or sys_id), applied as that system. A ticket closeloop does not know is
 * answered, not refused: the system's webhook covers tickets of its own too.
 */
export async function applyTicketStatus(ctx: AppContext, system: TicketSystem, ref: string, s: ExternalStatus): Promise<TicketStatusResult[]> {
  const caller = SYSTEM_CALLER[system];
  await authorizeCaller(ctx, caller, 'tickets.apply');
  return inTransaction(ctx, async (trx) => {
    const tickets = await ticketsByRef(trx, system, ref);
    if (tickets.length === 0) return [{ system, ticket: ref, item: null, status: s.name, applied: false, note: 'not a ticket closeloop created' }];
    const results: TicketStatusResult[] = [];
    for (const t of tickets) results.push(await applyToTicket(trx, ctx, t, s));
    return results;
  });
}

/** One ticket's line of a sync. */
export type TicketSyncResult = TicketStatusResult | { system: TicketSystem; ticket: string; item: string | null; error: string };

/**
 * `closeloop tickets sync`: reads the status of every ticket whose item is not yet verified from
 * its system and applies it (as that system). A ticket that cannot be read is reported on its
 * line; the others go on.
 */
export async function syncTickets(ctx: AppContext, caller: Caller, props: { clients: readonly TicketClient[] }): Promise<{ results: TicketSyncResult[] }> {
  await authorizeCaller(ctx, caller, 'tickets.sync');
  const results: TicketSyncResult[] = [];
  for (const t of await openTickets(ctx.store.db)) {
    const client = props.clients.find((c) => c.system === t.system);
    if (client === undefined) {
      results.push({ system: t.system, ticket: t.key, item: t.item_id, error: `delivery.${t.system} is not configured` });
      continue;
    }
    let s: ExternalStatus;
    try {
      s = await client.status(t);
    } catch (err) {
      results.push({ system: t.system, ticket: t.key, item: t.item_id, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    results.push(await inTransaction(ctx, (trx) => applyToTicket(trx, ctx, t, s)));
  }
  return { results };
}

/** `syncTickets` with the clients the configuration names, their secrets read from `env` (the CLI's and the server's). */
export function syncConfiguredTickets(ctx: AppContext, caller: Caller, env: Env): Promise<{ results: TicketSyncResult[] }> {
  return syncTickets(ctx, caller, { clients: ticketClients(ctx.config, env) });
}

// ---- inbound webhooks -------------------------------------------------------------------------

/** The secrets inbound ticket webhooks are checked with, resolved at start (an unset variable is a config error). */
export type InboundSecrets = Partial<Record<TicketSystem, string>>;

export function inboundSecrets(config: Config, env: Env): InboundSecrets {
  const secrets: InboundSecrets = {};
  const jira = config.delivery.jira?.webhook_secret;
  const sn = config.delivery.servicenow?.inbound_secret;
  if (jira !== undefined) secrets.jira = resolveSecret(jira, { ...env }, 'delivery.jira.webhook_secret');
  if (sn !== undefined) secrets.servicenow = resolveSecret(sn, { ...env }, 'delivery.servicenow.inbound_secret');
  return secrets;
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Whether an inbound request is authentic. Jira signs the raw body: `X-Hub-Signature:
 * sha256=<hex HMAC-SHA256>`. ServiceNow's outbound REST message sends the shared secret in
 * `X-Closeloop-Secret`. Both compared in constant time.
 */
export function inboundAuthentic(system: TicketSystem, secret: string, headers: Readonly<Record<string, string | string[] | undefined>>, rawBody: string): boolean {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (system === 'jira') {
    const sig = header('x-hub-signature');
    if (sig === undefined) return false;
    return sameText(sig, `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  }
  const given = header('x-closeloop-secret');
  return given !== undefined && sameText(given, secret);
}

const jiraWebhook = z.looseObject({
  webhookEvent: z.string().optional(),
  issue: z.looseObject({
    id: z.union([z.string(), z.number()]).optional(),
    key: z.string().min(1),
    fields: z.looseObject({
      status: z.looseObject({ name: z.string().min(1), statusCategory: z.looseObject({ key: z.string() }).optional() }),
    }),
  }),
});

/** The Jira webhook events whose issue status is applied. */
const JIRA_STATUS_EVENTS = new Set(['jira:issue_updated', 'jira:issue_created']);

const servicenowWebhook = z.looseObject({
  sys_id: z.string().min(1),
  number: z.string().optional(),
  state: z.union([z.string().min(1), z.number()]),
});

function parsePayload<S extends z.ZodType>(system: TicketSystem, schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  throw badInput(`invalid ${system} webhook payload: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

/** A Jira `jira:issue_updated` (or created) webhook: the issue's status applied to its item. */
export async function receiveJiraWebhook(ctx: AppContext, body: unknown): Promise<TicketStatusResult[]> {
  const p = parsePayload('jira', jiraWebhook, body);
  // A deleted issue's last status says nothing about the work; other events carry no status change.
  if (p.webhookEvent !== undefined && !JIRA_STATUS_EVENTS.has(p.webhookEvent)) return [];
  const status = p.issue.fields.status;
  const s: ExternalStatus = status.statusCategory === undefined ? { name: status.name } : { name: status.name, category: status.statusCategory.key };
  return applyTicketStatus(ctx, 'jira', p.issue.key, s);
}

/** A ServiceNow record's state, as its business rule posts it (`{ sys_id, number, state }`). */
export async function receiveServiceNowWebhook(ctx: AppContext, body: unknown): Promise<TicketStatusResult[]> {
  const p = parsePayload('servicenow', servicenowWebhook, body);
  return applyTicketStatus(ctx, 'servicenow', p.sys_id, { name: String(p.state) });
}
