import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainFinding } from '../../src/app/explain-finding.js';
import { setFindingVerdict } from '../../src/app/finding-verdict.js';
import { importFile } from '../../src/app/importer.js';
import { showFinding } from '../../src/app/show-finding.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { verifyChain } from '../../src/audit/chain.js';
import { isClError } from '../../src/errors.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const vm = { actor: 'vm' };
const lead = { actor: 'lead' };

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isClError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe.each(ENGINES)('analyst verdicts on %s', (engine) => {
  let t: TestContext;
  const write = (name: string, body: unknown): string => {
    const file = path.join(t.dir, name);
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    return file;
  };
  const findings = (title: string) => [
    { id: 'F-web', vulnerability: 'CVE-2099-0001', asset: 'web-01', component: 'nginx', version: '1.22', title },
    { id: 'F-db', vulnerability: 'CVE-2099-0002', asset: 'db-01', component: 'postgres', version: '15' },
  ];

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'verdict' });
    await importFile(t.ctx, vm, { kind: 'assets', file: write('assets.json', [
      { id: 'web-01', owner: 'web-team', exposure: 'internet' },
      { id: 'db-01', owner: 'data-team', exposure: 'internal', business_critical: true },
    ]) });
    await importFile(t.ctx, vm, { kind: 'vulnerabilities', file: write('vulns.json', [
      { id: 'CVE-2099-0001', vendor_advisory: true, cvss: { version: '3.1', base_score: 8.1 } },
      { id: 'CVE-2099-0002', exploitation: 'poc' },
    ]) });
    await importFile(t.ctx, vm, { kind: 'findings', file: write('findings.json', findings('nginx flaw')), triage: true });
  });
  afterEach(async () => t.cleanup());

  it('records who, when and why, names the analyst in ruled_out, decides again and audits', async () => {
    const before = await explainFinding(t.ctx, vm, 'F-web');
    expect(before.stay_reasons).toEqual(['unvalidated_scanner_finding', 'vendor_advisory_only']);

    const r = await setFindingVerdict(t.ctx, vm, { finding: 'F-web', validation: 'not_affected', note: 'module not compiled in' });
    expect(r).toMatchObject({
      finding: 'F-web', actor: 'vm', note: 'module not compiled in', validation: 'not_affected', reachability: 'unknown', ruled_out_by: 'vm',
      before: { validation: 'unvalidated', reachability: 'unknown', containment_needed: false, ruled_out_by: null },
      decision: { outcome: 'stay', stay_reasons: ['ruled_out'], ruleset: '2026.12.1' },
      incident: null,
    });
    expect(r.decision.evidence).toContain('ruled_out_by:vm');

    const why = await explainFinding(t.ctx, vm, 'F-web');
    expect(why).toMatchObject({ decision: r.decision.id, engine: 2, stay_reasons: ['ruled_out'], replay: { verified: true } });
    expect(why.explanation.find((l) => l.rule === 'stay.ruled_out')?.facts).toEqual(['analyst vm ruled it not_affected (verdict on the finding)']);

    const shown = await showFinding(t.ctx, vm, 'F-web');
    expect(shown.finding).toMatchObject({ validation: 'not_affected', ruled_out_by: 'vm', verdict_at: r.at });
    expect(shown.verdicts).toEqual([{ id: r.verdict, actor: 'vm', at: r.at, note: 'module not compiled in', set: { validation: 'not_affected', reachability: null, containment_needed: null }, before: r.before, decision: r.decision.id }]);
    expect(shown.decision).toMatchObject({ id: r.decision.id, engine: 2, stay_reasons: ['ruled_out'] });

    const events = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action', 'entity_type']).where('entity_id', '=', 'F-web').execute();
    expect(events).toEqual([{ actor: 'vm', action: 'finding.verdict', entity_type: 'finding' }]);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
    const run = await t.ctx.store.db.selectFrom('triage_runs').select(['source', 'actor', 'evaluated']).where('id', '=', r.decision.id.split('/')[0] ?? '').executeTakeFirst();
    expect(run).toEqual({ source: 'verdict', actor: 'vm', evaluated: 1 });
  });

  it('an unreachable verdict gives the unreachable stay reason, and a later verdict clears who ruled it out', async () => {
    await setFindingVerdict(t.ctx, vm, { finding: 'F-web', validation: 'false_positive', note: 'scanner matched the wrong package' });
    const r = await setFindingVerdict(t.ctx, lead, { finding: 'F-web', validation: 'unvalidated', reachability: 'unreachable', note: 'it is our nginx after all, but only on the loopback interface' });
    expect(r).toMatchObject({ ruled_out_by: null, before: { validation: 'false_positive', ruled_out_by: 'vm' }, decision: { stay_reasons: ['unvalidated_scanner_finding', 'unreachable'] } });
    expect((await showFinding(t.ctx, vm, 'F-web')).verdicts.map((v) => v.actor)).toEqual(['vm', 'lead']);
  });

  it('a containment verdict escalates and hands the finding to IR', async () => {
    const r = await setFindingVerdict(t.ctx, vm, { finding: 'F-db', containment: 'isolate', note: 'EDR shows the exploit chain on a sibling host' });
    expect(r.containment_needed).toBe('isolate');
    expect(r.decision).toMatchObject({ outcome: 'escalate', triggers: ['containment_needed'] });
    expect(r.decision.evidence).toContain('containment:isolation');
    expect(r.incident).toMatchObject({ created: true });
    const linked = await t.ctx.store.db.selectFrom('decisions').select(['incident_id']).where('id', '=', r.decision.id).executeTakeFirst();
    expect(linked?.incident_id).toBe(r.incident?.incident);
    const audit = await t.ctx.store.db.selectFrom('audit_events').select('incident_id').where('action', '=', 'finding.verdict').executeTakeFirst();
    expect(audit?.incident_id).toBe(r.incident?.incident);
    // clearing the flag: the words that mean "no"
    const cleared = await setFindingVerdict(t.ctx, vm, { finding: 'F-db', containment: 'none', note: 'isolated by IR; flag no longer needed' });
    expect(cleared).toMatchObject({ containment_needed: false, decision: { outcome: 'stay' } });
  });

  it('a re-import of the report keeps the analyst verdict (the verdict beats the file)', async () => {
    await setFindingVerdict(t.ctx, vm, { finding: 'F-web', validation: 'not_affected', reachability: 'unreachable', note: 'not affected' });
    const again = await importFile(t.ctx, vm, { kind: 'findings', file: write('findings-2.json', findings('nginx flaw, re-titled')), triage: true });
    expect(again.updated).toBe(1);
    const row = await t.ctx.store.db.selectFrom('findings').select(['title', 'validation', 'reachability', 'ruled_out_by']).where('id', '=', 'F-web').executeTakeFirst();
    expect(row).toEqual({ title: 'nginx flaw, re-titled', validation: 'not_affected', reachability: 'unreachable', ruled_out_by: 'vm' });
    expect((await explainFinding(t.ctx, vm, 'F-web')).stay_reasons).toEqual(['ruled_out', 'unreachable']);
  });

  it('a VEX not_affected statement is named by the ruled_out stay reason', async () => {
    const vex = write('vex.json', {
      '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://example.com/vex/9', author: 'nginx', timestamp: '2026-11-01T00:00:00Z', version: 1,
      statements: [{ vulnerability: { name: 'CVE-2099-0001' }, products: [{ '@id': 'pkg:generic/nginx@1.22' }], status: 'not_affected', justification: 'vulnerable_code_not_present' }],
    });
    expect(await importFile(t.ctx, vm, { kind: 'advisories', file: vex })).toMatchObject({ findings_not_affected: 1 });
    await triageStored(t.ctx, vm, {}, await loadRuleset());
    const why = await explainFinding(t.ctx, vm, 'F-web');
    expect(why.stay_reasons).toEqual(['ruled_out']);
    expect(why.explanation.find((l) => l.rule === 'stay.ruled_out')?.facts[0]).toContain('VEX/CSAF statement openvex:https://example.com/vex/9 (vulnerable_code_not_present)');
  });

  it('refuses bad input naming the field, an unknown finding and a caller without the role, writing nothing', async () => {
    const none = await refusal(setFindingVerdict(t.ctx, vm, { finding: 'F-web', note: 'nothing set' }));
    expect(none).toMatchObject({ code: 'CL_BAD_INPUT' });
    expect(none.message).toContain('validation: a verdict sets at least one of validation, reachability, containment');
    expect((await refusal(setFindingVerdict(t.ctx, vm, { finding: 'F-web', validation: 'validated', note: '  ' }))).message).toContain('note');
    expect((await refusal(setFindingVerdict(t.ctx, vm, { finding: 'F-web', validation: 'maybe' as never, note: 'x' }))).message).toContain('validation');
    expect(await refusal(setFindingVerdict(t.ctx, vm, { finding: 'F-nope', validation: 'validated', note: 'x' }))).toMatchObject({ code: 'CL_NOT_FOUND' });
    expect(await refusal(setFindingVerdict(t.ctx, { actor: 'auditor' }, { finding: 'F-web', validation: 'validated', note: 'x' }))).toMatchObject({ code: 'CL_FORBIDDEN' });
    expect(await t.ctx.store.db.selectFrom('finding_verdicts').selectAll().execute()).toEqual([]);
    const row = await t.ctx.store.db.selectFrom('findings').select(['validation', 'verdict_at']).where('id', '=', 'F-web').executeTakeFirst();
    expect(row).toEqual({ validation: 'unvalidated', verdict_at: null });
  });
});
