/**
 * Infrastructure findings take part in triage (docs/formats.md): a Nessus finding of a KEV CVE on
 * a host the inventory calls internet-facing escalates as `dangerous_exposure` (the remote check
 * makes it reachable from the scanner), the same finding on a host known only from the scan stays;
 * a ZAP alert on a URL belongs to the inventory asset of the URL's host. Real corpus reports,
 * both engines.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainFinding } from '../../src/app/explain-finding.js';
import { handoffNotes } from '../../src/app/handoff-notes.js';
import { importFile } from '../../src/app/importer.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { showFinding } from '../../src/app/show-finding.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

const vm = { actor: 'vm' };
const KEV = corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json');
const NESSUS_CSV = corpusPath('scanners/tenable/nessus/nessus-template.csv');
// PHP-CGI argument injection, in the KEV catalog; Nessus plugin 200162 found it on 192.168.0.101:8080
const KEV_CVE = 'CVE-2024-4577';

function assetsFile(lines: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-netscan-'));
  const file = path.join(dir, 'assets.csv');
  writeFileSync(file, ['id,name,service,owner,business_critical,exposure,auth_required,aliases', ...lines].join('\n'));
  return file;
}

describe.each(ENGINES)('network scanner findings in triage on %s', (engine) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'netscan' });
  });
  afterEach(async () => t.cleanup());

  async function kevFinding(): Promise<{ id: string; asset_id: string; check_type: string | null; extra: string }> {
    const row = await t.ctx.store.db
      .selectFrom('findings')
      .select(['id', 'asset_id', 'check_type', 'extra'])
      .where('vulnerability_id', '=', KEV_CVE)
      .executeTakeFirst();
    expect(row, `a finding of ${KEV_CVE}`).toBeDefined();
    if (row === undefined) throw new Error('no finding');
    return row;
  }

  it('a Nessus finding of a KEV CVE on an internet-facing host escalates as dangerous_exposure, from the remote check', async () => {
    await importFile(t.ctx, vm, { kind: 'assets', file: assetsFile(['php-gw,PHP gateway,shop,web-team,false,internet,true,ip:192.168.0.101']) });
    await importFile(t.ctx, vm, { kind: 'kev', file: KEV });
    const imported = await importFile(t.ctx, vm, { kind: 'findings', file: NESSUS_CSV });
    expect(imported.format).toBe('tenable');
    const f = await kevFinding();
    // the scanner named the host by its address; the inventory alias claimed it
    expect(f.asset_id).toBe('php-gw');
    expect(f.check_type).toBe('remote');
    expect(JSON.parse(f.extra)).toMatchObject({ port: 8080, protocol: 'tcp' });

    const r = await triageStored(t.ctx, vm, { escalate: true }, await loadRuleset());
    const decision = r.escalations.find((d) => d.finding === f.id);
    expect(decision?.triggers).toContain('dangerous_exposure');
    const why = await explainFinding(t.ctx, vm, f.id);
    expect(why.outcome).toBe('escalate');
    const lines = new Map(why.explanation.map((l) => [l.rule, l]));
    expect(lines.get('dangerous_exposure')?.holds).toBe(true);
    expect(lines.get('dangerous_exposure.environment_fit')?.holds).toBe(true);
    expect(JSON.stringify(lines.get('applicability')?.facts)).toContain('remote network check');
    expect(why.evidence).toContain(`remote_check:${f.id}`);

    // the finding says where the scanner saw it, and from where
    const shown = await showFinding(t.ctx, vm, f.id);
    expect(shown.finding.where).toMatchObject({ port: 8080, protocol: 'tcp', vantage_point: 'Tenable scanner (the CSV export does not say where it ran)' });

    // the incident's handoff note says where the scanner saw it from
    const handed = r.incidents.find((i) => i.finding === f.id);
    expect(handed).toBeDefined();
    const notes = await handoffNotes(t.ctx, vm, handed?.incident ?? '');
    const note = notes.find((n) => n.decision === handed?.decision);
    expect(note?.markdown).toContain('remote network check from Tenable scanner (the CSV export does not say where it ran)');
    expect(note?.markdown).toContain(KEV_CVE);
  });

  it('the same finding on a host only the scan knows stays: its private address makes it internal', async () => {
    await importFile(t.ctx, vm, { kind: 'kev', file: KEV });
    await importFile(t.ctx, vm, { kind: 'findings', file: NESSUS_CSV });
    const f = await kevFinding();
    const asset = await t.ctx.store.db.selectFrom('assets').select(['id', 'exposure', 'not_in_inventory', 'extra']).where('id', '=', f.asset_id).executeTakeFirstOrThrow();
    expect(asset.exposure).toBe('internal');
    expect(Boolean(asset.not_in_inventory)).toBe(true);
    expect(JSON.parse(asset.extra)).toMatchObject({ exposure_basis: expect.stringContaining('192.168.0.101') });
    const r = await triageStored(t.ctx, vm, { escalate: false }, await loadRuleset());
    expect(r.escalations.find((d) => d.finding === f.id)?.triggers ?? []).not.toContain('dangerous_exposure');
  });

  it('a host first named without its address takes the exposure a later network scan implies, once', async () => {
    // ZAP names the host only: provisional, exposure unknown
    await importFile(t.ctx, vm, { kind: 'findings', file: corpusPath('scanners/zap/juicy2.xml') });
    const exposure = async (): Promise<{ exposure: string; extra: string } | undefined> =>
      t.ctx.store.db.selectFrom('assets').select(['exposure', 'extra']).where('id', '=', 'host:juice-shop.herokuapp.com').executeTakeFirst();
    expect((await exposure())?.exposure).toBe('unknown');
    // a Nessus scan of the same host gives its (routable) address
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-netscan-'));
    const nessus = (ip: string): string => {
      const file = path.join(dir, `scan-${ip}.nessus`);
      writeFileSync(
        file,
        `<?xml version="1.0" ?><NessusClientData_v2><Report name="r"><ReportHost name="juice-shop.herokuapp.com"><HostProperties><tag name="host-fqdn">juice-shop.herokuapp.com</tag><tag name="host-ip">${ip}</tag></HostProperties>` +
          '<ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="42873" pluginName="SSL Medium Strength Cipher Suites Supported"><plugin_type>remote</plugin_type><cve>CVE-2016-2183</cve></ReportItem></ReportHost></Report></NessusClientData_v2>',
      );
      return file;
    };
    await importFile(t.ctx, vm, { kind: 'findings', file: nessus('54.220.192.176') });
    const learned = await exposure();
    expect(learned?.exposure).toBe('internet');
    expect(JSON.parse(learned?.extra ?? '{}')).toMatchObject({ exposure_basis: 'address 54.220.192.176 is globally routable', host: { ip: '54.220.192.176' } });
    // an exposure once known is not changed by a later scan
    await importFile(t.ctx, vm, { kind: 'findings', file: nessus('10.0.0.9') });
    expect((await exposure())?.exposure).toBe('internet');
  });

  it('a ZAP alert on a URL belongs to the inventory asset of its host', async () => {
    const zapFile = corpusPath('scanners/zap/juicy2.xml');
    // which host the report scanned is read from the report itself
    const imported0 = await importFile(t.ctx, vm, { kind: 'findings', file: zapFile });
    expect(imported0.format).toBe('zap');
    const targets = await t.ctx.store.db.selectFrom('findings').select(['asset_id', 'target']).distinct().execute();
    expect(targets.length).toBeGreaterThan(0);
    const target = targets[0]?.target ?? '';
    expect(target).toMatch(/^host:/);
    // an inventory that names the host, then the report again: its alerts move to the inventory asset
    await importFile(t.ctx, vm, { kind: 'assets', file: assetsFile([`juice-shop,Juice Shop,shop,web-team,true,internet,false,${target.slice('host:'.length)}`]) });
    await importFile(t.ctx, vm, { kind: 'findings', file: zapFile, force: true });
    const rows = await t.ctx.store.db.selectFrom('findings').select(['id', 'asset_id', 'check_type']).where('target', '=', target).where('status', '=', 'open').execute();
    const one = await showFinding(t.ctx, vm, rows[0]?.id ?? '');
    expect(one.finding.where?.vantage_point).toMatch(/^ZAP .* scan of https?:\/\//);
    // a code scanner's finding has no network location
    await importFile(t.ctx, vm, { kind: 'findings', file: corpusPath('scanners/semgrep/one_finding.json') });
    const code = await t.ctx.store.db.selectFrom('findings').select('id').where('source', '=', 'semgrep').executeTakeFirstOrThrow();
    expect((await showFinding(t.ctx, vm, code.id)).finding.where).toBeNull();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.asset_id))).toEqual(new Set(['juice-shop']));
    expect(new Set(rows.map((r) => r.check_type))).toEqual(new Set(['remote']));
  });
});
