import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli } from '../helpers/cli.js';
import { corpusPath } from '../helpers/corpus.js';

/** `closeloop import` refusals at the command line: exit 2 and a message naming what was expected. */
let dir: string;
const cli = (args: string[]) => runCli(dir, 'imp.db', args);

beforeAll(async () => {
  dir = await makeCliDir('closeloop-imp-', 'imp.db', 'admin,vuln_mgmt_owner');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import refusals on the command line', () => {
  it('refuses a Trivy report forced as grype with exit 2, then imports it as Trivy; --force imports it again', async () => {
    const file = corpusPath('scanners/trivy/all_statuses.json');
    const wrong = await cli(['import', 'findings', file, '--format', 'grype']);
    expectExit(wrong, 2);
    expect(wrong.stderr).toContain('not a grype report: no top-level `matches` array; this looks like a Trivy report — try --format trivy');
    const right = await cli(['import', 'findings', file, '--json']);
    expectExit(right, 0);
    const first = right.json();
    expect(first).toMatchObject({ format: 'trivy', findings: 8, duplicate_of: null });
    const again = await cli(['import', 'findings', file]);
    expectExit(again, 0);
    expect(again.stdout).toContain('already imported');
    const forced = await cli(['import', 'findings', file, '--force']);
    expectExit(forced, 0);
    expect(forced.stdout).toContain(`(again: same file as ${String(first.id)}, --force)`);
  }, 60_000);

  it('refuses an empty assets file with exit 2', async () => {
    const file = path.join(dir, 'assets.csv');
    writeFileSync(file, '');
    const r = await cli(['import', 'assets', file]);
    expectExit(r, 2);
    expect(r.stderr).toContain('the file is empty: no assets to import');
  }, 60_000);

  it.each([
    ['kev', 'the CISA KEV catalog (JSON)'],
    ['epss', 'the FIRST EPSS CSV'],
    ['advisories', 'CSAF 2.0, OpenVEX'],
  ])('refuses a Trivy report given as %s with exit 2, naming what it reads', async (kind, supported) => {
    const file = corpusPath('scanners/trivy/all_statuses.json');
    const r = await cli(['import', kind, file]);
    expectExit(r, 2);
    expect(r.stderr).toContain(`all_statuses.json is not a format closeloop reads as ${kind} (it looks like a Trivy report: import it as findings); supported: ${supported}`);
  }, 60_000);

  it('refuses a CSV given as kev (and with --format kev) with exit 2, and an EPSS CSV without a cve column', async () => {
    const csv = path.join(dir, 'findings.csv');
    writeFileSync(csv, 'vulnerability,asset\nCVE-2024-1,host:a\n');
    for (const args of [['import', 'kev', csv], ['import', 'kev', csv, '--format', 'kev']]) {
      const r = await cli(args);
      expectExit(r, 2);
      expect(r.stderr).toContain('findings.csv is not a format closeloop reads as kev; supported: the CISA KEV catalog (JSON)');
    }
    const asEpss = await cli(['import', 'epss', csv]);
    expectExit(asEpss, 2);
    expect(asEpss.stderr).toContain('findings.csv is not a format closeloop reads as epss; supported: the FIRST EPSS CSV');
  }, 60_000);

  it('keeps the field error for a KEV catalog and an EPSS CSV with a bad record', async () => {
    const kev = path.join(dir, 'kev.json');
    writeFileSync(kev, JSON.stringify({ catalogVersion: '1', vulnerabilities: [{ cveID: 'CVE-2024-1' }] }));
    const badKev = await cli(['import', 'kev', kev]);
    expectExit(badKev, 2);
    expect(badKev.stderr).not.toContain('not a format closeloop reads');
    expect(badKev.stderr).toContain('dateAdded');
    const epss = path.join(dir, 'epss.csv');
    writeFileSync(epss, 'cve,epss,percentile\nCVE-2024-1,2,0.5\n');
    const badEpss = await cli(['import', 'epss', epss]);
    expectExit(badEpss, 2);
    expect(badEpss.stderr).not.toContain('not a format closeloop reads');
    expect(badEpss.stderr).toContain('epss');
  }, 60_000);
});
