/**
 * Every route documents its response body, and the documents tell the truth: a whole workflow runs
 * over HTTP on both engines (incident, report-out, delivery, acknowledgments, follow-through,
 * closing, deliveries, findings after an import, assets) and every 2xx body is validated with ajv
 * against the schema the OpenAPI document gives for its operation and status.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonSchema, OpenApiDocument } from '../../src/api/openapi.js';
import { ROUTES } from '../../src/api/routes.js';
import { VR_ROUTES } from '../../src/api/routes-vr.js';
import { HEALTHCHECK_ROUTES } from '../../src/api/routes-healthcheck.js';
import { importFile } from '../../src/app/importer.js';
import { ENGINES } from '../helpers/context.js';
import { Documented } from './documented.js';
import { makeApi, type Api } from './harness.js';

const ROLE_HOLDERS: Record<string, string> = {
  ir_lead: 'lead',
  vuln_mgmt_owner: 'vm',
  service_owner: 'so',
  eng_ops_lead: 'ops',
  grc_contact: 'grc',
  third_party_manager: 'tpm',
  contract_owner: 'co',
};

/** The routes test/api/vr.test.ts drives (they need uploads and jobs), and test/api/healthcheck.test.ts. */
// signed checkpoints need a signing key: test/api/audit-checkpoints.test.ts drives them;
// incidentEvidence answers a zip, not JSON: test/api/evidence.test.ts drives it
const DRIVEN_ELSEWHERE = new Set([...[...VR_ROUTES, ...HEALTHCHECK_ROUTES].map((r) => r.operationId), 'incidentEvidence', 'createAuditCheckpoint', 'listAuditCheckpoints']);

it('every route of the table names its response schema', () => {
  const missing = ROUTES.filter((r) => r.response === null).map((r) => r.operationId);
  expect(missing).toEqual([]);
});

describe.each(ENGINES)('documented responses on %s', (engine) => {
  let api: Api;
  let doc: Documented;
  beforeAll(async () => {
    api = await makeApi(engine);
    const res = await api.request(null, 'GET', '/openapi.json');
    doc = new Documented(res.json<OpenApiDocument>());
  });
  afterAll(async () => {
    await api.close();
  });

  it('a whole workflow answers bodies that match the document', async () => {
    type Inc = { id: string };
    const call = <T>(as: string, method: 'GET' | 'POST', url: string, body?: unknown, status = 200) => doc.call<T>(api, as, method, url, body, status);

    const inc = await call<Inc>('lead', 'POST', '/incidents', { title: 'Web shell', severity: 'high', assets: ['web-1', 'web-2'], service: 'shop', ir_lead: 'lead' }, 201);
    const id = inc.id;
    await call('auditor', 'GET', '/incidents?state=reported&limit=1');
    await call('lead', 'POST', `/incidents/${id}/move`, { state: 'triage' });
    await call('lead', 'POST', `/incidents/${id}/move`, { state: 'eradication' });
    await call('lead', 'GET', `/incidents/${id}`);
    const tech = await call<{ id: string }>('lead', 'POST', `/incidents/${id}/weaknesses`, {
      type: 'technical', relation: 'enabled', assets: ['web-1'], vulnerabilities: ['CVE-2025-0001'], notes: 'upload handler', action: 'patch',
    }, 201);
    const vendor = await call<{ id: string }>('lead', 'POST', `/incidents/${id}/weaknesses`, {
      type: 'third_party', relation: 'worsened_impact', assets: ['web-2'], vendor: 'Acme CDN', notes: 'served the shell', action: 'purge SLA',
    }, 201);
    await call('lead', 'GET', `/incidents/${id}/gate`);
    const sent = await call<{ notifications: { id: string }[] }>('lead', 'POST', `/incidents/${id}/reportout/send`);
    await call('lead', 'POST', '/delivery/run');
    const page = await call<{ deliveries: { id: string }[]; next: string | null }>('auditor', 'GET', `/deliveries?incident=${id}&limit=3`);
    expect(page.next).not.toBeNull();
    await call('auditor', 'GET', `/deliveries/${sent.notifications[0]?.id ?? ''}`);
    for (const [role, person] of Object.entries(ROLE_HOLDERS)) await call(person, 'POST', `/incidents/${id}/acks`, { role, comment: `received by ${person}` }, 201);
    const item = await call<{ id: string }>('vm', 'POST', `/weaknesses/${tech.id}/remediation`, { owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'patched' }, 201);
    await call('so', 'POST', `/remediation/${item.id}/move`, { state: 'in_progress' });
    const risk = await call<{ id: string }>('vm', 'POST', `/weaknesses/${vendor.id}/risk-acceptances`, { rationale: 'fix in Q1', controls: 'WAF rule', review_by: '2027-03-01' }, 201);
    await call('approver', 'POST', `/risk-acceptances/${risk.id}/approve`);
    const second = await call<{ id: string }>('lead', 'POST', `/weaknesses/${tech.id}/risk-acceptances`, { rationale: 'busy', controls: 'none', review_by: '2027-01-15' }, 201);
    await call('approver', 'POST', `/risk-acceptances/${second.id}/reject`, { reason: 'no control' });
    await call('grc', 'GET', '/oscal/poam');
    const notice = await call<{ id: string }>('tpm', 'POST', `/weaknesses/${vendor.id}/vendor-notices`, { channel: 'portal', tracking_item: 'VEND-42' }, 201);
    await call('tpm', 'POST', `/vendor-notices/${notice.id}/chase`);
    await call('co', 'POST', `/vendor-notices/${notice.id}/response`, { text: 'RCA attached' });
    await call('lead', 'POST', `/incidents/${id}/move`, { state: 'recovery' });
    await call('lead', 'POST', `/incidents/${id}/move`, { state: 'post_incident' });
    const view = await call<{ notifications: { event: unknown }[]; risk_acceptances: unknown[]; remediation: { history: unknown[] }[] }>('auditor', 'GET', `/incidents/${id}`);
    // the incident view presents its messages as the outbox routes do: event and proof as JSON
    expect(view.notifications.every((n) => typeof n.event === 'object')).toBe(true);
    expect(view.remediation[0]?.history).toHaveLength(2);
    const closed = await call<{ incident: { state: string } }>('lead', 'POST', `/incidents/${id}/close`, {});
    expect(closed.incident.state).toBe('closed');
    await call('auditor', 'GET', `/incidents/${id}`);
    await call('grc', 'POST', `/incidents/${id}/reopen`, { reason: 'second host found' });

    const other = await call<Inc>('lead', 'POST', '/incidents', { title: 'Phish', severity: 'low' }, 201);
    await call('lead', 'POST', `/incidents/${other.id}/reportout/none`, { rationale: 'nothing clicked' });
    await call('lead', 'POST', `/incidents/${other.id}/move`, { state: 'triage' });
    await call('lead', 'POST', `/incidents/${other.id}/close`, { non_incident: true, rationale: 'pen test' });

    // a dead-lettered message put back in the queue
    const dead = sent.notifications[1]?.id ?? '';
    await api.tc.ctx.store.db.updateTable('notifications').set({ status: 'failed', last_error: 'refused' }).where('id', '=', dead).execute();
    const retried = await call<{ status: string }>('lead', 'POST', `/deliveries/${dead}/retry`);
    expect(retried.status).toBe('queued');
    await call('auditor', 'GET', '/audit/verify');

    // findings after an import, a verdict, and a provisional asset merged into the inventory
    const write = (name: string, body: unknown) => {
      const file = path.join(api.tc.dir, name);
      writeFileSync(file, JSON.stringify(body));
      return file;
    };
    const vm = { actor: 'vm' };
    await importFile(api.tc.ctx, vm, { kind: 'assets', file: write('assets.json', [{ id: 'web-01', owner: 'web', exposure: 'internet' }]) });
    await importFile(api.tc.ctx, vm, { kind: 'vulnerabilities', file: write('vulns.json', [{ id: 'CVE-2099-0001', kev: { dateAdded: '2026-01-01' } }]) });
    await importFile(api.tc.ctx, vm, {
      kind: 'findings',
      file: write('findings.json', [{ id: 'F-1', vulnerability: 'CVE-2099-0001', asset: 'web-01' }, { id: 'F-2', vulnerability: 'CVE-2099-0001', asset: 'stray-host' }]),
      triage: true,
    });
    await call('so', 'GET', '/findings/F-1');
    await call('lead', 'POST', '/findings/F-1/verdict', { validation: 'validated', reachability: 'reachable', note: 'confirmed' }, 201);
    await call('so', 'GET', '/findings/F-1');
    await call('vm', 'POST', '/findings/F-2/verdict', { reachability: 'unreachable', note: 'lab only' }, 201);
    await call('vm', 'GET', '/assets');
    const unmatched = await call<{ assets: { id: string }[] }>('vm', 'GET', '/assets?unmatched=true');
    const provisional = unmatched.assets[0]?.id ?? '';
    expect(provisional).not.toBe('');
    await call('vm', 'POST', `/assets/${encodeURIComponent(provisional)}/merge`, { into: 'web-01' });

    // the views the web application reads
    await call('so', 'GET', '/me/work');
    await call('approver', 'GET', '/me/work');
    await call('auditor', 'GET', '/remediation');
    await call('approver', 'GET', '/risk-acceptances');
    await call('tpm', 'GET', '/vendor-notices');
    await call('auditor', 'GET', '/audit/events?limit=20');
    await call('auditor', 'GET', `/incidents/${id}/timeline`);
    await call('grc', 'GET', '/metrics');
    await call('admin', 'GET', '/settings');
    await call('so', 'GET', '/control-card?format=html');
    await call('auditor', 'GET', '/control-card/history');
    // operations the server also runs by itself
    await call('lead', 'POST', '/timers/run');
    await call('lead', 'POST', '/channels/service_owner/test');
    await call('vm', 'POST', '/tickets/sync');
    // people and tokens
    await call('auditor', 'GET', '/people');
    await call('admin', 'POST', '/people', { name: 'newcomer', roles: ['responder'] }, 201);
    await call('admin', 'POST', '/people/newcomer/roles', { roles: ['responder', 'service_owner'] });
    const token = await call<{ id: string }>('admin', 'POST', '/tokens', { actor: 'newcomer', label: 'script', expires: '30d' }, 201);
    await call('admin', 'GET', '/tokens?actor=newcomer');
    await call('admin', 'POST', `/tokens/${token.id}/revoke`);
    const link = await call<{ url: string }>('admin', 'POST', '/people/newcomer/password-link', {}, 201);
    expect(link.url).toMatch(/\/set-password\?token=[A-Za-z0-9_-]{20,}$/);
    expect((await api.request('auditor', 'POST', '/people/newcomer/password-link')).statusCode).toBe(403);
    // the link sets the password, once
    const linkToken = new URL(link.url).searchParams.get('token') ?? '';
    expect((await api.request(null, 'POST', `/password-links/${linkToken}`, { password: 'correct horse battery' })).statusCode).toBe(204);
    expect((await api.request(null, 'POST', `/password-links/${linkToken}`, { password: 'correct horse battery' })).statusCode).not.toBe(204);
    await call('admin', 'POST', '/people/newcomer/remove');

    const untested = ROUTES.map((r) => r.operationId).filter((op) => !doc.seen.has(op) && !DRIVEN_ELSEWHERE.has(op));
    expect(untested).toEqual([]);
  });

  it('a schema that lies fails: a field left out, a null where the schema says string, a word outside an enum', async () => {
    const inc = await doc.call<Record<string, unknown>>(api, 'lead', 'POST', '/incidents', { title: 'Lie detector', severity: 'low' }, 201);
    const schema = doc.doc.paths['/api/v1/incidents']?.post?.responses['201'];
    const documented = schema !== undefined && !('$ref' in schema) ? (schema.content?.['application/json']?.schema as JsonSchema) : undefined;
    expect(documented).toBeDefined();
    const ajv = new Ajv2020({ strict: false });
    const props = { ...(documented?.properties ?? {}) };
    delete props.closed_at;
    expect(ajv.validate({ ...documented, properties: props }, inc), 'closed_at undocumented').toBe(false);
    expect(ajv.validate({ ...documented, properties: { ...props, closed_at: { type: 'string' } } }, inc), 'closed_at not nullable').toBe(false);
    expect(ajv.validate({ ...documented, properties: { ...props, closed_at: { type: ['string', 'null'] }, state: { enum: ['triage'] } } }, inc), 'state enum').toBe(false);
    expect(ajv.validate({ ...documented, properties: { ...props, closed_at: { type: ['string', 'null'] } } }, inc), 'the honest schema').toBe(true);
  });
});
