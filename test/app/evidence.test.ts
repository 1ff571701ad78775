import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evidenceLocationFile, exportEvidence, verifyEvidenceFile } from '../../src/app/evidence.js';
import { addRemediation, decideRisk, moveRemediation, recordVendorResponse, requestRisk } from '../../src/app/followthrough.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { verifyBundle } from '../../src/audit/evidence-bundle.js';
import { generateSigningKeyPair, signerFromPem } from '../../src/audit/signing.js';
import { ClError } from '../../src/errors.js';
import { signTestCheckpoint, unzip } from '../helpers/checkpoints.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };
const vm = { actor: 'vm' };

const json = (files: Map<string, Uint8Array>, name: string): Record<string, unknown> => JSON.parse(Buffer.from(files.get(name) ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;

async function refusal(p: Promise<unknown>): Promise<ClError> {
  const err: unknown = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClError);
  return err as ClError;
}

describe.each(ENGINES)('evidence export on %s', (engine) => {
  let t: TestContext;
  let inc: string;
  const signer = signerFromPem(generateSigningKeyPair().privateKeyPem);

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'evidence', config: { routing: { vendors: { acme: [{ channel: 'file', address: './vendors/acme' }] } } } });
    t.ctx.signer = signer;
    inc = (await openIncident(t.ctx, lead, { title: 'Webshell on web-01', severity: 'high', assets: ['web-01'] })).id;
    await moveIncident(t.ctx, lead, { id: inc, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: inc, state: 'eradication' });
    const wk = (await addWeakness(t.ctx, lead, { incident: inc, type: 'technical', relation: 'enabled', assets: ['web-01'], notes: 'unpatched <CMS> plugin', action: 'patch' })).id;
    await addWeakness(t.ctx, lead, { incident: inc, type: 'third_party', relation: 'enabled', assets: ['web-01'], notes: 'vendor default', action: 'fix', vendor: 'acme' });
    const sent = await sendReportOut(t.ctx, lead, { incident: inc });
    t.clock.advance({ minutes: 5 });
    await runDelivery(t.ctx, DISPATCHER);
    await acknowledge(t.ctx, vm, { incident: inc, role: 'vuln_mgmt_owner' });
    const item = await addRemediation(t.ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'patched' });
    await moveRemediation(t.ctx, lead, { item: item.id, state: 'in_progress' });
    const risk = await requestRisk(t.ctx, vm, { weakness: wk, rationale: 'legacy', controls: 'WAF', review_by: '2027-01-15' });
    await decideRisk(t.ctx, { actor: 'approver' }, { risk: risk.id, approve: false, reason: 'patch instead' });
    await recordVendorResponse(t.ctx, { actor: 'tpm' }, { notice: sent.notices_opened[0] ?? '', text: 'fix in 2.1' });
    t.clock.advance({ minutes: 1 });
    await signTestCheckpoint(t.ctx.store.db, signer, t.clock.now().toISOString());
  });
  afterEach(async () => t.cleanup());

  it('exports every record of the incident with proofs to the checkpoint, verifiable offline, and the same bytes twice', async () => {
    const first = await exportEvidence(t.ctx, { actor: 'auditor' }, { incident: inc });
    const files = unzip(first.bytes);
    const dir = `incidents/${inc}`;
    expect([...files.keys()]).toEqual([
      'manifest.json',
      'manifest.sig',
      'checkpoint.json',
      `${dir}/acknowledgments.json`,
      `${dir}/audit-events.json`,
      `${dir}/control-card.json`,
      `${dir}/escalation.json`,
      `${dir}/incident.json`,
      `${dir}/notifications.json`,
      `${dir}/remediation.json`,
      `${dir}/report-out.json`,
      `${dir}/risk-acceptances.json`,
      `${dir}/third-party-notices.json`,
      'index.html',
      'public-key.pem',
    ]);
    const notifications = json(files, `${dir}/notifications.json`).notifications as { status: string; attempts: { outcome: string }[]; purpose: string }[];
    expect(notifications.length).toBeGreaterThan(1);
    expect(notifications.every((n) => n.status === 'delivered' && n.attempts.length === 1 && n.attempts[0]?.outcome === 'delivered')).toBe(true);
    const reportOut = json(files, `${dir}/report-out.json`) as { revisions: { revision: number; messages: { body: string }[] }[] };
    expect(reportOut.revisions.map((r) => r.revision)).toEqual([1]);
    expect(reportOut.revisions[0]?.messages[0]?.body).toContain('patch');
    expect((json(files, `${dir}/acknowledgments.json`).acknowledgments as { role: string }[]).map((a) => a.role)).toEqual(['vuln_mgmt_owner']);
    const items = json(files, `${dir}/remediation.json`).items as { history: { status: string }[] }[];
    expect(items[0]?.history.map((h) => h.status)).toEqual(['open', 'in_progress']);
    const risks = json(files, `${dir}/risk-acceptances.json`).risk_acceptances as { state: string; history: { action: string }[] }[];
    expect(risks[0]?.state).toBe('rejected');
    expect(risks[0]?.history.length).toBe(2);
    expect((json(files, `${dir}/third-party-notices.json`).notices as { response: string }[])[0]?.response).toBe('fix in 2.1');
    const card = json(files, `${dir}/control-card.json`);
    expect(card).toMatchObject({ current_version: t.ctx.config.control_card.version, version_in_force: t.ctx.config.control_card.version });
    expect((card.in_force as { card: { version: number } } | null)?.card.version).toBe(t.ctx.config.control_card.version);
    const events = json(files, `${dir}/audit-events.json`).events as { incident_id: string }[];
    const stored = await t.ctx.store.db.selectFrom('audit_events').select('seq').where('incident_id', '=', inc).execute();
    expect(events.length).toBe(stored.length);
    const html = Buffer.from(files.get('index.html') ?? new Uint8Array()).toString('utf8');
    expect(html).toContain('unpatched &lt;CMS&gt; plugin');
    expect(html).not.toContain('<script');
    expect(html).toContain(`<a href="${dir}/audit-events.json">`);
    expect(html).toContain('closeloop evidence verify');

    const v = verifyBundle(first.bytes, 'first.zip', { publicKeyPem: signer.publicKeyPem });
    expect(v).toMatchObject({ ok: true, problems: [], incidentIds: [inc], keySource: 'pinned', events: stored.length });
    // bytes after the archive are skipped by zip readers: still a changed file; bytes before it make no zip at all
    const after = verifyBundle(new Uint8Array([...first.bytes, 0x0a]), 'first.zip', { publicKeyPem: signer.publicKeyPem });
    expect(after).toMatchObject({ ok: false, problems: [expect.stringMatching(/^first\.zip: bytes were added after the archive's end/)] });
    expect(() => verifyBundle(new Uint8Array([0x0a, ...first.bytes]), 'first.zip', { publicKeyPem: signer.publicKeyPem })).toThrow(/first\.zip: not a zip file/);

    // the export is the exporter's event, not the incident's: exporting again gives the same bytes
    t.clock.advance({ hours: 3 });
    const second = await exportEvidence(t.ctx, { actor: 'grc' }, { incident: inc });
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    const exported = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'incident_id', 'entity_id']).where('action', '=', 'evidence.exported').orderBy('seq').execute();
    expect(exported).toEqual([
      { actor: 'auditor', incident_id: null, entity_id: inc },
      { actor: 'grc', incident_id: null, entity_id: inc },
    ]);
  });

  it('signs a checkpoint covering events after the latest, refuses them with --checkpoint of an earlier one', async () => {
    const old = (await t.ctx.store.db.selectFrom('audit_checkpoints').select('tree_size').executeTakeFirstOrThrow()).tree_size;
    await moveIncident(t.ctx, lead, { id: inc, state: 'recovery' });
    const moved = Number((await t.ctx.store.db.selectFrom('audit_events').select((e) => e.fn.max('seq').as('seq')).where('incident_id', '=', inc).executeTakeFirstOrThrow()).seq);
    const r = await exportEvidence(t.ctx, lead, { incident: inc });
    expect(r.checkpoint.tree_size).toBeGreaterThanOrEqual(moved);
    const requested = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'incident_id']).where('action', '=', 'audit.checkpoint_requested').execute();
    expect(requested).toEqual([{ actor: 'lead', incident_id: null }]);
    // the next export finds that checkpoint covering the incident and signs none
    const again = await exportEvidence(t.ctx, lead, { incident: inc });
    expect(Buffer.from(again.bytes).equals(Buffer.from(r.bytes))).toBe(true);
    expect(await t.ctx.store.db.selectFrom('audit_checkpoints').select('tree_size').execute()).toHaveLength(2);
    // the earlier checkpoint does not cover the move
    expect((await refusal(exportEvidence(t.ctx, lead, { incident: inc, checkpoint: Number(old) }))).code).toBe('CL_CONFLICT');
    expect((await refusal(exportEvidence(t.ctx, lead, { incident: inc, checkpoint: 9999 }))).code).toBe('CL_NOT_FOUND');
  });

  it('refuses without a signing key, an unknown incident, and a role that may not export; nothing written', async () => {
    const file = path.join(t.dir, 'out.zip');
    delete t.ctx.signer;
    const nokey = await refusal(exportEvidence(t.ctx, lead, { incident: inc }, { file }));
    expect([nokey.code, nokey.message]).toEqual(['CL_BAD_INPUT', expect.stringContaining('closeloop keys init')]);
    t.ctx.signer = signer;
    expect((await refusal(exportEvidence(t.ctx, lead, { incident: 'INC-2099-0001' }, { file }))).code).toBe('CL_NOT_FOUND');
    expect((await refusal(exportEvidence(t.ctx, vm, { incident: inc }, { file }))).code).toBe('CL_FORBIDDEN');
    expect(() => statSync(file)).toThrow();
  });

  it('writes to the evidence location (0600) and draws a reproducible sample', async () => {
    const second = (await openIncident(t.ctx, lead, { title: 'Phishing', severity: 'low' })).id;
    await signTestCheckpoint(t.ctx.store.db, signer, t.clock.now().toISOString());
    const one = await exportEvidence(t.ctx, lead, { incident: inc }, { toEvidenceLocation: true });
    const file = evidenceLocationFile(t.ctx.config, t.ctx.configPath, inc);
    expect(one.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(verifyEvidenceFile(file)).toMatchObject({ ok: true, incidentIds: [inc] });

    const day = t.clock.now().toISOString().slice(0, 10);
    const sample = { n: 2, from: day, to: day, seed: 's1', stratify: 'severity' as const };
    const a = await exportEvidence(t.ctx, lead, { sample }, { toEvidenceLocation: true });
    expect(a.name).toBe(`sample-${day}-${day}-s1.zip`);
    expect(a.incidents).toEqual([inc, second].sort());
    const files = unzip(a.bytes);
    expect(json(files, 'sample.json')).toMatchObject({ population: [inc, second], picked: a.incidents, strata: [{ stratum: 'low', population: 1, picked: 1 }, { stratum: 'high', population: 1, picked: 1 }] });
    expect(readFileSync(path.join(path.dirname(file), a.name)).equals(Buffer.from(a.bytes))).toBe(true);
    const b = await exportEvidence(t.ctx, lead, { sample });
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    const none = await refusal(exportEvidence(t.ctx, lead, { sample: { ...sample, from: '2020-01-01', to: '2020-01-31' } }));
    expect(none.code).toBe('CL_BAD_INPUT');
  });
});
