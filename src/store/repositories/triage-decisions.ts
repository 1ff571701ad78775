import { sql } from 'kysely';
import type { Db } from '../schema.js';
import { ROWS_PER_INSERT, slices } from '../insert.js';
import type { DecisionsTable } from '../schema.js';

/** Stored decisions as triage, escalation and `why` read and link them (bulk writes are in store/bulk). */

/** A finding's latest decision (by time, then id), if it has one. */
export function latestDecisionOfFinding(db: Db, findingId: string): Promise<DecisionsTable | undefined> {
  return db.selectFrom('decisions').selectAll().where('finding_id', '=', findingId).orderBy('decided_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
}

/** Sets each decision's incident: one UPDATE (a CASE over the ids) per slice of links. */
export async function linkDecisionsToIncidents(db: Db, links: readonly (readonly [decision: string, incident: string])[]): Promise<void> {
  for (const part of slices(links, ROWS_PER_INSERT / 2)) {
    const incidentOf = sql<string>`CASE id ${sql.join(part.map(([dec, inc]) => sql`WHEN ${dec} THEN ${inc}`), sql` `)} END`;
    await db.updateTable('decisions').set({ incident_id: incidentOf }).where('id', 'in', part.map(([dec]) => dec)).execute();
  }
}

/**
 * Up to `limit` finding ids that start with `prefix` (case-sensitive on both engines), in id order:
 * what `why PREFIX` resolves a pasted prefix against.
 */
export async function findingIdsStartingWith(db: Db, prefix: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('findings')
    .select('id')
    .where((eb) => eb(eb.fn('substr', ['id', eb.val(1), eb.val(prefix.length)]), '=', prefix))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
