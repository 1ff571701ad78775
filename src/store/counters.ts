import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * Next value of a named counter (1 the first time), in one statement: an upsert that returns the
 * new value. On PostgreSQL the upsert locks the counter's row until the transaction ends, so two
 * transactions never take the same value; SQLite serialises writers anyway.
 */
export async function bumpCounter(db: Kysely<Database> | Transaction<Database>, name: string): Promise<number> {
  const row = await db
    .insertInto('counters')
    .values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
