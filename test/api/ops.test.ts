/**
 * Operations over HTTP that the server also runs by itself: POST /timers/run, POST
 * /channels/{role}/test and POST /tickets/sync — each the CLI's use case, with its role check.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('operations over HTTP (%s)', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { label: 'ops' });
  });
  afterAll(async () => api.close());

  it('fires the timers that are due: an unacknowledged report-out is reminded once, and a second run fires nothing', async () => {
    const inc = (await api.ok<{ id: string }>('lead', 'POST', '/incidents', { title: 'Phishing foothold', severity: 'high', assets: ['mail-1'] }, 201)).id;
    await api.ok('lead', 'POST', `/incidents/${inc}/move`, { state: 'triage' });
    await api.ok('lead', 'POST', `/incidents/${inc}/move`, { state: 'eradication' });
    await api.ok('lead', 'POST', `/incidents/${inc}/weaknesses`, { type: 'operational', relation: 'enabled', assets: ['mail-1'], notes: 'no phishing training', action: 'train staff' }, 201);
    await api.ok('lead', 'POST', `/incidents/${inc}/reportout/send`);
    await api.ok('lead', 'POST', '/delivery/run');
    api.tc.clock.advance({ days: 3 });
    const first = await api.ok<{ reminders: number; incidents: number }>('lead', 'POST', '/timers/run');
    expect(first.incidents).toBe(1);
    expect(first.reminders).toBeGreaterThan(0);
    const second = await api.ok<{ reminders: number; incidents: number }>('lead', 'POST', '/timers/run');
    expect(second).toMatchObject({ reminders: 0, incidents: 0 });
  });

  it("sends a test message over a role's routes and says what each answered", async () => {
    const r = await api.ok<{ role: string; results: { channel: string; ok: boolean; message: string }[] }>('lead', 'POST', '/channels/service_owner/test');
    expect(r.role).toBe('service_owner');
    expect(r.results.length).toBeGreaterThan(0);
    expect(r.results.every((x) => x.ok && x.channel === 'file')).toBe(true);
    const box = path.join(api.tc.dir, 'outbox', 'service_owner');
    expect(readdirSync(box).length).toBeGreaterThan(0);
    const unknown = await api.request('lead', 'POST', '/channels/nobody_role/test');
    expect(unknown.statusCode).toBe(404);
  });

  it('reads ticket statuses back: none open here', async () => {
    expect(await api.ok('vm', 'POST', '/tickets/sync')).toEqual({ results: [] });
  });

  it('refuses each to a role that may not', async () => {
    for (const [url, as] of [['/timers/run', 'auditor'], ['/channels/service_owner/test', 'auditor'], ['/tickets/sync', 'auditor']] as const) {
      const res = await api.request(as, 'POST', url);
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toMatchObject({ code: 'CL_FORBIDDEN' });
    }
  });
});
