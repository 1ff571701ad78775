/**
 * Acknowledgment by link on real engines: the link a report-out message carries when it leaves
 * (never stored), what the link's page says, the one click that acknowledges (once), links that
 * are expired, forged, used or superseded, and a revised report-out that asks again only the roles
 * whose part changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acknowledgeByLink, signAckToken, verifyAckToken, viewAckLink } from '../../src/app/ack-links.js';
import { moveIncident, openIncident, showIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import type { Channel, OutboundMessage } from '../../src/delivery/channel.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };
const KEY = 'test-ack-key-0123456789abcdef';

describe.each(ENGINES)('acknowledgment links on %s', (engine) => {
  let t: TestContext;
  let incident: string;
  /** Every message handed to the `file` channel, as it left. */
  let sent: OutboundMessage[];
  const channels: Record<string, Channel> = {
    file: {
      async deliver(m) {
        sent.push(m);
        return { messageId: `captured:${m.notification.id}` };
      },
    },
  };

  beforeEach(async () => {
    sent = [];
    t = await makeTestContext(engine, { label: 'acklink', config: { server: { public_url: 'https://closeloop.example.org/', ack_key: 'env:CLOSELOOP_ACK_KEY' } } });
    t.ctx.ackKey = KEY;
    incident = (await openIncident(t.ctx, lead, { title: 'Vendor VPN appliance', severity: 'high', assets: ['vpn-1'] })).id;
    await moveIncident(t.ctx, lead, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: incident, state: 'eradication' });
    await addWeakness(t.ctx, lead, { incident, type: 'third_party', relation: 'enabled', assets: ['vpn-1'], notes: 'appliance firmware flaw', action: 'vendor patch', vendor: 'acme' });
    await sendReportOut(t.ctx, lead, { incident });
    await runDelivery(t.ctx, DISPATCHER, { channels });
  });
  afterEach(async () => t.cleanup());

  /** The link the message to `role` carried, and its token. */
  const linkOf = (role: string, nth = 0): { url: string; token: string } => {
    const m = sent.filter((x) => x.notification.role === role)[nth];
    const url = m?.event?.links?.ack;
    if (url === undefined) throw new Error(`no link in the message to ${role}`);
    return { url, token: url.slice('https://closeloop.example.org/ack/'.length) };
  };

  it('signs a link into each report-out message as it leaves, on public_url, and stores none', async () => {
    const { url, token } = linkOf('service_owner');
    expect(url.startsWith('https://closeloop.example.org/ack/')).toBe(true);
    const m = sent.find((x) => x.notification.role === 'service_owner');
    expect(m?.notification.body).toContain(`Acknowledge with one click: ${url}`);
    expect(m?.event).toMatchObject({ type: 'reportout.sent', incident: { id: incident, severity: 'high' }, revision: 1, links: { incident: `https://closeloop.example.org/api/v1/incidents/${incident}` } });
    expect(m?.notification.subject).toContain(`${incident} high`);
    expect(verifyAckToken(KEY, token, t.clock.now())).toMatchObject({ incident, role: 'service_owner', revision: 1 });
    // the store and the audit chain hold no link
    const rows = await t.ctx.store.db.selectFrom('notifications').select(['body', 'event']).execute();
    const audit = await t.ctx.store.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify([rows, audit])).not.toContain('/ack/');
    expect(JSON.stringify([rows, audit])).not.toContain(KEY);
  });

  it('shows what is acknowledged, acknowledges on the click as link:<role> via link (audited), and works once', async () => {
    const { token } = linkOf('third_party_manager');
    const view = await viewAckLink(t.ctx, token);
    expect(view).toMatchObject({ state: 'open', incident: { id: incident, title: 'Vendor VPN appliance' }, role: 'third_party_manager', revision: 1 });
    expect(view.lines?.[0]?.text).toContain('appliance firmware flaw');
    // looking does not acknowledge
    expect(await viewAckLink(t.ctx, token)).toMatchObject({ state: 'open' });

    const done = await acknowledgeByLink(t.ctx, token);
    expect(done).toMatchObject({ state: 'done', acknowledgment: { actor: 'link:third_party_manager', via: 'link', revision: 1 } });
    const ack = await t.ctx.store.db.selectFrom('acknowledgments').selectAll().where('role', '=', 'third_party_manager').executeTakeFirstOrThrow();
    expect(ack).toMatchObject({ actor: 'link:third_party_manager', via: 'link', revision: 1 });
    const events = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_id', '=', ack.id).execute();
    expect(events).toEqual([{ actor: 'link:third_party_manager', action: 'reportout.acknowledged' }]);

    expect(await acknowledgeByLink(t.ctx, token)).toMatchObject({ state: 'used' });
    expect(await viewAckLink(t.ctx, token)).toMatchObject({ state: 'used' });
    await expect(acknowledge(t.ctx, { actor: 'tpm' }, { incident, role: 'third_party_manager' })).rejects.toMatchObject({ code: 'CL_CONFLICT' });
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('acknowledges once when the same link is clicked twice at the same moment', async () => {
    const { token } = linkOf('grc_contact');
    const results = await Promise.all([acknowledgeByLink(t.ctx, token), acknowledgeByLink(t.ctx, token), acknowledgeByLink(t.ctx, token)]);
    expect(results.filter((r) => r.state === 'done')).toHaveLength(1);
    for (const r of results.filter((x) => x.state !== 'done')) expect(['used', 'acknowledged']).toContain(r.state);
    expect(await t.ctx.store.db.selectFrom('acknowledgments').select('role').execute()).toEqual([{ role: 'grc_contact' }]);
    expect(await t.ctx.store.db.selectFrom('ack_link_uses').select('role').execute()).toEqual([{ role: 'grc_contact' }]);
  });

  it('refuses an expired, a forged and another deployment\'s link, changing nothing', async () => {
    const { token } = linkOf('service_owner');
    const [v, payload, sig] = token.split('.');
    const flipped = `${v ?? ''}.${payload ?? ''}.${(sig ?? '').startsWith('A') ? 'B' : 'A'}${(sig ?? '').slice(1)}`;
    expect(await acknowledgeByLink(t.ctx, flipped)).toMatchObject({ state: 'forged' });
    expect(await acknowledgeByLink(t.ctx, 'not-a-link')).toMatchObject({ state: 'forged' });
    const other = signAckToken('another-key', { incident, role: 'service_owner', revision: 1, expires: '2099-01-01T00:00:00.000Z' });
    expect(await acknowledgeByLink(t.ctx, other)).toMatchObject({ state: 'forged' });
    t.clock.advance({ days: 14, seconds: 1 });
    expect(await acknowledgeByLink(t.ctx, token)).toMatchObject({ state: 'expired', message: expect.stringContaining('expired') });
    expect(await t.ctx.store.db.selectFrom('acknowledgments').selectAll().execute()).toEqual([]);
    expect(await t.ctx.store.db.selectFrom('ack_link_uses').selectAll().execute()).toEqual([]);
  });

  it('says so when links are not enabled', async () => {
    const { token } = linkOf('service_owner');
    expect(await viewAckLink({ ...t.ctx, ackKey: undefined }, token)).toMatchObject({ state: 'disabled' });
  });

  it('asks again, on a revision, only the roles whose part changed; their old link is superseded, the new one works', async () => {
    await acknowledge(t.ctx, { actor: 'tpm' }, { incident, role: 'third_party_manager' });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
    const old = linkOf('vuln_mgmt_owner').token;

    // a weakness that is not a third party's: the third-party roles' part is unchanged
    await addWeakness(t.ctx, lead, { incident, type: 'identity_access', relation: 'enabled', assets: ['vpn-1'], notes: 'shared admin account', action: 'named accounts' });
    const r2 = await sendReportOut(t.ctx, lead, { incident });
    expect(r2.revision).toBe(2);
    expect(r2.acks_kept).toEqual(['third_party_manager']);
    expect(r2.acks_superseded).toEqual(['service_owner']);
    expect(r2.notifications.map((n) => n.role)).not.toContain('third_party_manager');
    expect(r2.notifications.map((n) => n.role)).toContain('contract_owner');

    const acks = await t.ctx.store.db.selectFrom('acknowledgments').select(['role', 'revision']).execute();
    expect(acks).toEqual([{ role: 'third_party_manager', revision: 1 }]);
    expect(await viewAckLink(t.ctx, old)).toMatchObject({ state: 'superseded' });
    expect(await acknowledgeByLink(t.ctx, old)).toMatchObject({ state: 'superseded' });

    await runDelivery(t.ctx, DISPATCHER, { channels });
    const fresh = linkOf('service_owner', 1).token;
    expect(await acknowledgeByLink(t.ctx, fresh)).toMatchObject({ state: 'done', acknowledgment: { revision: 2 } });

    const v = await showIncident(t.ctx, lead, incident);
    const so = v.evidence.find((e) => e.role === 'service_owner');
    expect(so?.acknowledgment).toMatchObject({ actor: 'link:service_owner', via: 'link', revision: 2 });
    expect(so?.superseded).toEqual([expect.objectContaining({ actor: 'so', via: 'cli', revision: 1, superseded_by: 2 })]);
    expect(so?.messages.map((m) => [m.revision, m.status, m.message_id])).toEqual([
      [1, 'delivered', expect.stringMatching(/^captured:NT-/)],
      [2, 'delivered', expect.stringMatching(/^captured:NT-/)],
    ]);
    expect(v.evidence.find((e) => e.role === 'third_party_manager')?.acknowledgment).toMatchObject({ actor: 'tpm', revision: 1 });
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });
});
