import type { Db, Weakness } from '../schema.js';

/** Weaknesses: the lines of an incident's IR-6(2) report-out. */

export function findWeakness(db: Db, id: string): Promise<Weakness | undefined> {
  return db.selectFrom('weaknesses').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertWeakness(db: Db, row: Weakness): Promise<void> {
  await db.insertInto('weaknesses').values(row).execute();
}

/** An incident's weaknesses in id order, as the report-out lists them. */
export function weaknessesOfIncident(db: Db, incidentId: string): Promise<Weakness[]> {
  return db.selectFrom('weaknesses').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** The ids of an incident's weaknesses, for the rules that depend on whether it has any. */
export async function weaknessIdsOfIncident(db: Db, incidentId: string): Promise<string[]> {
  const rows = await db.selectFrom('weaknesses').select('id').where('incident_id', '=', incidentId).execute();
  return rows.map((r) => r.id);
}

/** What the closure gate reads of an incident's weaknesses. */
export function weaknessesForGate(db: Db, incidentId: string): Promise<Pick<Weakness, 'id' | 'type' | 'vendor'>[]> {
  return db.selectFrom('weaknesses').select(['id', 'type', 'vendor']).where('incident_id', '=', incidentId).execute();
}
