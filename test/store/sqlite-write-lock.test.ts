/**
 * SQLite write transactions begin IMMEDIATE and wait for a write lock another connection holds,
 * asynchronously (src/store/sqlite-write-lock.ts): a use case that reads before it writes waits
 * instead of failing with "database is locked", the waiting process keeps running, and a wait that
 * is spent is CL_UNAVAILABLE (HTTP 503 with Retry-After).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { ClError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/db.js';
import { makeApi } from '../api/harness.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function twoConnections(wait: { busyMs: number; writeMs: number }): Promise<{ store: Store; other: Database.Database }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-lock-')), 'closeloop.db');
  const store = await openStore({ url: file, migrate: false, sqliteWait: wait });
  await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`.execute(store.db);
  await sql`INSERT INTO t (id, n) VALUES (1, 0)`.execute(store.db);
  const other = new Database(file, { timeout: 0 });
  opened.push(store, other);
  return { store, other };
}

/** A read, then a write that depends on it: what a use case's check-then-write does. */
const readThenWrite = (store: Store): Promise<number> =>
  store.transaction(async (trx) => {
    const { rows } = await sql<{ n: number }>`SELECT n FROM t WHERE id = 1`.execute(trx);
    const n = (rows[0]?.n ?? 0) + 1;
    await sql`UPDATE t SET n = ${n} WHERE id = 1`.execute(trx);
    return n;
  });

describe('SQLite write transactions with a second writer', () => {
  it('wait for the write lock held by another connection, without stopping the process', async () => {
    const { store, other } = await twoConnections({ busyMs: 20, writeMs: 5000 });
    other.exec('BEGIN IMMEDIATE');
    other.exec('UPDATE t SET n = 10 WHERE id = 1');
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    // the other writer commits 300 ms from now: a timer of this process, so it fires only if the wait is asynchronous
    setTimeout(() => other.exec('COMMIT'), 300);
    const started = Date.now();
    const n = await readThenWrite(store);
    clearInterval(ticker);
    expect(n).toBe(11); // read after the other commit: nothing lost
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(ticks).toBeGreaterThanOrEqual(10);
    const { rows } = await sql<{ n: number }>`SELECT n FROM t WHERE id = 1`.execute(store.db);
    expect(rows[0]?.n).toBe(11);
  });

  it('begin IMMEDIATE: the lock is taken at BEGIN, so a transaction that only read still holds it', async () => {
    const { store, other } = await twoConnections({ busyMs: 0, writeMs: 0 });
    await store.transaction(async (trx) => {
      await sql`SELECT n FROM t`.execute(trx);
      expect(() => other.exec('BEGIN IMMEDIATE')).toThrow(/locked|busy/i);
    });
    other.exec('BEGIN IMMEDIATE');
    other.exec('ROLLBACK');
  });

  it('sync every commit (synchronous = FULL in WAL): an acknowledged write survives power loss', async () => {
    const { store } = await twoConnections({ busyMs: 0, writeMs: 0 });
    expect(store.sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite?.pragma('synchronous', { simple: true })).toBe(2); // 0 OFF, 1 NORMAL, 2 FULL
  });

  it('answer CL_UNAVAILABLE once the wait is spent, with nothing written', async () => {
    const { store, other } = await twoConnections({ busyMs: 20, writeMs: 200 });
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const err = await readThenWrite(store).catch((e: unknown) => e);
    other.exec('ROLLBACK');
    expect(err).toBeInstanceOf(ClError);
    expect(err).toMatchObject({ code: 'CL_UNAVAILABLE', details: { retryAfterSeconds: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
    const { rows } = await sql<{ n: number }>`SELECT n FROM t WHERE id = 1`.execute(store.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('the API answers 503 CL_UNAVAILABLE with Retry-After while another process holds the lock, and serves reads', async () => {
    const api = await makeApi('sqlite');
    opened.push(api);
    // the server's own store on the same file, waiting as a server does (short turns, short wait)
    const store = await openStore({ url: api.tc.ctx.store.location, migrate: false, sqliteWait: { busyMs: 20, writeMs: 300 } });
    opened.push(store);
    const app = await buildServer({ ...api.tc.ctx, store });
    opened.push(app);
    const other = new Database(api.tc.ctx.store.location);
    opened.push(other);
    const headers = { authorization: `Bearer ${api.tokens.lead ?? ''}`, 'content-type': 'application/json' };
    other.exec('BEGIN IMMEDIATE');
    const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload: JSON.stringify({ title: 'x', severity: 'low' }) });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ code: 'CL_UNAVAILABLE' });
    const list = await app.inject({ method: 'GET', url: '/api/v1/incidents', headers });
    expect(list.statusCode, list.body).toBe(200);
    other.exec('ROLLBACK');
    const again = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload: JSON.stringify({ title: 'x', severity: 'low' }) });
    expect(again.statusCode, again.body).toBe(201);
  });
});
