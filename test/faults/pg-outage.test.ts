/**
 * PostgreSQL going away under a running server, without touching the shared cluster: the server's
 * store reaches PostgreSQL through a TCP proxy this file owns (cut = every connection reset and new
 * ones refused, restore = connections through again), or has its connections ended with
 * `pg_terminate_backend` by its own `application_name`.
 */
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createToken } from '../../src/app/admin.js';
import type { AppContext } from '../../src/app/context.js';
import { startServer } from '../../src/api/server.js';
import { startDispatchLoop } from '../../src/app/dispatch-loop.js';
import { openStore, type Store } from '../../src/store/db.js';
import { classifyStoreError, isUnavailableError } from '../../src/store/unavailable.js';
import { isClError } from '../../src/errors.js';
import { makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const target = (): { host: string; port: number } => {
  const u = testPgUrl();
  return { host: u.hostname, port: Number(u.port || 5432) };
};

/** The test store's schema, reached through `port` (the proxy) with `appName`. */
async function storeVia(tc: TestContext, port: number, appName: string): Promise<Store> {
  const u = testPgUrl();
  u.port = String(port);
  const schema = tc.ctx.store.schema;
  if (schema === null) throw new Error('test store has no schema');
  u.searchParams.set('schema', schema);
  u.searchParams.set('application_name', appName);
  return openStore({ url: u.toString(), migrate: false });
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('driver errors that mean "unreachable"', () => {
  const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
  it.each([
    ['refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    ['reset', withCode('read ECONNRESET', 'ECONNRESET'), true],
    ['terminated', new Error('Connection terminated unexpectedly'), true],
    ['pool timeout', new Error('timeout exceeded when trying to connect'), true],
    ['admin shutdown', withCode('terminating connection due to administrator command', '57P01'), true],
    ['crash shutdown', withCode('terminating connection because of crash of another server process', '57P02'), true],
    ['starting up', withCode('the database system is starting up', '57P03'), true],
    ['connection exception', withCode('connection failure', '08006'), true],
    ['unique violation', withCode('duplicate key value violates unique constraint', '23505'), false],
    ['syntax', withCode('syntax error at or near "x"', '42601'), false],
    ['plain', new Error('something else'), false],
  ])('%s', (_name, err, unavailable) => {
    expect(isUnavailableError(err)).toBe(unavailable);
    const out = classifyStoreError(err);
    if (unavailable) {
      expect(isClError(out) && out.code === 'CL_UNAVAILABLE').toBe(true);
      expect(isClError(out) ? out.message : '').toBe('the database is unreachable; retry');
    } else expect(out).toBe(err);
  });
});

describe('a PostgreSQL store whose connections are lost', () => {
  let tc: TestContext | null = null;
  let proxy: TcpProxy | null = null;
  let store: Store | null = null;
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    await store?.close();
    await proxy?.close();
    await tc?.cleanup();
    app = store = proxy = tc = null;
  });

  it('survives pg_terminate_backend of its idle connections and reconnects on the next query', async () => {
    tc = await makeTestContext('postgres', { label: 'term' });
    const appName = `closeloop_term_${process.pid}_${Date.now()}`;
    store = await storeVia(tc, target().port, appName);
    const pool = store.pgPool;
    if (pool === null) throw new Error('no pool');
    // several idle connections in the pool
    await Promise.all(Array.from({ length: 4 }, () => pool.query('select pg_sleep(0.05)')));
    const lost: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lost.push(String(chunk));
      return true;
    });
    const admin = new pg.Client({ connectionString: testPgUrl().toString() });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1', [appName]);
      expect(rows.length).toBeGreaterThan(0);
      // the pool sees each idle client die; without a listener the first would end the process
      await waitFor(async () => pool.totalCount === 0, 5000);
    } finally {
      stderr.mockRestore();
      await admin.end();
    }
    expect(lost.join('')).toContain('PostgreSQL connection lost while idle');
    expect(lost.join('')).not.toMatch(/postgres(ql)?:\/\//);
    const n = await store.db.selectFrom('incidents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('under load through a cut and a restore: 503 CL_UNAVAILABLE with Retry-After, readiness follows, nothing acknowledged lost or doubled', async () => {
    tc = await makeTestContext('postgres', { label: 'outage' });
    proxy = await startTcpProxy(target());
    store = await storeVia(tc, proxy.port, `closeloop_outage_${process.pid}`);
    const ctx: AppContext = { ...tc.ctx, store };
    const { token } = await createToken(ctx, { actor: 'admin' }, { actor: 'lead' });
    app = await startServer(ctx, { port: 0, dispatchEveryMs: 50, logger: false });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
    const get = async (path: string): Promise<{ status: number; retryAfter: string | null; body: { status?: string; db?: { reachable: boolean } } }> => {
      const res = await fetch(base + path, { signal: AbortSignal.timeout(15_000) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { status?: string; db?: { reachable: boolean } } };
    };

    interface Outcome { title: string; status: number; ms: number; code?: string; retryAfter: string | null }
    const outcomes: Outcome[] = [];
    let n = 0;
    const open = async (): Promise<void> => {
      n += 1;
      const title = `outage-${n}`;
      const t0 = Date.now();
      const res = await fetch(`${base}/api/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title, severity: 'low' }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await res.json()) as { code?: string; message?: string };
      outcomes.push({ title, status: res.status, ms: Date.now() - t0, retryAfter: res.headers.get('retry-after'), ...(body.code !== undefined ? { code: body.code } : {}) });
    };
    /** `workers` clients, each opening incidents one after another until `until` resolves. */
    const load = (workers: number, stop: { done: boolean }): Promise<void[]> =>
      Promise.all(Array.from({ length: workers }, async () => {
        for (let i = 0; i < 200 && !stop.done; i++) await open();
      }));

    expect((await get('/readyz')).status).toBe(200);
    const stop = { done: false };
    const running = load(8, stop);
    await waitFor(async () => outcomes.filter((o) => o.status === 201).length >= 20, 20_000);

    proxy.cut();
    const cutAt = outcomes.length;
    await waitFor(async () => outcomes.slice(cutAt).filter((o) => o.status === 503).length >= 20, 20_000);
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'unavailable', db: { engine: 'postgres', reachable: false } });
    const apiHealth = await get('/api/v1/healthz');
    expect(apiHealth.status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.retryAfter).toBe('5');
    expect((await get('/api/v1/readyz')).status).toBe(503);

    proxy.restore();
    await waitFor(async () => (await get('/readyz')).status === 200, 15_000);
    const restoredAt = outcomes.length;
    await waitFor(async () => outcomes.slice(restoredAt).filter((o) => o.status === 201).length >= 20, 20_000);
    stop.done = true;
    await running;
    expect((await get('/healthz')).body.db?.reachable).toBe(true);

    // every request was answered 201 or 503, the 503s in the catalogue's shape with Retry-After
    const unexpected = outcomes.filter((o) => o.status !== 201 && o.status !== 503);
    expect(unexpected).toEqual([]);
    const refused = outcomes.filter((o) => o.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    expect(refused.every((o) => o.code === 'CL_UNAVAILABLE' && o.retryAfter === '5')).toBe(true);
    // answered within a bounded time (the pool's connection timeout), not left hanging
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(12_000);

    // read from the shared cluster directly: each acknowledged write exactly once, none doubled
    const rows = await tc.ctx.store.db.selectFrom('incidents').select(['title']).execute();
    const count = new Map<string, number>();
    for (const r of rows) count.set(r.title, (count.get(r.title) ?? 0) + 1);
    const acked = outcomes.filter((o) => o.status === 201).map((o) => o.title);
    expect(acked.filter((t) => count.get(t) !== 1)).toEqual([]);
    expect([...count.values()].every((c) => c === 1)).toBe(true);
    // a 503 write is either absent or (commit sent, answer lost) present once: never more
    expect(rows.length).toBeGreaterThanOrEqual(acked.length);
    expect(rows.length).toBeLessThanOrEqual(outcomes.length);
  }, 120_000);

  it('keeps the dispatch loop running through failed passes, and its passes succeed again after the restore', async () => {
    tc = await makeTestContext('postgres', { label: 'loop' });
    proxy = await startTcpProxy(target());
    store = await storeVia(tc, proxy.port, `closeloop_loop_${process.pid}`);
    const ctx: AppContext = { ...tc.ctx, store };
    let ok = 0;
    const failures: unknown[] = [];
    const log = { info: () => undefined, error: (obj: object) => failures.push(obj) };
    proxy.cut();
    const loop = startDispatchLoop(ctx, log, 20, () => (ok += 1));
    try {
      await waitFor(async () => failures.length >= 3, 15_000);
      expect(ok).toBe(0);
      proxy.restore();
      await waitFor(async () => ok >= 2, 15_000);
    } finally {
      await loop.stop();
    }
    expect(JSON.stringify(failures.map((f) => (f as { err?: { code?: string } }).err?.code))).toContain('CL_UNAVAILABLE');
  }, 60_000);
});
