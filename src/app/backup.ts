/**
 * Backup and restore of a SQLite store (`closeloop backup FILE`, `closeloop restore FILE`). A backup
 * is SQLite's online backup of the open store: consistent while the server keeps writing. A restore
 * works on a private copy of the backup beside the store: it is brought up to this version's
 * schema, its audit chain must verify, the restore itself is audited in it, and only then does it
 * take the store's place. PostgreSQL stores use pg_dump / pg_restore (docs/reliability.md).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { verifyChain } from '../audit/chain.js';
import { loadConfig } from '../config/load.js';
import { ClError } from '../errors.js';
import { assertSqliteFile, backupSqlite, POSTGRES_BACKUP_ROUTE, removeSqliteFiles, replaceWith, stageCopy } from '../store/backup.js';
import { isPostgresUrl, openStore } from '../store/db.js';
import { loadSigner } from './audit-signing.js';
import { audit, authorize, inTransaction, type AppContext, type Caller } from './context.js';
import { contextLocations, type ContextSource } from './open-context.js';
import { nonEmpty, parseInput } from './validate.js';

export const backupInput = z.strictObject({ file: nonEmpty('file') });

export interface BackupResult {
  file: string;
  pages: number;
  /** The audit chain the copy holds: its events and head hash. */
  events: number;
  head: string;
}

/**
 * Writes an online backup of the store to a new file (0600). The backup is audited in the store
 * after the copy is taken, so the copy's chain ends just before the event that records it.
 */
export async function backupStore(ctx: AppContext, caller: Caller, input: z.input<typeof backupInput>, onProgress?: (copied: number, total: number) => void): Promise<BackupResult> {
  await authorize(ctx, caller, 'store.backup');
  const p = parseInput(backupInput, input);
  const copy = await backupSqlite(ctx.store, p.file, onProgress);
  const copied = await openStore({ url: copy.file, migrate: false });
  let chain;
  try {
    chain = await verifyChain(copied.db);
  } finally {
    await copied.close();
  }
  await inTransaction(ctx, (trx) =>
    audit(trx, ctx, caller, { action: 'store.backup', entityType: 'store', entityId: 'store', incidentId: null, state: { file: p.file, pages: copy.pages, events: chain.events, head: chain.headHash } }),
  );
  return { file: p.file, pages: copy.pages, events: chain.events, head: chain.headHash };
}

export const restoreInput = z.strictObject({ from: nonEmpty('from'), force: z.boolean().default(false) });

export interface RestoreResult {
  from: string;
  store: string;
  /** The restored chain, the restore's own event included. */
  events: number;
  head: string;
}

/**
 * Puts the backup `from` in the place of the store named by the source's environment. An existing
 * store is replaced only with `force` (stop the server first: it holds the old file open). Nothing
 * changes at the store's place unless the copy opened, upgraded and verified, and the caller is an
 * admin in the copy's people directory (the directory that will be in force once it is in place).
 */
export async function restoreStore(source: ContextSource, caller: Caller, input: z.input<typeof restoreInput>): Promise<RestoreResult> {
  const { configPath, dbUrl } = contextLocations(source);
  const config = loadConfig(configPath);
  const p = parseInput(restoreInput, input);
  if (isPostgresUrl(dbUrl)) throw new ClError('CL_BAD_INPUT', `closeloop restore places SQLite backups; ${POSTGRES_BACKUP_ROUTE}`, { engine: 'postgres' });
  if (existsSync(dbUrl) && !p.force) {
    throw new ClError('CL_CONFLICT', `a store exists at ${dbUrl}; stop the server and pass --force to replace it with ${p.from}`, { store: dbUrl });
  }
  assertSqliteFile(p.from);
  const staged = await stageCopy(p.from, dbUrl);
  let result: RestoreResult;
  try {
    const store = await openStore({ url: staged });
    try {
      const chain = await verifyChain(store.db);
      if (!chain.ok) {
        throw new ClError('CL_AUDIT_BROKEN', `the backup's audit chain is broken at seq ${chain.firstBad ?? '?'} (${chain.problem ?? 'unknown'}): nothing was restored`, { from: p.from, seq: chain.firstBad });
      }
      // The people directory is in the store: the one being put in place decides who may restore it.
      await authorize({ store }, caller, 'store.restore');
      const signer = loadSigner(config, configPath);
      const ctx: AppContext = { store, config, configPath, now: source.now, ...(signer !== undefined ? { signer } : {}) };
      await inTransaction(ctx, (trx) =>
        audit(trx, ctx, caller, { action: 'store.restored', entityType: 'store', entityId: 'store', incidentId: null, state: { from: p.from, events: chain.events, head: chain.headHash } }),
      );
      const after = await verifyChain(store.db);
      result = { from: p.from, store: dbUrl, events: after.events, head: after.headHash };
    } finally {
      await store.close();
    }
  } catch (err) {
    removeSqliteFiles(staged);
    throw err;
  }
  replaceWith(staged, dbUrl);
  return result;
}
