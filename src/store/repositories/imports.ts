import type { Insertable } from 'kysely';
import type { Db } from '../schema.js';
import type { ImportRow, ImportsTable } from '../schema.js';

/** The record of each import: a file imported again (same SHA-256, same kind) is recognised by it. */

/** The earlier import of a file with these bytes as this kind, if any. */
export function importOfFile(db: Db, sha256: string, kind: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('imports').select('id').where('sha256', '=', sha256).where('kind', '=', kind).executeTakeFirst();
}

/** Records an import with its counts, in the import's transaction: its SHA-256 then marks the file as imported. */
export async function insertImport(db: Db, row: Insertable<ImportsTable>): Promise<void> {
  await db.insertInto('imports').values(row).execute();
}

/** The most recent imports first (by time, then id), at most `limit`. */
export function recentImports(db: Db, limit: number): Promise<ImportRow[]> {
  return db.selectFrom('imports').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
