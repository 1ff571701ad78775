import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, root, runCli } from '../helpers/cli.js';

let dir: string;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, 'finding.db', args, env);

beforeAll(async () => {
  dir = await makeCliDir('closeloop-finding-', 'finding.db', 'admin,vuln_mgmt_owner');
  expectExit(await cli(['people', 'add', 'audrey', '--roles', 'auditor']), 0);
  const write = (name: string, body: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };
  expectExit(await cli(['import', 'assets', write('assets.json', [{ id: 'web-01', owner: 'web', exposure: 'internet' }])]), 0);
  expectExit(await cli(['import', 'vulnerabilities', write('vulns.json', [{ id: 'CVE-2099-0001', vendor_advisory: true }])]), 0);
  expectExit(await cli(['import', 'findings', write('findings.json', [{ id: 'F-1', vulnerability: 'CVE-2099-0001', asset: 'web-01', component: 'nginx' }]), '--triage']), 0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('closeloop finding', () => {
  it('finding set records the verdict, decides again and prints the new stay reason; finding show and why name the analyst', async () => {
    const set = await cli(['finding', 'set', 'F-1', '--validation', 'not_affected', '--note', 'module not built']);
    expectExit(set, 0);
    expect(set.stdout).toMatch(/^FV-0001: alice set finding F-1: validation not_affected, reachability unknown, containment false/);
    expect(set.stdout).toContain('STAY — stays: ruled_out');

    const show = await cli(['finding', 'show', 'F-1', '--json']);
    expectExit(show, 0);
    expect(show.json()).toMatchObject({ finding: { ruled_out_by: 'alice', validation: 'not_affected' }, verdicts: [{ id: 'FV-0001', actor: 'alice', note: 'module not built' }], decision: { stay_reasons: ['ruled_out'], engine: 2 } });

    const why = await cli(['why', 'F-1']);
    expectExit(why, 0);
    expect(why.stdout).toContain('engine 2');
    expect(why.stdout).toContain('replay verified');
    expect(why.stdout).toContain('[x] stay.ruled_out: analyst alice ruled it not_affected (verdict on the finding)');
  }, 60_000);

  it('refuses a verdict without a field (exit 2 naming it), without a note, on an unknown finding, or by a reader', async () => {
    const none = await cli(['finding', 'set', 'F-1', '--note', 'nothing']);
    expectExit(none, 2);
    expect(none.stderr).toContain('at least one of validation, reachability, containment');
    const word = await cli(['finding', 'set', 'F-1', '--reachability', 'sometimes', '--note', 'x']);
    expectExit(word, 2);
    expect(word.stderr).toContain('reachability');
    expectExit(await cli(['finding', 'set', 'F-1', '--validation', 'validated']), 2);
    expectExit(await cli(['finding', 'set', 'F-404', '--validation', 'validated', '--note', 'x']), 2);
    const reader = await cli(['finding', 'set', 'F-1', '--validation', 'validated', '--note', 'x'], { CLOSELOOP_ACTOR: 'audrey' });
    expect(reader.code).not.toBe(0);
    expect(reader.stderr).toContain('vr.verdict');
    const show = (await cli(['finding', 'show', 'F-1', '--json'])).json();
    expect((show.verdicts as unknown[]).length).toBe(1);
  }, 60_000);

  it('rules test runs the rulings cases green', async () => {
    const r = await cli(['rules', 'test', path.join(root, 'rules', 'cases', 'rulings.yaml')]);
    expectExit(r, 0);
    expect(r.stdout).toContain('ok   ruling 4: an analyst\'s not_affected verdict is ruled_out naming the analyst');
    expect(r.stdout).toMatch(/\d+ passed, 0 failed \(ruleset 2026\.12\.1\)/);
  }, 60_000);
});
