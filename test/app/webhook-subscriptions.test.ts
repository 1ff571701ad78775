/**
 * Webhook subscriptions on real engines: the endpoints of `delivery.webhook.subscriptions` are
 * queued a message for each event of a type they subscribe to, in the transaction of the event,
 * once per event; the real webhook channel delivers them to a node:http receiver on 127.0.0.1,
 * signed per Standard Webhooks, with the JSON body docs/webhooks.md describes.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acknowledgeByLink, signAckToken } from '../../src/app/ack-links.js';
import { addRemediation, decideRisk, requestRisk } from '../../src/app/followthrough.js';
import { importFile } from '../../src/app/importer.js';
import { closeIncident, moveIncident, openIncident } from '../../src/app/incidents.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER, TIMERS } from '../../src/app/system-caller.js';
import { runTimers } from '../../src/app/timers.js';
import { verifyChain } from '../../src/audit/chain.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';
import { eventOf } from '../../src/delivery/outbox.js';
import type { WebhookEvent } from '../../src/delivery/render/webhook-event.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';
import { startHttpReceiver, type HttpReceiver, type RecordedRequest } from '../helpers/receivers.js';

const lead = { actor: 'lead' };
const ACK_KEY = 'test-ack-key-0123456789abcdef';
const ENV = { SIEM_SECRET: `whsec_${randomBytes(24).toString('base64')}`, ALL_SECRET: `whsec_${randomBytes(24).toString('base64')}` };

const headersOf = (req: RecordedRequest): Record<string, string> => Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));

describe.each(ENGINES)('webhook subscriptions on %s', (engine) => {
  let t: TestContext;
  let receiver: HttpReceiver;
  let incident: string;
  let weakness: string;

  const setUp = async (subscriptions: { endpoint: string; events: string[] }[]): Promise<void> => {
    t = await makeTestContext(engine, {
      label: 'subs',
      config: {
        server: { public_url: 'https://closeloop.example.org/', ack_key: 'env:CLOSELOOP_ACK_KEY' },
        delivery: {
          webhook: {
            endpoints: { siem: { url: `${receiver.url}/siem`, secret: 'env:SIEM_SECRET' }, all: { url: `${receiver.url}/all`, secret: 'env:ALL_SECRET' } },
            subscriptions,
          },
        },
      },
    });
    t.ctx.ackKey = ACK_KEY;
    incident = (await openIncident(t.ctx, lead, { title: 'Web tier compromise', severity: 'high', assets: ['web-1'] })).id;
    await moveIncident(t.ctx, lead, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: incident, state: 'eradication' });
    weakness = (await addWeakness(t.ctx, lead, { incident, type: 'technical', relation: 'enabled', assets: ['web-1'], notes: 'unpatched OpenSSL', action: 'patch to 3.0.15' })).id;
  };

  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(async () => {
    await t.cleanup();
    await receiver.close();
  });

  const subscribed = () =>
    t.ctx.store.db.selectFrom('notifications').selectAll().where('purpose', '=', 'subscription').orderBy('id').execute();
  const summary = async () => (await subscribed()).map((n) => `${eventOf(n)?.type ?? ''} -> ${n.address}`);
  const deliver = () => runDelivery(t.ctx, DISPATCHER, { channels: channelsFromConfig(t.ctx.config, ENV, t.ctx.configPath) });
  const verified = (i: number): { path: string; event: WebhookEvent } => {
    const req = receiver.requests[i];
    if (req === undefined) throw new Error(`no request ${i}`);
    const secret = req.path === '/siem' ? ENV.SIEM_SECRET : ENV.ALL_SECRET;
    return { path: req.path, event: new Webhook(secret).verify(req.body, headersOf(req)) as WebhookEvent };
  };
  const SUBS = [
    { endpoint: 'siem', events: ['reportout.sent', 'ack.recorded'] },
    { endpoint: 'all', events: ['*'] },
  ];

  it('a report-out send and an acknowledgment queue one message per subscribed endpoint, in their transactions', async () => {
    await setUp(SUBS);
    expect(await subscribed()).toEqual([]);
    const sent = await sendReportOut(t.ctx, lead, { incident });
    // the roles' own messages are unchanged: the subscription copies are not among them
    expect(sent.notifications.every((n) => n.purpose === 'reportout')).toBe(true);
    expect(await summary()).toEqual(['reportout.sent -> siem', 'reportout.sent -> all']);
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
    expect(await summary()).toEqual(['reportout.sent -> siem', 'reportout.sent -> all', 'ack.recorded -> siem', 'ack.recorded -> all']);
    const rows = await subscribed();
    expect(rows.map((n) => [n.role, n.channel, n.incident_id])).toEqual([
      ['subscriber:siem', 'webhook', incident],
      ['subscriber:all', 'webhook', incident],
      ['subscriber:siem', 'webhook', incident],
      ['subscriber:all', 'webhook', incident],
    ]);
    expect(rows.map((n) => n.idempotency_key)).toEqual([`sub:reportout.sent:${incident}:r1:siem`, `sub:reportout.sent:${incident}:r1:all`, expect.stringMatching(/^sub:ack\.recorded:AK-\d+:siem$/), expect.stringMatching(/^sub:ack\.recorded:AK-\d+:all$/)]);
    // each is audited as queued
    const queued = await t.ctx.store.db.selectFrom('audit_events').select('entity_id').where('action', '=', 'notification.queued').execute();
    expect(rows.every((n) => queued.some((q) => q.entity_id === n.id))).toBe(true);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('delivers them through the real webhook channel, signed per Standard Webhooks, with the documented body', async () => {
    await setUp(SUBS);
    await sendReportOut(t.ctx, lead, { incident });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
    const summaryOfRun = await deliver();
    expect(summaryOfRun.failed).toBe(0);
    expect(receiver.requests).toHaveLength(4);
    const events = receiver.requests.map((_, i) => verified(i));
    expect(events.map((e) => `${e.event.type} ${e.path}`).sort()).toEqual(['ack.recorded /all', 'ack.recorded /siem', 'reportout.sent /all', 'reportout.sent /siem']);

    const report = events.find((e) => e.path === '/siem' && e.event.type === 'reportout.sent')?.event;
    expect(report).toMatchObject({
      type: 'reportout.sent',
      timestamp: '2026-11-28T12:00:00.000Z',
      data: {
        message: { id: expect.stringMatching(/^NT-\d+$/), role: 'subscriber:siem', subject: expect.stringContaining(incident) },
        incident: { id: incident, title: 'Web tier compromise', severity: 'high', state: 'eradication' },
        revision: 1,
        links: { incident: `https://closeloop.example.org/api/v1/incidents/${incident}` },
        details: { roles: expect.arrayContaining(['service_owner']) },
      },
    });
    expect(report?.data.lines[0]?.text).toContain('unpatched OpenSSL');
    // an integration is told of the report-out; it is offered no acknowledgment link
    expect(report?.data.links.ack).toBeUndefined();
    expect(report?.data.message.body).not.toContain('/ack/');

    const ack = events.find((e) => e.path === '/all' && e.event.type === 'ack.recorded')?.event;
    expect(ack).toMatchObject({ data: { incident: { id: incident }, revision: 1, details: { role: 'service_owner', actor: 'so', via: 'cli' } } });
    // the signing keys differ per endpoint: the other endpoint's secret refuses the body
    const req = receiver.requests.find((r) => r.path === '/siem');
    expect(() => new Webhook(ENV.ALL_SECRET).verify(req?.body ?? '', req === undefined ? {} : headersOf(req))).toThrow();

    // a second run delivers nothing again
    await deliver();
    expect(receiver.requests).toHaveLength(4);
  });

  it('an acknowledgment by link, like one through the API or the CLI, is an ack.recorded event', async () => {
    await setUp(SUBS);
    await sendReportOut(t.ctx, lead, { incident });
    const token = signAckToken(ACK_KEY, { incident, role: 'service_owner', revision: 1, expires: '2027-01-01T00:00:00.000Z' });
    expect(await acknowledgeByLink(t.ctx, token)).toMatchObject({ state: 'done' });
    expect(await summary()).toEqual(['reportout.sent -> siem', 'reportout.sent -> all', 'ack.recorded -> siem', 'ack.recorded -> all']);
    const [, , ack] = await subscribed();
    expect(ack === undefined ? null : eventOf(ack)).toMatchObject({ type: 'ack.recorded', revision: 1, data: { role: 'service_owner', actor: 'link:service_owner', via: 'link' } });
  });

  it('re-running never duplicates: a new revision is a new event, the same acknowledgment twice is refused', async () => {
    await setUp(SUBS);
    await sendReportOut(t.ctx, lead, { incident });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
    await expect(acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' })).rejects.toMatchObject({ code: 'CL_CONFLICT' });
    expect(await summary()).toHaveLength(4);
    await sendReportOut(t.ctx, lead, { incident });
    expect(await summary()).toEqual(['reportout.sent -> siem', 'reportout.sent -> all', 'ack.recorded -> siem', 'ack.recorded -> all', 'reportout.sent -> siem', 'reportout.sent -> all']);
    const keys = (await subscribed()).map((n) => n.idempotency_key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(4)).toEqual([`sub:reportout.sent:${incident}:r2:siem`, `sub:reportout.sent:${incident}:r2:all`]);
  });

  it('an event nobody subscribes to queues nothing; `*` takes every event', async () => {
    await setUp(SUBS);
    const other = (await openIncident(t.ctx, lead, { title: 'False alarm', severity: 'low', assets: ['web-2'] })).id;
    await closeIncident(t.ctx, lead, { id: other, non_incident: true, rationale: 'a scheduled scan' });
    // siem subscribes to report-outs and acknowledgments only: the closure goes to `all` alone
    expect(await summary()).toEqual(['incident.closed -> all']);
    const [closed] = await subscribed();
    expect(closed?.incident_id).toBe(other);
    expect(closed === undefined ? null : eventOf(closed)).toMatchObject({ type: 'incident.closed', incident: { id: other, state: 'closed_non_incident' }, data: { determination: 'non_incident' } });
  });

  it('without subscriptions, a report-out and an acknowledgment queue no subscription message', async () => {
    await setUp([{ endpoint: 'siem', events: ['incident.closed'] }]);
    await sendReportOut(t.ctx, lead, { incident });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
    expect(await subscribed()).toEqual([]);
    await deliver();
    expect(receiver.requests).toEqual([]);
  });

  it('an escalation that opens an incident is incident.escalated, new scope on it handoff.sent; a rerun queues nothing', async () => {
    await setUp([{ endpoint: 'all', events: ['*'] }]);
    const vm = { actor: 'vm' };
    const ruleset = await loadRuleset();
    const fleet = async (from: number, to: number, name: string): Promise<void> => {
      const hosts = Array.from({ length: to - from }, (_, i) => ({ id: `edge-${from + i}`, name: `Edge ${from + i}`, owner: 'net-team', exposure: 'internet', auth_required: false }));
      const write = (file: string, rows: unknown[]): string => {
        const at = path.join(t.dir, file);
        writeFileSync(at, rows.map((r) => JSON.stringify(r)).join('\n'));
        return at;
      };
      await importFile(t.ctx, vm, { kind: 'assets', file: write(`${name}-assets.ndjson`, hosts) });
      await importFile(t.ctx, vm, { kind: 'findings', file: write(`${name}-findings.ndjson`, hosts.map((h) => ({ id: `F-${h.id}`, vulnerability: 'CVE-2021-41773', asset: h.id, component: 'httpd', version: '2.4.49', validation: 'validated' }))) });
    };
    await importFile(t.ctx, vm, { kind: 'kev', file: corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json') });
    await fleet(0, 3, 'first');
    const first = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    const escalated = first.revisions[0]?.incident ?? '';
    expect(first.revisions).toEqual([{ incident: escalated, revision: 1, findings: 3, assets: 3 }]);
    expect(await summary()).toEqual(['incident.escalated -> all']);
    await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(await summary()).toEqual(['incident.escalated -> all']);
    await fleet(3, 5, 'more');
    await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(await summary()).toEqual(['incident.escalated -> all', 'handoff.sent -> all']);
    const rows = await subscribed();
    expect(rows.map((n) => [n.incident_id, n.idempotency_key])).toEqual([
      [escalated, `sub:incident.escalated:${escalated}:r1:all`],
      [escalated, `sub:handoff.sent:${escalated}:r2:all`],
    ]);
    // the ids the run reserved for the IR lead's messages and the subscription messages do not collide
    const ids = (await t.ctx.store.db.selectFrom('notifications').select('id').execute()).map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    await deliver();
    expect(verified(0).event).toMatchObject({ type: 'incident.escalated', data: { revision: 1, details: { incident: escalated, findings: ['F-edge-0', 'F-edge-1', 'F-edge-2'] } } });
  });

  it('the timers tell subscribers of an overdue remediation item and an expired risk acceptance, once each', async () => {
    await setUp([{ endpoint: 'siem', events: ['remediation.overdue', 'risk.expired'] }]);
    const item = await addRemediation(t.ctx, lead, { weakness, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'OpenSSL patched', due: '2026-11-30' });
    const risk = await requestRisk(t.ctx, lead, { weakness, rationale: 'legacy appliance', controls: 'IP allow-list', review_by: '2026-12-10' });
    await decideRisk(t.ctx, { actor: 'approver' }, { risk: risk.id, approve: true });
    t.clock.set('2026-12-01T00:30:00Z');
    await runTimers(t.ctx, TIMERS);
    expect(await summary()).toEqual(['remediation.overdue -> siem']);
    // the review warning is an event siem did not subscribe to
    t.clock.set('2026-12-10T00:30:00Z');
    await runTimers(t.ctx, TIMERS);
    await runTimers(t.ctx, TIMERS);
    expect(await summary()).toEqual(['remediation.overdue -> siem', 'risk.expired -> siem']);
    const rows = await subscribed();
    expect(rows.map((n) => [n.incident_id, n.subject_ref, n.idempotency_key])).toEqual([
      [incident, item.id, `sub:remediation.overdue:${item.id}:2026-11-30:siem`],
      [incident, risk.id, `sub:risk.expired:${risk.id}:2026-12-10:siem`],
    ]);
  });
});
