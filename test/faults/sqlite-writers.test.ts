/**
 * Several writers on one SQLite file: two processes each run 1,000 use cases (incident open, and
 * move, which reads the incident before it writes) while this process serves the API as the
 * server does (its store opened with the server's wait), runs the dispatcher's loop and writes
 * through the API. Every write succeeds and is there afterwards; the audit chain verifies.
 * Without IMMEDIATE transactions about one move in ten failed with "database is locked".
 * The writers are test/helpers/cli-writer.mjs over the compiled code (dist/: `npm run build`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/admin.js';
import type { AppContext } from '../../src/app/context.js';
import { startDispatchLoop } from '../../src/app/dispatch-loop.js';
import { buildServer } from '../../src/api/server.js';
import { SQLITE_WAIT_SERVER, openStore } from '../../src/store/db.js';
import { root } from '../helpers/cli.js';
import { makeApi, type Api } from '../api/harness.js';

const WRITES_PER_PROCESS = 1000;

interface WriterResult {
  opened: string[];
  moved: string[];
  failures: { i: number; code: string | null; message: string }[];
  ms: number;
}

/** One writer process over the store; resolves to what it reports. */
function writer(dir: string, db: string, label: string): Promise<WriterResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'test', 'helpers', 'cli-writer.mjs'), dir, db, label, String(WRITES_PER_PROCESS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`writer ${label} exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as WriterResult);
    });
  });
}

let api: Api | null = null;
afterEach(async () => {
  await api?.close();
  api = null;
});

describe('SQLite with several writers', () => {
  it(`two processes × ${WRITES_PER_PROCESS} writes, the server's API and loops: 0 failures, every write stored`, { timeout: 180_000 }, async () => {
    // the people's own events too, so that verify can hold every record to the chain
    api = await makeApi('sqlite', { auditPeople: true });
    const { ctx, dir } = api.tc;
    const file = ctx.store.location;
    // the server's own store on the file, waiting as `closeloop serve` does
    const serverStore = await openStore({ url: file, migrate: false, sqliteWait: SQLITE_WAIT_SERVER });
    const serverCtx: AppContext = { ...ctx, store: serverStore, now: () => new Date() };
    const app = await buildServer(serverCtx);
    const loopErrors: unknown[] = [];
    let passes = 0;
    const loop = startDispatchLoop(serverCtx, { info: () => undefined, error: (o) => loopErrors.push(o) }, 5, () => (passes += 1));
    const headers = { authorization: `Bearer ${api.tokens.lead ?? ''}`, 'content-type': 'application/json' };

    let done = false;
    const apiStatuses: number[] = [];
    const apiIds: string[] = [];
    const serve = (async () => {
      while (!done) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers, payload: JSON.stringify({ title: `api ${apiStatuses.length}`, severity: 'low' }) });
        apiStatuses.push(res.statusCode);
        if (res.statusCode === 201) apiIds.push(res.json<{ id: string }>().id);
      }
    })();
    let results: WriterResult[];
    try {
      results = await Promise.all([writer(dir, file, 'A'), writer(dir, file, 'B')]);
    } finally {
      done = true;
      await serve;
      await loop.stop();
      await app.close();
      await serverStore.close();
    }

    for (const r of results) {
      expect(r.failures).toEqual([]);
      expect(r.opened.length + r.moved.length).toBe(WRITES_PER_PROCESS);
    }
    expect(apiStatuses.filter((s) => s !== 201)).toEqual([]);
    expect(apiIds.length).toBeGreaterThan(0);
    expect(loopErrors).toEqual([]);
    expect(passes).toBeGreaterThan(0);

    // every write is there: each opened incident once, each moved one in triage
    const rows = await ctx.store.db.selectFrom('incidents').select(['id', 'state']).execute();
    const state = new Map(rows.map((r) => [r.id, r.state]));
    const opened = [...results.flatMap((r) => r.opened), ...apiIds];
    expect(new Set(opened).size).toBe(opened.length);
    expect(rows.length).toBe(opened.length);
    for (const id of opened) expect(state.has(id), id).toBe(true);
    for (const id of results.flatMap((r) => r.moved)) expect(state.get(id), id).toBe('triage');
    const moves = await ctx.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'incident.moved.triage').executeTakeFirstOrThrow();
    expect(Number(moves.n)).toBe(results.reduce((n, r) => n + r.moved.length, 0));
    const verified = await verifyAudit(ctx, { actor: 'auditor' });
    expect(verified.entities.problems).toEqual([]);
    expect(verified.ok).toBe(true);
  });
});
