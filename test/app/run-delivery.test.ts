/**
 * The dispatch use case on real engines: what a pass delivers, how it records and audits each
 * attempt, its backoff and give-up, the lease that keeps two dispatchers off one message, and who
 * may run it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/context.js';
import { enqueue } from '../../src/app/outbox.js';
import { runDelivery, type RunDeliveryOptions } from '../../src/app/run-delivery.js';
import { DISPATCHER, TIMERS, SystemCaller } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import type { Route } from '../../src/config/schema.js';
import type { Channel } from '../../src/delivery/channel.js';
import { ENGINES, makeTestContext, type TestContext, type TestContextOptions } from '../helpers/context.js';

const lead = { actor: 'lead' };
/** The background loop's pass. */
const dispatchOnce = (ctx: TestContext['ctx'], opts?: RunDeliveryOptions) => runDelivery(ctx, DISPATCHER, opts);
const MAILBOX: Route = { channel: 'file', address: 'mailbox' };

describe.each(ENGINES)('the outbox dispatcher on %s', (engine) => {
  let t: TestContext;
  afterEach(async () => t.cleanup());

  const setUp = async (opts: TestContextOptions = {}): Promise<TestContext> => {
    t = await makeTestContext(engine, { label: 'deliver', ...opts });
    return t;
  };

  /** Queues one message per key, as a report-out would. */
  const queue = async (keys: readonly string[], route: Route = MAILBOX): Promise<string[]> =>
    inTransaction(t.ctx, async (trx) => {
      const ids: string[] = [];
      for (const key of keys) {
        const n = await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0001', purpose: 'reportout', role: 'service_owner', route, subject: `subject ${key}`, body: `body ${key}`, idempotencyKey: key });
        ids.push(n.id);
      }
      return ids;
    });

  const queueOne = async (route: Route = MAILBOX): Promise<string> => {
    const [id] = await queue(['k1'], route);
    if (id === undefined) throw new Error('one message queued');
    return id;
  };

  const notification = (id: string) => t.ctx.store.db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (id: string) => t.ctx.store.db.selectFrom('notification_attempts').selectAll().where('notification_id', '=', id).orderBy('attempt').execute();
  const events = (id: string) => t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action', 'at']).where('entity_id', '=', id).orderBy('seq').execute();
  const at = (ms = 0): string => new Date(t.clock.now().getTime() + ms).toISOString();

  const failing = (calls: string[]): Record<string, Channel> => ({
    file: {
      async deliver({ notification: n }) {
        calls.push(n.id);
        throw new Error(`mailbox full (${calls.length})`);
      },
    },
  });

  it('delivers each due message once, records the attempt and audits it as the dispatcher', async () => {
    await setUp();
    const [a, b] = await queue(['reportout:INC-2026-0001:r1:service_owner:file:mailbox', 'k/2']);
    if (a === undefined || b === undefined) throw new Error('two messages queued');
    t.clock.advance({ seconds: 1 });

    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 2, failed: 0, retrying: 0, no_channel: 0 });
    const row = await notification(a);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, sent_at: at(), delivered_at: at(), message_id: 'file:mailbox/reportout_INC-2026-0001_r1_service_owner_file_mailbox.txt', last_error: null, next_attempt_at: null });
    expect((await notification(b)).message_id).toBe('file:mailbox/k_2.txt');
    expect(await attempts(a)).toEqual([{ notification_id: a, attempt: 1, at: at(), outcome: 'delivered', detail: row.message_id }]);
    expect(await events(a)).toEqual([
      { actor: 'lead', action: 'notification.queued', at: at(-1000) },
      { actor: 'system:dispatcher', action: 'notification.delivered', at: at() },
    ]);
    const text = await readFile(path.join(t.dir, 'mailbox', 'reportout_INC-2026-0001_r1_service_owner_file_mailbox.txt'), 'utf8');
    expect(text).toBe(`Message-Id: ${a}\nIdempotency-Key: reportout:INC-2026-0001:r1:service_owner:file:mailbox\nTo-Role: service_owner\nSubject: subject reportout:INC-2026-0001:r1:service_owner:file:mailbox\n\nbody reportout:INC-2026-0001:r1:service_owner:file:mailbox\n`);

    // Nothing is due any more: a second pass attempts nothing.
    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    expect(await attempts(a)).toHaveLength(1);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('retries a failing channel with exponential backoff, then marks the message failed at max_attempts', async () => {
    await setUp({ config: { delivery: { max_attempts: 3, backoff_seconds: 10 } } });
    const id = await queueOne();
    const calls: string[] = [];
    const channels = failing(calls);

    expect(await dispatchOnce(t.ctx, { channels })).toEqual({ delivered: 0, failed: 0, retrying: 1, no_channel: 0 });
    expect(await notification(id)).toMatchObject({ status: 'queued', attempts: 1, last_error: 'mailbox full (1)', next_attempt_at: at(10_000), sent_at: null, message_id: null });
    // Not due before its backoff ends.
    t.clock.advance({ seconds: 9 });
    expect(await dispatchOnce(t.ctx, { channels })).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    t.clock.advance({ seconds: 1 });
    expect(await dispatchOnce(t.ctx, { channels })).toEqual({ delivered: 0, failed: 0, retrying: 1, no_channel: 0 });
    expect(await notification(id)).toMatchObject({ status: 'queued', attempts: 2, last_error: 'mailbox full (2)', next_attempt_at: at(20_000) });
    t.clock.advance({ seconds: 20 });
    expect(await dispatchOnce(t.ctx, { channels })).toEqual({ delivered: 0, failed: 1, retrying: 0, no_channel: 0 });
    expect(await notification(id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'mailbox full (3)', next_attempt_at: null, delivered_at: null });

    t.clock.advance({ days: 1 });
    expect(await dispatchOnce(t.ctx, { channels })).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    expect(calls).toEqual([id, id, id]);
    expect((await attempts(id)).map((x) => [x.attempt, x.outcome, x.detail])).toEqual([
      [1, 'error', 'mailbox full (1)'],
      [2, 'error', 'mailbox full (2)'],
      [3, 'error', 'mailbox full (3)'],
    ]);
    expect((await events(id)).map((e) => `${e.actor} ${e.action}`)).toEqual([
      'lead notification.queued',
      'system:dispatcher notification.retry',
      'system:dispatcher notification.retry',
      'system:dispatcher notification.failed',
    ]);
  });

  it('leaves a message whose channel this process lacks queued, noting why once', async () => {
    await setUp();
    const id = await queueOne({ channel: 'email', address: 'grc@example.org' });
    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 1 });
    expect(await notification(id)).toMatchObject({ status: 'queued', attempts: 0, last_error: 'no channel: email delivery is not configured in this process', next_attempt_at: at() });
    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 1 });
    expect(await attempts(id)).toEqual([]);
    expect((await events(id)).map((e) => e.action)).toEqual(['notification.queued']);
  });

  it('holds a claimed message under a five-minute lease, and takes it over once the lease runs out', async () => {
    await setUp();
    const id = await queueOne();
    // A dispatcher that dies mid-attempt leaves the row claimed: status sending, lease in next_attempt_at.
    const seen: unknown[] = [];
    const dying: Record<string, Channel> = {
      file: {
        async deliver({ notification: n }) {
          seen.push({ given: n.status, row: await notification(n.id).then((r) => [r.status, r.next_attempt_at]) });
          throw new Error('process killed');
        },
      },
    };
    const claimed = { status: 'sending' as const, next_attempt_at: at(5 * 60_000) };
    await dispatchOnce(t.ctx, { channels: dying });
    expect(seen).toEqual([{ given: 'queued', row: [claimed.status, claimed.next_attempt_at] }]);
    await t.ctx.store.db.updateTable('notifications').set(claimed).where('id', '=', id).execute();

    t.clock.advance({ minutes: 4 });
    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 0, failed: 0, retrying: 0, no_channel: 0 });
    t.clock.advance({ minutes: 1 });
    expect(await dispatchOnce(t.ctx)).toEqual({ delivered: 1, failed: 0, retrying: 0, no_channel: 0 });
    expect(await notification(id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('attempts each message once when two passes run at the same time', async () => {
    await setUp();
    const ids = await queue(['k1', 'k2', 'k3', 'k4']);
    const calls: string[] = [];
    const slow: Record<string, Channel> = {
      file: {
        async deliver({ notification: n }) {
          calls.push(n.id);
          await new Promise((r) => setTimeout(r, 20));
          return { messageId: `slow:${n.id}` };
        },
      },
    };
    const [x, y] = await Promise.all([dispatchOnce(t.ctx, { channels: slow }), dispatchOnce(t.ctx, { channels: slow })]);
    expect(x.delivered + y.delivered).toBe(4);
    expect([...calls].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await attempts(id)).toHaveLength(1);
  });

  describe('who may run it', () => {
    /** The message stayed queued, unattempted, and nothing was audited of it but its queuing. */
    const untouched = async (id: string): Promise<void> => {
      expect(await notification(id)).toMatchObject({ status: 'queued', attempts: 0, last_error: null });
      expect(await attempts(id)).toEqual([]);
      expect((await events(id)).map((e) => e.action)).toEqual(['notification.queued']);
    };

    it('refuses a person whose roles do not allow it, before anything is attempted', async () => {
      await setUp();
      const id = await queueOne();
      await expect(runDelivery(t.ctx, { actor: 'so' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN', message: 'so (roles: service_owner) may not delivery.run' });
      await untouched(id);
    });

    it('refuses an actor outside the people directory, even one named like the dispatcher', async () => {
      await setUp();
      const id = await queueOne();
      for (const actor of ['mallory', DISPATCHER.actor]) {
        await expect(runDelivery(t.ctx, { actor })).rejects.toMatchObject({ code: 'CL_FORBIDDEN', details: { actor, action: 'delivery.run' } });
      }
      // A copy of the dispatcher is a plain caller with its name, not the dispatcher.
      await expect(runDelivery(t.ctx, { ...DISPATCHER })).rejects.toMatchObject({ code: 'CL_FORBIDDEN', details: { actor: 'system:dispatcher' } });
      await untouched(id);
    });

    it('allows a system caller exactly what it was granted, whatever the people directory says of its name', async () => {
      await setUp({ config: { people: { 'system:auditor-bot': ['admin'] } } });
      const id = await queueOne();
      await expect(runDelivery(t.ctx, new SystemCaller('auditor-bot', ['audit.verify']))).rejects.toMatchObject({ code: 'CL_FORBIDDEN', message: 'system:auditor-bot may not delivery.run' });
      await untouched(id);
      expect(TIMERS.may('delivery.run')).toBe(true);
      expect(TIMERS.may('people.manage')).toBe(false);
    });

    it('lets a person who may run delivery drain the outbox; the dispatcher audits the outcome', async () => {
      await setUp();
      const id = await queueOne();
      expect(await runDelivery(t.ctx, lead)).toEqual({ delivered: 1, failed: 0, retrying: 0, no_channel: 0 });
      expect((await events(id)).map((e) => `${e.actor} ${e.action}`)).toEqual(['lead notification.queued', 'system:dispatcher notification.delivered']);
    });
  });
});
