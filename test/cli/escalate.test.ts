import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli, printed } from '../helpers/cli.js';

let dir: string;

const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, 'esc.db', args, env);

function ndjson(name: string, rows: unknown[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

beforeAll(async () => {
  dir = await makeCliDir('closeloop-esc-', 'esc.db', 'admin,vuln_mgmt_owner,ir_lead');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('escalation on the command line', () => {
  it('triage --escalate opens one incident for one exposed vulnerability on 600 hosts, with progress on stderr; handoff show prints its notes', async () => {
    const n = 600;
    const assets = Array.from({ length: n }, (_, i) => ({ id: `host-${i}`, name: `Host ${i}`, business_critical: true, exposure: 'internet', auth_required: false }));
    for (const [kind, file] of [
      ['assets', ndjson('assets.ndjson', assets)],
      ['vulnerabilities', ndjson('vulns.ndjson', [{ id: 'CVE-2021-41773', exploitation: 'active', public_poc: true }])],
      ['findings', ndjson('findings.ndjson', assets.map((a) => ({ id: `F-${a.id}`, vulnerability: 'CVE-2021-41773', asset: a.id, component: 'httpd', version: '2.4.49', validation: 'validated' })))],
    ] as const) {
      const r = await cli(['import', kind, file]);
      expectExit(r, 0);
    }
    const r = await cli(['triage', '--escalate', '--progress', '--json'], { CLOSELOOP_PROGRESS_MS: '0' });
    expectExit(r, 0);
    const summary = JSON.parse(r.stdout) as { by_outcome: Record<string, number>; incidents: { incident: string; created: boolean; resent: boolean; grouping: string }[]; revisions: { incident: string; revision: number }[] };
    expect(summary.by_outcome.escalate).toBe(n);
    expect(summary.incidents).toHaveLength(n);
    // one exposed vulnerability on 600 hosts: one incident, opened by the first escalation
    expect(summary.incidents.filter((i) => i.created)).toHaveLength(1);
    expect(summary.incidents.every((i) => i.resent && i.grouping === 'vuln:CVE-2021-41773')).toBe(true);
    expect(new Set(summary.incidents.map((i) => i.incident)).size).toBe(1);
    // deciding, then handing over (two chunks of escalations): each stage says what it counts
    expect(r.stderr).toMatch(/^closeloop: triage: [\d,]+ findings decided/m);
    expect(r.stderr).toMatch(/^closeloop: triage: 500 escalations handed to IR \(\d+\.\d s\)$/m);
    expect(r.stderr).toMatch(/^closeloop: triage: 600 escalations handed to IR \(\d+\.\d s\)$/m);

    const incident = summary.incidents[0]?.incident ?? '';
    expect(summary.revisions).toEqual([{ incident, revision: 1, findings: n, assets: n }]);
    const shown = await cli(['handoff', 'show', incident]);
    expectExit(shown, 0);
    expect(shown.stdout).toContain('IR escalation trigger');
    expect(shown.stdout).toContain('CVE-2021-41773');
    expect(shown.stdout).toContain('revision 1 (');
    expect(shown.stdout).toContain('600 finding(s) added: F-host-0, F-host-1,');
    const json = await cli(['handoff', 'show', incident, '--json']);
    expectExit(json, 0);
    const shownJson = JSON.parse(json.stdout) as { incident: string; notes: { note: Record<string, unknown>; markdown: string }[]; revisions: { revision: number; added: { finding: string; asset: string }[] }[] };
    expect(shownJson.incident).toBe(incident);
    expect(shownJson.revisions.map((r) => [r.revision, r.added.length])).toEqual([[1, n]]);
    expect(shownJson.revisions[0]?.added[0]).toMatchObject({ finding: 'F-host-0', asset: 'host-0' });
    expect(shownJson.notes).toHaveLength(n);
    for (const field of ['triggers', 'evidence', 'requested_response', 'recommended_route']) expect(shownJson.notes[0]?.note).toHaveProperty(field);
    const view = await cli(['incident', 'show', incident]);
    expectExit(view, 0);
    expect(view.stdout).toContain('grouped by: vuln:CVE-2021-41773');

    // the text summary of a rerun: one line for the incident, linked, nothing sent again
    const again = await cli(['triage', '--escalate']);
    expectExit(again, 0);
    expect(again.stdout).toContain(`${incident} linked for vuln:CVE-2021-41773: 600 finding(s): F-host-0, F-host-1, F-host-2, … (597 more); nothing new to send`);
    expect(again.stdout).not.toContain(' opened for ');
    const unknown = await cli(['handoff', 'show', 'INC-1999-0001']);
    expect(unknown.code, printed(unknown)).not.toBe(0);
    expect(unknown.stderr).toContain('INC-1999-0001');
  }, 120_000);

  it('triage prints whole finding ids, and why takes any unique prefix of one as git does', async () => {
    const long = 'trivy:image:registry.example.org/shop/web@sha256:0f1e2d3c:CVE-2099-4242:libwebp';
    for (const [kind, file] of [
      ['assets', ndjson('p-assets.ndjson', [{ id: 'shop-web', exposure: 'internet', auth_required: false }])],
      ['vulnerabilities', ndjson('p-vulns.ndjson', [{ id: 'CVE-2099-4242', exploitation: 'active' }])],
      ['findings', ndjson('p-findings.ndjson', [
        { id: long, vulnerability: 'CVE-2099-4242', asset: 'shop-web', component: 'libwebp', version: '1', validation: 'validated' },
        { id: 'Q-alpha-1', vulnerability: 'CVE-2099-4242', asset: 'shop-web', component: 'a', version: '1' },
        { id: 'Q-alpha-2', vulnerability: 'CVE-2099-4242', asset: 'shop-web', component: 'b', version: '1' },
      ])],
    ] as const) expectExit(await cli(['import', kind, file]), 0);
    const r = await cli(['triage']);
    expectExit(r, 0);
    // the whole id, undecorated, as a cell of its own
    expect(r.stdout).toMatch(new RegExp(`^${long.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`, 'm'));
    expect(r.stdout).not.toContain('…');
    // the hint names a real finding, pasteable as printed
    const hinted = /`closeloop why (\S+)` explains one/.exec(r.stdout)?.[1] ?? '';
    expectExit(await cli(['why', hinted]), 0);
    const why = await cli(['why', 'trivy:image:registry.example.org/shop/web@sha256:0f']);
    expectExit(why, 0);
    expect(why.stdout).toContain(`finding ${long} (CVE-2099-4242 on shop-web): ESCALATE`);
    const exact = await cli(['why', 'Q-alpha-1', '--json']);
    expectExit(exact, 0);
    expect((JSON.parse(exact.stdout) as { finding: string }).finding).toBe('Q-alpha-1');
    const ambiguous = await cli(['why', 'Q-alpha']);
    expectExit(ambiguous, 2);
    expect(ambiguous.stderr).toContain('Q-alpha-1, Q-alpha-2');
    const none = await cli(['why', 'nothing-starts-so']);
    expect(none.code, printed(none)).toBe(2);
    expect(none.stderr).toContain('finding nothing-starts-so not found');
    // a prefix is case-sensitive: ids are
    expectExit(await cli(['why', 'q-alpha-1']), 2);
  }, 60_000);
});
