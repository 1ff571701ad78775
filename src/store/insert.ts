/**
 * Multi-row INSERTs in slices: one statement per thousand rows, so a use case that writes many rows
 * (an escalating triage run, the audit events of a large change) makes a few statements, not one
 * per row, and no statement passes either engine's limit on bound parameters (SQLite 32,766,
 * PostgreSQL 65,535: a thousand rows of up to 17 columns).
 */
import type { Insertable } from 'kysely';
import type { Database, Db } from './schema.js';

/** Rows per multi-row INSERT. */
export const ROWS_PER_INSERT = 1000;

/** Consecutive slices of `size` items (the last may be shorter). */
export function* slices<T>(list: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

/** Inserts `rows` into `table` in order, ROWS_PER_INSERT a statement. */
export async function insertRows<T extends keyof Database>(db: Db, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  for (const part of slices(rows, ROWS_PER_INSERT)) await db.insertInto(table).values(part).execute();
}
