import { afterEach, describe, expect, it } from 'vitest';
import { openIncident } from '../../src/app/incidents.js';
import { verifyBundle } from '../../src/audit/evidence-bundle.js';
import { generateSigningKeyPair, signerFromPem } from '../../src/audit/signing.js';
import { signTestCheckpoint } from '../helpers/checkpoints.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

describe.each(ENGINES)('GET /incidents/{id}/evidence on %s', (engine) => {
  let api: Api;
  afterEach(async () => api.close());

  it('answers the signed zip to the roles that may export, refuses the others, and names a missing incident', async () => {
    api = await makeApi(engine, { label: 'evidence_api' });
    const signer = signerFromPem(generateSigningKeyPair().privateKeyPem);
    api.tc.ctx.signer = signer;
    const inc = (await openIncident(api.tc.ctx, { actor: 'lead' }, { title: 'Webshell', severity: 'high' })).id;
    const cp = await signTestCheckpoint(api.tc.ctx.store.db, signer, api.tc.ctx.now().toISOString());

    const res = await api.request('auditor', 'GET', `/incidents/${inc}/evidence`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${inc}.zip"`);
    const zip = res.rawPayload;
    expect(verifyBundle(zip, 'response', { publicKeyPem: signer.publicKeyPem })).toMatchObject({ ok: true, incidentIds: [inc], checkpoint: { tree_size: cp.tree_size } });
    // the same bytes again, for another role that may export; the exports are the callers' events
    const again = await api.request('grc', 'GET', `/incidents/${inc}/evidence?checkpoint=${cp.tree_size}`);
    expect(again.rawPayload.equals(zip)).toBe(true);

    await api.fail('vm', 'GET', `/incidents/${inc}/evidence`, undefined, 403, 'CL_FORBIDDEN');
    await api.fail('auditor', 'GET', '/incidents/INC-2099-0001/evidence', undefined, 404, 'CL_NOT_FOUND');
    await api.fail('auditor', 'GET', `/incidents/${inc}/evidence?checkpoint=x`, undefined, 400, 'CL_BAD_INPUT');
    const doc = await api.ok<{ paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }> }>('auditor', 'GET', '/openapi.json');
    expect(Object.keys(doc.paths['/api/v1/incidents/{id}/evidence']?.get?.responses['200']?.content ?? {})).toEqual(['application/zip']);
  });
});
