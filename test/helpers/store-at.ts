/**
 * A store migrated up to a given migration and no further, on a real engine: what a store of an
 * earlier closeloop version looks like, for tests that fill it with that version's rows and then
 * bring it up to date with the real migrations.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { migrations, openStore, type Engine, type Store } from '../../src/store/db.js';
import { testPgUrl } from './context.js';

/** Opens a new store (SQLite file or PostgreSQL schema) with the migrations up to and including `last` applied. */
export async function storeAt(engine: Engine, last: string): Promise<Store> {
  let url: string;
  if (engine === 'sqlite') url = path.join(mkdtempSync(path.join(tmpdir(), `closeloop-at-${last.slice(0, 4)}-`)), 'closeloop.db');
  else {
    const u = testPgUrl();
    u.searchParams.set('schema', `t_at${last.slice(0, 4)}_${process.pid}_${Date.now()}`);
    url = u.toString();
  }
  const s = await openStore({ url, migrate: false });
  if (!Object.hasOwn(migrations, last)) throw new Error(`no migration ${last}`);
  const upTo: Record<string, Migration> = Object.fromEntries(Object.entries(migrations).filter(([n]) => n <= last));
  const migrator = new Migrator({ db: s.db, provider: { getMigrations: async () => upTo }, ...(s.schema !== null ? { migrationTableSchema: s.schema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error(`migrating to ${last} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  return s;
}

/** Drops a store `storeAt` opened (its PostgreSQL schema) and closes it. */
export async function dropStore(store: Store | null): Promise<void> {
  if (store?.schema) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  await store?.close();
}
