/**
 * A store brought up to an older version, for migration tests: a new SQLite file or PostgreSQL
 * schema migrated with the given migrations only, so a test can put data in the old tables and
 * then run the current ones over it. Drop it with `dropMigratedStore`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { openStore, type Engine, type Store } from '../../src/store/db.js';
import { testPgUrl } from './context.js';

/** A new store on `engine` migrated with `migrations` alone; `label` names its file or schema. */
export async function storeMigratedTo(engine: Engine, migrations: Record<string, Migration>, label: string): Promise<Store> {
  let url: string;
  if (engine === 'sqlite') url = path.join(mkdtempSync(path.join(tmpdir(), `closeloop-${label}-`)), 'closeloop.db');
  else {
    const u = testPgUrl();
    u.searchParams.set('schema', `t_${label}_${process.pid}_${Date.now()}`);
    url = u.toString();
  }
  const s = await openStore({ url, migrate: false });
  const migrator = new Migrator({ db: s.db, provider: { getMigrations: async () => migrations }, ...(s.schema !== null ? { migrationTableSchema: s.schema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error(`migrating to ${Object.keys(migrations).at(-1) ?? '(none)'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  return s;
}

/** Drops a store made by `storeMigratedTo` (its PostgreSQL schema) and closes it. */
export async function dropMigratedStore(store: Store | null): Promise<void> {
  if (store?.schema) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  await store?.close();
}
