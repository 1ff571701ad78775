import { insertRows } from '../insert.js';
import type { AuditEvent, Db } from '../schema.js';

/** The rows of the audit chain. The chain's rules (hashing, linking, verifying) are in audit/chain.ts. */

/** Writes events in order, a thousand a statement. */
export function insertAuditEvents(db: Db, events: readonly AuditEvent[]): Promise<void> {
  return insertRows(db, 'audit_events', events);
}

/** The hash of event `seq`, or undefined when there is no such event. */
export async function auditHashAt(db: Db, seq: number): Promise<string | undefined> {
  return (await db.selectFrom('audit_events').select('hash').where('seq', '=', seq).executeTakeFirst())?.hash;
}

/** Up to `limit` events from sequence number `fromSeq` on, in order. */
export function auditEventsFrom(db: Db, fromSeq: number, limit: number): Promise<AuditEvent[]> {
  return db.selectFrom('audit_events').selectAll().where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
}

/** The hashes of events `fromSeq`..`toSeq` with their sequence numbers, in order, up to `limit` of them. */
export async function auditHashesBetween(db: Db, fromSeq: number, toSeq: number, limit: number): Promise<{ seq: number; hash: string }[]> {
  const rows = await db.selectFrom('audit_events').select(['seq', 'hash']).where('seq', '>=', fromSeq).where('seq', '<=', toSeq).orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ seq: Number(r.seq), hash: r.hash }));
}
