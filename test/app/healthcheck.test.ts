/**
 * Control health checks on both engines: a store built through the use cases (a compliant closed
 * incident, a non-incident, one closed with gaps in soft mode, one still open), a check run over the
 * period, and what it records: the sample (reproducible by seed, stratified by severity), the four
 * answers with their evidence ids, every gap a control finding with its owner and remediation item
 * (on the remediation board), the soft-mode reopening, notes, the worksheet and the OSCAL export
 * validated against NIST's assessment-results schema.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addRemediation } from '../../src/app/followthrough.js';
import { addHealthCheckNote, healthCheckPassRate, listHealthChecks, runHealthCheck, showHealthCheck } from '../../src/app/healthcheck.js';
import { bundleVerifies, type EvidenceCheck } from '../../src/app/healthcheck-answers.js';
import { evidenceLocationFile, exportEvidence } from '../../src/app/evidence.js';
import { generateSigningKeyPair, signerFromPem } from '../../src/audit/signing.js';
import { healthCheckWorksheet } from '../../src/app/healthcheck-worksheet.js';
import { csvField } from '../../src/app/oscal/poam-csv.js';
import { closeIncident, moveIncident, openIncident } from '../../src/app/incidents.js';
import { assessmentResults, healthCheckAssessmentResults, oscalControlId } from '../../src/app/oscal/assessment-results.js';
import { uuidV5 } from '../../src/app/oscal/common.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { listRemediation } from '../../src/app/views/follow-through.js';
import { metrics } from '../../src/app/views/metrics.js';
import type { IncidentSeverity } from '../../src/domain/incident.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { signTestCheckpoint, rezip, unzip } from '../helpers/checkpoints.js';
import { oscalValidator } from '../helpers/oscal-schema.js';

const lead = { actor: 'lead' };
const grc = { actor: 'grc' };
const auditor = { actor: 'auditor' };
const RECIPIENTS: Record<string, string> = { ir_lead: 'lead', vuln_mgmt_owner: 'vm', service_owner: 'so', eng_ops_lead: 'ops', grc_contact: 'grc' };

const signer = signerFromPem(generateSigningKeyPair().privateKeyPem);

describe.each(ENGINES)('health checks on %s', (engine) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'hc', config: { gate: { mode: 'soft' } } });
    t.ctx.signer = signer;
  });

  /** Signs a checkpoint over the log so far and exports the bundles of `ids` to the evidence location, as an assessor would. */
  async function bundled(...ids: string[]): Promise<void> {
    await signTestCheckpoint(t.ctx.store.db, signer, t.clock.now().toISOString());
    for (const id of ids) await exportEvidence(t.ctx, grc, { incident: id }, { toEvidenceLocation: true });
  }
  afterEach(async () => t.cleanup());

  async function atEradication(title: string, severity: IncidentSeverity = 'high'): Promise<string> {
    const id = (await openIncident(t.ctx, lead, { title, severity })).id;
    await moveIncident(t.ctx, lead, { id, state: 'triage' });
    await moveIncident(t.ctx, lead, { id, state: 'eradication' });
    return id;
  }

  /** A closed incident that meets every obligation: a weakness with a remediation item, delivered and acknowledged. */
  async function compliant(title: string, severity: IncidentSeverity = 'high'): Promise<{ id: string; weakness: string; item: string }> {
    const id = await atEradication(title, severity);
    const weakness = (await addWeakness(t.ctx, lead, { incident: id, type: 'technical', relation: 'enabled', assets: ['web-01'], notes: 'n', action: 'patch' })).id;
    const item = (await addRemediation(t.ctx, lead, { weakness, owner_role: 'service_owner', assignee: 'so', criteria: 'patched' })).id;
    await sendReportOut(t.ctx, lead, { incident: id });
    await runDelivery(t.ctx, lead);
    for (const [role, actor] of Object.entries(RECIPIENTS)) await acknowledge(t.ctx, { actor }, { incident: id, role });
    await moveIncident(t.ctx, lead, { id, state: 'recovery' });
    await moveIncident(t.ctx, lead, { id, state: 'post_incident' });
    expect((await closeIncident(t.ctx, lead, { id })).flagged).toEqual([]);
    return { id, weakness, item };
  }

  /** Closed in soft mode with a weakness never followed through and the report-out never sent. */
  async function withGaps(title: string, severity: IncidentSeverity = 'moderate'): Promise<{ id: string; weakness: string }> {
    const id = await atEradication(title, severity);
    const weakness = (await addWeakness(t.ctx, lead, { incident: id, type: 'technical', relation: 'enabled', assets: ['db-01'], notes: 'n', action: 'patch' })).id;
    await moveIncident(t.ctx, lead, { id, state: 'recovery' });
    await moveIncident(t.ctx, lead, { id, state: 'post_incident' });
    expect((await closeIncident(t.ctx, lead, { id })).flagged.length).toBeGreaterThan(0);
    return { id, weakness };
  }

  const day = (): string => t.ctx.now().toISOString().slice(0, 10);
  const auditActions = async (): Promise<string[]> => (await t.ctx.store.db.selectFrom('audit_events').select('action').orderBy('seq').execute()).map((e) => e.action);

  it('answers the four questions with evidence ids, turns every gap into an owned control finding with its remediation item, and reopens in soft mode', async () => {
    const a = await compliant('A');
    const b = (await openIncident(t.ctx, lead, { title: 'B', severity: 'low' })).id;
    await closeIncident(t.ctx, lead, { id: b, non_incident: true, rationale: 'a scanner false positive' });
    const c = await withGaps('C');
    await atEradication('D still open');
    await bundled(a.id, b);

    const v = await runHealthCheck(t.ctx, grc, { from: day(), to: day(), sample: 10, seed: 's1' });
    expect(v.id).toBe('HC-0001');
    expect(v.population).toBe(3);
    expect(v.sampled).toBe(3);
    expect(v.passed).toBe(2);
    const sample = (id: string) => v.samples.find((s) => s.incident_id === id);
    expect(new Set(v.samples.map((s) => s.incident_id))).toEqual(new Set([a.id, b, c.id]));

    const sa = sample(a.id);
    expect(sa?.passed).toBe(true);
    expect(sa?.answers.weakness.evidence).toEqual([a.weakness]);
    expect(sa?.answers.notified.evidence).toHaveLength(5);
    expect(sa?.answers.notified.evidence.every((e) => e.startsWith('NT-'))).toBe(true);
    expect(sa?.answers.followthrough.evidence).toEqual([a.item]);
    expect(sa?.answers.evidence.evidence).toEqual([evidenceLocationFile(t.ctx.config, t.ctx.configPath, a.id)]);
    expect(sa?.reopened).toBe(false);

    const sb = sample(b);
    expect(sb?.answers.weakness).toMatchObject({ passed: true, evidence: [b] });
    expect(sb?.answers.weakness.answer).toContain('a scanner false positive');
    expect(sb?.answers.notified.answer).toContain('not required');

    const sc = sample(c.id);
    expect(sc?.passed).toBe(false);
    expect(sc?.reopened).toBe(true);
    expect(sc?.answers.weakness.passed).toBe(true);
    expect(sc?.answers.notified.gaps.map((g) => g.subject)).toEqual(Object.keys(RECIPIENTS));
    expect(sc?.answers.followthrough.gaps).toEqual([{ subject: c.weakness, message: expect.stringContaining(c.weakness) as string }]);
    expect(sc?.answers.evidence.gaps).toEqual([{ subject: evidenceLocationFile(t.ctx.config, t.ctx.configPath, c.id), message: `${c.id}: no bundle at ${evidenceLocationFile(t.ctx.config, t.ctx.configPath, c.id)}` }]);
    // 5 roles + 1 weakness + 1 bundle: one finding each, owned by the control card's owner, each with its own item
    expect(v.findings).toHaveLength(7);
    expect(v.findings.every((f) => f.incident_id === c.id && f.owner_role === 'ir_lead')).toBe(true);
    expect(new Set(v.findings.map((f) => f.remediation_item_id)).size).toBe(7);
    expect(sc?.findings).toEqual(v.findings.map((f) => f.id));

    // the items are on the remediation board, open, owned by ir_lead, naming the finding and the check
    const board = await listRemediation(t.ctx, auditor, { owner: 'ir_lead' });
    expect(board.items.map((i) => i.id).sort()).toEqual(v.findings.map((f) => f.remediation_item_id).sort());
    for (const f of v.findings) {
      const item = board.items.find((i) => i.id === f.remediation_item_id);
      expect(item).toMatchObject({ status: 'open', incident: null, weakness: null, owner_role: 'ir_lead' });
      expect(item?.criteria).toContain(f.id);
      expect(item?.criteria).toContain('HC-0001');
    }

    // reopened, audited with a reason naming the check; the compliant one stays closed
    const inc = await t.ctx.store.db.selectFrom('incidents').select(['id', 'state']).where('id', 'in', [a.id, c.id]).orderBy('id').execute();
    expect(inc).toEqual([{ id: a.id, state: 'closed' }, { id: c.id, state: 'post_incident' }]);
    const reopened = await t.ctx.store.db.selectFrom('audit_events').select(['entity_id', 'actor']).where('action', '=', 'incident.reopened').execute();
    expect(reopened).toEqual([{ entity_id: c.id, actor: 'grc' }]);
    const actions = await auditActions();
    expect(actions.filter((x) => x === 'healthcheck.run')).toHaveLength(1);
    expect(actions.filter((x) => x === 'healthcheck.sampled')).toHaveLength(3);
    expect(actions.filter((x) => x === 'control_finding.opened')).toHaveLength(7);

    // show reads back what run returned; list and pass rate
    const shown = await showHealthCheck(t.ctx, auditor, { id: v.id });
    expect(shown).toEqual(v);
    expect((await listHealthChecks(t.ctx, lead)).map((x) => [x.id, x.findings])).toEqual([['HC-0001', 7]]);
    expect(await healthCheckPassRate(t.ctx.store.db)).toEqual({ health_check_id: 'HC-0001', sampled: 3, passed: 2, rate: 2 / 3 });
    expect((await metrics(t.ctx, auditor)).healthcheck_pass_rate).toEqual({ health_check_id: 'HC-0001', sampled: 3, passed: 2, rate: 2 / 3 });
  });

  it('draws the same sample from the same seed, stratifies by severity, and leaves a closed incident whose only gap is the bundle closed', async () => {
    const ids: string[] = [];
    for (const [i, sev] of (['low', 'low', 'low', 'high', 'high', 'critical'] as const).entries()) ids.push((await compliant(`I${i}`, sev)).id);
    expect(await healthCheckPassRate(t.ctx.store.db)).toBeNull();
    const run = (seed: string, stratify?: 'severity') => runHealthCheck(t.ctx, auditor, { from: day(), to: day(), sample: 3, seed, ...(stratify ? { stratify } : {}) });
    const first = await run('q4');
    const again = await run('q4');
    expect(again.samples.map((s) => s.incident_id)).toEqual(first.samples.map((s) => s.incident_id));
    expect(first.sampled).toBe(3);
    const seeds = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async (s) => (await run(s)).samples.map((x) => x.incident_id).join()));
    expect(new Set([...seeds, first.samples.map((s) => s.incident_id).join()]).size).toBeGreaterThan(1);
    const strat = await run('q4', 'severity');
    expect(strat.strata).toEqual([
      { stratum: 'critical', population: 1, picked: 1 },
      { stratum: 'high', population: 2, picked: 1 },
      { stratum: 'low', population: 3, picked: 1 },
    ]);
    expect(strat.samples.map((s) => s.stratum)).toEqual(['critical', 'high', 'low']);
    // only question 4 failed (no bundles exported): findings, but no reopening
    expect(strat.samples.every((s) => !s.passed && !s.reopened && s.answers.evidence.answer.startsWith('no bundle at '))).toBe(true);
    const states = await t.ctx.store.db.selectFrom('incidents').select('state').distinct().execute();
    expect(states).toEqual([{ state: 'closed' }]);
  });

  it('notes are audited; unknown checks and incidents, bad input and the wrong role write nothing', async () => {
    const a = await compliant('A');
    const v = await runHealthCheck(t.ctx, grc, { from: day(), to: day(), sample: 1, seed: 'x' });
    const before = await auditActions();
    await expect(addHealthCheckNote(t.ctx, auditor, { id: 'HC-0099', incident: a.id, text: 'n' })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
    await expect(addHealthCheckNote(t.ctx, auditor, { id: v.id, incident: 'INC-2026-0999', text: 'n' })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
    await expect(addHealthCheckNote(t.ctx, lead, { id: v.id, incident: a.id, text: 'n' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    await expect(showHealthCheck(t.ctx, grc, { id: 'HC-0099' })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
    await expect(runHealthCheck(t.ctx, grc, { from: '2026-12-01', to: '2026-11-01', sample: 1, seed: 'x' })).rejects.toMatchObject({ code: 'CL_BAD_INPUT' });
    await expect(runHealthCheck(t.ctx, grc, { from: '2026-11-01', to: '2026-12-01', sample: 0, seed: 'x' })).rejects.toMatchObject({ code: 'CL_BAD_INPUT' });
    await expect(runHealthCheck(t.ctx, lead, { from: '2026-11-01', to: '2026-12-01', sample: 1, seed: 'x' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    expect(await auditActions()).toEqual(before);
    expect(await t.ctx.store.db.selectFrom('health_checks').select('id').execute()).toHaveLength(1);

    const note = await addHealthCheckNote(t.ctx, auditor, { id: v.id, incident: a.id, text: '=ack confirmed by phone, "see OPS-12"' });
    expect(note).toMatchObject({ id: 'HN-0001', author: 'auditor', incident_id: a.id });
    expect((await auditActions()).at(-1)).toBe('healthcheck.noted');
    expect((await showHealthCheck(t.ctx, grc, { id: v.id })).samples[0]?.notes.map((n) => n.text)).toEqual(['=ack confirmed by phone, "see OPS-12"']);

    const w = await healthCheckWorksheet(t.ctx, auditor, { id: v.id });
    const lines = w.csv.split('\r\n');
    expect(lines[0]).toBe('position,incident,stratum,passed,reopened,q1_weakness,q1_records,q2_notified,q2_records,q3_followthrough,q3_records,q4_evidence,q4_records,gaps,control_findings,reviewer_notes');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`1,${a.id},all,no,no,yes: 1 weakness(es) identified,WK-0001,`);
    expect(lines[1]).toContain('CF-0001');
    expect(lines[1]).toContain('""see OPS-12""');
  });

  it('question 4 verifies the bundle: a tampered file, another incident\'s bundle and a foreign file are gaps naming the file', async () => {
    const a = await compliant('A');
    const b = await compliant('B');
    const c = await compliant('C');
    await bundled(a.id, b.id, c.id);
    const fileA = evidenceLocationFile(t.ctx.config, t.ctx.configPath, a.id);
    const fileB = evidenceLocationFile(t.ctx.config, t.ctx.configPath, b.id);
    const fileC = evidenceLocationFile(t.ctx.config, t.ctx.configPath, c.id);
    expect(await bundleVerifies(t.ctx, a.id)).toEqual({ ok: true, file: fileA, message: `bundle verified at ${fileA}` });
    const files = unzip(readFileSync(fileA));
    const [name, bytes] = [...files.entries()].find(([n]) => n.endsWith('.json') && n !== 'manifest.json') ?? ['', new Uint8Array()];
    files.set(name, new Uint8Array([...bytes, 0x20]));
    writeFileSync(fileA, rezip(files));
    writeFileSync(fileB, readFileSync(fileC));
    writeFileSync(fileC, 'not a zip');
    const v = await runHealthCheck(t.ctx, grc, { from: day(), to: day(), sample: 3, seed: 'v' });
    const q4 = (id: string) => v.samples.find((s) => s.incident_id === id)?.answers.evidence;
    expect(q4(a.id)?.passed).toBe(false);
    expect(q4(a.id)?.answer).toContain(`the bundle at ${fileA} does not verify`);
    expect(q4(a.id)?.answer).toContain(name);
    expect(q4(b.id)?.answer).toBe(`the bundle at ${fileB} is not ${b.id}'s (it holds ${c.id})`);
    expect(q4(c.id)?.passed).toBe(false);
    expect(q4(c.id)?.answer).toContain(fileC);
    expect(v.passed).toBe(0);
    expect(v.findings.map((f) => f.question)).toEqual(['evidence', 'evidence', 'evidence']);
  });

  it('reopens nothing in hard mode: the findings carry the work', async () => {
    const c = await withGaps('closed with gaps while the gate was soft');
    const hard = { ...t.ctx, config: { ...t.ctx.config, gate: { mode: 'hard' as const } } };
    const v = await runHealthCheck(hard, grc, { from: day(), to: day(), sample: 1, seed: 'h' });
    expect(v.samples.map((s) => [s.incident_id, s.passed, s.reopened])).toEqual([[c.id, false, false]]);
    expect(v.findings.length).toBeGreaterThan(0);
    expect((await t.ctx.store.db.selectFrom('incidents').select('state').where('id', '=', c.id).executeTakeFirst())?.state).toBe('closed');
  });

  it('is one transaction: a failure part-way leaves no check, finding, item or reopening behind', async () => {
    const c = await withGaps('C');
    const d = await withGaps('D');
    const before = await auditActions();
    let calls = 0;
    const failing: EvidenceCheck = async (ctx, id) => {
      calls += 1;
      if (calls === 2) throw new Error('evidence store unreachable');
      return bundleVerifies(ctx, id);
    };
    await expect(runHealthCheck(t.ctx, grc, { from: day(), to: day(), sample: 2, seed: 'tx' }, { evidence: failing })).rejects.toThrow('evidence store unreachable');
    expect(calls).toBe(2);
    expect(await auditActions()).toEqual(before);
    for (const table of ['health_checks', 'health_check_samples', 'control_findings', 'remediation_items'] as const) {
      expect(await t.ctx.store.db.selectFrom(table).selectAll().execute(), table).toEqual([]);
    }
    const states = await t.ctx.store.db.selectFrom('incidents').select('state').where('id', 'in', [c.id, d.id]).execute();
    expect(states).toEqual([{ state: 'closed' }, { state: 'closed' }]);
  });

  it('exports OSCAL 1.1.3 assessment-results that validate against the NIST schema, the same twice', async () => {
    const a = await compliant('A');
    const c = await withGaps('C');
    await bundled(a.id);
    const v = await runHealthCheck(t.ctx, grc, { from: day(), to: day(), sample: 2, seed: 'o' });
    await addHealthCheckNote(t.ctx, auditor, { id: v.id, incident: c.id, text: 'reopened for the missing follow-through' });
    const one = await healthCheckAssessmentResults(t.ctx, auditor, { id: v.id });
    const two = await healthCheckAssessmentResults(t.ctx, grc, { id: v.id });
    expect(JSON.stringify(two.document)).toBe(JSON.stringify(one.document));
    expect(one.file_name).toBe('HC-0001-assessment-results.json');
    const errors = validateAssessmentResults(one.document);
    expect(errors).toEqual([]);
    const ar = one.document['assessment-results'] as { results: { findings: { target: { status: { state: string } } }[]; observations: { remarks?: string }[] }[] };
    expect(ar.results[0]?.findings.map((f) => f.target.status.state).sort()).toEqual(['not-satisfied', 'satisfied']);
    expect(ar.results[0]?.observations.some((o) => o.remarks?.includes('reopened for the missing follow-through'))).toBe(true);
    // a document that breaks the schema is refused: the validator is not a formality
    expect(validateAssessmentResults({ 'assessment-results': { ...(one.document['assessment-results'] as object), uuid: 'not-a-uuid' } })).not.toEqual([]);
    const view = await showHealthCheck(t.ctx, grc, { id: v.id });
    expect(validateAssessmentResults(assessmentResults({ ...view, samples: [], findings: [] }))).toEqual([]);
  });
});

describe('OSCAL and CSV helpers', () => {
  it('derives RFC 9562 version 5 UUIDs and OSCAL control ids', () => {
    // the RFC's own example: the DNS namespace and www.example.com
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const ns = '6f1c3b52-8d0e-4f61-9a57-2c4f0b1d7e90';
    expect(uuidV5(ns, 'x')).toBe(uuidV5(ns, 'x'));
    expect(uuidV5(ns, 'x')).not.toBe(uuidV5(ns, 'y'));
    expect(oscalControlId('IR-6(2)')).toBe('ir-6.2');
  });

  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
  });
});

let compiled: ValidateFunction | undefined;

/** NIST's 1.1.3 assessment-results schema (test/helpers/oscal-schema.ts); the errors, one line each. */
function validateAssessmentResults(doc: unknown): string[] {
  compiled ??= oscalValidator('oscal_assessment-results_schema.json');
  return compiled(doc) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
