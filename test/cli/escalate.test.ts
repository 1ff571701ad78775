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
  it('triage --escalate opens incidents with progress on stderr, and handoff show prints their notes', async () => {
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
    const summary = JSON.parse(r.stdout) as { by_outcome: Record<string, number>; incidents: { incident: string; created: boolean; resent: boolean }[] };
    expect(summary.by_outcome.escalate).toBe(n);
    expect(summary.incidents).toHaveLength(n);
    expect(summary.incidents.every((i) => i.created && i.resent)).toBe(true);
    // deciding, then handing over (two chunks of escalations): each stage says what it counts
    expect(r.stderr).toMatch(/^closeloop: triage: [\d,]+ findings decided/m);
    expect(r.stderr).toMatch(/^closeloop: triage: 500 escalations handed to IR \(\d+\.\d s\)$/m);
    expect(r.stderr).toMatch(/^closeloop: triage: 600 escalations handed to IR \(\d+\.\d s\)$/m);

    const incident = summary.incidents[0]?.incident ?? '';
    const shown = await cli(['handoff', 'show', incident]);
    expectExit(shown, 0);
    expect(shown.stdout).toContain('IR escalation trigger');
    expect(shown.stdout).toContain('CVE-2021-41773');
    const json = await cli(['handoff', 'show', incident, '--json']);
    expectExit(json, 0);
    const shownJson = JSON.parse(json.stdout) as { incident: string; notes: { note: Record<string, unknown>; markdown: string }[] };
    expect(shownJson.incident).toBe(incident);
    expect(shownJson.notes).toHaveLength(1);
    for (const field of ['triggers', 'evidence', 'requested_response', 'recommended_route']) expect(shownJson.notes[0]?.note).toHaveProperty(field);

    // the text summary of a rerun: every escalation linked, nothing sent again
    const again = await cli(['triage', '--escalate']);
    expectExit(again, 0);
    expect(again.stdout).toContain(`${incident} linked`);
    expect(again.stdout).not.toContain(' opened for finding');
    const unknown = await cli(['handoff', 'show', 'INC-1999-0001']);
    expect(unknown.code, printed(unknown)).not.toBe(0);
    expect(unknown.stderr).toContain('INC-1999-0001');
  }, 120_000);
});
