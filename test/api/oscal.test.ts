/**
 * GET /api/v1/oscal/poam on both engines: the OSCAL 1.1.3 POA&M (valid against NIST's schema), the
 * FedRAMP-style CSV with `format=csv` (text/csv, as an attachment), refused without the role or
 * with an unknown format, and audited as the caller's export.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POAM_CSV_COLUMNS } from '../../src/app/oscal/poam-csv.js';
import { ENGINES } from '../helpers/context.js';
import { oscalErrors, oscalValidator } from '../helpers/oscal-schema.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('GET /oscal/poam on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine);
    const inc = await api.ok<{ id: string }>('lead', 'POST', '/incidents', { title: 'Web shell', severity: 'moderate', assets: ['web-1'] }, 201);
    await api.ok('lead', 'POST', `/incidents/${inc.id}/move`, { state: 'triage' });
    await api.ok('lead', 'POST', `/incidents/${inc.id}/move`, { state: 'eradication' });
    const wk = await api.ok<{ id: string }>('lead', 'POST', `/incidents/${inc.id}/weaknesses`, { type: 'technical', relation: 'enabled', assets: ['web-1'], notes: 'upload handler', action: 'patch' }, 201);
    const risk = await api.ok<{ id: string }>('vm', 'POST', `/weaknesses/${wk.id}/risk-acceptances`, { rationale: 'fix in Q1', controls: 'WAF rule', review_by: '2027-03-01' }, 201);
    await api.ok('approver', 'POST', `/risk-acceptances/${risk.id}/approve`);
  });
  afterAll(async () => api.close());

  it('answers the OSCAL POA&M, valid against the NIST schema', async () => {
    const before = await api.auditCount();
    const res = await api.request('auditor', 'GET', '/oscal/poam');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const validate = oscalValidator('oscal_poam_schema.json');
    const doc: unknown = res.json();
    expect(validate(doc), oscalErrors(validate)).toBe(true);
    expect(res.body).toContain('"deviation-approved"');
    expect(await api.auditCount()).toBe(before + 1);
  });

  it('answers the CSV with format=csv', async () => {
    const res = await api.request('grc', 'GET', '/oscal/poam?format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="poam.csv"');
    const rows: Record<string, string>[] = parse(res.body, { columns: true });
    expect(Object.keys(rows[0] ?? {})).toEqual([...POAM_CSV_COLUMNS]);
    expect(rows.map((r) => [r['POAM ID'], r['Operational Requirement']])).toEqual([['WK-0001', 'Yes']]);
  });

  it('refuses a caller without the role and an unknown format', async () => {
    await api.fail('lead', 'GET', '/oscal/poam', undefined, 403, 'CL_FORBIDDEN');
    await api.fail('grc', 'GET', '/oscal/poam?format=xml', undefined, 400, 'CL_BAD_INPUT');
  });

  it('documents both media types', async () => {
    const doc = (await api.request(null, 'GET', '/openapi.json')).json<{ paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }> }>();
    expect(Object.keys(doc.paths['/api/v1/oscal/poam']?.get?.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
  });
});
