/** The asset identity routes: GET /assets?unmatched=true and POST /assets/{id}/merge, on both engines. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListedAsset, MergeResult } from '../../src/app/assets.js';
import { importFile } from '../../src/app/importer.js';
import { ENGINES } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';
import { makeApi, type Api } from './harness.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

describe.each(ENGINES)('asset routes on %s', (engine) => {
  let api: Api;
  beforeEach(async () => {
    api = await makeApi(engine);
    const inventory = path.join(api.tc.dir, 'inventory.json');
    writeFileSync(inventory, JSON.stringify([{ id: 'catalina-svc', owner: 'java-team' }]));
    await importFile(api.tc.ctx, { actor: 'vm' }, { kind: 'assets', file: inventory });
    await importFile(api.tc.ctx, { actor: 'vm' }, { kind: 'findings', file: corpusPath('scanners/trivy/cvssv4_severity_source.json') });
  });
  afterEach(async () => api.close());

  it('lists the provisional assets and merges one into an inventory asset', async () => {
    const all = await api.ok<{ assets: ListedAsset[] }>('auditor', 'GET', '/assets');
    expect(all.assets.map((a) => [a.id, a.not_in_inventory])).toEqual([['catalina-svc', false], ['repo:lib/catalina.jar', true]]);
    const unmatched = await api.ok<{ assets: ListedAsset[] }>('vm', 'GET', '/assets?unmatched=true');
    expect(unmatched.assets).toEqual([expect.objectContaining({ id: 'repo:lib/catalina.jar', exposure: 'unknown', open_findings: 3 })]);

    const url = `/assets/${encodeURIComponent('repo:lib/catalina.jar')}/merge`;
    await api.fail('auditor', 'POST', url, { into: 'catalina-svc' }, 403, 'CL_FORBIDDEN');
    await api.fail('vm', 'POST', url, {}, 400, 'CL_BAD_INPUT');
    const merged = await api.ok<MergeResult>('vm', 'POST', url, { into: 'catalina-svc' });
    expect(merged).toMatchObject({ provisional: 'repo:lib/catalina.jar', into: 'catalina-svc', findings_moved: 3, triage: { evaluated: 3 } });
    expect((await api.ok<{ assets: ListedAsset[] }>('vm', 'GET', '/assets?unmatched=true')).assets).toEqual([]);
    await api.fail('vm', 'POST', url, { into: 'catalina-svc' }, 404, 'CL_NOT_FOUND');
  });
});
