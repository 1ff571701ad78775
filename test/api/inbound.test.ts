/**
 * The inbound ticket webhooks through the HTTP edge: Jira's request signed with the shared secret
 * (`X-Hub-Signature: sha256=HMAC(body)`) moves the item and is audited as system:jira; a wrong or
 * missing signature, a body altered after signing, or a system whose secret is not configured is
 * refused with 401 and changes nothing; ServiceNow's shared-secret header likewise.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { addRemediation } from '../../src/app/followthrough.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { addWeakness } from '../../src/app/reportout.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { inboundSecrets } from '../../src/app/tickets.js';
import { API_PREFIX, buildServer } from '../../src/api/server.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { fakeJira, fakeServiceNow, type FakeJira, type FakeServiceNow } from '../helpers/ticket-servers.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';

const ENV = { JIRA_TOKEN: 'tok', SN_TOKEN: 'sn-tok', JIRA_HOOK: 'jira-hook-secret', SN_HOOK: 'sn-hook-secret' };
const sign = (body: string, secret = ENV.JIRA_HOOK) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe.each(ENGINES)('inbound ticket webhooks on %s', (engine) => {
  let t: TestContext;
  let jira: FakeJira;
  let sn: FakeServiceNow;
  afterEach(async () => {
    await t.cleanup();
    await jira.close();
    await sn.close();
  });

  async function setUp(secrets: boolean) {
    jira = await fakeJira(`Basic ${Buffer.from('bot@example.org:tok').toString('base64')}`);
    sn = await fakeServiceNow('Bearer sn-tok');
    t = await makeTestContext(engine, {
      label: 'inbound',
      config: {
        routing: { roles: { vuln_mgmt_owner: [{ channel: 'jira', address: 'SEC' }], eng_ops_lead: [{ channel: 'servicenow', address: 'Ops' }] } },
        delivery: {
          jira: { url: jira.url, email: 'bot@example.org', api_token: 'env:JIRA_TOKEN', ...(secrets ? { webhook_secret: 'env:JIRA_HOOK' } : {}) },
          servicenow: { url: sn.url, token: 'env:SN_TOKEN', ...(secrets ? { inbound_secret: 'env:SN_HOOK' } : {}) },
        },
      },
    });
    const incident = (await openIncident(t.ctx, { actor: 'lead' }, { title: 'Exposed admin panel', severity: 'high', assets: ['web-1'] })).id;
    await moveIncident(t.ctx, { actor: 'lead' }, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, { actor: 'lead' }, { id: incident, state: 'eradication' });
    const w = await addWeakness(t.ctx, { actor: 'lead' }, { incident, type: 'configuration', relation: 'enabled', assets: ['web-1'], notes: 'n', action: 'a' });
    const a = await addRemediation(t.ctx, { actor: 'lead' }, { weakness: w.id, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'c' });
    const b = await addRemediation(t.ctx, { actor: 'lead' }, { weakness: w.id, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'c' });
    await runDelivery(t.ctx, DISPATCHER, { channels: channelsFromConfig(t.ctx.config, ENV, t.ctx.configPath) });
    const app = await buildServer(t.ctx, { inbound: inboundSecrets(t.ctx.config, ENV) });
    return { app, items: [a.id, b.id] as const };
  }

  const status = async (id: string) => (await t.ctx.store.db.selectFrom('remediation_items').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  const jiraBody = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '10001', key: 'SEC-1', fields: { status: { name: 'Done', statusCategory: { key: 'done' } } } } });

  it('a signed Jira webhook moves the item to resolved as system:jira', async () => {
    const { app, items } = await setUp(true);
    const res = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/jira`, payload: jiraBody, headers: { 'content-type': 'application/json', 'x-hub-signature': sign(jiraBody) } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ results: [{ system: 'jira', ticket: 'SEC-1', item: items[0], status: 'Done', from: 'open', to: 'resolved', applied: true }] });
    expect(await status(items[0])).toBe('resolved');
    const last = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_id', '=', items[0]).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(last).toEqual({ actor: 'system:jira', action: 'remediation.moved.resolved' });
    await app.close();
  });

  it('refuses a wrong, empty or missing signature and a body altered after signing with 401, and changes nothing', async () => {
    const { app, items } = await setUp(true);
    const audit = async () => (await t.ctx.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = await audit();
    const altered = jiraBody.replace('"Done"', '"Done "');
    for (const headers of [{}, { 'x-hub-signature': sign(jiraBody, 'wrong') }, { 'x-hub-signature': 'sha256=' }, { 'x-hub-signature': sign(jiraBody) }]) {
      const payload = 'x-hub-signature' in headers && headers['x-hub-signature'] === sign(jiraBody) ? altered : jiraBody;
      const res = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/jira`, payload, headers: { 'content-type': 'application/json', ...headers } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'CL_UNAUTHENTICATED' });
      expect(res.body).not.toContain(ENV.JIRA_HOOK);
    }
    expect(await status(items[0])).toBe('open');
    expect(await audit()).toEqual(before);
    await app.close();
  });

  it('takes a ServiceNow state with the shared secret header, and refuses it without', async () => {
    const { app, items } = await setUp(true);
    const sysId = sn.records.values().next().value?.sys_id ?? '';
    const payload = JSON.stringify({ sys_id: sysId, number: 'INC0000001', state: '6' });
    const bad = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/servicenow`, payload, headers: { 'content-type': 'application/json', 'x-closeloop-secret': 'sn-hook-secreT' } });
    expect(bad.statusCode).toBe(401);
    expect(await status(items[1])).toBe('open');
    const ok = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/servicenow`, payload, headers: { 'content-type': 'application/json', 'x-closeloop-secret': ENV.SN_HOOK } });
    expect(ok.statusCode).toBe(200);
    expect(await status(items[1])).toBe('resolved');
    const invalid = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/servicenow`, payload: '{"number":1}', headers: { 'content-type': 'application/json', 'x-closeloop-secret': ENV.SN_HOOK } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'CL_BAD_INPUT' });
    await app.close();
  });

  it('an endpoint whose secret is not configured refuses every request', async () => {
    const { app, items } = await setUp(false);
    const res = await app.inject({ method: 'POST', url: `${API_PREFIX}/inbound/jira`, payload: jiraBody, headers: { 'content-type': 'application/json', 'x-hub-signature': sign(jiraBody) } });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ message: string }>().message).toContain('delivery.jira.webhook_secret');
    expect(await status(items[0])).toBe('open');
    await app.close();
  });
});
