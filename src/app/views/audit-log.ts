/**
 * The audit log as people read it: the whole chain filtered (incident, actor, action prefix,
 * entity, time), newest first, for `audit.read`; and one incident's timeline, oldest first, for
 * the incident's readers. Each event as the chain holds it: the entity's state is kept as its
 * SHA-256 digest only (src/audit/chain.ts), so the digest is what an event shows of it.
 */
import { z } from 'zod';
import type { AuditEvent } from '../../store/schema.js';
import { auditPage, incidentEvents } from '../../store/repositories/views.js';
import { authorize, type AppContext, type Caller } from '../context.js';
import { loadIncident } from '../incidents.js';
import { identifier, parseInput, shortText } from '../validate.js';
import { PAGE } from './paging.js';

const isoTime = z.iso.datetime({ offset: true, error: 'an ISO-8601 time, e.g. 2026-11-28T12:00:00Z' });
/** A sequence number cursor as a query string gives it. */
const seqCursor = z.coerce.number().int().min(0);

export const listAuditEventsInput = z.strictObject({
  incident: identifier('incident id').optional(),
  actor: identifier('actor').optional(),
  /** Events whose action starts with this, e.g. `risk.` or `incident.moved`. */
  action: shortText('action prefix').optional(),
  entity_type: identifier('entity type').optional(),
  entity_id: identifier('entity id').optional(),
  /** Events at or after this time. */
  from: isoTime.optional(),
  /** Events at or before this time. */
  to: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(PAGE.max).optional(),
  /** The `next` of the previous page: events older than this sequence number. */
  before: seqCursor.optional(),
});

export const auditEventOutput = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  entity: z.object({ type: z.string(), id: z.string() }),
  incident: z.string().nullable(),
  /** SHA-256 of the entity's state after the change (canonical JSON): the chain keeps the digest, not the state. */
  digest: z.string(),
  hash: z.string(),
  prev_hash: z.string(),
});
export const auditLogOutput = z.object({ events: z.array(auditEventOutput), next: z.number().int().nullable() });
export const timelineOutput = z.object({ incident: z.string(), events: z.array(auditEventOutput), next: z.number().int().nullable() });
export type AuditLog = z.infer<typeof auditLogOutput>;
export type Timeline = z.infer<typeof timelineOutput>;

function eventView(e: AuditEvent): z.infer<typeof auditEventOutput> {
  return {
    seq: Number(e.seq),
    at: e.at,
    actor: e.actor,
    action: e.action,
    entity: { type: e.entity_type, id: e.entity_id },
    incident: e.incident_id,
    digest: e.digest,
    hash: e.hash,
    prev_hash: e.prev_hash,
  };
}

/** The audit log, newest first, a page at a time (`before` = the `next` of the previous page). */
export async function listAuditEvents(ctx: AppContext, caller: Caller, input: z.input<typeof listAuditEventsInput>): Promise<AuditLog> {
  await authorize(ctx, caller, 'audit.read');
  const p = parseInput(listAuditEventsInput, input);
  const limit = p.limit ?? PAGE.default;
  const rows = await auditPage(ctx.store.db, {
    incident: p.incident,
    actor: p.actor,
    actionPrefix: p.action,
    entityType: p.entity_type,
    entityId: p.entity_id,
    from: p.from === undefined ? undefined : new Date(p.from).toISOString(),
    to: p.to === undefined ? undefined : new Date(p.to).toISOString(),
    before: p.before,
    limit: limit + 1,
  });
  const events = rows.slice(0, limit).map(eventView);
  const last = events[events.length - 1];
  return { events, next: rows.length > limit && last !== undefined ? last.seq : null };
}

export const incidentTimelineInput = z.strictObject({
  id: identifier('incident id'),
  limit: z.coerce.number().int().min(1).max(PAGE.max).optional(),
  /** The `next` of the previous page: events after this sequence number. */
  after: seqCursor.optional(),
});

/** Every audit event of an incident, oldest first (1,000 a page by default). */
export async function incidentTimeline(ctx: AppContext, caller: Caller, input: z.input<typeof incidentTimelineInput>): Promise<Timeline> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(incidentTimelineInput, input);
  const inc = await loadIncident(ctx.store.db, p.id);
  const limit = p.limit ?? PAGE.max;
  const rows = await incidentEvents(ctx.store.db, inc.id, p.after ?? 0, limit + 1);
  const events = rows.slice(0, limit).map(eventView);
  const last = events[events.length - 1];
  return { incident: inc.id, events, next: rows.length > limit && last !== undefined ? last.seq : null };
}
