/**
 * The outbox as records on real engines: `deliveries list|show|retry` as use cases, messages that
 * stand without an incident, the dead letter and its retry, and who may see and retry.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/context.js';
import { listDeliveries, retryDelivery, showDelivery } from '../../src/app/deliveries.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { enqueue, enqueueStandalone } from '../../src/app/outbox.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ChannelError, type Channel } from '../../src/delivery/channel.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };
const route = { channel: 'file' as const, address: 'mailbox' };

describe.each(ENGINES)('deliveries on %s', (engine) => {
  let t: TestContext;
  afterEach(async () => t.cleanup());

  /** Two report-out messages of two incidents and a channel test, queued in that order. */
  async function seed(): Promise<string[]> {
    t = await makeTestContext(engine, { label: 'deliveries', config: { delivery: { max_attempts: 2, backoff_seconds: 1 } } });
    return inTransaction(t.ctx, async (trx) => {
      const a = await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0001', purpose: 'reportout', role: 'service_owner', route, subject: 's1', body: 'b1', event: null, idempotencyKey: 'k1' });
      const b = await enqueue(trx, t.ctx, lead, { incident: 'INC-2026-0002', purpose: 'reportout', role: 'grc_contact', route, subject: 's2', body: 'b2', event: null, idempotencyKey: 'k2' });
      const c = await enqueueStandalone(trx, t.ctx, lead, { subjectRef: 'channel:file', purpose: 'channel_test', role: 'grc_contact', route, subject: 'test', body: 'test', event: { type: 'channel.test', incident: null }, idempotencyKey: 'k3' });
      return [a.id, b.id, c.id];
    });
  }

  /** Fails NT-0002 for good; delivers the others. */
  const channels: Record<string, Channel> = {
    file: {
      async deliver({ notification: n }) {
        if (n.idempotency_key === 'k2') throw new ChannelError('HTTP 410: endpoint gone', false, 410);
        return { messageId: `m:${n.id}`, status: 202, response: 'accepted' };
      },
    },
  };

  it('lists messages by state and incident, a page at a time, with those about no incident', async () => {
    const [a, b, c] = await seed();
    await runDelivery(t.ctx, DISPATCHER, { channels });
    expect((await listDeliveries(t.ctx, { actor: 'auditor' }, {})).deliveries.map((d) => [d.id, d.status, d.incident_id, d.subject_ref])).toEqual([
      [a, 'delivered', 'INC-2026-0001', null],
      [b, 'failed', 'INC-2026-0002', null],
      [c, 'delivered', null, 'channel:file'],
    ]);
    expect((await listDeliveries(t.ctx, lead, { state: 'failed' })).deliveries.map((d) => d.id)).toEqual([b]);
    expect((await listDeliveries(t.ctx, lead, { incident: 'INC-2026-0001' })).deliveries.map((d) => d.id)).toEqual([a]);
    const first = await listDeliveries(t.ctx, lead, { limit: 2 });
    expect(first.deliveries.map((d) => d.id)).toEqual([a, b]);
    expect(first.next).toBe(b);
    const second = await listDeliveries(t.ctx, lead, { limit: 2, after: first.next ?? '' });
    expect(second).toMatchObject({ deliveries: [{ id: c, event: { type: 'channel.test', incident: null } }], next: null });
    await expect(listDeliveries(t.ctx, lead, { state: 'lost' as 'failed' })).rejects.toMatchObject({ code: 'CL_BAD_INPUT', message: expect.stringContaining('state') });
  });

  it('shows a message with its proof and every attempt', async () => {
    const [a, b] = await seed();
    await runDelivery(t.ctx, DISPATCHER, { channels });
    const ok = await showDelivery(t.ctx, lead, { id: a ?? '' });
    expect(ok.delivery).toMatchObject({ id: a, status: 'delivered', message_id: `m:${a ?? ''}`, proof: { status: 202, response: 'accepted' } });
    expect(ok.attempts.map((x) => [x.attempt, x.outcome, x.channel, x.status, x.detail, x.message_id])).toEqual([[1, 'delivered', 'file', 202, 'accepted', `m:${a ?? ''}`]]);
    const dead = await showDelivery(t.ctx, lead, { id: b ?? '' });
    expect(dead.delivery).toMatchObject({ status: 'failed', last_error: 'HTTP 410: endpoint gone', proof: null });
    expect(dead.attempts.map((x) => [x.outcome, x.status])).toEqual([['rejected', 410]]);
    await expect(showDelivery(t.ctx, lead, { id: 'NT-9999' })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
  });

  it('puts a dead-lettered message back in the queue with a new round of attempts, keeping the old ones, audited', async () => {
    const [a, b] = await seed();
    await runDelivery(t.ctx, DISPATCHER, { channels });
    await expect(retryDelivery(t.ctx, lead, { id: a ?? '' })).rejects.toMatchObject({ code: 'CL_RULE_REFUSED', details: { current: 'delivered' } });
    await expect(retryDelivery(t.ctx, { actor: 'auditor' }, { id: b ?? '' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });

    const again = await retryDelivery(t.ctx, lead, { id: b ?? '' });
    expect(again).toMatchObject({ id: b, status: 'queued', attempts: 1, round_start: 1 });
    // the receiver still refuses, then is down twice: the new round has max_attempts (2) attempts
    let calls = 0;
    const flaky: Record<string, Channel> = {
      file: {
        async deliver() {
          calls += 1;
          throw new Error('connection refused');
        },
      },
    };
    expect(await runDelivery(t.ctx, DISPATCHER, { channels: flaky })).toMatchObject({ retrying: 1 });
    t.clock.advance({ seconds: 2 });
    expect(await runDelivery(t.ctx, DISPATCHER, { channels: flaky })).toMatchObject({ failed: 1 });
    expect(calls).toBe(2);
    const shown = await showDelivery(t.ctx, lead, { id: b ?? '' });
    expect(shown.delivery).toMatchObject({ status: 'failed', attempts: 3 });
    expect(shown.attempts.map((x) => [x.attempt, x.outcome])).toEqual([[1, 'rejected'], [2, 'error'], [3, 'error']]);
    const audit = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_id', '=', b ?? '').orderBy('seq').execute();
    expect(audit.map((e) => `${e.actor} ${e.action}`)).toEqual([
      'lead notification.queued',
      'system:dispatcher notification.failed',
      'lead notification.requeued',
      'system:dispatcher notification.retry',
      'system:dispatcher notification.failed',
    ]);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('lets only readers list and show', async () => {
    await seed();
    await expect(listDeliveries(t.ctx, { actor: 'mallory' }, {})).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    await expect(showDelivery(t.ctx, { actor: 'mallory' }, { id: 'NT-0001' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
  });

  it('sends a vendor its notice through the outbox when the vendor has routes; delivered, the notice is sent', async () => {
    t = await makeTestContext(engine, { label: 'vendornotice', config: { routing: { vendors: { acme: [{ channel: 'file', address: './vendors/acme' }] } } } });
    const inc = (await openIncident(t.ctx, lead, { title: 'Vendor appliance', severity: 'high', assets: ['fw-1'] })).id;
    await moveIncident(t.ctx, lead, { id: inc, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: inc, state: 'eradication' });
    await addWeakness(t.ctx, lead, { incident: inc, type: 'third_party', relation: 'enabled', assets: ['fw-1'], notes: 'firmware flaw', action: 'ship a fix', vendor: 'acme' });
    await addWeakness(t.ctx, lead, { incident: inc, type: 'third_party', relation: 'enabled', assets: ['fw-1'], notes: 'default password', action: 'rotate', vendor: 'globex' });
    const sent = await sendReportOut(t.ctx, lead, { incident: inc });
    const [acme, globex] = sent.notices_opened;
    const vendorMessages = await t.ctx.store.db.selectFrom('notifications').select(['role', 'channel', 'address', 'subject_ref', 'incident_id']).where('purpose', '=', 'vendor_notice').execute();
    expect(vendorMessages).toEqual([{ role: 'vendor:acme', channel: 'file', address: './vendors/acme', subject_ref: acme, incident_id: inc }]);
    const notice = (id: string | undefined) => t.ctx.store.db.selectFrom('third_party_notices').select(['status', 'sent_at', 'channel']).where('id', '=', id ?? '').executeTakeFirstOrThrow();
    expect(await notice(acme)).toEqual({ status: 'pending', sent_at: null, channel: null });

    await runDelivery(t.ctx, DISPATCHER);
    expect(await notice(acme)).toEqual({ status: 'sent', sent_at: t.clock.now().toISOString(), channel: 'file:./vendors/acme' });
    // a vendor without routes is notified by hand, as before
    expect(await notice(globex)).toEqual({ status: 'pending', sent_at: null, channel: null });
    const text = await readFile(path.join(t.dir, 'vendors', 'acme', `vendor-notice_${acme ?? ''}_file_._vendors_acme.txt`), 'utf8');
    expect(text).toContain('firmware flaw');
    expect(text).not.toContain('default password');
    const audited = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_id', '=', acme ?? '').orderBy('seq').execute();
    expect(audited).toEqual([{ actor: 'lead', action: 'third_party_notice.opened' }, { actor: 'system:dispatcher', action: 'third_party_notice.sent' }]);
  });
});
