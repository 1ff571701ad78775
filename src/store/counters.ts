import type { Db } from './schema.js';

/**
 * Takes the next `count` values of a named counter (which starts at 1) in one statement, an upsert
 * that returns the new value, and returns the first of them. On PostgreSQL the upsert locks the
 * counter's row until the transaction ends, so two transactions never take the same value; SQLite
 * serialises writers anyway.
 */
export async function reserveCounter(db: Db, name: string, count: number): Promise<number> {
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`reserveCounter: count must be a positive integer, not ${count}`);
  const row = await db
    .insertInto('counters')
    .values({ name, value: count })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', count) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value) - count + 1;
}

/** Next value of a named counter (1 the first time): `reserveCounter` of one. */
export function bumpCounter(db: Db, name: string): Promise<number> {
  return reserveCounter(db, name, 1);
}

/** The last value a named counter gave (0 when it was never used). Reads only: nothing is taken. */
export async function counterValue(db: Db, name: string): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.value) : 0;
}
