/**
 * The SQLite store reuses Kysely's prepared statements (src/store/db.ts): a query is prepared
 * once, and a reused statement follows schema changes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';

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
    }) as typeof handle.prepare;
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
