import type { Db, ThirdPartyNotice, ThirdPartyNoticeUpdate } from '../schema.js';

/** Third-party notices: telling a vendor about a weakness of theirs, and their answer. */

export function findThirdPartyNotice(db: Db, id: string): Promise<ThirdPartyNotice | undefined> {
  return db.selectFrom('third_party_notices').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The first notice (by id) opened for a weakness, or undefined: a weakness has one notice at most. */
export function noticeOfWeakness(db: Db, weaknessId: string): Promise<ThirdPartyNotice | undefined> {
  return db.selectFrom('third_party_notices').selectAll().where('weakness_id', '=', weaknessId).orderBy('id').executeTakeFirst();
}

export async function insertThirdPartyNotice(db: Db, row: ThirdPartyNotice): Promise<void> {
  await db.insertInto('third_party_notices').values(row).execute();
}

/** Sets the given columns of one notice. */
export async function updateThirdPartyNotice(db: Db, id: string, changes: ThirdPartyNoticeUpdate): Promise<void> {
  await db.updateTable('third_party_notices').set(changes).where('id', '=', id).execute();
}

/** An incident's notices in id order. */
export function noticesOfIncident(db: Db, incidentId: string): Promise<ThirdPartyNotice[]> {
  return db.selectFrom('third_party_notices').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
}

/** What the closure gate reads of an incident's notices. */
export function noticesForGate(db: Db, incidentId: string): Promise<Pick<ThirdPartyNotice, 'weakness_id' | 'sent_at' | 'response' | 'chased_at'>[]> {
  return db.selectFrom('third_party_notices').select(['weakness_id', 'sent_at', 'response', 'chased_at']).where('incident_id', '=', incidentId).execute();
}
