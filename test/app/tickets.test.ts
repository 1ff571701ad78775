/**
 * Two-way tickets on real engines, against Jira and ServiceNow emulated on 127.0.0.1: a
 * remediation item whose owner role routes to a ticket system is queued as a ticket in the
 * transaction that opens it; the dispatcher's delivery records the ticket and the item's ticket
 * ref; a retry after a lost answer opens no second ticket; the status coming back (webhook or
 * sync) moves the item through the status map as system:jira / system:servicenow, and never
 * touches the incident.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/context.js';
import { addRemediation, moveRemediation } from '../../src/app/followthrough.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { queueItemTickets, receiveJiraWebhook, receiveServiceNowWebhook, syncTickets, ticketClients } from '../../src/app/tickets.js';
import { verifyChain } from '../../src/audit/chain.js';
import { claimNotification } from '../../src/delivery/outbox.js';
import { findIncident } from '../../src/store/repositories/incidents.js';
import { insertRemediationItem } from '../../src/store/repositories/remediation.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { fakeJira, fakeServiceNow, type FakeJira, type FakeServiceNow } from '../helpers/ticket-servers.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';

const lead = { actor: 'lead' };
const ENV = { JIRA_TOKEN: 'tok-123', SN_PASSWORD: 'pw-1' };
const JIRA_AUTH = `Basic ${Buffer.from('bot@example.org:tok-123').toString('base64')}`;
const SN_AUTH = `Basic ${Buffer.from('closeloop:pw-1').toString('base64')}`;

const jiraUpdate = (key: string, name: string, category: string) => ({
  webhookEvent: 'jira:issue_updated',
  issue: { id: '10001', key, fields: { status: { name, statusCategory: { key: category } } } },
});

describe.each(ENGINES)('two-way tickets on %s', (engine) => {
  let t: TestContext;
  let jira: FakeJira;
  let sn: FakeServiceNow;
  let incident: string;
  let weakness: string;

  const setUp = async (extra: Record<string, unknown> = {}): Promise<void> => {
    t = await makeTestContext(engine, {
      label: 'tickets',
      config: {
        routing: {
          roles: {
            vuln_mgmt_owner: [{ channel: 'file', address: './outbox/vuln_mgmt_owner' }, { channel: 'jira', address: 'SEC' }],
            eng_ops_lead: [{ channel: 'file', address: './outbox/eng_ops_lead' }, { channel: 'servicenow', address: 'Network Ops' }],
          },
        },
        delivery: {
          jira: { url: jira.url, email: 'bot@example.org', api_token: 'env:JIRA_TOKEN', reportout: false },
          servicenow: { url: sn.url, user: 'closeloop', password: 'env:SN_PASSWORD' },
        },
        ...extra,
      },
    });
    incident = (await openIncident(t.ctx, lead, { title: 'Exposed admin panel', severity: 'high', assets: ['web-1'] })).id;
    await moveIncident(t.ctx, lead, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: incident, state: 'eradication' });
    weakness = (await addWeakness(t.ctx, lead, { incident, type: 'configuration', relation: 'enabled', assets: ['web-1'], notes: 'admin panel on the internet', action: 'restrict to VPN' })).id;
  };

  beforeEach(async () => {
    jira = await fakeJira(JIRA_AUTH);
    sn = await fakeServiceNow(SN_AUTH);
  });
  afterEach(async () => {
    await t.cleanup();
    await jira.close();
    await sn.close();
  });

  const deliver = () => runDelivery(t.ctx, DISPATCHER, { channels: channelsFromConfig(t.ctx.config, ENV, t.ctx.configPath) });
  const item = (id: string) => t.ctx.store.db.selectFrom('remediation_items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const history = (id: string) => t.ctx.store.db.selectFrom('remediation_history').select(['status', 'actor']).where('item_id', '=', id).orderBy('seq').execute();
  const events = (entity: string) => t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_id', '=', entity).orderBy('seq').execute();
  const openItem = (owner = 'vuln_mgmt_owner') => addRemediation(t.ctx, lead, { weakness, owner_role: owner, assignee: 'vm', criteria: 'admin panel reachable only over VPN' });

  it('queues a ticket with the item, creates the issue on delivery and stores its key as the item ticket ref', async () => {
    await setUp();
    const ri = await openItem();
    const queued = await t.ctx.store.db.selectFrom('notifications').selectAll().where('purpose', '=', 'ticket').execute();
    expect(queued.map((n) => [n.channel, n.address, n.role, n.idempotency_key])).toEqual([['jira', 'SEC', 'vuln_mgmt_owner', `ticket:${ri.id}:jira:SEC`]]);
    expect(queued[0]?.subject).toBe(`[closeloop] ${incident} ${ri.id}: admin panel reachable only over VPN`);
    expect(queued[0]?.body).toContain(`Remediation item ${ri.id} for weakness ${weakness} of incident ${incident} (high): Exposed admin panel`);

    expect(await deliver()).toMatchObject({ delivered: 1, failed: 0, retrying: 0 });
    expect((await item(ri.id)).ticket).toBe('SEC-1');
    const issue = jira.issues.get('SEC-1');
    expect(issue?.fields.project.key).toBe('SEC');
    expect(issue?.fields.summary).toBe(queued[0]?.subject);
    const tickets = await t.ctx.store.db.selectFrom('tickets').selectAll().execute();
    expect(tickets).toMatchObject([{ system: 'jira', key: 'SEC-1', external_id: '10001', item_id: ri.id, incident_id: incident, url: `${jira.url}/browse/SEC-1` }]);
    const n = await t.ctx.store.db.selectFrom('notifications').select(['status', 'message_id']).where('id', '=', queued[0]?.id ?? '').executeTakeFirstOrThrow();
    expect(n).toEqual({ status: 'delivered', message_id: 'SEC-1' });
    expect(await events('jira:SEC-1')).toEqual([{ actor: 'system:dispatcher', action: 'ticket.recorded' }]);
    expect((await events(ri.id)).map((e) => e.action)).toEqual(['remediation.opened', 'remediation.ticket']);
  });

  it('a retry after Jira lost its answer finds the issue: one issue, delivered on the second attempt', async () => {
    await setUp();
    const ri = await openItem();
    jira.failNextCreate(500);
    expect(await deliver()).toMatchObject({ delivered: 0, retrying: 1 });
    t.clock.advance({ minutes: 5 });
    expect(await deliver()).toMatchObject({ delivered: 1, retrying: 0 });
    expect(jira.issues.size).toBe(1);
    expect(jira.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await item(ri.id)).ticket).toBe('SEC-1');
    const attempts = await t.ctx.store.db.selectFrom('notification_attempts').select(['attempt', 'outcome']).orderBy('attempt').execute();
    expect(attempts).toEqual([{ attempt: 1, outcome: 'error' }, { attempt: 2, outcome: 'delivered' }]);
  });

  it('a dispatcher that died after Jira created the issue leaves it to the next one, which finds the issue: one issue', async () => {
    await setUp();
    const ri = await openItem();
    const [n] = await t.ctx.store.db.selectFrom('notifications').selectAll().where('purpose', '=', 'ticket').execute();
    if (n === undefined) throw new Error('a ticket message is queued');
    // the first dispatcher claims the message and the issue is created, then the process dies before recording anything
    expect(await claimNotification(t.ctx.store.db, n, new Date(t.clock.now().getTime() + 5 * 60_000).toISOString())).toBe(true);
    await channelsFromConfig(t.ctx.config, ENV, t.ctx.configPath).jira?.deliver({ notification: n, event: null });
    expect(jira.issues.size).toBe(1);
    expect(await deliver()).toMatchObject({ delivered: 0 });
    t.clock.advance({ minutes: 6 });
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(jira.issues.size).toBe(1);
    expect(jira.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await item(ri.id)).ticket).toBe('SEC-1');
  });

  it('a Jira webhook closing the issue moves the item to resolved as system:jira and leaves the incident alone', async () => {
    await setUp();
    const ri = await openItem();
    await deliver();
    const r = await receiveJiraWebhook(t.ctx, jiraUpdate('SEC-1', 'Done', 'done'));
    expect(r).toEqual([{ system: 'jira', ticket: 'SEC-1', item: ri.id, status: 'Done', from: 'open', to: 'resolved', applied: true }]);
    expect((await item(ri.id)).status).toBe('resolved');
    expect(await history(ri.id)).toEqual([{ status: 'open', actor: 'lead' }, { status: 'resolved', actor: 'system:jira' }]);
    expect((await events(ri.id)).at(-1)).toEqual({ actor: 'system:jira', action: 'remediation.moved.resolved' });
    expect((await findIncident(t.ctx.store.db, incident))?.state).toBe('eradication');
    const ticket = await t.ctx.store.db.selectFrom('tickets').select(['external_status', 'synced_at']).executeTakeFirstOrThrow();
    expect(ticket).toEqual({ external_status: 'Done', synced_at: t.clock.now().toISOString() });
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);

    // the same status again changes nothing; an issue closeloop never made is answered, not applied
    expect(await receiveJiraWebhook(t.ctx, jiraUpdate('SEC-1', 'Done', 'done'))).toMatchObject([{ applied: false, from: 'resolved', to: 'resolved' }]);
    expect(await receiveJiraWebhook(t.ctx, jiraUpdate('OTHER-9', 'Done', 'done'))).toEqual([{ system: 'jira', ticket: 'OTHER-9', item: null, status: 'Done', applied: false, note: 'not a ticket closeloop created' }]);
    expect(await receiveJiraWebhook(t.ctx, { ...jiraUpdate('SEC-1', 'To Do', 'new'), webhookEvent: 'jira:issue_deleted' })).toEqual([]);
    expect((await item(ri.id)).status).toBe('resolved');
    await expect(receiveJiraWebhook(t.ctx, { issue: { key: 'SEC-1' } })).rejects.toMatchObject({ code: 'CL_BAD_INPUT', message: expect.stringContaining('issue.fields') as string });
  });

  it('tickets sync polls Jira and ServiceNow and applies each status as its system', async () => {
    await setUp();
    const a = await openItem('vuln_mgmt_owner');
    const b = await openItem('eng_ops_lead');
    expect(await deliver()).toMatchObject({ delivered: 2 });
    const sysId = sn.records.values().next().value?.sys_id ?? '';
    expect((await item(b.id)).ticket).toBe('INC0000001');

    jira.setStatus('SEC-1', 'In Progress', 'indeterminate');
    sn.setState(sysId, '7');
    const clients = ticketClients(t.ctx.config, ENV);
    const first = await syncTickets(t.ctx, { actor: 'vm' }, { clients });
    expect(first.results).toEqual([
      { system: 'jira', ticket: 'SEC-1', item: a.id, status: 'In Progress', from: 'open', to: 'in_progress', applied: true },
      { system: 'servicenow', ticket: 'INC0000001', item: b.id, status: '7', from: 'open', to: 'resolved', applied: true },
    ]);
    expect(await history(b.id)).toEqual([{ status: 'open', actor: 'lead' }, { status: 'resolved', actor: 'system:servicenow' }]);

    // a ticket that cannot be read is reported on its line; a verified item is no longer polled
    await moveRemediation(t.ctx, lead, { item: b.id, state: 'verified' });
    await jira.close();
    const second = await syncTickets(t.ctx, { actor: 'vm' }, { clients });
    expect(second.results).toHaveLength(1);
    expect(second.results[0]).toMatchObject({ system: 'jira', ticket: 'SEC-1', error: expect.stringContaining('jira: GET') as string });
    jira = await fakeJira(JIRA_AUTH);
    await expect(syncTickets(t.ctx, { actor: 'auditor' }, { clients })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
  });

  it('a ServiceNow state maps through tickets.status_map over the defaults; unmapped states and verified items stay', async () => {
    await setUp({ tickets: { status_map: { servicenow: { '8': 'resolved', '3': 'open' } } } });
    const ri = await openItem('eng_ops_lead');
    await deliver();
    const sysId = sn.records.values().next().value?.sys_id ?? '';
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, number: 'INC0000001', state: 2 })).toMatchObject([{ applied: true, to: 'in_progress' }]);
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, state: '3' })).toMatchObject([{ applied: true, from: 'in_progress', to: 'open' }]);
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, state: '42' })).toMatchObject([{ applied: false, note: 'status 42 is not in tickets.status_map.servicenow' }]);
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, state: '8' })).toMatchObject([{ applied: true, to: 'resolved' }]);
    await moveRemediation(t.ctx, lead, { item: ri.id, state: 'verified' });
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, state: '1' })).toMatchObject([{ applied: false, note: `${ri.id} cannot move from verified to open` }]);
    expect((await item(ri.id)).status).toBe('verified');
  });

  it('a rolled-back item queues no ticket; the report-out skips jira routes when delivery.jira.reportout is off and becomes a ServiceNow record when on', async () => {
    await setUp();
    const at = t.clock.now().toISOString();
    const row = { id: 'RI-0099', incident_id: incident, weakness_id: weakness, finding_id: null, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'x', due: null, ticket: null, status: 'open' as const, overdue_since: null, created_at: at, updated_at: at };
    await expect(
      inTransaction(t.ctx, async (trx) => {
        await insertRemediationItem(trx, row);
        expect(await queueItemTickets(trx, t.ctx, lead, [row])).toHaveLength(1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await t.ctx.store.db.selectFrom('notifications').select('id').where('purpose', '=', 'ticket').execute()).toEqual([]);

    await sendReportOut(t.ctx, lead, { incident });
    const sent = await t.ctx.store.db.selectFrom('notifications').select(['role', 'channel']).where('purpose', '=', 'reportout').where('role', 'in', ['vuln_mgmt_owner', 'eng_ops_lead']).orderBy('id').execute();
    expect(sent).toEqual([
      { role: 'vuln_mgmt_owner', channel: 'file' },
      { role: 'eng_ops_lead', channel: 'file' },
      { role: 'eng_ops_lead', channel: 'servicenow' },
    ]);
    // the report-out itself became a ServiceNow record: recorded for the incident, tracking no item
    await deliver();
    const tickets = await t.ctx.store.db.selectFrom('tickets').select(['system', 'key', 'item_id', 'incident_id']).execute();
    expect(tickets).toEqual([{ system: 'servicenow', key: 'INC0000001', item_id: null, incident_id: incident }]);
    expect(sn.records.values().next().value?.short_description).toContain(incident);
    const sysId = sn.records.values().next().value?.sys_id ?? '';
    expect(await receiveServiceNowWebhook(t.ctx, { sys_id: sysId, state: '7' })).toMatchObject([{ applied: false, note: 'the ticket tracks no remediation item' }]);
    expect((await syncTickets(t.ctx, lead, { clients: ticketClients(t.ctx.config, ENV) })).results).toEqual([]);
  });
});
