/**
 * How the API says no, once per engine: 401 without a valid token, 403 for a role without the
 * permission, 400 naming the bad field with nothing written, 404 for unknown ids and routes, 409
 * for a refused close listing every missing gate item.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentOut, WeaknessOut } from '../../src/api/presenters.js';
import { buildServer } from '../../src/api/server.js';
import type { GateMissing } from '../../src/domain/gate.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const RECIPIENTS = ['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact'];

describe.each(ENGINES)('API errors on %s', (engine) => {
  let api: Api;
  let incident: string;
  let weakness: string;

  beforeAll(async () => {
    api = await makeApi(engine);
    incident = (await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Credential stuffing', severity: 'moderate', assets: ['sso-1'] }, 201)).id;
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${incident}/move`, { state: 'triage' });
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${incident}/move`, { state: 'eradication' });
    weakness = (await api.ok<WeaknessOut>('lead', 'POST', `/incidents/${incident}/weaknesses`, { type: 'identity_access', relation: 'enabled', assets: ['sso-1'], notes: 'no MFA on admin accounts', action: 'enforce MFA' }, 201)).id;
  });
  afterAll(async () => {
    await api.close();
  });

  describe('401 without a valid bearer token', () => {
    it('refuses a request without a token, with the error body and a WWW-Authenticate challenge', async () => {
      const res = await api.request(null, 'GET', '/incidents');
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toMatchObject({ code: 'CL_UNAUTHENTICATED' });
    });

    it.each([
      ['an unknown token', 'Bearer clt_not-a-real-token'],
      ['another scheme', 'Basic YWRtaW46YWRtaW4='],
      ['an empty bearer', 'Bearer '],
      ['two tokens', 'Bearer a b'],
    ])('refuses %s', async (_what, authorization) => {
      const res = await api.request(null, 'POST', '/incidents', { title: 'x', severity: 'low' }, { authorization });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'CL_UNAUTHENTICATED' });
    });

    it('refuses a revoked token', async () => {
      const token = api.tokens.lead ?? '';
      await api.tc.ctx.store.db.updateTable('api_tokens').set({ revoked_at: '2026-11-28T12:00:00.000Z' }).where('actor', '=', 'lead').execute();
      try {
        const res = await api.request(null, 'GET', '/incidents', undefined, { authorization: `Bearer ${token}` });
        expect(res.statusCode).toBe(401);
      } finally {
        await api.tc.ctx.store.db.updateTable('api_tokens').set({ revoked_at: null }).where('actor', '=', 'lead').execute();
      }
      expect((await api.request('lead', 'GET', '/incidents')).statusCode).toBe(200);
    });

    it('accepts the scheme in any case', async () => {
      const res = await api.request(null, 'GET', '/incidents', undefined, { authorization: `bearer ${api.tokens.auditor ?? ''}` });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('403 for a role without the permission', () => {
    it('an auditor may read but not open an incident', async () => {
      const before = await api.auditCount();
      const err = await api.fail('auditor', 'POST', '/incidents', { title: 'Looks bad', severity: 'high' }, 403, 'CL_FORBIDDEN');
      expect(err.message).toContain('auditor');
      expect(err.details).toMatchObject({ actor: 'auditor', action: 'incident.open' });
      expect(await api.auditCount()).toBe(before);
      await api.ok('auditor', 'GET', '/incidents');
    });

    it('a service owner may not move an incident, run delivery or verify the audit chain', async () => {
      await api.fail('so', 'POST', `/incidents/${incident}/move`, { state: 'recovery' }, 403, 'CL_FORBIDDEN');
      await api.fail('so', 'POST', '/delivery/run', undefined, 403, 'CL_FORBIDDEN');
      await api.fail('so', 'GET', '/audit/verify', undefined, 403, 'CL_FORBIDDEN');
    });

    it('nobody acknowledges for a role they do not hold', async () => {
      await api.fail('vm', 'POST', `/incidents/${incident}/acks`, { role: 'ir_lead' }, 403, 'CL_FORBIDDEN');
    });

    it('admin administers but does not approve risk', async () => {
      const risk = await api.ok<{ id: string }>('vm', 'POST', `/weaknesses/${weakness}/risk-acceptances`, { rationale: 'legacy IdP', controls: 'IP allow-list', review_by: '2027-01-31' }, 201);
      await api.fail('admin', 'POST', `/risk-acceptances/${risk.id}/approve`, undefined, 403, 'CL_FORBIDDEN');
      await api.fail('lead', 'POST', `/risk-acceptances/${risk.id}/reject`, { reason: 'no' }, 403, 'CL_FORBIDDEN');
    });
  });

  describe('400 naming the field, with nothing written', () => {
    const cases: { name: string; as: string; method: 'GET' | 'POST'; url: () => string; body?: unknown; field: string }[] = [
      { name: 'missing title', as: 'lead', method: 'POST', url: () => '/incidents', body: { severity: 'high' }, field: 'title' },
      { name: 'blank title', as: 'lead', method: 'POST', url: () => '/incidents', body: { title: '   ', severity: 'high' }, field: 'title' },
      // PostgreSQL cannot store U+0000 in text: refused on both engines, not a server error on one
      { name: 'a title with U+0000', as: 'lead', method: 'POST', url: () => '/incidents', body: { title: 'a\u0000b', severity: 'high' }, field: 'title' },
      { name: 'an ack comment with U+0000', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/acks`, body: { role: 'ir_lead', comment: 'ok\u0000' }, field: 'comment' },
      { name: 'title of the wrong type', as: 'lead', method: 'POST', url: () => '/incidents', body: { title: 42, severity: 'high' }, field: 'title' },
      { name: 'assets as a string, not a list', as: 'lead', method: 'POST', url: () => '/incidents', body: { title: 'x', severity: 'high', assets: 'web-1' }, field: 'assets' },
      { name: 'unknown severity', as: 'lead', method: 'POST', url: () => '/incidents', body: { title: 'x', severity: 'urgent' }, field: 'severity' },
      { name: 'unknown state', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/move`, body: { state: 'done' }, field: 'state' },
      { name: 'unknown state in the query', as: 'lead', method: 'GET', url: () => '/incidents?state=done', field: 'state' },
      { name: 'non_incident of the wrong type', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/close`, body: { non_incident: 'yes' }, field: 'non_incident' },
      { name: 'non-incident close without rationale', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/close`, body: { non_incident: true }, field: 'rationale' },
      { name: 'reopen without reason', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/reopen`, body: {}, field: 'reason' },
      { name: 'third_party weakness without vendor', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/weaknesses`, body: { type: 'third_party', relation: 'enabled', assets: ['a'], notes: 'n', action: 'a' }, field: 'vendor' },
      { name: 'weakness without assets', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/weaknesses`, body: { type: 'technical', relation: 'enabled', assets: [], notes: 'n', action: 'a' }, field: 'assets' },
      { name: 'malformed review date', as: 'vm', method: 'POST', url: () => `/weaknesses/${weakness}/risk-acceptances`, body: { rationale: 'r', controls: 'c', review_by: '01/03/2027' }, field: 'review_by' },
      { name: 'impossible review date', as: 'vm', method: 'POST', url: () => `/weaknesses/${weakness}/risk-acceptances`, body: { rationale: 'r', controls: 'c', review_by: '2027-02-30' }, field: 'review_by' },
      { name: 'malformed due date', as: 'vm', method: 'POST', url: () => `/weaknesses/${weakness}/remediation`, body: { owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'c', due: 'next week' }, field: 'due' },
      { name: 'unknown remediation state', as: 'vm', method: 'POST', url: () => '/remediation/RI-0001/move', body: { state: 'done' }, field: 'state' },
      { name: 'rejection without reason', as: 'approver', method: 'POST', url: () => '/risk-acceptances/RA-0001/reject', body: {}, field: 'reason' },
      { name: 'vendor notice without channel', as: 'tpm', method: 'POST', url: () => `/weaknesses/${weakness}/vendor-notices`, body: {}, field: 'channel' },
      { name: 'ack without role', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/acks`, body: { comment: 'ok' }, field: 'role' },
      { name: 'a misspelt field', as: 'lead', method: 'POST', url: () => `/incidents/${incident}/close`, body: { non_incidnet: true, rationale: 'r' }, field: 'non_incidnet' },
      { name: 'a JSON array body', as: 'lead', method: 'POST', url: () => '/incidents', body: [{ title: 'x', severity: 'low' }], field: '(body)' },
      { name: 'a body that is not JSON', as: 'lead', method: 'POST', url: () => '/incidents', body: '{"title": "x", ', field: '(body)' },
    ];

    it.each(cases)('$name → 400 on $field', async (c) => {
      const [audits, incidents] = [await api.auditCount(), await api.tc.ctx.store.db.selectFrom('incidents').selectAll().orderBy('id').execute()];
      const err = await api.fail(c.as, c.method, c.url(), c.body, 400, 'CL_BAD_INPUT');
      expect(err.details?.fields?.map((f) => f.field)).toContain(c.field);
      expect(err.message).toContain(c.field);
      expect(await api.auditCount()).toBe(audits);
      expect(await api.tc.ctx.store.db.selectFrom('incidents').selectAll().orderBy('id').execute()).toEqual(incidents);
    });

    it('treats an empty JSON body as no fields', async () => {
      const res = await api.request('lead', 'POST', `/incidents/${incident}/reportout/send`, '', { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(200);
    });

    it("maps Fastify's own schema validation errors to CL_BAD_INPUT naming the field", async () => {
      const app = await buildServer(api.tc.ctx);
      app.post('/api/v1/schema-checked', { config: { public: true }, schema: { body: { type: 'object', required: ['title'], properties: { title: { type: 'string' }, n: { type: 'integer' } } } } }, async () => ({ ok: true }));
      const missing = await app.inject({ method: 'POST', url: '/api/v1/schema-checked', payload: { n: 1 } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({ code: 'CL_BAD_INPUT', details: { fields: [{ field: 'title' }] } });
      const wrong = await app.inject({ method: 'POST', url: '/api/v1/schema-checked', payload: { title: 'x', n: 'one' } });
      expect(wrong.json()).toMatchObject({ code: 'CL_BAD_INPUT', details: { fields: [{ field: 'n' }] } });
      await app.close();
    });

    it('refuses a body in a media type it does not read', async () => {
      const res = await api.request('lead', 'POST', '/incidents', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ code: 'CL_BAD_INPUT' });
    });
  });

  describe('404', () => {
    it.each([
      ['GET', '/incidents/INC-2026-9999'],
      ['GET', '/incidents/INC-2026-9999/gate'],
      ['POST', '/incidents/INC-2026-9999/move', { state: 'triage' }],
      ['POST', '/incidents/INC-2026-9999/weaknesses', { type: 'technical', relation: 'enabled', assets: ['a'], notes: 'n', action: 'a' }],
      ['POST', '/weaknesses/WK-9999/remediation', { owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'c' }],
      ['POST', '/remediation/RI-9999/move', { state: 'resolved' }],
      ['POST', '/risk-acceptances/RA-9999/approve'],
      ['POST', '/vendor-notices/TP-9999/chase'],
    ] as const)('%s %s → CL_NOT_FOUND', async (method, url, body?: unknown) => {
      const as = url.startsWith('/risk-acceptances') ? 'approver' : url.startsWith('/vendor') ? 'tpm' : 'lead';
      const err = await api.fail(as, method, url, body, 404, 'CL_NOT_FOUND');
      expect(err.message).toMatch(/not found/);
    });

    it('answers 404 CL_NOT_FOUND for an unknown route, token or not', async () => {
      await api.fail('lead', 'GET', '/api/v1/nope', undefined, 404, 'CL_NOT_FOUND');
      await api.fail(null, 'GET', '/api/v2/incidents', undefined, 404, 'CL_NOT_FOUND');
    });

    it('answers 405 CL_METHOD_NOT_ALLOWED, with Allow, for a method a route does not answer', async () => {
      const err = await api.fail('lead', 'DELETE', '/incidents', undefined, 405, 'CL_METHOD_NOT_ALLOWED');
      expect(err.details).toMatchObject({ method: 'DELETE', allowed: ['GET', 'HEAD', 'POST'] });
      const res = await api.request(null, 'PUT', `/incidents/${incident}/move`);
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('409', () => {
    it('refuses a close and lists every missing gate item', async () => {
      const id = (await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Ransomware note on file share', severity: 'critical' }, 201)).id;
      for (const state of ['triage', 'eradication', 'recovery', 'post_incident']) await api.ok('lead', 'POST', `/incidents/${id}/move`, { state });
      const before = await api.auditCount();

      const err = await api.fail('lead', 'POST', `/incidents/${id}/close`, {}, 409, 'CL_GATE_REFUSED');
      const missing = err.details?.missing ?? [];
      expect(missing.map((m) => [m.item, m.subject])).toEqual([
        ['reportout_complete', null],
        ...RECIPIENTS.map((r) => ['roles_notified', r]),
        ...RECIPIENTS.map((r) => ['roles_acknowledged', r]),
      ]);
      for (const m of missing) expect(err.message).toContain(m.message);
      expect(await api.auditCount()).toBe(before);

      const gate = await api.ok<{ ready: boolean; missing: GateMissing[] }>('lead', 'GET', `/incidents/${id}/gate`);
      expect(gate.ready).toBe(false);
      expect(gate.missing).toEqual(missing);
      const view = await api.ok<{ incident: IncidentOut }>('lead', 'GET', `/incidents/${id}`);
      expect(view.incident.state).toBe('post_incident');
    });

    it('refuses a move the workflow does not allow, naming the allowed ones', async () => {
      const err = await api.fail('lead', 'POST', `/incidents/${incident}/move`, { state: 'closed' }, 409, 'CL_INVALID_TRANSITION');
      expect(err.details).toMatchObject({ from: 'eradication', to: 'closed', allowed: ['recovery'] });
    });

    it('refuses to reopen an open incident', async () => {
      await api.fail('lead', 'POST', `/incidents/${incident}/reopen`, { reason: 'why not' }, 409, 'CL_INVALID_TRANSITION');
    });
  });
});
