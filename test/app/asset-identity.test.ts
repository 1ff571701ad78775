import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAssets, mergeAssets } from '../../src/app/assets.js';
import { explainFinding } from '../../src/app/explain-finding.js';
import { importFile } from '../../src/app/importer.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

/**
 * Asset identity (docs/importing.md, "Which asset a finding belongs to"): the corpus's Trivy image
 * and filesystem reports against an inventory that names their targets differently (an image
 * without its tag, another with an older tag, a filesystem target it does not name at all).
 */
const vm = { actor: 'vm' };
const IMAGE = corpusPath('scanners/trivy/all_statuses.json'); // noppaknopsta/example-app:main-159, 8 findings
const DOJO = corpusPath('scanners/trivy/scheme_2_many_vulns.json'); // teamdojo:latest, 5 findings
const FILESYSTEM = corpusPath('scanners/trivy/cvssv4_severity_source.json'); // lib/catalina.jar, 3 findings

const INVENTORY = [
  { id: 'payments-api', owner: 'payments-team', exposure: 'internet', aliases: ['noppaknopsta/example-app:main-158', 'payments.corp.example.com'] },
  { id: 'dojo-web', owner: 'dojo-team', aliases: ['image:teamdojo'] },
  { id: 'catalina-svc', owner: 'java-team', business_critical: true },
];

describe.each(ENGINES)('asset identity on %s', (engine) => {
  let t: TestContext;
  const write = (name: string, body: unknown): string => {
    const file = path.join(t.dir, name);
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    return file;
  };
  const findings = () => t.ctx.store.db.selectFrom('findings').select(['id', 'asset_id', 'target', 'scan_key', 'status']).orderBy('id').execute();

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'assetid' });
  });
  afterEach(async () => t.cleanup());

  it('attaches scanner targets to inventory assets by alias and by name; an unmatched target becomes provisional and a merge folds it in', async () => {
    const inv = await importFile(t.ctx, vm, { kind: 'assets', file: write('inventory.json', INVENTORY) });
    expect(inv).toMatchObject({ count: 3, created: 3 });

    // the inventory names the image with an older tag: matched by its repository
    const image = await importFile(t.ctx, vm, { kind: 'findings', file: IMAGE });
    expect(image).toMatchObject({ count: 8, created: 8, unmatched_targets: 0, assets_created: 0 });
    // the inventory names teamdojo without a tag: matched by alias
    const dojo = await importFile(t.ctx, vm, { kind: 'findings', file: DOJO });
    expect(dojo).toMatchObject({ count: 5, created: 5, unmatched_targets: 0, assets_created: 0 });
    let rows = await findings();
    expect(rows.filter((f) => f.asset_id === 'payments-api').map((f) => f.target)).toEqual(Array(8).fill('image:noppaknopsta/example-app'));
    expect(rows.filter((f) => f.asset_id === 'dojo-web')).toHaveLength(5);
    // fingerprints and scan keys stay the report's own target
    expect(new Set(rows.map((f) => f.scan_key))).toEqual(new Set(['trivy|image:noppaknopsta/example-app', 'trivy|image:teamdojo']));

    // the filesystem target is in no inventory record: a provisional asset, exposure unknown, decided as such
    const fs = await importFile(t.ctx, vm, { kind: 'findings', file: FILESYSTEM, triage: true });
    expect(fs).toMatchObject({ count: 3, created: 3, unmatched_targets: 1, assets_created: 1 });
    expect(fs.warnings).toEqual([expect.stringContaining('target "repo:lib/catalina.jar" matches no inventory asset')]);
    const unmatched = await listAssets(t.ctx, vm, { unmatched: true });
    expect(unmatched).toEqual([
      { id: 'repo:lib/catalina.jar', name: 'lib/catalina.jar', owner: null, exposure: 'unknown', not_in_inventory: true, target_type: 'repository', open_findings: 3 },
    ]);
    const onProvisional = (await findings()).find((f) => f.asset_id === 'repo:lib/catalina.jar');
    const why = await explainFinding(t.ctx, vm, onProvisional?.id ?? '');
    expect(why.explanation.flatMap((l) => l.facts)).toContain('repo:lib/catalina.jar: asset not in inventory: owner and exposure unknown');
    expect(why.replay.verified).toBe(true);

    // merged into the inventory asset it really is: findings move, the target becomes an alias, decisions are redone
    const merged = await mergeAssets(t.ctx, vm, { provisional: 'repo:lib/catalina.jar', into: 'catalina-svc' });
    expect(merged).toMatchObject({ findings_moved: 3, signals_moved: 0, aliases_added: ['repo:lib/catalina.jar'], triage: { evaluated: 3 } });
    expect(await listAssets(t.ctx, vm, { unmatched: true })).toEqual([]);
    rows = await findings();
    expect(rows.filter((f) => f.asset_id === 'catalina-svc').map((f) => f.target)).toEqual(Array(3).fill('repo:lib/catalina.jar'));
    const redecided = await t.ctx.store.db.selectFrom('decisions').select(['finding_id', 'asset_id']).where('id', 'like', `${merged.triage.run}/%`).execute();
    expect(redecided.map((d) => d.asset_id)).toEqual(Array(3).fill('catalina-svc'));
    const audited = await t.ctx.store.db.selectFrom('audit_events').select(['action', 'entity_id']).where('action', '=', 'asset.merge').execute();
    expect(audited).toEqual([{ action: 'asset.merge', entity_id: 'catalina-svc' }]);

    // the same reports again: matched through the aliases, nothing duplicated
    for (const file of [IMAGE, DOJO, FILESYSTEM]) {
      const again = await importFile(t.ctx, vm, { kind: 'findings', file, force: true });
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: again.count, unmatched_targets: 0, assets_created: 0 });
    }
    expect(await findings()).toHaveLength(16);

    // a newer filesystem scan without one finding resolves it (by absence, same scan key)
    const report = JSON.parse(readFileSync(FILESYSTEM, 'utf8')) as { Results: { Vulnerabilities: unknown[] }[] };
    report.Results[0]?.Vulnerabilities.shift();
    const newer = await importFile(t.ctx, vm, { kind: 'findings', file: write('newer.json', report) });
    expect(newer).toMatchObject({ count: 2, created: 0, unchanged: 2, resolved: 1 });
    expect(newer.count).toBe(newer.created + newer.updated + newer.unchanged + newer.resolved_again + newer.merged);
    expect((await findings()).filter((f) => f.status === 'resolved').map((f) => f.asset_id)).toEqual(['catalina-svc']);
  });

  it('moves the findings of a provisional asset when the inventory names its target later, without duplicating them', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: IMAGE });
    expect((await listAssets(t.ctx, vm, { unmatched: true })).map((a) => a.id)).toEqual(['image:noppaknopsta/example-app']);
    await importFile(t.ctx, vm, { kind: 'assets', file: write('inventory.json', INVENTORY) });
    const again = await importFile(t.ctx, vm, { kind: 'findings', file: IMAGE, force: true });
    expect(again).toMatchObject({ created: 0, updated: 8, unmatched_targets: 0 });
    const rows = await findings();
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((f) => f.asset_id))).toEqual(new Set(['payments-api']));
    // the provisional asset stays listed (no findings left) until it is merged
    expect(await listAssets(t.ctx, vm, { unmatched: true })).toEqual([expect.objectContaining({ id: 'image:noppaknopsta/example-app', open_findings: 0 })]);
    await mergeAssets(t.ctx, vm, { provisional: 'image:noppaknopsta/example-app', into: 'payments-api' });
    expect(await listAssets(t.ctx, vm, { unmatched: true })).toEqual([]);
  });

  it('adopts a provisional asset the inventory names by id, and replaces the aliases an inventory gave', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: FILESYSTEM });
    const adopted = await importFile(t.ctx, vm, { kind: 'assets', file: write('inv1.json', [{ id: 'repo:lib/catalina.jar', owner: 'java-team', exposure: 'internet', aliases: ['web01.corp.example.com'] }]) });
    expect(adopted).toMatchObject({ count: 1, created: 0, updated: 1 });
    expect(await listAssets(t.ctx, vm, { unmatched: true })).toEqual([]);
    expect((await listAssets(t.ctx, vm, {}))[0]).toMatchObject({ id: 'repo:lib/catalina.jar', exposure: 'internet', owner: 'java-team', not_in_inventory: false, open_findings: 3 });
    const aliases = () => t.ctx.store.db.selectFrom('asset_aliases').select(['kind', 'value', 'asset_id']).orderBy('value').execute();
    expect(await aliases()).toEqual([{ kind: 'host', value: 'web01.corp.example.com', asset_id: 'repo:lib/catalina.jar' }]);
    // a newer inventory gives it other aliases: the old one goes; a record without `aliases` keeps its own
    await importFile(t.ctx, vm, { kind: 'assets', file: write('inv2.json', [{ id: 'repo:lib/catalina.jar', owner: 'java-team', exposure: 'internet', aliases: ['10.0.0.9'] }, { id: 'other' }]) });
    expect(await aliases()).toEqual([{ kind: 'ip', value: '10.0.0.9', asset_id: 'repo:lib/catalina.jar' }]);
    await importFile(t.ctx, vm, { kind: 'assets', file: write('inv3.json', [{ id: 'repo:lib/catalina.jar', owner: 'java-team' }]) });
    expect(await aliases()).toEqual([{ kind: 'ip', value: '10.0.0.9', asset_id: 'repo:lib/catalina.jar' }]);
    // a stored asset's alias given to another asset is a clash
    await expect(importFile(t.ctx, vm, { kind: 'assets', file: write('inv4.json', [{ id: 'other', aliases: ['10.0.0.9'] }]) })).rejects.toMatchObject({ message: expect.stringContaining('is already an alias of stored asset repo:lib/catalina.jar') });
  });

  it('counts what a report lists but does not import, with why', async () => {
    const report = {
      SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem',
      Results: [{ Target: 'Dockerfile', Class: 'config', Type: 'dockerfile', Misconfigurations: [
        { ID: 'DS001', AVDID: 'AVD-DS-0001', Title: ':latest tag used', Status: 'FAIL', Severity: 'MEDIUM' },
        { ID: 'DS002', AVDID: 'AVD-DS-0002', Title: 'root user', Status: 'PASS', Severity: 'HIGH' },
        { ID: 'DS005', AVDID: 'AVD-DS-0005', Title: 'ADD instead of COPY', Status: 'PASS', Severity: 'LOW' },
      ] }],
    };
    const r = await importFile(t.ctx, vm, { kind: 'findings', file: write('misconfig.json', report) });
    expect(r).toMatchObject({ count: 1, created: 1, skipped: { 'misconfiguration check passed': 2 } });
    const sarif = { version: '2.1.0', runs: [{ tool: { driver: { name: 'semgrep', rules: [{ id: 'r1' }] } }, results: [
      { ruleId: 'r1', message: { text: 'found' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.js' }, region: { startLine: 3 } } }] },
      { ruleId: 'r1', kind: 'pass', message: { text: 'fine' } },
      { ruleId: 'r1', baselineState: 'absent', message: { text: 'gone' } },
    ] }] };
    const s = await importFile(t.ctx, vm, { kind: 'findings', file: write('x.sarif', sarif) });
    expect(s).toMatchObject({ count: 1, created: 1, skipped: { 'result of kind pass': 1, 'result with baselineState absent': 1 } });
  });

  it('refuses merging an inventory asset, or into a provisional one', async () => {
    await importFile(t.ctx, vm, { kind: 'assets', file: write('inventory.json', INVENTORY) });
    await importFile(t.ctx, vm, { kind: 'findings', file: FILESYSTEM });
    await expect(mergeAssets(t.ctx, vm, { provisional: 'payments-api', into: 'catalina-svc' })).rejects.toMatchObject({ code: 'CL_RULE_REFUSED' });
    await expect(mergeAssets(t.ctx, vm, { provisional: 'repo:lib/catalina.jar', into: 'nowhere' })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
    await expect(mergeAssets(t.ctx, { actor: 'auditor' }, { provisional: 'repo:lib/catalina.jar', into: 'catalina-svc' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    expect((await listAssets(t.ctx, vm, { unmatched: true })).map((a) => a.id)).toEqual(['repo:lib/catalina.jar']);
  });

  it('reports native findings and signals naming unknown assets or vulnerabilities, and matches them by alias', async () => {
    await importFile(t.ctx, vm, { kind: 'assets', file: write('inventory.json', INVENTORY) });
    const native = write('findings.ndjson', [
      { id: 'N-1', vulnerability: 'CVE-2024-0001', asset: 'PAYMENTS.corp.example.com.' },
      { id: 'N-2', vulnerability: 'CVE-2024-0002', asset: 'ghost-host' },
      // the short host name of the inventory's FQDN alias
      { id: 'N-3', vulnerability: 'CVE-2024-0001', asset: 'Payments' },
    ].map((f) => JSON.stringify(f)).join('\n'));
    const r = await importFile(t.ctx, vm, { kind: 'findings', file: native });
    expect(r).toMatchObject({ count: 3, created: 3, unmatched_targets: 1, unknown_references: { assets: 1, vulnerabilities: 2 } });
    expect(r.warnings.some((w) => w.includes('"ghost-host"') && w.includes('owner and exposure unknown'))).toBe(true);
    const rows = await findings();
    expect(rows.map((f) => [f.id, f.asset_id, f.target])).toEqual([
      ['N-1', 'payments-api', 'PAYMENTS.corp.example.com.'],
      ['N-2', 'ghost-host', 'ghost-host'],
      ['N-3', 'payments-api', 'Payments'],
    ]);
    const ghost = await t.ctx.store.db.selectFrom('assets').select(['exposure', 'not_in_inventory']).where('id', '=', 'ghost-host').executeTakeFirst();
    expect(ghost).toEqual({ exposure: 'unknown', not_in_inventory: 1 });

    const signals = write('signals.ndjson', [
      { id: 'S-1', time: '2026-11-28T10:00:00Z', asset: 'payments.corp.example.com', kind: 'exploit_attempt', vulnerability: 'CVE-2024-0001' },
      { id: 'S-2', time: '2026-11-28T10:00:00Z', asset: 'nowhere', kind: 'webshell', vulnerability: 'CVE-2099-0001' },
    ].map((s) => JSON.stringify(s)).join('\n'));
    const s = await importFile(t.ctx, vm, { kind: 'signals', file: signals });
    expect(s).toMatchObject({ count: 2, created: 2, unknown_references: { assets: 1, vulnerabilities: 1 } });
    const stored = await t.ctx.store.db.selectFrom('signals').select(['id', 'asset_id']).orderBy('id').execute();
    expect(stored).toEqual([{ id: 'S-1', asset_id: 'payments-api' }, { id: 'S-2', asset_id: 'nowhere' }]);
  });

  it('refuses a duplicated id or an alias naming two assets, naming both records, and writes nothing', async () => {
    const dup = write('dup.json', [{ id: 'a1' }, { id: 'a2' }, { id: 'a1', exposure: 'internet' }]);
    await expect(importFile(t.ctx, vm, { kind: 'assets', file: dup })).rejects.toMatchObject({ code: 'CL_IMPORT_INVALID', message: expect.stringMatching(/dup\.json.*record 2.*duplicate asset id "a1": also .*dup\.json record 0/) });
    const clash = write('clash.csv', 'id,aliases\nweb01,web01.corp.example.com;10.0.0.5\nweb02,WEB01.corp.example.com.\n');
    await expect(importFile(t.ctx, vm, { kind: 'assets', file: clash })).rejects.toMatchObject({ message: expect.stringMatching(/clash\.csv, record 3, field aliases\[0\].*also an alias of asset web01 \(record 2/) });
    const dupFindings = write('dupf.ndjson', '{"id":"F-1","vulnerability":"CVE-1","asset":"a"}\n{"id":"F-1","vulnerability":"CVE-2","asset":"a"}\n');
    await expect(importFile(t.ctx, vm, { kind: 'findings', file: dupFindings })).rejects.toMatchObject({ message: expect.stringContaining('duplicate finding id "F-1": also') });
    expect(await t.ctx.store.db.selectFrom('assets').select('id').execute()).toEqual([]);
    expect(await findings()).toEqual([]);
    // a CSV inventory without an aliases column imports as before
    const old = await importFile(t.ctx, vm, { kind: 'assets', file: write('old.csv', 'id,owner,exposure\nweb01,ops,internet\n') });
    expect(old).toMatchObject({ count: 1, created: 1 });
  });
});
