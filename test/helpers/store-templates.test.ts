/**
 * Test stores are copies of a store migrated once per run (store-templates.ts): a copy must be
 * the store the migrations make, and a reused PostgreSQL schema must start empty.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { dropTestSchemas, makeTestContext } from './context.js';
import { describeSchema, testPgUrl } from './store-templates.js';

const migrationNames = async (store: Store): Promise<string[]> =>
  (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(store.db)).rows.map((r) => r.name);

describe('PostgreSQL test schemas', () => {
  it('are made from the template this run migrated', () => {
    expect(inject('pgTemplate')?.schema).toMatch(/^t_template_/);
  });

  it('have the tables, columns, indexes and constraints of a migrated schema, and its migration records', async () => {
    const u = testPgUrl();
    u.searchParams.set('schema', `t_migrated_${process.pid}_${Date.now()}`);
    const migrated = await openStore({ url: u.toString() });
    const t = await makeTestContext('postgres', { label: 'copy' });
    try {
      const copy = t.ctx.store;
      const [want, got] = [await describeSchema(migrated.pgPool as pg.Pool), await describeSchema(copy.pgPool as pg.Pool)];
      expect(got.split('\n').length).toBeGreaterThan(60);
      expect(got).toBe(want);
      expect(got).toContain('index CREATE UNIQUE INDEX findings_fingerprint ON findings USING btree (fingerprint) WHERE id <> fingerprint');
      expect(got).toContain('constraint incident_assets incident_assets_pk PRIMARY KEY (incident_id, asset_id)');
      expect(await migrationNames(copy)).toEqual(await migrationNames(migrated));
      // what the copy's store does on start-up: nothing left to migrate
      await (await openStore({ url: `${testPgUrl().toString()}?schema=${copy.schema ?? ''}` })).close();
    } finally {
      await t.cleanup();
      await migrated.pgPool?.query(`DROP SCHEMA IF EXISTS ${migrated.schema ?? 'none'} CASCADE`);
      await migrated.close();
    }
  });

  it("are emptied for the file's next test, and dropped instead when a test changed their tables", async () => {
    const first = await makeTestContext('postgres', { label: 'reuse' });
    const schema = first.ctx.store.schema;
    await first.ctx.store.db.insertInto('counters').values({ name: 'left', value: 1 }).execute();
    await first.cleanup();

    const second = await makeTestContext('postgres', { label: 'reuse' });
    expect(second.ctx.store.schema).toBe(schema);
    expect(await second.ctx.store.db.selectFrom('counters').selectAll().execute()).toEqual([]);
    // every migration of this build (one file each in src/store/migrations/)
    expect(await migrationNames(second.ctx.store)).toHaveLength(readdirSync(new URL('../../src/store/migrations/', import.meta.url)).length);
    await sql`ALTER TABLE counters ADD COLUMN extra text`.execute(second.ctx.store.db);
    await second.cleanup();

    const third = await makeTestContext('postgres', { label: 'reuse' });
    const other = third.ctx.store.schema;
    expect(other).not.toBe(schema);
    await third.cleanup();
    // what setup.ts does when the file ends: every copy goes, the changed one included
    await dropTestSchemas();
    const client = new pg.Client({ connectionString: testPgUrl().toString() });
    await client.connect();
    try {
      const left = await client.query('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1)', [[schema, other]]);
      expect(left.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

describe('a PostgreSQL test schema handed to the next test', () => {
  it('holds nothing a timed-out test was still writing when it was cleaned up', async () => {
    const first = await makeTestContext('postgres', { label: 'late' });
    const db = first.ctx.store.db;
    // what a test that timed out leaves running: a transaction that writes after a while
    let begun = (): void => undefined;
    const inside = new Promise<void>((resolve) => {
      begun = resolve;
    });
    const late = db
      .transaction()
      .execute(async (trx) => {
        begun();
        await sql`SELECT pg_sleep(0.5)`.execute(trx);
        await trx.insertInto('counters').values({ name: 'late', value: 1 }).execute();
      })
      .then(() => 'committed', () => 'failed');
    await inside;
    await first.cleanup();
    const second = await makeTestContext('postgres', { label: 'late' });
    try {
      expect(second.ctx.store.schema).toBe(first.ctx.store.schema);
      expect(await late).toBe('committed');
      expect(await second.ctx.store.db.selectFrom('counters').selectAll().execute()).toEqual([]);
    } finally {
      await second.cleanup();
    }
  });
});

describe('SQLite test stores', () => {
  it('are copies of a migrated database', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-db-')), 'closeloop.db');
    const migrated = await openStore({ url: file });
    const t = await makeTestContext('sqlite');
    try {
      const shape = (s: Store) => s.sqlite?.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all();
      const want = shape(migrated);
      expect(want?.length).toBeGreaterThan(40);
      expect(shape(t.ctx.store)).toEqual(want);
      expect(t.ctx.store.sqlite?.pragma('page_size', { simple: true })).toBe(migrated.sqlite?.pragma('page_size', { simple: true }));
      expect(t.ctx.store.sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(await migrationNames(t.ctx.store)).toEqual(await migrationNames(migrated));
    } finally {
      await t.cleanup();
      await migrated.close();
    }
  });
});
