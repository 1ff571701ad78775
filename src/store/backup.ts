/**
 * Copies of a SQLite store: an online backup of an open store (SQLite's backup API, a consistent
 * snapshot while other connections keep writing) and the placing of a copy where a store is to be
 * opened. PostgreSQL stores are copied with PostgreSQL's own tools (pg_dump / pg_restore): see
 * docs/reliability.md, "Backup and restore".
 */
import { closeSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ClError } from '../errors.js';
import { createPrivateFile } from './private-file.js';
import type { Store } from './db.js';

/** What a finished backup copied. */
export interface BackupCopy {
  file: string;
  pages: number;
}

/**
 * Pages copied per step of an online backup; between steps the event loop runs, so a server
 * taking its own backup keeps answering (better-sqlite3's default after the first step).
 */
const PAGES_PER_STEP = 100;

/** The first bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

/** The PostgreSQL route, for the messages that point to it. */
export const POSTGRES_BACKUP_ROUTE =
  'PostgreSQL stores are backed up with pg_dump (pg_dump --format=custom --file FILE URL, adding --schema=NAME for a store with ?schema=NAME) and restored with pg_restore into an empty database; see docs/reliability.md, "Backup and restore"';

/**
 * Writes an online backup of `store` to `file`, a new file created 0600 (an existing file is never
 * overwritten). `onProgress` hears the pages copied so far of the total.
 */
export async function backupSqlite(store: Store, file: string, onProgress?: (copied: number, total: number) => void): Promise<BackupCopy> {
  if (store.sqlite === null) throw new ClError('CL_BAD_INPUT', `closeloop backup copies SQLite stores; ${POSTGRES_BACKUP_ROUTE}`, { engine: store.engine });
  createPrivate(file);
  try {
    const r = await store.sqlite.backup(file, {
      progress: ({ totalPages, remainingPages }) => {
        onProgress?.(totalPages - remainingPages, totalPages);
        return PAGES_PER_STEP;
      },
    });
    return { file, pages: r.totalPages };
  } catch (err) {
    rmSync(file, { force: true });
    throw new ClError('CL_INTERNAL', `backup to ${file} failed: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
}

/** Creates `file` empty with mode 0600; refuses a file that exists. */
function createPrivate(file: string): void {
  let created: boolean;
  try {
    created = createPrivateFile(file);
  } catch (err) {
    throw new ClError('CL_BAD_INPUT', `cannot create ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
  if (!created) throw new ClError('CL_BAD_INPUT', `${file} exists: a backup never overwrites a file; name a new one`, { file });
}

/** Refuses `file` unless it starts like a SQLite database. */
export function assertSqliteFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new ClError('CL_BAD_INPUT', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
  const head = Buffer.alloc(SQLITE_HEADER.length);
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) throw new ClError('CL_BAD_INPUT', `${file} is not a SQLite database (a closeloop backup is one)`, { file });
}

/**
 * A private working copy of the backup `from` beside `target` (created 0600), for the restore to
 * open, upgrade and check before it takes the target's place.
 */
export async function stageCopy(from: string, target: string): Promise<string> {
  const staged = `${target}.restoring-${process.pid}`;
  removeSqliteFiles(staged);
  createPrivate(staged);
  const source = new Database(from, { readonly: true, fileMustExist: true });
  try {
    await source.backup(staged);
  } catch (err) {
    removeSqliteFiles(staged);
    throw new ClError('CL_BAD_INPUT', `cannot copy ${from}: ${err instanceof Error ? err.message : String(err)}`, { file: from });
  } finally {
    source.close();
  }
  return staged;
}

/** Puts the closed, checked copy `staged` in the place of `target` (and of its WAL and shared-memory files). */
export function replaceWith(staged: string, target: string): void {
  removeSqliteFiles(target);
  rmSync(`${staged}-wal`, { force: true });
  rmSync(`${staged}-shm`, { force: true });
  renameSync(staged, target);
}

/** Removes a SQLite database file with its WAL and shared-memory files. */
export function removeSqliteFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}
