/**
 * A store of its own migrated only up to a given migration, for the tests that migrate a store
 * with data from an earlier version: a SQLite file in a new directory, or a PostgreSQL schema of
 * its own (dropped by `dropMigratedStore`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { migrations as ALL_MIGRATIONS, openStore, type Engine, type Store } from '../../src/store/db.js';
import { testPgUrl } from './context.js';

/** Opens a new store on `engine` and runs exactly `migrations` on it (named as src/store/db.ts names them). */
export async function storeMigratedTo(engine: Engine, label: string, migrations: Record<string, Migration>): Promise<Store> {
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
  if (error) throw new Error(`migrating to ${Object.keys(migrations).at(-1) ?? '-'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  return s;
}

/** The store's migrations up to and including `last`, as a `storeMigratedTo` argument. */
export function migrationsUpTo(last: string): Record<string, Migration> {
  if (!Object.hasOwn(ALL_MIGRATIONS, last)) throw new Error(`no migration ${last}`);
  return Object.fromEntries(Object.entries(ALL_MIGRATIONS).filter(([name]) => name <= last));
}

/** Drops the store's PostgreSQL schema (if it has one) and closes it. */
export async function dropMigratedStore(store: Store | null): Promise<void> {
  if (store?.schema) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  await store?.close();
}
