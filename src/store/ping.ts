import { sql } from 'kysely';
import type { Db } from './schema.js';

/** One round trip to the database (`select 1`): resolves when it answers, rejects with the driver's error. */
export async function pingStore(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
