/**
 * The SQLite store reuses Kysely's prepared statements (src/store/db.ts): a query is prepared
 * once, and a reused statement follows schema changes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import * as m0010 from '../../src/store/migrations/0010-tickets.js';
import { testPgUrl } from '../helpers/context.js';

describe('SQLite statement reuse', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore({ url: path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-db-')), 'closeloop.db') });
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`.execute(store.db);
    for (let i = 1; i <= 5; i++) await sql`INSERT INTO t (id, v) VALUES (${i}, ${`v${i}`})`.execute(store.db);
  });
  afterEach(async () => store.close());

  it('prepares a query once, however often it runs', async () => {
    const handle = store.sqlite;
    if (handle === null) throw new Error('not a SQLite store');
    const prepared: string[] = [];
    const prepare = handle.prepare.bind(handle);
    handle.prepare = ((text: string) => {
      prepared.push(text);
      return prepare(text);
    });
    for (let i = 1; i <= 3; i++) {
      const rows = await store.db.selectFrom(sql<{ id: number; v: string }>`t`.as('t')).select('t.v').where('t.id', '=', i).execute();
      expect(rows).toEqual([{ v: `v${i}` }]);
    }
    expect(prepared.filter((p) => p.includes('from t as "t"') || p.includes('from t'))).toHaveLength(1);
  });

  it('gives the same answers before and after the schema changes under a reused statement', async () => {
    const byValue = () => store.db.selectFrom(sql<{ id: number; v: string }>`t`.as('t')).select('t.id').where('t.v', '=', 'v3').execute();
    expect(await byValue()).toEqual([{ id: 3 }]);
    await sql`CREATE INDEX t_v ON t (v)`.execute(store.db);
    expect(await byValue()).toEqual([{ id: 3 }]);
    await sql`DROP INDEX t_v`.execute(store.db);
    expect(await byValue()).toEqual([{ id: 3 }]);
    const all = await sql<{ id: number; v: string }>`SELECT * FROM t WHERE id = ${2}`.execute(store.db);
    expect(all.rows).toEqual([{ id: 2, v: 'v2' }]);
    await sql`ALTER TABLE t ADD COLUMN x TEXT`.execute(store.db);
    // the same text, run before and after the column was added: re-prepared, not stale
    const again = await sql<{ id: number; v: string; x: string | null }>`SELECT * FROM t WHERE id = ${2}`.execute(store.db);
    expect(again.rows).toEqual([{ id: 2, v: 'v2', x: null }]);
  });
});

describe('PostgreSQL start-up in a schema of its own', () => {
  it('opens while other schemas of the same database are created and dropped', async () => {
    const base = testPgUrl();
    const tag = `${process.pid}_${Date.now()}`;
    const churners = Array.from({ length: 2 }, () => new pg.Client({ connectionString: base.toString() }));
    await Promise.all(churners.map((c) => c.connect()));
    let opening = true;
    let churned = 0;
    const deadline = Date.now() + 20_000;
    // Other stores' schemas come and go, each with tables whose columns a whole-database catalog
    // read would trip over when the schema disappears under it.
    const churn = async (client: pg.Client, k: number): Promise<void> => {
      for (let i = 0; opening && i < 2_000 && Date.now() < deadline; i += 1) {
        const other = `t_churn_${tag}_${k}_${i}`;
        const tables = Array.from({ length: 6 }, (_, j) => `CREATE TABLE ${other}.r${j} (a text, b integer, c text, d text);`);
        await client.query(`CREATE SCHEMA ${other}; ${tables.join(' ')}`);
        await client.query(`DROP SCHEMA ${other} CASCADE`);
        churned += 1;
      }
    };
    const churning = Promise.all(churners.map((c, k) => churn(c, k)));
    const own = Array.from({ length: 3 }, (_, i) => `t_own_${tag}_${i}`);
    const failures: string[] = [];
    let opened = 0;
    try {
      // each schema's first start-up creates its store, the next ones open it again
      for (let round = 0; round < 4; round += 1) {
        for (const schema of own) {
          const u = new URL(base);
          u.searchParams.set('schema', schema);
          try {
            const store = await openStore({ url: u.toString() });
            await store.close();
            opened += 1;
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }
    } finally {
      opening = false;
      await churning;
      for (const schema of own) await churners[0]?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await Promise.all(churners.map((c) => c.end()));
    }
    expect(churned).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect(opened).toBe(12);
  });
});

describe('PostgreSQL start-up of an existing store', () => {
  it('opens an up-to-date store while another holds the migration lock', async () => {
    const u = testPgUrl();
    u.searchParams.set('schema', `t_startup_${process.pid}_${Date.now()}_current`);
    const at = u.toString();
    const store = await openStore({ url: at });
    const holder = new pg.Client({ connectionString: testPgUrl().toString() });
    await holder.connect();
    try {
      // Kysely's Migrator takes this lock, one for the whole database, before it reads what has run
      await holder.query('SELECT pg_advisory_lock(3853314791062309107)');
      const again = await Promise.race([
        openStore({ url: at }),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
      ]);
      expect(again).not.toBeNull();
      await again?.close();
    } finally {
      await holder.end();
      await store.pgPool?.query(`DROP SCHEMA IF EXISTS ${store.schema ?? 'none'} CASCADE`);
      await store.close();
    }
  });

  it("introspects the store's own tables, not another schema's", async () => {
    const tag = `${process.pid}_${Date.now()}`;
    const [own, other] = [`t_intro_${tag}_a`, `t_intro_${tag}_b`];
    const u = testPgUrl();
    u.searchParams.set('schema', own);
    const store = await openStore({ url: u.toString() });
    try {
      await store.pgPool?.query(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.elsewhere (a text)`);
      const tables = await store.db.introspection.getTables();
      const names = tables.map((t) => t.name);
      expect(names).toContain('incidents');
      expect(names).not.toContain('elsewhere');
      expect(names).not.toContain('kysely_migration');
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([own]));
      const counters = tables.find((t) => t.name === 'counters');
      expect(counters?.columns.map((c) => [c.name, c.dataType, c.isNullable])).toEqual([
        ['name', 'text', false],
        ['value', 'int4', false],
      ]);
      const all = await store.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(all.map((t) => t.name)).toEqual(expect.arrayContaining(['kysely_migration', 'kysely_migration_lock']));
    } finally {
      await store.pgPool?.query(`DROP SCHEMA IF EXISTS ${own}, ${other} CASCADE`);
      await store.close();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('start-up of an existing store on %s', (engine) => {
  const tag = `${process.pid}_${Date.now()}`;
  const url = (name: string): string => {
    if (engine === 'sqlite') return path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-db-')), 'closeloop.db');
    const u = testPgUrl();
    u.searchParams.set('schema', `t_startup_${tag}_${name}`);
    return u.toString();
  };
  const drop = async (store: Store): Promise<void> => {
    if (store.schema !== null) await store.pgPool?.query(`DROP SCHEMA IF EXISTS ${store.schema} CASCADE`);
    await store.close();
  };

  it('runs the Migrator when a migration is not recorded', async () => {
    const at = url('behind');
    const store = await openStore({ url: at });
    try {
      await sql`DELETE FROM kysely_migration WHERE name = '0010-tickets'`.execute(store.db);
      // the Migrator runs 0010 again, whose table is already there
      await expect(openStore({ url: at })).rejects.toThrow(/migration 0010-tickets failed/);
      await m0010.down(store.db);
      await (await openStore({ url: at })).close();
      const names = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(store.db);
      expect(names.rows.map((r) => r.name)).toEqual(['0001-initial', '0002-replayable-decisions', '0003-remediation-by-finding', '0004-incidents-by-creation', '0005-one-acknowledgment-per-role', '0010-tickets']);
    } finally {
      await drop(store);
    }
  });

});
