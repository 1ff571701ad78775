import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { showIncident } from '../../src/app/incidents.js';
import { explainFinding } from '../../src/app/explain-finding.js';
import { handoffNotes } from '../../src/app/handoff-notes.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageFiles } from '../../src/app/triage-files.js';
import { triageStored } from '../../src/app/triage-stored.js';
import type { Decision } from '../../src/domain/escalation/index.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

const vm = { actor: 'vm' };

function writeInputs(): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-flow-'));
  const files = {
    assets: path.join(dir, 'assets.csv'),
    vulnerabilities: path.join(dir, 'vulns.ndjson'),
    findings: path.join(dir, 'findings.json'),
    signals: path.join(dir, 'signals.ndjson'),
  };
  writeFileSync(
    files.assets,
    [
      'id,name,service,owner,business_critical,exposure,auth_required,privileged,regulated,telemetry,components',
      'web-01,Web 1,shop,web-team,true,internet,false,false,pii,true,httpd@2.4.49',
      'batch-07,Batch 7,reports,,false,internal,true,false,,true,',
      'vault-01,Vault,identity,sec-team,true,internal,true,true,,false,',
    ].join('\n'),
  );
  writeFileSync(
    files.vulnerabilities,
    [
      { id: 'CVE-2021-41773', cvss: { version: '3.1', base_score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }, exploitation: 'active', public_poc: true },
      { id: 'CVE-2099-1111', cvss: { version: '3.1', base_score: 9.8 }, exploitation: 'none' },
      { id: 'CVE-2099-2222', cvss: { version: '3.1', base_score: 8.1 }, exploitation: 'poc', public_poc: true },
    ]
      .map((v) => JSON.stringify(v))
      .join('\n'),
  );
  writeFileSync(
    files.findings,
    JSON.stringify([
      { id: 'F-web', vulnerability: 'CVE-2021-41773', asset: 'web-01', component: 'httpd', version: '2.4.49' },
      { id: 'F-batch', vulnerability: 'CVE-2099-1111', asset: 'batch-07', component: 'libx', version: '1.0' },
      { id: 'F-vault', vulnerability: 'CVE-2099-2222', asset: 'vault-01', component: 'vaultd', version: '3', affected_version_known: false },
    ]),
  );
  writeFileSync(files.signals, `${JSON.stringify({ id: 'S-1', time: '2026-11-27T23:10:00Z', asset: 'web-01', kind: 'exploit_attempt', vulnerability: 'CVE-2021-41773', source: 'waf', payload: '/cgi-bin/.%2e/.%2e/etc/passwd' })}\n`);
  return files;
}

describe.each(ENGINES)('import → triage → escalate on %s', (engine) => {
  let t: TestContext;
  let files: Record<string, string>;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'flow' });
    files = writeInputs();
  });
  afterEach(async () => t.cleanup());

  async function importAll(): Promise<void> {
    for (const kind of ['assets', 'vulnerabilities', 'signals', 'findings'] as const) {
      const r = await importFile(t.ctx, vm, { kind, file: files[kind] ?? '' });
      expect(r.created).toBeGreaterThan(0);
    }
    const kev = await importFile(t.ctx, vm, { kind: 'kev', file: corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json') });
    expect(kev.count).toBe(1662);
  }

  it('import --triage decides each new or changed finding in the import, exactly as stored triage would', async () => {
    for (const kind of ['assets', 'vulnerabilities', 'signals'] as const) await importFile(t.ctx, vm, { kind, file: files[kind] ?? '' });
    await importFile(t.ctx, vm, { kind: 'kev', file: corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json') });
    const ruleset = await loadRuleset();
    const imported = await importFile(t.ctx, vm, { kind: 'findings', file: files.findings ?? '', triage: true });
    expect(imported.triage).toMatchObject({ evaluated: 3, ruleset: ruleset.version });
    expect(imported.triage?.by_trigger.observed_exploitation).toBe(1);
    const run = imported.triage?.run ?? '';
    expect(await t.ctx.store.db.selectFrom('triage_runs').select(['source', 'import_id', 'evaluated']).where('id', '=', run).executeTakeFirst()).toEqual({ source: 'import', import_id: imported.id, evaluated: 3 });
    const fromImport = await t.ctx.store.db.selectFrom('decisions').selectAll().where('id', 'like', `${run}/%`).orderBy('finding_id').execute();
    const stored = await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    const fromTriage = await t.ctx.store.db.selectFrom('decisions').selectAll().where('id', 'like', `${stored.run}/%`).orderBy('finding_id').execute();
    const strip = (rows: typeof fromImport) => rows.map(({ id: _id, ...rest }) => rest);
    expect(strip(fromImport)).toEqual(strip(fromTriage));
    expect(imported.triage?.by_outcome).toEqual(stored.by_outcome);
    expect(imported.triage?.by_trigger).toEqual(stored.by_trigger);
    const why = await explainFinding(t.ctx, vm, 'F-web');
    expect(why.replay.verified).toBe(true);
    // the same file again: nothing written, nothing decided
    const again = await importFile(t.ctx, vm, { kind: 'findings', file: files.findings ?? '', triage: true });
    expect(again.duplicate_of).toBe(imported.id);
    expect(again.triage).toBeNull();
    // a changed report: only the new and the changed findings are decided
    const changed = path.join(path.dirname(files.findings ?? ''), 'findings-2.json');
    writeFileSync(
      changed,
      JSON.stringify([
        { id: 'F-web', vulnerability: 'CVE-2021-41773', asset: 'web-01', component: 'httpd', version: '2.4.49' },
        { id: 'F-batch', vulnerability: 'CVE-2099-1111', asset: 'batch-07', component: 'libx', version: '1.0', validation: 'false_positive' },
        { id: 'F-new', vulnerability: 'CVE-2099-2222', asset: 'web-01', component: 'libz', version: '2' },
      ]),
    );
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: changed, triage: true });
    expect(second).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    expect(second.triage?.evaluated).toBe(2);
    const decided = await t.ctx.store.db.selectFrom('decisions').select('finding_id').where('id', 'like', `${second.triage?.run ?? ''}/%`).orderBy('finding_id').execute();
    expect(decided.map((d) => d.finding_id)).toEqual(['F-batch', 'F-new']);
    await expect(importFile(t.ctx, vm, { kind: 'assets', file: files.assets ?? '', triage: true })).rejects.toThrow(/findings imports only/);
    await expect(importFile(t.ctx, { actor: 'auditor' }, { kind: 'findings', file: changed, triage: true })).rejects.toThrow(/not allowed|role/);
  });

  it('records a decision per open finding with ruleset version, input hash and the KEV/EPSS snapshot', async () => {
    await importAll();
    const ruleset = await loadRuleset();
    const r = await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    expect(r.evaluated).toBe(3);
    expect(r.by_outcome).toEqual({ escalate: 2, stay: 1 });
    const esc = new Map(r.escalations.map((d) => [d.finding, d.triggers]));
    // unvalidated and reachability unknown: no environment fit yet, so no dangerous_exposure (and so
    // no regulated_impact), but the exploit attempt tied to the path escalates, and validation is urgent
    expect(esc.get('F-web')).toEqual(['observed_exploitation']);
    expect(r.escalations.find((d) => d.finding === 'F-web')?.flags).toContain('validate_urgently');
    // vault: exploit pressure (public PoC) + business-critical + affected version unknown → scope_unknown
    expect(esc.get('F-vault')).toContain('scope_unknown');
    const why = await explainFinding(t.ctx, vm, 'F-web');
    expect(why.ruleset).toBe(ruleset.version);
    expect(why.input_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(why.snapshot).toMatchObject({ kev: { dateAdded: '2021-11-03' } });
    expect(why.explanation.some((l) => l.rule === 'observed_exploitation' && l.holds)).toBe(true);
    const batch = await explainFinding(t.ctx, vm, 'F-batch');
    expect(batch.outcome).toBe('stay');
    expect(batch.stay_reasons).toEqual(expect.arrayContaining(['high_score_only', 'unvalidated_scanner_finding']));
    expect(r.incidents).toEqual([]);
  });

  it('escalates: opens an incident with the handoff note, queues it to ir_lead, keeps remediation open; a rerun links instead of duplicating', async () => {
    await importAll();
    const ruleset = await loadRuleset();
    const first = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(first.incidents).toHaveLength(2);
    expect(first.incidents.every((i) => i.created)).toBe(true);
    const web = first.incidents.find((i) => i.finding === 'F-web');
    expect(web).toBeDefined();
    const incidentId = web?.incident ?? '';
    const view = await showIncident(t.ctx, { actor: 'lead' }, incidentId);
    expect(view.incident.severity).toBe('high');
    expect(view.assets).toEqual(['web-01']);
    expect(view.notifications.map((n) => [n.purpose, n.role, n.status])).toEqual([['handoff', 'ir_lead', 'queued']]);
    expect(view.remediation).toHaveLength(1);
    // due: the KEV due date (2021-11-17) is earlier than the requested response time
    expect(view.remediation[0]).toMatchObject({ finding_id: 'F-web', status: 'open', owner_role: 'vuln_mgmt_owner', assignee: 'web-team', due: '2021-11-17' });
    const notes = await handoffNotes(t.ctx, vm, incidentId);
    expect(notes).toHaveLength(1);
    const note = notes[0]?.note as Record<string, unknown>;
    for (const field of ['triggers', 'advisory', 'affected_scope', 'evidence', 'current_action', 'decision_needed', 'known_uncertainty', 'requested_response', 'recommended_route']) {
      expect(note).toHaveProperty(field);
    }
    expect(notes[0]?.markdown).toContain('IR escalation trigger');
    expect(notes[0]?.markdown).toContain('S-1');

    const again = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(again.incidents.every((i) => !i.created && !i.resent)).toBe(true);
    expect(again.incidents.find((i) => i.finding === 'F-web')?.incident).toBe(incidentId);
    const after = await showIncident(t.ctx, { actor: 'lead' }, incidentId);
    expect(after.notifications).toHaveLength(1);
    expect(after.remediation).toHaveLength(1);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('importing the same file twice changes nothing', async () => {
    const first = await importFile(t.ctx, vm, { kind: 'findings', file: files.findings ?? '' });
    expect(first).toMatchObject({ count: 3, created: 3 });
    const events = (await verifyChain(t.ctx.store.db)).events;
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: files.findings ?? '' });
    expect(second).toMatchObject({ count: 3, created: 0, updated: 0, unchanged: 3, duplicate_of: first.id });
    expect((await verifyChain(t.ctx.store.db)).events).toBe(events);
  });

  it('a bad record anywhere in a file leaves nothing of that file stored and names file, record and field', async () => {
    const bad = path.join(t.dir, 'bad.ndjson');
    writeFileSync(bad, [JSON.stringify({ id: 'ok-1', vulnerability: 'CVE-1', asset: 'a' }), JSON.stringify({ id: 'bad', asset: 'a' })].join('\n'));
    await expect(importFile(t.ctx, vm, { kind: 'findings', file: bad, format: 'native' })).rejects.toMatchObject({ code: 'CL_IMPORT_INVALID', message: expect.stringMatching(/bad\.ndjson.*record 2.*field vulnerability/) });
    const rows = await t.ctx.store.db.selectFrom('findings').select('id').execute();
    expect(rows).toEqual([]);
  });

  it('an OpenVEX not_affected statement sets validation of covered stored findings and keeps the justification', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: files.findings ?? '' });
    const vex = path.join(t.dir, 'vex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/2',
        author: 'Apache',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [
          { vulnerability: { name: 'CVE-2021-41773' }, products: [{ '@id': 'pkg:generic/httpd@2.4.49' }], status: 'not_affected', justification: 'vulnerable_code_not_present' },
          { vulnerability: { name: 'CVE-2099-1111' }, products: [{ '@id': 'pkg:generic/other@1' }], status: 'not_affected', justification: 'component_not_present' },
        ],
      }),
    );
    const r = await importFile(t.ctx, vm, { kind: 'advisories', file: vex });
    expect(r).toMatchObject({ format: 'openvex', count: 2, findings_not_affected: 1 });
    const rows = await t.ctx.store.db.selectFrom('findings').select(['id', 'validation', 'extra']).orderBy('id').execute();
    const web = rows.find((f) => f.id === 'F-web');
    expect(web?.validation).toBe('not_affected');
    expect(JSON.parse(web?.extra ?? '{}')).toMatchObject({ vex: { justification: 'vulnerable_code_not_present' } });
    expect(rows.find((f) => f.id === 'F-batch')?.validation).toBe('unvalidated');
  });

  it('not_affected statements: ids and aliases compared as the engine does, the first covering statement wins, people and other components untouched, any number of ids', async () => {
    const f = (id: string, vulnerability: string, component: string, more: Record<string, unknown> = {}) =>
      JSON.stringify({ id, vulnerability, asset: 'host:web', component, version: '2.4.49', ...more });
    // 5,001 findings of a named vulnerability on components no statement covers
    const filler = Array.from({ length: 5001 }, (_, i) => f(`A-${String(i).padStart(5, '0')}`, 'CVE-2026-0004', `other-${i}`));
    const findingsFile = path.join(t.dir, 'vex-findings.ndjson');
    writeFileSync(
      findingsFile,
      [
        ...filler,
        f('F-plain', 'CVE-2026-0001', 'httpd'),
        f('F-alias', 'GHSA-aaaa-bbbb-cccc', 'libfoo', { aliases: ['cve-2026-0002'] }),
        f('F-other-product', 'CVE-2026-0001', 'nginx'),
        // same vulnerability and component on another asset (the same on one asset would be one finding)
        f('F-person', 'CVE-2026-0001', 'httpd', { asset: 'host:api', validation: 'validated' }),
        f('F-two', 'CVE-2026-0003', 'httpd'),
        f('Z-late', 'CVE-2026-0004', 'httpd'),
      ].join('\n'),
    );
    await importFile(t.ctx, vm, { kind: 'findings', file: findingsFile, format: 'native' });
    const vex = path.join(t.dir, 'vex-many.json');
    const st = (name: string, product: string, justification: string) => ({ vulnerability: { name }, products: [{ '@id': product }], status: 'not_affected', justification });
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/3',
        author: 'Vendor',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [
          // 600 ids the store does not hold come first: the ids that matter are past the first query's 500
          ...Array.from({ length: 600 }, (_, i) => st(`CVE-2025-${10000 + i}`, 'pkg:generic/httpd', 'component_not_present')),
          st('CVE-2026-0001', 'pkg:generic/httpd@2.4.49', 'vulnerable_code_not_present'),
          st('CVE-2026-0002', 'pkg:generic/libfoo', 'component_not_present'),
          st('CVE-2026-0003', 'pkg:generic/httpd', 'inline_mitigations_already_exist'),
          st('CVE-2026-0003', 'pkg:generic/httpd', 'vulnerable_code_cannot_be_controlled_by_adversary'),
          st('cve-2026-0004', 'pkg:generic/httpd', 'vulnerable_code_not_in_execute_path'),
        ],
      }),
    );
    const r = await importFile(t.ctx, vm, { kind: 'advisories', file: vex });
    expect(r).toMatchObject({ format: 'openvex', count: 605, findings_not_affected: 4 });
    const rows = await t.ctx.store.db.selectFrom('findings').select(['id', 'validation', 'extra']).where('id', 'not like', 'A-%').orderBy('id').execute();
    const state = Object.fromEntries(rows.map((row) => [row.id, [row.validation, (JSON.parse(row.extra) as { vex?: { justification: string } }).vex?.justification ?? null]]));
    expect(state).toEqual({
      'F-alias': ['not_affected', 'component_not_present'],
      'F-other-product': ['unvalidated', null],
      'F-person': ['validated', null],
      'F-plain': ['not_affected', 'vulnerable_code_not_present'],
      'F-two': ['not_affected', 'inline_mitigations_already_exist'],
      'Z-late': ['not_affected', 'vulnerable_code_not_in_execute_path'],
    });
    const filler2 = await t.ctx.store.db.selectFrom('findings').select('validation').where('id', 'like', 'A-%').execute();
    expect(filler2).toHaveLength(5001);
    expect(filler2.every((row) => row.validation === 'unvalidated')).toBe(true);
  });

  it('many escalations in one run: every finding of one exposed vulnerability links the one incident an earlier chunk opened; a rerun resends only what changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-many-'));
    const n = 600;
    const assets = Array.from({ length: n }, (_, i) => ({ id: `host-${i}`, name: `Host ${i}`, owner: 'ops', business_critical: true, exposure: 'internet', auth_required: false }));
    // each asset's second finding (another component) comes after every first one: it links to the
    // incident opened two chunks of escalations before
    const findings = [0, 1].flatMap((k) => assets.map((a) => ({ id: `F-${a.id}-${k}`, vulnerability: 'CVE-2021-41773', asset: a.id, component: `httpd-${k}`, version: '2.4.49', validation: 'validated' })));
    const write = (name: string, rows: unknown[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    await importFile(t.ctx, vm, { kind: 'assets', file: write('assets.ndjson', assets) });
    await importFile(t.ctx, vm, { kind: 'vulnerabilities', file: write('vulns.ndjson', [{ id: 'CVE-2021-41773', exploitation: 'active', public_poc: true }]) });
    await importFile(t.ctx, vm, { kind: 'findings', file: write('findings.ndjson', findings) });
    const ruleset = await loadRuleset();
    const first = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(first.by_outcome.escalate).toBe(2 * n);
    expect(first.incidents).toHaveLength(2 * n);
    const campaign = first.incidents[0]?.incident ?? '';
    expect(first.incidents.filter((i) => i.created).map((i) => i.finding)).toEqual(['F-host-0-0']);
    expect(first.incidents.every((i) => i.incident === campaign && i.resent && i.grouping === 'vuln:CVE-2021-41773')).toBe(true);
    const byFinding = new Map(first.incidents.map((i) => [i.finding, i]));
    const db = t.ctx.store.db;
    const count = async (table: 'incidents' | 'handoff_notes' | 'remediation_items' | 'notifications' | 'incident_assets') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('incidents')).toBe(1);
    expect(await count('incident_assets')).toBe(n);
    expect(await count('handoff_notes')).toBe(2 * n);
    expect(await count('remediation_items')).toBe(2 * n);
    // one handoff to the IR lead for the incident, not one per finding
    expect(first.revisions).toEqual([{ incident: campaign, revision: 1, findings: 2 * n, assets: n }]);
    expect(await count('notifications')).toBe(1);

    // the same facts again: every escalation links, nothing is resent or reopened
    const again = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(again.incidents.filter((i) => i.created || i.resent)).toEqual([]);
    expect(again.incidents.find((i) => i.finding === 'F-host-599-1')?.handoff).toBe(byFinding.get('F-host-599-1')?.handoff);
    expect(again.revisions).toEqual([]);
    // an exploit attempt on one asset: its two findings are now about that host, an incident of its own
    await importFile(t.ctx, vm, { kind: 'signals', file: write('signals.ndjson', [{ id: 'S-7', time: '2026-11-28T01:00:00Z', asset: 'host-7', kind: 'exploit_attempt', vulnerability: 'CVE-2021-41773', source: 'waf' }]) });
    const third = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(third.incidents.filter((i) => i.resent).map((i) => [i.finding, i.grouping]).sort()).toEqual([['F-host-7-0', 'asset:host-7'], ['F-host-7-1', 'asset:host-7']]);
    expect(third.incidents.filter((i) => i.created).map((i) => i.finding)).toEqual(['F-host-7-0']);
    expect(third.revisions.map((r) => [r.revision, r.findings])).toEqual([[1, 2]]);
    expect(await count('incidents')).toBe(2);
    expect(await count('handoff_notes')).toBe(2 * n + 2);
    expect(await count('remediation_items')).toBe(2 * n);
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('two escalating triage runs at once open one incident for one exposed vulnerability', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-race-'));
    const n = 300;
    const write = (name: string, rows: unknown[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    const assets = Array.from({ length: n }, (_, i) => ({ id: `host-${i}`, name: `Host ${i}`, business_critical: true, exposure: 'internet', auth_required: false }));
    await importFile(t.ctx, vm, { kind: 'assets', file: write('assets.ndjson', assets) });
    await importFile(t.ctx, vm, { kind: 'vulnerabilities', file: write('vulns.ndjson', [{ id: 'CVE-2021-41773', exploitation: 'active', public_poc: true }]) });
    await importFile(t.ctx, vm, { kind: 'findings', file: write('findings.ndjson', assets.map((a) => ({ id: `F-${a.id}`, vulnerability: 'CVE-2021-41773', asset: a.id, component: 'httpd', version: '2.4.49', validation: 'validated' }))) });
    const ruleset = await loadRuleset();
    // a run before (its ruleset stored): the two below meet only on what escalation writes
    expect((await triageStored(t.ctx, vm, {}, ruleset)).by_outcome.escalate).toBe(n);
    // on PostgreSQL the two runs are two transactions on two connections; SQLite runs them one after
    // the other. Each run takes its id first (a counter's row lock until it commits), so the second
    // escalates after the first has committed and links its incident.
    const runs = await Promise.all([triageStored(t.ctx, vm, { escalate: true }, ruleset), triageStored(t.ctx, vm, { escalate: true }, ruleset)]);
    const db = t.ctx.store.db;
    expect(Number((await db.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(1);
    expect(runs.flatMap((r) => r.incidents).filter((i) => i.created)).toHaveLength(1);
    expect(runs.flatMap((r) => r.revisions)).toHaveLength(1);
    expect(Number((await db.selectFrom('handoff_notes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(n);
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('a later vulnerabilities file that leaves a field out keeps what is known, stored as over files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-vulns-'));
    const write = (name: string, rows: unknown[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    const files = {
      assets: write('assets.ndjson', [{ id: 'app-1', exposure: 'internal' }]),
      first: write('v1.ndjson', [{ id: 'CVE-2099-7777', cvss: { version: '3.1', base_score: 9.1 }, fix_available: false, title: 'Known unfixable' }]),
      // a later file says more about exploitation and nothing about a fix, a score or a title
      later: write('v2.ndjson', [{ id: 'CVE-2099-7777', exploitation: 'poc', public_poc: true }]),
      findings: write('findings.ndjson', [{ id: 'F-1', vulnerability: 'CVE-2099-7777', asset: 'app-1', component: 'libz', version: '1' }]),
    };
    const ruleset = await loadRuleset();
    // within one triage over files an id names one record (SPEC §2 rulings): the two files are refused there
    await expect(triageFiles({ assets: [files.assets], vulnerabilities: [files.first, files.later], findings: [files.findings] }, ruleset, () => undefined)).rejects.toThrow(/duplicate vulnerability id "CVE-2099-7777": also .*v1\.ndjson record 1/);
    const known = write('v-known.ndjson', [{ id: 'CVE-2099-7777', cvss: { version: '3.1', base_score: 9.1 }, fix_available: false, title: 'Known unfixable', exploitation: 'poc', public_poc: true }]);
    const overFiles: Decision[] = [];
    await triageFiles({ assets: [files.assets], vulnerabilities: [known], findings: [files.findings] }, ruleset, (d) => overFiles.push(d));
    for (const [kind, file] of [['assets', files.assets], ['vulnerabilities', files.first], ['vulnerabilities', files.later], ['findings', files.findings]] as const) {
      await importFile(t.ctx, vm, { kind, file });
    }
    const stored = await t.ctx.store.db.selectFrom('vulnerabilities').selectAll().where('id', '=', 'CVE-2099-7777').executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ fix_available: 0, cvss_score: 9.1, title: 'Known unfixable', exploitation: 'poc', public_poc: 1 });
    const run = await triageStored(t.ctx, vm, { all: true }, ruleset);
    const { explanation: _, ...fromFiles } = overFiles[0]!;
    expect(run.decisions?.[0]).toEqual(fromFiles);
    expect(fromFiles.next_actions).not.toContain('patch');
  });

  it('an auditor may not import or triage', async () => {
    await expect(importFile(t.ctx, { actor: 'auditor' }, { kind: 'assets', file: files.assets ?? '' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    await expect(triageStored(t.ctx, { actor: 'auditor' }, {}, await loadRuleset())).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
  });
});
