/**
 * The server as it runs: listening on a real socket with the outbox dispatcher in the background,
 * logging without tokens or bodies, and failing closed (generic 500, 503 readiness) when the
 * database goes away.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/app/admin.js';
import { buildServer, startServer } from '../../src/api/server.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

function logSink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(ENGINES)('startServer on %s', (engine) => {
  let tc: TestContext | null = null;
  afterEach(async () => {
    await tc?.cleanup();
    tc = null;
  });

  it('listens, drains the outbox in the background, logs no tokens or bodies, and stops on close', async () => {
    tc = await makeTestContext(engine, { label: 'srv' });
    const { ctx } = tc;
    const { token } = await createToken(ctx, { actor: 'admin' }, { actor: 'lead' });
    const sink = logSink();
    const app = await startServer(ctx, { port: 0, dispatchEveryMs: 50, logger: { level: 'debug', stream: sink.stream } });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const base = `http://127.0.0.1:${port}/api/v1`;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const opened = await call('POST', '/incidents', { title: 'SECRET-TITLE-7f3a', severity: 'high' });
      expect(opened.status).toBe(201);
      const id = String(opened.body.id);
      for (const state of ['triage', 'eradication']) expect((await call('POST', `/incidents/${id}/move`, { state })).status).toBe(200);
      expect((await call('POST', `/incidents/${id}/reportout/none`, { rationale: 'SECRET-RATIONALE-91c2' })).status).toBe(200);
      expect((await call('POST', `/incidents/${id}/reportout/send`)).status).toBe(200);

      // No one runs delivery: the background dispatcher does.
      await waitFor(async () => {
        const rows = await ctx.store.db.selectFrom('notifications').select('status').where('incident_id', '=', id).execute();
        return rows.length === 5 && rows.every((r) => r.status === 'delivered');
      });
      expect((await call('GET', `/incidents/${id}/gate`)).body.missing).toEqual(
        expect.not.arrayContaining([expect.objectContaining({ item: 'roles_notified' })]),
      );
    } finally {
      await app.close();
    }

    const log = sink.lines.join('');
    expect(log).toContain('"statusCode":201');
    expect(log).not.toContain(token);
    expect(log).not.toContain('SECRET-TITLE-7f3a');
    expect(log).not.toContain('SECRET-RATIONALE-91c2');

    // Stopped: a notification queued now stays queued.
    await ctx.store.db.updateTable('notifications').set({ status: 'queued', delivered_at: null, next_attempt_at: '2000-01-01T00:00:00.000Z' }).execute();
    await new Promise((r) => setTimeout(r, 200));
    const rows = await ctx.store.db.selectFrom('notifications').select('status').execute();
    expect(rows.every((r) => r.status === 'queued')).toBe(true);
  });
});

describe('failures the client must not see the inside of', () => {
  it('answers 500 CL_INTERNAL with a generic message and logs the cause; health says 503', async () => {
    const tc = await makeTestContext('sqlite', { label: 'srv' });
    try {
      const { token } = await createToken(tc.ctx, { actor: 'admin' }, { actor: 'lead' });
      const sink = logSink();
      const app = await buildServer(tc.ctx, { logger: { level: 'info', stream: sink.stream } });
      await tc.ctx.store.close();

      const res = await app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(500);
      const body = res.json<{ code: string; message: string; details?: unknown }>();
      expect(body.code).toBe('CL_INTERNAL');
      expect(body.message).toMatch(/^internal error \(request [^)]+\); the server log has the details$/);
      expect(body.details).toBeUndefined();
      expect(res.body).not.toMatch(/at .*\.(js|ts):\d+/);

      const health = await app.inject({ method: 'GET', url: '/api/v1/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'unavailable', db: { engine: 'sqlite', reachable: false } });
      const ready = await app.inject({ method: 'GET', url: '/api/v1/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json()).toEqual({ status: 'unavailable', db: { engine: 'sqlite', reachable: false } });
      await app.close();

      const errors = sink.lines.map((l) => JSON.parse(l) as { level: number; err?: { stack?: string } }).filter((l) => l.level >= 50);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]?.err?.stack).toBeDefined();
      expect(sink.lines.join('')).not.toContain(token);
    } finally {
      await tc.cleanup();
    }
  });
});
