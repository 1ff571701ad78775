import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('finding verdicts over HTTP on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine);
    const write = (name: string, body: unknown) => {
      const file = path.join(api.tc.dir, name);
      writeFileSync(file, JSON.stringify(body));
      return file;
    };
    const vm = { actor: 'vm' };
    await importFile(api.tc.ctx, vm, { kind: 'assets', file: write('assets.json', [{ id: 'web-01', owner: 'web', exposure: 'internet' }]) });
    await importFile(api.tc.ctx, vm, { kind: 'vulnerabilities', file: write('vulns.json', [{ id: 'CVE-2099-0001', kev: { dateAdded: '2026-01-01' } }]) });
    await importFile(api.tc.ctx, vm, { kind: 'findings', file: write('findings.json', [{ id: 'F-1', vulnerability: 'CVE-2099-0001', asset: 'web-01' }]), triage: true });
  });
  afterAll(async () => {
    await api.close();
  });

  it('POST /findings/{id}/verdict records the verdict and answers the new decision; GET /findings/{id} shows it', async () => {
    const r = await api.ok<{ id: string; actor: string; ruled_out_by: string | null; decision: { outcome: string; stay_reasons: string[]; flags: string[] } }>(
      'vm', 'POST', '/findings/F-1/verdict', { reachability: 'unreachable', note: 'behind the VPN only' }, 201,
    );
    expect(r).toMatchObject({ id: 'FV-0001', actor: 'vm', ruled_out_by: null, decision: { outcome: 'stay', stay_reasons: ['unvalidated_scanner_finding', 'unreachable'], flags: [] } });
    const shown = await api.ok<{ finding: { reachability: string }; verdicts: { id: string; note: string }[] }>('so', 'GET', '/findings/F-1');
    expect(shown.finding.reachability).toBe('unreachable');
    expect(shown.verdicts).toMatchObject([{ id: 'FV-0001', note: 'behind the VPN only' }]);
  });

  it('a validation that fits escalates and hands the finding to IR', async () => {
    const r = await api.ok<{ decision: { outcome: string; triggers: string[] }; incident: { incident: string } | null }>(
      'lead', 'POST', '/findings/F-1/verdict', { validation: 'validated', reachability: 'reachable', note: 'confirmed on the host' }, 201,
    );
    expect(r.decision).toMatchObject({ outcome: 'escalate', triggers: ['dangerous_exposure'] });
    expect(r.incident?.incident).toMatch(/^INC-2026-\d{4}$/);
  });

  it('refuses bad input (400 naming the field), an unknown finding (404) and a reader (403), writing nothing', async () => {
    const before = await api.auditCount();
    const bad = await api.fail('vm', 'POST', '/findings/F-1/verdict', { note: 'nothing set' }, 400, 'CL_BAD_INPUT');
    expect(bad.details?.fields?.map((f) => f.field)).toEqual(['validation']);
    const typo = await api.fail('vm', 'POST', '/findings/F-1/verdict', { validation: 'validated', note: 'x', reachabilty: 'reachable' }, 400, 'CL_BAD_INPUT');
    expect(typo.details?.fields?.map((f) => f.field)).toEqual(['reachabilty']);
    await api.fail('vm', 'POST', '/findings/F-404/verdict', { validation: 'validated', note: 'x' }, 404, 'CL_NOT_FOUND');
    await api.fail('auditor', 'POST', '/findings/F-1/verdict', { validation: 'validated', note: 'x' }, 403, 'CL_FORBIDDEN');
    expect(await api.auditCount()).toBe(before);
  });
});
