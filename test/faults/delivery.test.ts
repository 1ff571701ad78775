/**
 * The outbox under failure, against a real HTTP receiver on 127.0.0.1 that dedupes on
 * `webhook-id` (the message's idempotency key), on both engines:
 * - a dispatcher process killed with SIGKILL mid-batch, then restarted: every message delivered,
 *   none processed twice;
 * - two dispatcher processes at once share the work, each message attempted once;
 * - the receiver down for a while: messages wait, then go;
 * - a receiver answering 500, then 200: retried, one delivery;
 * - a rolled-back transaction sends nothing;
 * - a message that can never be delivered ends in the dead letter with its attempts.
 * Dispatcher processes run test/helpers/dispatcher.mjs on dist/ (`npm run build` first).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { showDelivery } from '../../src/app/deliveries.js';
import { inTransaction } from '../../src/app/context.js';
import { enqueue } from '../../src/app/outbox.js';
import { LEASE_MS, runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';
import { root } from '../helpers/cli.js';
import { postChannel, startReceiver, type Receiver } from '../helpers/post-channel.js';

const lead = { actor: 'lead' };
const route = { channel: 'webhook' as const, address: 'receiver' };

describe.each(ENGINES)('delivery under failure on %s', (engine) => {
  let t: TestContext;
  let receiver: Receiver | null = null;
  afterEach(async () => {
    await receiver?.close();
    receiver = null;
    await t.cleanup();
  });

  const setUp = async (config: Record<string, unknown> = {}): Promise<TestContext> => {
    // the clock starts a minute before the system's: dispatcher processes run on the system clock
    t = await makeTestContext(engine, { label: 'dfault', start: new Date(Date.now() - 60_000).toISOString(), config });
    return t;
  };

  const queue = (n: number, prefix = 'm'): Promise<string[]> =>
    inTransaction(t.ctx, async (trx) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 1) {
        const row = await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0001', purpose: 'reportout', role: `role_${i}`, route, subject: `s${i}`, body: `b${i}`, event: null, idempotencyKey: `${prefix}:${i}` });
        ids.push(row.id);
      }
      return ids;
    });

  const statuses = async (): Promise<Record<string, number>> => {
    const rows = await t.ctx.store.db.selectFrom('notifications').select('status').execute();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
  };

  /** Where a dispatcher process finds this test's store. */
  const storeUrl = (): string => {
    if (engine === 'sqlite') return path.join(t.dir, 'closeloop.db');
    const u = testPgUrl();
    u.searchParams.set('schema', t.ctx.store.schema ?? '');
    return u.toString();
  };

  /** A dispatcher process; `killAfter` kills it with SIGKILL once the receiver has seen that many requests. */
  function dispatcher(url: string, offsetMs: number, killAfter?: { receiver: Receiver; requests: number }): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'test', 'helpers', 'dispatcher.mjs'), t.dir, storeUrl(), url, String(offsetMs)], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      let watch: NodeJS.Timeout | null = null;
      if (killAfter) {
        watch = setInterval(() => {
          if (killAfter.receiver.received.length >= killAfter.requests && child.exitCode === null) child.kill('SIGKILL');
        }, 5);
      }
      child.on('error', reject);
      child.on('exit', (_code, signal) => {
        if (watch) clearInterval(watch);
        resolve({ signal, stdout, stderr });
      });
    });
  }

  it('delivers every message once a dispatcher killed mid-batch is restarted, and the receiver processes none twice', async () => {
    await setUp();
    const ids = await queue(30);
    const r = (receiver = await startReceiver({ delayMs: 40 }));

    const killed = await dispatcher(r.url, 0, { receiver: r, requests: 10 });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const midway = await statuses();
    expect(midway.delivered ?? 0).toBeLessThan(30);
    expect((midway.queued ?? 0) + (midway.sending ?? 0)).toBeGreaterThan(0);

    // a restart before the lease of the killed attempt runs out leaves that message alone…
    const early = await dispatcher(r.url, 0);
    expect(early.signal, early.stderr).toBeNull();
    const held = await statuses();
    expect(held.sending ?? 0).toBeLessThanOrEqual(1);
    expect((held.delivered ?? 0) + (held.sending ?? 0)).toBe(30);
    // …and one after it takes it over
    const late = await dispatcher(r.url, LEASE_MS + 60_000);
    expect(late.signal, late.stderr).toBeNull();

    expect(await statuses()).toEqual({ delivered: 30 });
    const keys = (await t.ctx.store.db.selectFrom('notifications').select('idempotency_key').execute()).map((x) => x.idempotency_key);
    expect([...r.processed].sort()).toEqual([...keys].sort());
    // the message in flight when the process died may have arrived twice: the receiver processed it once
    expect(r.received.length - r.processed.size).toBe(r.duplicates());
    expect(r.duplicates()).toBeLessThanOrEqual(1);
    for (const id of ids) expect((await showDelivery(t.ctx, lead, { id })).delivery.status).toBe('delivered');
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  }, 60_000);

  it('shares the work between two dispatcher processes at once: each message attempted once', async () => {
    await setUp();
    await queue(24);
    const r = (receiver = await startReceiver({ delayMs: 20 }));
    const [a, b] = await Promise.all([dispatcher(r.url, 0), dispatcher(r.url, 0)]);
    expect([a.signal, b.signal], `${a.stderr}\n${b.stderr}`).toEqual([null, null]);
    const sa = JSON.parse(a.stdout) as { delivered: number };
    const sb = JSON.parse(b.stdout) as { delivered: number };
    expect(sa.delivered + sb.delivered).toBe(24);
    expect(r.received.length).toBe(24);
    expect(r.duplicates()).toBe(0);
    const attempts = await t.ctx.store.db.selectFrom('notification_attempts').select('notification_id').execute();
    expect(attempts.length).toBe(24);
  }, 60_000);

  it('keeps messages waiting while the receiver is down, then delivers them', async () => {
    await setUp({ delivery: { max_attempts: 8, backoff_seconds: 30 } });
    await queue(3);
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const channels = { webhook: postChannel(`http://127.0.0.1:${port}/hook`) };
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ retrying: 3, delivered: 0 });
    t.clock.advance({ minutes: 1 });
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ retrying: 3, delivered: 0 });
    expect(await statuses()).toEqual({ queued: 3 });

    const r = (receiver = await startReceiver({ port }));
    t.clock.advance({ minutes: 2 });
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ delivered: 3 });
    expect(await statuses()).toEqual({ delivered: 3 });
    expect(r.received.length).toBe(3);
    const [first] = await t.ctx.store.db.selectFrom('notifications').select('id').orderBy('id').execute();
    const shown = await showDelivery(t.ctx, lead, { id: first?.id ?? '' });
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'delivered']);
  });

  it('retries a receiver that answers 500 and then 200: one delivery, both attempts on record', async () => {
    await setUp({ delivery: { max_attempts: 5, backoff_seconds: 10 } });
    const [id] = await queue(1);
    const r = (receiver = await startReceiver({ answer: (_id, nth) => (nth === 1 ? 500 : 200) }));
    const channels = { webhook: postChannel(r.url) };
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ retrying: 1 });
    t.clock.advance({ seconds: 10 });
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ delivered: 1 });
    t.clock.advance({ hours: 1 });
    expect(await runDelivery(t.ctx, DISPATCHER, { channels })).toMatchObject({ delivered: 0, retrying: 0 });
    expect(r.processed.size).toBe(1);
    expect(r.received.length).toBe(2);
    const shown = await showDelivery(t.ctx, lead, { id: id ?? '' });
    expect(shown.attempts.map((a) => [a.outcome, a.status])).toEqual([['error', 500], ['delivered', 200]]);
  });

  it('sends nothing for a transaction that rolled back', async () => {
    await setUp();
    const r = (receiver = await startReceiver());
    await expect(
      inTransaction(t.ctx, async (trx) => {
        await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0001', purpose: 'reportout', role: 'service_owner', route, subject: 's', body: 'b', event: null, idempotencyKey: 'rolled-back' });
        throw new Error('the state change failed after queuing its message');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await runDelivery(t.ctx, DISPATCHER, { channels: { webhook: postChannel(r.url) } })).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    expect(await t.ctx.store.db.selectFrom('notifications').selectAll().execute()).toEqual([]);
    expect(r.received).toEqual([]);
  });

  it('dead-letters a message that can never be delivered, with every attempt', async () => {
    await setUp({ delivery: { max_attempts: 4, backoff_seconds: 1 } });
    const [id] = await queue(1);
    const r = (receiver = await startReceiver({ answer: () => 503 }));
    const channels = { webhook: postChannel(r.url) };
    for (let i = 0; i < 6; i += 1) {
      await runDelivery(t.ctx, DISPATCHER, { channels });
      t.clock.advance({ seconds: 30 });
    }
    const shown = await showDelivery(t.ctx, lead, { id: id ?? '' });
    expect(shown.delivery).toMatchObject({ status: 'failed', attempts: 4, last_error: 'HTTP 503', next_attempt_at: null });
    expect(shown.attempts.map((a) => [a.attempt, a.outcome, a.status, a.channel])).toEqual([1, 2, 3, 4].map((n) => [n, 'error', 503, 'webhook']));
    expect(r.received.length).toBe(4);
    expect(r.processed.size).toBe(0);
  });
});
