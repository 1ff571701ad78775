/**
 * The control card over HTTP on both engines: the recorded card in force as JSON, rendered as
 * Markdown and HTML on request, an earlier version, the history, an unknown version 404, and the
 * version stamped on an incident as the incident routes show it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('GET /control-card on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { config: { control_card: { objective: 'Report <b>every</b> incident' } } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers the card in force as recorded, and rendered as Markdown or HTML when asked', async () => {
    const json = await api.request('so', 'GET', '/control-card');
    expect(json.statusCode).toBe(200);
    const body = json.json<{ version: number; in_force: boolean; card: { objective: string; owner_role: string }; digest: string; format: string; rendered: string | null }>();
    expect(body).toMatchObject({ version: 1, in_force: true, card: { objective: 'Report <b>every</b> incident', owner_role: 'ir_lead' }, format: 'json', rendered: null });
    expect(body.digest).toMatch(/^[0-9a-f]{64}$/);

    const md = (await api.request('auditor', 'GET', '/control-card?format=md')).json<{ rendered: string }>().rendered;
    expect(md).toContain('# Control card IR-6(2), version 1');
    expect(md).toContain('Report \\<b\\>every\\</b\\> incident');
    const html = (await api.request('auditor', 'GET', '/control-card?format=html&version=1')).json<{ rendered: string }>().rendered;
    expect(html).toContain('<p>Report &lt;b&gt;every&lt;/b&gt; incident</p>');
    expect(html).not.toContain('<b>');

    const missing = await api.request('auditor', 'GET', '/control-card?version=4');
    expect(missing.statusCode).toBe(404);
    expect((await api.request('auditor', 'GET', '/control-card?format=pdf')).statusCode).toBe(400);
    expect((await api.request(null, 'GET', '/control-card')).statusCode).toBe(401);
  });

  it('lists the history, and shows the version on the incident it was opened under', async () => {
    const opened = await api.request('lead', 'POST', '/incidents', { title: 'Stolen laptop', severity: 'moderate' });
    expect(opened.statusCode).toBe(201);
    const inc = opened.json<{ id: string; control_card_version: number | null }>();
    expect(inc.control_card_version).toBe(1);
    const shown = (await api.request('so', 'GET', `/incidents/${inc.id}`)).json<{ incident: { control_card_version: number | null } }>();
    expect(shown.incident.control_card_version).toBe(1);
    const history = (await api.request('auditor', 'GET', '/control-card/history')).json<{ versions: { version: number; in_force: boolean }[] }>();
    expect(history.versions.map((v) => [v.version, v.in_force])).toEqual([[1, true]]);
  });
});
