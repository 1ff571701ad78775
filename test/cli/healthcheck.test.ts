/**
 * `closeloop healthcheck` and `closeloop oscal assessment-results` as a person runs them: a run
 * over today's closures, show/list/note, the worksheet and the OSCAL file written owner-only, and
 * bad input (an unknown check or incident, a reversed period) exiting 2 with nothing written.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli } from '../helpers/cli.js';

const DB = 'closeloop.db';

describe('closeloop healthcheck', () => {
  let dir: string;
  let inc: string;
  const today = new Date().toISOString().slice(0, 10);
  const auditCount = async (): Promise<number> => {
    const r = await runCli(dir, DB, ['audit', 'verify', '--json']);
    return Number((r.json() as { events?: number }).events ?? NaN);
  };
  beforeAll(async () => {
    dir = await makeCliDir('closeloop-hc-', DB, 'ir_lead,grc_contact');
    const open = await runCli(dir, DB, ['incident', 'open', '--title', 'Phish', '--severity', 'low', '--json']);
    expectExit(open, 0);
    inc = String(open.json().id);
    expectExit(await runCli(dir, DB, ['incident', 'close', inc, '--non-incident', '--rationale', 'blocked at the gateway']), 0);
  });

  it('runs, shows, lists, notes, and writes the worksheet and the OSCAL document owner-only', async () => {
    const run = await runCli(dir, DB, ['healthcheck', 'run', '--from', today, '--to', today, '--sample', '5', '--seed', 'q4', '--stratify', 'severity', '--json']);
    expectExit(run, 0);
    const v = run.json() as { id: string; sampled: number; samples: { incident_id: string; answers: { weakness: { passed: boolean } } }[]; findings: { id: string }[] };
    expect(v.id).toBe('HC-0001');
    expect(v.sampled).toBe(1);
    expect(v.samples[0]?.incident_id).toBe(inc);
    expect(v.samples[0]?.answers.weakness.passed).toBe(true);
    expect(v.findings).toHaveLength(1); // no evidence bundle exported

    const show = await runCli(dir, DB, ['healthcheck', 'show', 'HC-0001']);
    expectExit(show, 0);
    expect(show.stdout).toContain(`1. ${inc} (low): GAPS`);
    expect(show.stdout).toContain('q1 weakness: yes: none identified: non-incident: blocked at the gateway');
    expect(show.stdout).toContain('q4 evidence: gap: no bundle at ');
    const ls = await runCli(dir, DB, ['healthcheck', 'list']);
    expectExit(ls, 0);
    expect(ls.stdout).toMatch(/HC-0001\s+\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}\s+1\s+0\s+1/);

    expectExit(await runCli(dir, DB, ['healthcheck', 'note', 'HC-0001', '--incident', inc, '--text', 'gateway log attached to the ticket']), 0);

    const csv = path.join(dir, 'ws.csv');
    expectExit(await runCli(dir, DB, ['healthcheck', 'worksheet', 'HC-0001', '-o', 'ws.csv']), 0);
    expect(statSync(csv).mode & 0o777).toBe(0o600);
    const rows = readFileSync(csv, 'utf8').split('\r\n');
    expect(rows[1]).toContain(inc);
    expect(rows[1]).toContain('alice');
    expect(rows[1]).toContain('gateway log attached to the ticket');

    const out = path.join(dir, 'ar.json');
    expectExit(await runCli(dir, DB, ['oscal', 'assessment-results', 'HC-0001', '-o', 'ar.json']), 0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { 'assessment-results': { metadata: { 'oscal-version': string } } };
    expect(doc['assessment-results'].metadata['oscal-version']).toBe('1.1.3');
    const again = path.join(dir, 'ar2.json');
    expectExit(await runCli(dir, DB, ['oscal', 'assessment-results', 'HC-0001', '-o', again]), 0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('exits 2 naming the problem for an unknown check or incident and a reversed period, writing nothing', async () => {
    const before = await auditCount();
    expect(before).toBeGreaterThan(0);
    const unknown = await runCli(dir, DB, ['healthcheck', 'show', 'HC-0404']);
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('health check HC-0404 not found');
    const note = await runCli(dir, DB, ['healthcheck', 'note', 'HC-0001', '--incident', 'INC-2020-0001', '--text', 'x']);
    expectExit(note, 2);
    expect(note.stderr).toContain('INC-2020-0001 is not in the sample of health check HC-0001');
    expectExit(await runCli(dir, DB, ['healthcheck', 'worksheet', 'HC-0404', '-o', 'nope.csv']), 2);
    expect(existsSync(path.join(dir, 'nope.csv'))).toBe(false);
    expectExit(await runCli(dir, DB, ['oscal', 'assessment-results', 'HC-0404', '-o', 'nope.json']), 2);
    expect(existsSync(path.join(dir, 'nope.json'))).toBe(false);
    const reversed = await runCli(dir, DB, ['healthcheck', 'run', '--from', '2026-12-01', '--to', '2026-11-01', '--sample', '1', '--seed', 's']);
    expectExit(reversed, 2);
    expect(reversed.stderr).toContain('--to must be on or after --from');
    expectExit(await runCli(dir, DB, ['healthcheck', 'run', '--from', '2026-13-01', '--to', '2026-12-01', '--sample', '1', '--seed', 's']), 2);
    expectExit(await runCli(dir, DB, ['healthcheck', 'run', '--from', '2026-11-01', '--to', '2026-12-01', '--sample', 'many', '--seed', 's']), 2);
    expect(await auditCount()).toBe(before);
  });

  it('teaches with examples in --help', async () => {
    const help = await runCli(dir, DB, ['healthcheck', '--help']);
    expectExit(help, 0);
    expect(help.stdout).toContain('closeloop healthcheck run --from');
    const oscal = await runCli(dir, DB, ['oscal', '--help']);
    expect(oscal.stdout).toContain('assessment-results');
  });
});
