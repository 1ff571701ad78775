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
});
