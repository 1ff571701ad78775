import type { Db, Job, JobUpdate, NewJob } from '../schema.js';
import type { JobState } from '../tables/jobs.table.js';

/** Work that outlives a request (an upload's import, a stored triage run), polled by id. */

export async function insertJob(db: Db, row: NewJob): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export function jobById(db: Db, id: string): Promise<Job | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateJob(db: Db, id: string, set: JobUpdate): Promise<void> {
  await db.updateTable('jobs').set(set).where('id', '=', id).execute();
}

/** Marks every job in one of `states` failed with `error` (JSON); returns their ids. */
export async function failJobsIn(db: Db, states: readonly JobState[], error: string, at: string): Promise<string[]> {
  const rows = await db.updateTable('jobs').set({ state: 'failed', error, updated_at: at }).where('state', 'in', states).returning('id').execute();
  return rows.map((r) => r.id);
}
