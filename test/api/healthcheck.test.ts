/**
 * The health-check routes on both engines: a closed non-incident, a check run over HTTP, list,
 * show, a note, the worksheet and the OSCAL document, every 2xx body validated against the
 * OpenAPI document; roles and unknown ids refused with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../src/api/openapi.js';
import { HEALTHCHECK_ROUTES } from '../../src/api/routes-healthcheck.js';
import { ENGINES } from '../helpers/context.js';
import { Documented } from './documented.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('health-check routes on %s', (engine) => {
  let api: Api;
  let doc: Documented;
  beforeAll(async () => {
    api = await makeApi(engine);
    doc = new Documented((await api.request(null, 'GET', '/openapi.json')).json<OpenApiDocument>());
  });
  afterAll(async () => api.close());

  it('runs, lists, shows, notes and exports a check, each body as documented', async () => {
    const call = <T>(as: string, method: 'GET' | 'POST', url: string, body?: unknown, status = 200) => doc.call<T>(api, as, method, url, body, status);
    const inc = await call<{ id: string }>('lead', 'POST', '/incidents', { title: 'Phish', severity: 'low' }, 201);
    await call('lead', 'POST', `/incidents/${inc.id}/close`, { non_incident: true, rationale: 'blocked at the gateway' });
    const day = api.tc.ctx.now().toISOString().slice(0, 10);

    await api.fail('lead', 'POST', '/health-checks', { from: day, to: day, sample: 3, seed: 's' }, 403, 'CL_FORBIDDEN');
    await api.fail('grc', 'POST', '/health-checks', { from: day, to: '2020-01-01', sample: 3, seed: 's' }, 400, 'CL_BAD_INPUT');
    const before = await api.auditCount();
    const hc = await call<{ id: string; sampled: number; findings: unknown[] }>('grc', 'POST', '/health-checks', { from: day, to: day, sample: 3, seed: 's', stratify: 'severity' }, 201);
    expect(hc).toMatchObject({ id: 'HC-0001', sampled: 1 });
    expect(await api.auditCount()).toBeGreaterThan(before);

    const list = await call<{ checks: { id: string; findings: number }[] }>('lead', 'GET', '/health-checks');
    expect(list.checks.map((c) => [c.id, c.findings])).toEqual([['HC-0001', hc.findings.length]]);
    await call('auditor', 'GET', '/health-checks/HC-0001');
    const note = await call<{ id: string }>('auditor', 'POST', '/health-checks/HC-0001/notes', { incident: inc.id, text: 'checked the gateway log' }, 201);
    expect(note.id).toBe('HN-0001');
    const ws = await call<{ file_name: string; csv: string }>('grc', 'GET', '/health-checks/HC-0001/worksheet');
    expect(ws.file_name).toBe('HC-0001-worksheet.csv');
    expect(ws.csv).toContain('checked the gateway log');
    const ar = await call<{ document: { 'assessment-results': { uuid: string } } }>('auditor', 'GET', '/health-checks/HC-0001/oscal');
    expect(ar.document['assessment-results'].uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const count = await api.auditCount();
    await api.fail('auditor', 'GET', '/health-checks/HC-0404', undefined, 404, 'CL_NOT_FOUND');
    await api.fail('auditor', 'POST', '/health-checks/HC-0001/notes', { incident: 'INC-2020-0001', text: 'x' }, 404, 'CL_NOT_FOUND');
    await api.fail('vm', 'GET', '/health-checks/HC-0001/oscal', undefined, 403, 'CL_FORBIDDEN');
    expect(await api.auditCount()).toBe(count);
    expect(HEALTHCHECK_ROUTES.map((r) => r.operationId).filter((op) => !doc.seen.has(op))).toEqual([]);
  });
});
