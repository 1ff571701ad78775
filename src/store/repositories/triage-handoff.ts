import { sql } from 'kysely';
import { CLOSED_STATES } from '../../domain/incident.js';
import type { Db } from '../schema.js';
import { ROWS_PER_INSERT, slices } from '../insert.js';
import type { HandoffNotesTable, HandoffRevision, IncidentAssetsTable, IncidentFollowsTable, IncidentKeysTable } from '../schema.js';

/** What escalating triage reads and writes about incidents beside their decisions: handoff notes, assets, remediation. */

/** Handoff notes already with these incidents for decisions on these findings, by note id: what IR has been sent. */
export function notesForFindings(db: Db, incidents: readonly string[], findings: readonly string[]): Promise<{ id: string; incident_id: string; finding_id: string; input_hash: string }[]> {
  return db
    .selectFrom('handoff_notes')
    .innerJoin('decisions', 'decisions.id', 'handoff_notes.decision_id')
    .select(['handoff_notes.id', 'handoff_notes.incident_id', 'decisions.finding_id', 'decisions.input_hash'])
    .where('handoff_notes.incident_id', 'in', incidents)
    .where('decisions.finding_id', 'in', findings)
    .orderBy('handoff_notes.id')
    .execute();
}

/** Those of these findings with an open or in-progress remediation item. */
export async function findingsInRemediation(db: Db, findings: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('remediation_items').select('finding_id').where('finding_id', 'in', findings).where('status', 'in', ['open', 'in_progress']).execute();
  const ids: string[] = [];
  for (const r of rows) if (r.finding_id !== null) ids.push(r.finding_id);
  return ids;
}

/** Links assets to incidents; a link that exists already is kept as it is. */
export async function linkIncidentAssets(db: Db, links: readonly IncidentAssetsTable[]): Promise<void> {
  for (const part of slices(links, ROWS_PER_INSERT)) {
    await db.insertInto('incident_assets').values(part).onConflict((oc) => oc.columns(['incident_id', 'asset_id']).doNothing()).execute();
  }
}

/** Whether an incident with this id is stored. */
export async function incidentIsStored(db: Db, incidentId: string): Promise<boolean> {
  return (await db.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst()) !== undefined;
}

/** An incident's handoff notes in id order. */
export function handoffNotesOfIncident(db: Db, incidentId: string): Promise<HandoffNotesTable[]> {
  return db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** For a grouping key: its open incident (the lowest id) and the one closed last, when it has them. */
export interface KeyIncidents {
  key: string;
  open: string | null;
  closed: string | null;
}

/**
 * The open incident (lowest id) and the incident closed last of each of these grouping keys; keys
 * no incident lists are not returned. One statement per slice of keys (`incident_keys_by_key`).
 */
export async function incidentsOfKeys(db: Db, keys: readonly string[]): Promise<KeyIncidents[]> {
  const out: KeyIncidents[] = [];
  const closed = sql.join(CLOSED_STATES.map((s) => sql.lit(s)));
  for (const part of slices(keys, ROWS_PER_INSERT)) {
    const rows = await db
      .selectFrom('incident_keys')
      .innerJoin('incidents', 'incidents.id', 'incident_keys.incident_id')
      .select([
        'incident_keys.key',
        sql<string | null>`MIN(CASE WHEN incidents.state NOT IN (${closed}) THEN incidents.id END)`.as('open'),
        // the most recently closed: its close time, then its id, in one comparable text
        sql<string | null>`MAX(CASE WHEN incidents.state IN (${closed}) THEN COALESCE(incidents.closed_at, '') || '|' || incidents.id END)`.as('closed'),
      ])
      .where('incident_keys.key', 'in', part)
      .groupBy('incident_keys.key')
      .execute();
    for (const r of rows) out.push({ key: r.key, open: r.open, closed: r.closed === null ? null : r.closed.slice(r.closed.lastIndexOf('|') + 1) });
  }
  return out;
}

/** Records grouping keys of incidents; a key an incident lists already is kept as it is. */
export async function addIncidentKeys(db: Db, rows: readonly IncidentKeysTable[]): Promise<void> {
  for (const part of slices(rows, ROWS_PER_INSERT)) {
    await db.insertInto('incident_keys').values(part).onConflict((oc) => oc.columns(['incident_id', 'key']).doNothing()).execute();
  }
}

/** Records the closed incident each new incident follows. */
export async function insertIncidentFollows(db: Db, rows: readonly IncidentFollowsTable[]): Promise<void> {
  for (const part of slices(rows, ROWS_PER_INSERT)) await db.insertInto('incident_follows').values(part).execute();
}

/** The latest handoff revision number of each of these incidents (those with none are not returned). */
export async function lastHandoffRevisions(db: Db, incidents: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of slices(incidents, ROWS_PER_INSERT)) {
    const rows = await db.selectFrom('handoff_revisions').select(['incident_id', (eb) => eb.fn.max('revision').as('revision')]).where('incident_id', 'in', part).groupBy('incident_id').execute();
    for (const r of rows) out.set(r.incident_id, Number(r.revision));
  }
  return out;
}

/** An incident's grouping keys, sorted; the incident it follows and those that follow it. */
export async function groupingOfIncident(db: Db, incidentId: string): Promise<{ keys: string[]; follows: string | null; followed_by: string[] }> {
  const keys = await db.selectFrom('incident_keys').select('key').where('incident_id', '=', incidentId).orderBy('key').execute();
  const follows = await db.selectFrom('incident_follows').select('follows').where('incident_id', '=', incidentId).executeTakeFirst();
  const after = await db.selectFrom('incident_follows').select('incident_id').where('follows', '=', incidentId).orderBy('incident_id').execute();
  return { keys: keys.map((k) => k.key), follows: follows?.follows ?? null, followed_by: after.map((r) => r.incident_id) };
}

/** An incident's handoff revisions in order. */
export function handoffRevisionsOfIncident(db: Db, incidentId: string): Promise<HandoffRevision[]> {
  return db.selectFrom('handoff_revisions').selectAll().where('incident_id', '=', incidentId).orderBy('revision').execute();
}
