import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, root, runCli } from '../helpers/cli.js';
import { corpusPath } from '../helpers/corpus.js';

let dir: string;

const cli = (args: string[]) => runCli(dir, 'vr.db', args);

beforeAll(async () => {
  dir = await makeCliDir('closeloop-vr-', 'vr.db', 'admin,vuln_mgmt_owner');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vulnerability response on the command line', () => {
  it('imports a real scanner report with --json counts and recognises it the second time', async () => {
    const file = corpusPath('scanners/anchore_grype/many_vulns4.json');
    const first = await cli(['import', 'findings', file, '--json']);
    expectExit(first, 0);
    const j = first.json();
    expect(j).toMatchObject({ format: 'grype' });
    expect(j).not.toHaveProperty('errors');
    expect(j.findings as number).toBeGreaterThan(0);
    expect(j.created).toBe(j.findings);
    expect(j.updated).toBe(0);
    const again = (await cli(['import', 'findings', file, '--json'])).json();
    expect(again).toMatchObject({ findings: j.findings, created: 0, updated: 0, duplicate_of: j.id });
  }, 60_000);

  it('an unknown format or kind is a usage error naming what is known', async () => {
    const f = await cli(['import', 'findings', corpusPath('scanners/trivy/all_statuses.json'), '--format', 'nessus']);
    expectExit(f, 2);
    expect(f.stderr).toContain('unknown findings format nessus');
    expect(f.stderr).toContain('trivy');
    const k = await cli(['import', 'widgets', 'x.json']);
    expectExit(k, 2);
    expect(k.stderr).toContain('kind');
  }, 60_000);

  it('a truncated report is refused naming the file, and nothing of it is stored', async () => {
    const whole = corpusPath('scanners/trivy/scheme_2_many_vulns.json');
    const cut = path.join(dir, 'cut.json');
    writeFileSync(cut, spawnSync('head', ['-c', '5000', whole]).stdout);
    const before = (await cli(['audit', 'verify', '--json'])).json().events as number;
    const r = await cli(['import', 'findings', cut, '--format', 'trivy']);
    expectExit(r, 2);
    expect(r.stderr).toContain('cut.json');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await cli(['audit', 'verify', '--json'])).json().events).toBe(before);
  }, 60_000);

  it('rules test runs the shipped cases green and exits 3 on a failing case', async () => {
    const ok = await cli(['rules', 'test', path.join(root, 'rules', 'cases', 'default.yaml')]);
    expectExit(ok, 0);
    expect(ok.stdout).toMatch(/\d+ passed, 0 failed/);
    const bad = path.join(dir, 'bad-cases.yaml');
    writeFileSync(
      bad,
      ['cases:', '  - name: a high score alone does not escalate', '    vulnerability: { id: CVE-2099-1, cvss: { version: "3.1", base_score: 9.9 } }', '    finding: { vulnerability: CVE-2099-1, asset: a }', '    asset: { id: a }', '    expect: { outcome: escalate }', ''].join('\n'),
    );
    const r = await cli(['rules', 'test', bad]);
    expectExit(r, 3);
    expect(r.stdout).toContain('FAIL a high score alone does not escalate');
  }, 60_000);

  it('triage over the store records decisions that why explains', async () => {
    const t = await cli(['triage', '--json']);
    expectExit(t, 0);
    const summary = t.json() as { evaluated: number; escalations: unknown[] };
    expect(summary.evaluated).toBeGreaterThan(0);
    const rows = (await cli(['triage', '--all', '--json'])).json() as { decisions: { finding: string }[] };
    const first = rows.decisions[0]?.finding ?? '';
    const why = await cli(['why', first]);
    expectExit(why, 0);
    expect(why.stdout).toContain('rules:');
    expect(why.stdout).toContain('ruleset');
    expect(why.stdout).toContain('replay verified');
    expect(why.stdout).toMatch(/\[x\] applicability/);
  }, 60_000);

  it('--progress reports long work on stderr and leaves --json stdout alone', async () => {
    const file = corpusPath('scanners/trivy/kubernetes.json');
    const env = { CLOSELOOP_PROGRESS_MS: '0' };
    const r = await runCli(dir, 'vr.db', ['import', 'findings', file, '--progress', '--json'], env);
    expectExit(r, 0);
    expect(r.stderr).toMatch(/^closeloop: import findings: [\d,]+ findings read \(\d+\.\d s\)$/m);
    expect((JSON.parse(r.stdout) as { findings: number }).findings).toBeGreaterThan(0);
    const t = await runCli(dir, 'vr.db', ['triage', '--progress', '--json'], env);
    expectExit(t, 0);
    expect(t.stderr).toMatch(/^closeloop: triage: [\d,]+ findings decided/m);
    expect((JSON.parse(t.stdout) as { evaluated: number }).evaluated).toBeGreaterThan(0);
    // without --progress and without a terminal: nothing on stderr
    const quiet = await cli(['triage', '--json']);
    expect(quiet.stderr).toBe('');
  }, 60_000);

  it('import findings --triage records a run of its own that why explains; --triage on another kind is a usage error', async () => {
    const file = corpusPath('scanners/trivy/scheme_2_many_vulns.json');
    const r = await cli(['import', 'findings', file, '--triage', '--json']);
    expectExit(r, 0);
    const j = r.json() as { findings: number; created: number; triage: { run: string; evaluated: number; by_outcome: Record<string, number> } };
    expect(j.triage.evaluated).toBe(j.created);
    expect(j.triage.evaluated).toBeGreaterThan(0);
    expect((j.triage.by_outcome.escalate ?? 0) + (j.triage.by_outcome.stay ?? 0)).toBe(j.triage.evaluated);
    const text = await cli(['import', 'findings', file, '--triage']);
    expect(text.stdout).toContain('already imported');
    const bad = await cli(['import', 'kev', corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json'), '--triage']);
    expectExit(bad, 2);
    expect(bad.stderr).toContain('findings imports only');
  }, 60_000);
});
