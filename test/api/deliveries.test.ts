/**
 * The outbox, acknowledgments and their evidence over HTTP: GET /deliveries, GET /deliveries/{id},
 * POST /deliveries/{id}/retry, an acknowledgment through the API recorded as such, the delivery
 * evidence of GET /incidents/{id}, and the public page an acknowledgment link opens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackLink } from '../../src/app/ack-links.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import type { Channel } from '../../src/delivery/channel.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

interface Page { deliveries: { id: string; status: string; role: string; incident_id: string | null }[]; next: string | null }

describe.each(ENGINES)('deliveries and acknowledgments over HTTP (%s)', (engine) => {
  let api: Api;
  let incident: string;
  beforeAll(async () => {
    api = await makeApi(engine, { config: { server: { public_url: 'http://127.0.0.1:8080', ack_key: 'env:ACK_KEY' } } });
    api.tc.ctx.ackKey = 'api-test-key';
    incident = (await api.ok<{ id: string }>('lead', 'POST', '/incidents', { title: 'Exposed admin panel', severity: 'moderate', assets: ['web-1'] }, 201)).id;
    await api.ok('lead', 'POST', `/incidents/${incident}/move`, { state: 'triage' });
    await api.ok('lead', 'POST', `/incidents/${incident}/move`, { state: 'eradication' });
    await api.ok('lead', 'POST', `/incidents/${incident}/weaknesses`, { type: 'configuration', relation: 'enabled', assets: ['web-1'], notes: 'admin panel on the internet', action: 'restrict to VPN' }, 201);
    await api.ok('lead', 'POST', `/incidents/${incident}/reportout/send`);
    // grc_contact's receiver is down; everyone else's takes the message
    const channels: Record<string, Channel> = {
      file: {
        async deliver({ notification: n }) {
          if (n.role === 'grc_contact') throw new Error('mailbox unknown');
          return { messageId: `<${n.id}@example.org>`, status: 250, response: '250 OK' };
        },
      },
    };
    await runDelivery(api.tc.ctx, DISPATCHER, { channels });
    api.tc.clock.advance({ days: 2 });
  });
  afterAll(async () => api.close());

  it('lists, shows and retries deliveries, for the roles allowed', async () => {
    const all = await api.ok<Page>('auditor', 'GET', `/deliveries?incident=${incident}`);
    expect(all.deliveries.length).toBe(5);
    expect(all.deliveries.filter((d) => d.status === 'delivered').length).toBe(4);
    const queued = await api.ok<Page>('lead', 'GET', '/deliveries?state=queued');
    expect(queued.deliveries.map((d) => d.role)).toEqual(['grc_contact']);
    const id = queued.deliveries[0]?.id ?? '';
    const shown = await api.ok<{ delivery: { id: string; last_error: string }; attempts: { attempt: number; outcome: string; channel: string }[] }>('lead', 'GET', `/deliveries/${id}`);
    expect(shown).toMatchObject({ delivery: { id, last_error: 'mailbox unknown' }, attempts: [{ attempt: 1, outcome: 'error', channel: 'file' }] });
    await api.fail('lead', 'POST', `/deliveries/${id}/retry`, {}, 409, 'CL_RULE_REFUSED');
    await api.fail('auditor', 'POST', `/deliveries/${id}/retry`, {}, 403, 'CL_FORBIDDEN');
    await api.fail('lead', 'GET', '/deliveries?state=lost', undefined, 400, 'CL_BAD_INPUT');
    await api.fail('lead', 'GET', '/deliveries/NT-9999', undefined, 404, 'CL_NOT_FOUND');
  });

  it('records an acknowledgment through the API as via api, and shows the evidence per role', async () => {
    await api.ok('so', 'POST', `/incidents/${incident}/acks`, { role: 'service_owner' }, 201);
    const v = await api.ok<{ evidence: { role: string; messages: { status: string; message_id: string | null; proof: unknown; attempts: number }[]; acknowledgment: { actor: string; via: string } | null }[] }>('auditor', 'GET', `/incidents/${incident}`);
    const so = v.evidence.find((e) => e.role === 'service_owner');
    expect(so).toMatchObject({ acknowledgment: { actor: 'so', via: 'api' }, messages: [{ status: 'delivered', attempts: 1, proof: { status: 250, response: '250 OK' }, message_id: expect.stringMatching(/^<NT-\d+@example\.org>$/) }] });
    expect(v.evidence.find((e) => e.role === 'grc_contact')).toMatchObject({ acknowledgment: null, messages: [{ status: 'queued', attempts: 1 }] });
  });

  it('opens the link page without credentials, acknowledges on the click, and refuses a used or forged link with a page that says so', async () => {
    const url = ackLink(api.tc.ctx, { incident, role: 'vuln_mgmt_owner', revision: 1 }) ?? '';
    const path = new URL(url).pathname;
    const page = await api.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('Exposed admin panel');
    expect(page.body).toContain('admin panel on the internet');
    expect(page.body).toContain('<form method="post"><button type="submit">Acknowledge</button></form>');

    const click = await api.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(click.statusCode).toBe(200);
    expect(click.body).toContain('Acknowledged:');
    expect(click.body).not.toContain('<form');
    const again = await api.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('already used');

    const forged = await api.app.inject({ method: 'GET', url: `${path.slice(0, -3)}AAA` });
    expect(forged.statusCode).toBe(404);
    expect(forged.body).toContain('not valid');
    expect(forged.body).not.toMatch(/at .*\.(js|ts):\d+/);
    const v = await api.ok<{ evidence: { role: string; acknowledgment: { actor: string; via: string } | null }[] }>('auditor', 'GET', `/incidents/${incident}`);
    expect(v.evidence.find((e) => e.role === 'vuln_mgmt_owner')?.acknowledgment).toMatchObject({ actor: 'link:vuln_mgmt_owner', via: 'link' });
  });

  it('escapes what it shows', async () => {
    const { renderAckPage } = await import('../../src/api/ack-page.js');
    const html = renderAckPage({ state: 'open', message: 'm', incident: { id: 'INC-1', title: '<script>alert(1)</script>', severity: 'low', state: 'triage' }, role: 'r', revision: 1, lines: [{ label: 'WK-1', text: '"a" & <b>' }] });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('&#34;a&#34; &#38; &#60;b&#62;');
  });
});
