import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli } from '../helpers/cli.js';
import { corpusPath } from '../helpers/corpus.js';

/** Asset identity at the command line: aliases, provisional assets, `assets list --unmatched`, `assets merge`, input integrity. */
let dir: string;
const cli = (args: string[]) => runCli(dir, 'assets.db', args);
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  dir = await makeCliDir('closeloop-assets-', 'assets.db', 'vuln_mgmt_owner');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('assets on the command line', () => {
  it('matches report targets through inventory aliases, lists the unmatched one and merges it', async () => {
    const inventory = file('inventory.csv', 'id,owner,exposure,aliases\npayments-api,payments,internet,noppaknopsta/example-app;payments.corp.example.com\ncatalina-svc,java,internal,\n');
    expectExit(await cli(['import', 'assets', inventory]), 0);

    const image = await cli(['import', 'findings', corpusPath('scanners/trivy/all_statuses.json'), '--json']);
    expectExit(image, 0);
    expect(image.json()).toMatchObject({ findings: 8, created: 8, unmatched_targets: 0, unknown_references: { assets: 0, vulnerabilities: 0 }, warnings: [] });
    expect(image.stderr).not.toContain('warning');

    const fs = await cli(['import', 'findings', corpusPath('scanners/trivy/cvssv4_severity_source.json')]);
    expectExit(fs, 0);
    expect(fs.stdout).toContain('1 targets not in the inventory');
    expect(fs.stderr).toContain('closeloop: warning: target "repo:lib/catalina.jar" matches no inventory asset: kept as a provisional asset, not in inventory (owner and exposure unknown)');

    const listed = await cli(['assets', 'list', '--unmatched']);
    expectExit(listed, 0);
    expect(listed.stdout.trim()).toBe('repo:lib/catalina.jar\tNOT IN INVENTORY\texposure unknown\towner -\t3 open findings\t(repository)');
    const all = await cli(['assets', 'list', '--json']);
    expect((all.json() as { assets: { id: string }[] }).assets.map((a) => a.id)).toEqual(['catalina-svc', 'payments-api', 'repo:lib/catalina.jar']);

    const merged = await cli(['assets', 'merge', 'repo:lib/catalina.jar', 'catalina-svc']);
    expectExit(merged, 0);
    expect(merged.stdout).toContain('repo:lib/catalina.jar merged into catalina-svc: 3 findings and 0 signals moved; aliases repo:lib/catalina.jar');
    expect((await cli(['assets', 'list', '--unmatched'])).stdout).toContain('no provisional assets');

    const again = await cli(['import', 'findings', corpusPath('scanners/trivy/cvssv4_severity_source.json'), '--force', '--json']);
    expectExit(again, 0);
    expect(again.json()).toMatchObject({ findings: 3, created: 0, unchanged: 3, unmatched_targets: 0 });

    // the merge needs a provisional asset
    const refused = await cli(['assets', 'merge', 'payments-api', 'catalina-svc']);
    expectExit(refused, 3);
    expect(refused.stderr).toContain('asset payments-api is in the inventory, not provisional');
  }, 120_000);

  it('names the formats it reads when a file is in none of them', async () => {
    // a KEV catalog is no scanner report
    const kev = await cli(['import', 'findings', corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json')]);
    expectExit(kev, 2);
    expect(kev.stderr).toContain('known_exploited_vulnerabilities.json is not a format closeloop reads');
    expect(kev.stderr).toContain('supported: a Trivy report, a grype report');
    expect(kev.stderr).toContain('a Nessus / Tenable report');
    const trivyAsAssets = await cli(['import', 'assets', corpusPath('scanners/trivy/all_statuses.json')]);
    expectExit(trivyAsAssets, 2);
    expect(trivyAsAssets.stderr).toContain('all_statuses.json is not a format closeloop reads as assets (it looks like a Trivy report: import it as findings); supported: closeloop assets');
  }, 60_000);

  it('refuses an id repeated across the files of one triage, naming both records; reports unknown references', async () => {
    const a1 = file('a1.ndjson', '{"id":"web01","exposure":"internet"}\n');
    const a2 = file('a2.ndjson', '{"id":"db01"}\n{"id":"web01","exposure":"internal"}\n');
    const findings = file('f.ndjson', '{"vulnerability":"CVE-2024-3094","asset":"web01.corp.example.com"}\n{"vulnerability":"CVE-2024-3094","asset":"ghost"}\n');
    const dup = await cli(['triage', '--assets', a1, '--assets', a2, '--findings', findings]);
    expectExit(dup, 2);
    expect(dup.stderr).toContain(`duplicate asset id "web01": also ${a1} record 1`);
    expect(dup.stderr).toContain('a2.ndjson');

    const inv = file('a3.ndjson', '{"id":"web01","aliases":["web01.corp.example.com"]}\n');
    const r = await cli(['triage', '--assets', inv, '--findings', findings, '--json']);
    expectExit(r, 0);
    const out = r.json() as { unknown_references: { assets: number; vulnerabilities: number }; decisions: { asset: string }[] };
    expect(out.unknown_references).toEqual({ assets: 1, vulnerabilities: 1 });
    expect(out.decisions.map((d) => d.asset)).toEqual(['web01', 'ghost']);
    expect(r.stderr).toContain('closeloop: warning: findings name asset "ghost", which is in no assets file: decided as not in inventory (owner and exposure unknown)');
  }, 60_000);
});
