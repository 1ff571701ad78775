import { sql } from 'kysely';
import type { Db } from '../schema.js';
import { ROWS_PER_INSERT, slices } from '../insert.js';
import type { DecisionsTable } from '../schema.js';

/** Stored decisions as triage, escalation and `why` read and link them (bulk writes are in store/bulk). */

/** A finding's latest decision (by time, then id), if it has one. */
export function latestDecisionOfFinding(db: Db, findingId: string): Promise<DecisionsTable | undefined> {
  return db.selectFrom('decisions').selectAll().where('finding_id', '=', findingId).orderBy('decided_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
}

/** An asset and a vulnerability, as a decision names them. */
export interface AssetVulnerability {
  asset: string;
  vulnerability: string;
}

/**
 * The open incident (the lowest id) that decisions on each of these asset and vulnerability pairs
 * escalated to; pairs without one are not returned. One statement for the pairs of a chunk.
 */
export function openIncidentsOfPairs(db: Db, pairs: readonly AssetVulnerability[]): Promise<{ asset_id: string; vulnerability_id: string; incident: string | null }[]> {
  return (
    db
      .selectFrom('decisions')
      .innerJoin('incidents', 'incidents.id', 'decisions.incident_id')
      .select((eb) => ['decisions.asset_id', 'decisions.vulnerability_id', eb.fn.min('incidents.id').as('incident')])
      // implied by the join; stated so the partial index decisions_link (incident_id IS NOT NULL) applies
      .where('decisions.incident_id', 'is not', null)
      .where((eb) => eb(eb.refTuple('decisions.asset_id', 'decisions.vulnerability_id'), 'in', pairs.map((p) => eb.tuple(p.asset, p.vulnerability))))
      .where('incidents.state', 'not in', ['closed', 'closed_non_incident'])
      .groupBy(['decisions.asset_id', 'decisions.vulnerability_id'])
      .execute()
  );
}

/** Sets each decision's incident: one UPDATE (a CASE over the ids) per slice of links. */
export async function linkDecisionsToIncidents(db: Db, links: readonly (readonly [decision: string, incident: string])[]): Promise<void> {
  for (const part of slices(links, ROWS_PER_INSERT / 2)) {
    const incidentOf = sql<string>`CASE id ${sql.join(part.map(([dec, inc]) => sql`WHEN ${dec} THEN ${inc}`), sql` `)} END`;
    await db.updateTable('decisions').set({ incident_id: incidentOf }).where('id', 'in', part.map(([dec]) => dec)).execute();
  }
}
