/**
 * `closeloop metrics` as a person runs it: the figures in words and as JSON, its help, and
 * refusals with their exit codes. (The figures themselves are asserted on both engines in
 * test/app/metrics.test.ts and test/api/prometheus.test.ts.)
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli } from '../helpers/cli.js';

describe('closeloop metrics', () => {
  let dir: string;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, 'closeloop.db', args, env);

  beforeAll(async () => {
    dir = await makeCliDir('closeloop-metrics-', 'closeloop.db', 'ir_lead');
    const open = await cli(['incident', 'open', '--title', 'Owes a report-out', '--severity', 'high', '--json']);
    expectExit(open, 0);
    const id = String(open.json().id);
    expectExit(await cli(['incident', 'move', id, 'triage']), 0);
    expectExit(await cli(['incident', 'move', id, 'eradication']), 0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every figure in words', async () => {
    const run = await cli(['metrics']);
    expectExit(run, 0);
    const year = new Date().getUTCFullYear();
    expect(run.stdout).toContain('incidents by state: eradication 1\n');
    expect(run.stdout).toContain(`incidents missing report-out: 1: INC-${year}-0001\n`);
    expect(run.stdout).toContain('report-out latency (incident opened -> report-out sent), over 0 report-out(s): median -, 90th percentile -, max -\n');
    expect(run.stdout).toContain('  no acknowledgment recorded yet\n');
    expect(run.stdout).toContain('remediation items not yet verified: 0, overdue: 0\n');
    expect(run.stdout).toContain('risk acceptances with review due within 14 days: 0\n');
    expect(run.stdout).toContain('findings that stayed and later escalated: 0\n');
    expect(run.stdout).toContain('control health check pass rate: no health check run yet');
  });

  it('prints the figures as JSON with --json, and takes --review-days', async () => {
    const run = await cli(['metrics', '--json', '--review-days', '30']);
    expectExit(run, 0);
    const m = run.json();
    expect(m.missing_reportout).toEqual({ count: 1, ids: [`INC-${new Date().getUTCFullYear()}-0001`] });
    expect(m.risk_review).toMatchObject({ review_due: { count: 0, ids: [], within_days: 30 } });
    expect(m.healthcheck_pass_rate).toBeNull();
    expect(m.reportout_latency).toEqual({ count: 0, median_hours: null, p90_hours: null, max_hours: null, seconds: { median: null, p90: null, max: null, sum: 0 } });
  });

  it('refuses a bad --review-days (2) and someone not in the directory (3), naming what to do', async () => {
    const bad = await cli(['metrics', '--review-days', 'soon']);
    expectExit(bad, 2);
    expect(bad.stderr).toContain('review_days');
    const stranger = await cli(['metrics'], { CLOSELOOP_ACTOR: 'mallory' });
    expectExit(stranger, 3);
    expect(stranger.stderr).toContain('mallory is not in the people directory');
  });

  it('teaches with examples in --help', async () => {
    const help = await cli(['metrics', '--help']);
    expectExit(help, 0);
    expect(help.stdout).toContain('closeloop metrics --review-days 30 --json');
    expect(help.stdout).toContain('GET /metrics');
  });
});
