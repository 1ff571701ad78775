/**
 * The ServiceNow channel against a real HTTP server on 127.0.0.1 answering as the Table API does:
 * the record it creates (short description, description, assignment group, correlation id), the
 * correlation-id lookup before creating that makes a retry find the first attempt's record, the
 * Basic and bearer credentials, and the state read back for a sync.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/delivery/channel.js';
import { servicenowChannel, servicenowSettings, ServiceNowClient } from '../../src/delivery/channels/servicenow.js';
import { ticketTag } from '../../src/delivery/channels/ticket-http.js';
import { servicenowConfigSchema } from '../../src/config/tickets.js';
import { fakeServiceNow, message, type FakeServiceNow } from '../helpers/ticket-servers.js';

const BASIC = `Basic ${Buffer.from('closeloop:pw-1').toString('base64')}`;
const ENV = { SN_PASSWORD: 'pw-1', SN_TOKEN: 'bearer-1' };
const sn = message({ channel: 'servicenow', address: 'Network Ops', idempotency_key: 'ticket:RI-0001:servicenow:Network Ops' });

describe('the servicenow channel', () => {
  let server: FakeServiceNow;
  afterEach(async () => server.close());

  const basic = (table?: string) => servicenowSettings(servicenowConfigSchema.parse({ url: server.url, user: 'closeloop', password: 'env:SN_PASSWORD', ...(table ? { table } : {}) }), ENV);

  it('looks the correlation id up, then creates the record in the table with the group the route names', async () => {
    server = await fakeServiceNow(BASIC);
    const proof = await servicenowChannel(basic()).deliver({ notification: sn, event: null });
    const sysId = `${'a'.repeat(31)}1`;
    expect(proof.ticket).toEqual({ system: 'servicenow', key: 'INC0000001', id: sysId, url: `${server.url}/nav_to.do?uri=${encodeURIComponent(`incident.do?sys_id=${sysId}`)}` });
    expect(proof.messageId).toBe('INC0000001');
    expect(proof.status).toBe(201);
    const tag = ticketTag('ticket:RI-0001:servicenow:Network Ops');
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(new URL(server.requests[0]?.url ?? '', server.url).searchParams.get('sysparm_query')).toBe(`correlation_id=${tag}`);
    expect(server.requests[1]?.body).toEqual({
      short_description: sn.subject,
      description: sn.body,
      assignment_group: 'Network Ops',
      correlation_id: tag,
      correlation_display: 'closeloop',
    });
    for (const r of server.requests) expect(r.headers.authorization).toBe(BASIC);
  });

  it('a retry after a lost answer finds the record by correlation id and creates no second one', async () => {
    server = await fakeServiceNow(BASIC);
    const channel = servicenowChannel(basic());
    server.failNextCreate(503);
    await expect(channel.deliver({ notification: sn, event: null })).rejects.toBeInstanceOf(ChannelError);
    const proof = await channel.deliver({ notification: sn, event: null });
    expect(proof.response).toMatch(/^found INC0000001/);
    expect(server.records.size).toBe(1);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('uses a bearer token and a configured table, and reads the state back', async () => {
    server = await fakeServiceNow('Bearer bearer-1', 'sn_vul_vulnerable_item');
    const s = servicenowSettings(servicenowConfigSchema.parse({ url: server.url, token: 'env:SN_TOKEN', table: 'sn_vul_vulnerable_item' }), ENV);
    const proof = await servicenowChannel(s).deliver({ notification: sn, event: null });
    const id = proof.ticket?.id ?? '';
    server.setState(id, '6');
    expect(await new ServiceNowClient(s).status({ key: 'INC0000001', external_id: id })).toEqual({ name: '6' });
    expect(server.requests.at(-1)?.url).toContain(`/api/now/table/sn_vul_vulnerable_item/${id}`);
  });

  it('cuts a description over the field length, saying so', async () => {
    server = await fakeServiceNow(BASIC);
    await servicenowChannel(basic()).deliver({ notification: { ...sn, body: 'x'.repeat(10_000) }, event: null });
    const description = server.records.values().next().value?.description ?? '';
    expect(description).toHaveLength(4000);
    expect(description).toMatch(/… \(cut to fit; the full text is in closeloop\)$/);
  });

  it('a refused record (400) goes to the dead letter, not back to the queue', async () => {
    server = await fakeServiceNow(BASIC);
    server.failNextCreate(400, false);
    await expect(servicenowChannel(basic()).deliver({ notification: sn, event: null })).rejects.toMatchObject({ retryable: false, status: 400 });
  });

});

describe('delivery.servicenow', () => {
  it('refuses a configuration with neither or both credentials, and a literal password', () => {
    expect(servicenowConfigSchema.safeParse({ url: 'https://x.service-now.com' }).success).toBe(false);
    expect(servicenowConfigSchema.safeParse({ url: 'https://x.service-now.com', user: 'u', password: 'env:P', token: 'env:T' }).success).toBe(false);
    const literal = servicenowConfigSchema.safeParse({ url: 'https://x.service-now.com', user: 'u', password: 'hunter2' });
    expect(literal.success).toBe(false);
    expect(JSON.stringify(literal.error?.issues)).not.toContain('hunter2');
  });
});
