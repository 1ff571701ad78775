/**
 * The outbox under failure through the product's channels (built from closeloop.yaml by
 * channelsFromConfig, secrets by env: reference), on both engines:
 * - a `closeloop deliver` process killed with SIGKILL mid-batch, then restarted: every message
 *   delivered, none processed twice by a Standard Webhooks receiver that dedupes on `webhook-id`;
 * - two `closeloop deliver` processes at once share the work, each message attempted once;
 * - the receiver down for a while, and the SMTP server down for a while: messages wait, then go,
 *   one arrival per `webhook-id` / Message-ID;
 * - a receiver answering 500, then 200: retried, one delivery;
 * - a rolled-back transaction sends nothing;
 * - a message that can never be delivered ends in the dead letter with its attempts.
 * Processes run bin/closeloop.js and test/helpers/dispatcher.mjs on dist/ (`npm run build` first).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { showDelivery } from '../../src/app/deliveries.js';
import type { AppContext } from '../../src/app/context.js';
import { inTransaction } from '../../src/app/context.js';
import { enqueue } from '../../src/app/outbox.js';
import { LEASE_MS, runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';
import { emailMessageId } from '../../src/delivery/channels/email.js';
import { webhookId } from '../../src/delivery/channels/webhook.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';
import { root } from '../helpers/cli.js';
import { closedPort, startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers.js';

const lead = { actor: 'lead' };
const hook = { channel: 'webhook' as const, address: 'receiver' };
const mailbox = { channel: 'email' as const, address: 'owner@example.org' };
/** The environment the configuration's references are read from: the receiver's signing secret. */
const env = { RECEIVER_SECRET: `whsec_${randomBytes(32).toString('base64')}` };
const webhookConfig = (url: string) => ({ webhook: { endpoints: { receiver: { url, secret: 'env:RECEIVER_SECRET' } } } });

type Route = typeof hook | typeof mailbox;

describe.each(ENGINES)('delivery under failure on %s', (engine) => {
  let t: TestContext;
  let receiver: WebhookReceiver | null = null;
  let smtp: SmtpReceiver | null = null;
  afterEach(async () => {
    await receiver?.close();
    await smtp?.close();
    receiver = null;
    smtp = null;
    await t.cleanup();
  });

  /** A store whose closeloop.yaml has these `delivery` settings. */
  const setUp = async (delivery: Record<string, unknown>): Promise<TestContext> => {
    // the clock starts a minute before the system's: dispatcher processes run on the system clock
    t = await makeTestContext(engine, { label: 'dfault', start: new Date(Date.now() - 60_000).toISOString(), config: { delivery } });
    return t;
  };

  /** The context with its channels built from its configuration, as a command or the server opens it. */
  const live = (): AppContext => ({ ...t.ctx, channels: channelsFromConfig(t.ctx.config, env, t.ctx.configPath) });

  const queue = (n: number, route: Route = hook, prefix = 'm'): Promise<string[]> =>
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

  const keys = async (): Promise<string[]> => (await t.ctx.store.db.selectFrom('notifications').select('idempotency_key').execute()).map((x) => x.idempotency_key);

  /** Where a dispatcher process finds this test's store. */
  const storeUrl = (): string => {
    if (engine === 'sqlite') return path.join(t.dir, 'closeloop.db');
    const u = testPgUrl();
    u.searchParams.set('schema', t.ctx.store.schema ?? '');
    return u.toString();
  };

  /**
   * A dispatcher process: `closeloop deliver --json` on the system clock, or, `offsetMs` ahead of
   * it, test/helpers/dispatcher.mjs. `killAfter` kills it with SIGKILL once the receiver has seen
   * that many requests.
   */
  function dispatcher(offsetMs: number, killAfter?: { receiver: WebhookReceiver; requests: number }): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const args = offsetMs === 0 ? [path.join(root, 'bin', 'closeloop.js'), 'deliver', '--json', '--by', 'lead'] : [path.join(root, 'test', 'helpers', 'dispatcher.mjs'), String(offsetMs)];
    const childEnv = { PATH: process.env.PATH, CLOSELOOP_DB: storeUrl(), CLOSELOOP_CONFIG: t.ctx.configPath, ...env };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: t.dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET, delayMs: 40 }));
    await setUp(webhookConfig(r.url));
    const ids = await queue(30);

    const killed = await dispatcher(0, { receiver: r, requests: 10 });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const midway = await statuses();
    expect(midway.delivered ?? 0).toBeLessThan(30);
    expect((midway.queued ?? 0) + (midway.sending ?? 0)).toBeGreaterThan(0);

    // a restart before the lease of the killed attempt runs out leaves that message alone…
    const early = await dispatcher(0);
    expect(early.signal, early.stderr).toBeNull();
    const held = await statuses();
    expect(held.sending ?? 0).toBeLessThanOrEqual(1);
    expect((held.delivered ?? 0) + (held.sending ?? 0)).toBe(30);
    // …and one after it takes it over
    const late = await dispatcher(LEASE_MS + 60_000);
    expect(late.signal, late.stderr).toBeNull();

    expect(await statuses()).toEqual({ delivered: 30 });
    expect([...r.processed].sort()).toEqual((await keys()).map(webhookId).sort());
    expect(r.unverified).toBe(0);
    // the message in flight when the process died may have arrived twice: the receiver processed it once
    expect(r.received.length - r.processed.size).toBe(r.duplicates());
    expect(r.duplicates()).toBeLessThanOrEqual(1);
    for (const id of ids) expect((await showDelivery(t.ctx, lead, { id })).delivery.status).toBe('delivered');
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  }, 60_000);

  it('shares the work between two dispatcher processes at once: each message attempted once', async () => {
    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET, delayMs: 20 }));
    await setUp(webhookConfig(r.url));
    await queue(24);
    const [a, b] = await Promise.all([dispatcher(0), dispatcher(0)]);
    expect([a.signal, b.signal], `${a.stderr}\n${b.stderr}`).toEqual([null, null]);
    const sa = JSON.parse(a.stdout) as { delivered: number };
    const sb = JSON.parse(b.stdout) as { delivered: number };
    expect(sa.delivered + sb.delivered).toBe(24);
    expect(r.received.length).toBe(24);
    expect(r.duplicates()).toBe(0);
    expect(r.unverified).toBe(0);
    const attempts = await t.ctx.store.db.selectFrom('notification_attempts').select('notification_id').execute();
    expect(attempts.length).toBe(24);
  }, 60_000);

  it('keeps messages waiting while the receiver is down, then delivers them', async () => {
    const port = await closedPort();
    await setUp({ ...webhookConfig(`http://127.0.0.1:${port}/hook`), max_attempts: 8, backoff_seconds: 30 });
    await queue(3);
    const ctx = live();
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ retrying: 3, delivered: 0 });
    t.clock.advance({ minutes: 1 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ retrying: 3, delivered: 0 });
    expect(await statuses()).toEqual({ queued: 3 });

    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET, port }));
    t.clock.advance({ minutes: 2 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ delivered: 3 });
    expect(await statuses()).toEqual({ delivered: 3 });
    expect(r.received.length).toBe(3);
    expect([...r.processed].sort()).toEqual((await keys()).map(webhookId).sort());
    const [first] = await t.ctx.store.db.selectFrom('notifications').select('id').orderBy('id').execute();
    const shown = await showDelivery(t.ctx, lead, { id: first?.id ?? '' });
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'delivered']);
  });

  it('keeps email waiting while the SMTP server is down, then sends each message once', async () => {
    const first = await startSmtpReceiver();
    const port = first.port;
    await setUp({ email: { url: first.url, from: 'closeloop@example.org', tls: { reject_unauthorized: false }, timeout_seconds: 5 }, max_attempts: 8, backoff_seconds: 30 });
    await first.close();
    await queue(3, mailbox, 'mail');
    const ctx = live();
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ retrying: 3, delivered: 0, failed: 0 });
    t.clock.advance({ minutes: 1 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ retrying: 3, delivered: 0, failed: 0 });
    expect(await statuses()).toEqual({ queued: 3 });
    const waiting = await t.ctx.store.db.selectFrom('notifications').select(['attempts', 'last_error']).execute();
    expect(waiting.map((n) => n.attempts)).toEqual([2, 2, 2]);
    for (const n of waiting) expect(n.last_error).toMatch(/^email: /);

    smtp = await startSmtpReceiver({ port });
    t.clock.advance({ minutes: 2 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ delivered: 3, retrying: 0 });
    t.clock.advance({ hours: 1 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ delivered: 0, retrying: 0 });
    expect(await statuses()).toEqual({ delivered: 3 });
    const arrived = smtp.received.map((m) => m.mail.messageId);
    expect(arrived.length).toBe(new Set(arrived).size);
    expect([...arrived].sort()).toEqual((await keys()).map(emailMessageId).sort());
    for (const m of smtp.received) expect(m.to).toEqual(['owner@example.org']);
    const [one] = await t.ctx.store.db.selectFrom('notifications').select('id').orderBy('id').execute();
    const shown = await showDelivery(t.ctx, lead, { id: one?.id ?? '' });
    expect(shown.attempts.map((a) => [a.outcome, a.channel])).toEqual([
      ['error', 'email'],
      ['error', 'email'],
      ['delivered', 'email'],
    ]);
  });

  it('retries a receiver that answers 500 and then 200: one delivery, both attempts on record', async () => {
    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET, answer: (_id, nth) => (nth === 1 ? 500 : 200) }));
    await setUp({ ...webhookConfig(r.url), max_attempts: 5, backoff_seconds: 10 });
    const [id] = await queue(1);
    const ctx = live();
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ retrying: 1 });
    t.clock.advance({ seconds: 10 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ delivered: 1 });
    t.clock.advance({ hours: 1 });
    expect(await runDelivery(ctx, DISPATCHER)).toMatchObject({ delivered: 0, retrying: 0 });
    expect(r.processed.size).toBe(1);
    expect(r.received.length).toBe(2);
    expect(r.unverified).toBe(0);
    const shown = await showDelivery(t.ctx, lead, { id: id ?? '' });
    expect(shown.attempts.map((a) => [a.outcome, a.status])).toEqual([
      ['error', 500],
      ['delivered', 200],
    ]);
  });

  it('sends nothing for a transaction that rolled back', async () => {
    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET }));
    await setUp(webhookConfig(r.url));
    await expect(
      inTransaction(t.ctx, async (trx) => {
        await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0001', purpose: 'reportout', role: 'service_owner', route: hook, subject: 's', body: 'b', event: null, idempotencyKey: 'rolled-back' });
        throw new Error('the state change failed after queuing its message');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await runDelivery(live(), DISPATCHER)).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    expect(await t.ctx.store.db.selectFrom('notifications').selectAll().execute()).toEqual([]);
    expect(r.received).toEqual([]);
  });

  it('dead-letters a message that can never be delivered, with every attempt', async () => {
    const r = (receiver = await startWebhookReceiver({ secret: env.RECEIVER_SECRET, answer: () => 503 }));
    await setUp({ ...webhookConfig(r.url), max_attempts: 4, backoff_seconds: 1 });
    const [id] = await queue(1);
    const ctx = live();
    for (let i = 0; i < 6; i += 1) {
      await runDelivery(ctx, DISPATCHER);
      t.clock.advance({ seconds: 30 });
    }
    const shown = await showDelivery(t.ctx, lead, { id: id ?? '' });
    expect(shown.delivery).toMatchObject({ status: 'failed', attempts: 4, last_error: 'webhook endpoint receiver: HTTP 503', next_attempt_at: null });
    expect(shown.attempts.map((a) => [a.attempt, a.outcome, a.status, a.channel])).toEqual([1, 2, 3, 4].map((n) => [n, 'error', 503, 'webhook']));
    expect(r.received.length).toBe(4);
    expect(r.processed.size).toBe(0);
  });
});
