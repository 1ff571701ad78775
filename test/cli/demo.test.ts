import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { expectExit, runCliBy } from '../helpers/cli.js';
import { ENGINES, testPgUrl } from '../helpers/context.js';

describe.each(ENGINES)('closeloop demo on %s', (engine) => {
  let dir: string;
  let db: string;
  let schema: string | null = null;
  const cli = (args: string[], by?: string) => runCliBy(dir, db, args, by);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-demo-'));
    if (engine === 'postgres') {
      schema = `t_demo_cli_${process.pid}_${Date.now()}`;
      const u = testPgUrl();
      u.searchParams.set('schema', schema);
      db = u.toString();
    } else {
      db = path.join(dir, 'demo.db');
    }
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (schema !== null) {
      const s = await openStore({ url: testPgUrl().toString(), migrate: false });
      await s.pgPool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await s.close();
      schema = null;
    }
  });

  it('fills the store after init, prints the people, the counts and the next step; the audit chain verifies; a second run is refused', async () => {
    expectExit(await cli(['init'], 'admin'), 0);

    const run = await cli(['demo'], 'admin');
    expectExit(run, 0);
    expect(run.stdout).toMatch(/^Northwind demo estate written/);
    expect(run.stdout).toMatch(/dana\.whitfield\s+ir_lead\s+incident response lead/);
    expect(run.stdout).toMatch(/nadia\.petrova\s+risk_approver/);
    expect(run.stdout).toMatch(/incidents\s+\d+: reported \d+, triage \d+, containment \d+, eradication \d+, recovery \d+, post_incident \d+, closed \d+, closed_non_incident \d+/);
    expect(run.stdout).toContain('risk acceptances     approved 1, expired 1, awaiting a decision 1');
    expect(run.stdout).toMatch(/escalated to INC-\d{4}-\d{4} \(asset:payments-api\)/);
    expect(run.stdout).toContain('open http://127.0.0.1:8080 and sign in as dana.whitfield');
    // progress on stderr, nothing else there
    expect(run.stderr).toMatch(/^closeloop: demo: adding 11 people/);
    expect(run.stderr.split('\n').filter((l) => l !== '').every((l) => l.startsWith('closeloop: demo: '))).toBe(true);
    // the file channel delivered report-outs into the role mailboxes beside closeloop.yaml
    expect(readdirSync(path.join(dir, 'outbox', 'grc_contact')).length).toBeGreaterThan(0);

    const verify = await cli(['audit', 'verify', '--json'], 'tom.becker');
    expectExit(verify, 0);
    expect(verify.json()).toMatchObject({ ok: true });

    const again = await cli(['demo', '--json'], 'admin');
    expectExit(again, 3);
    expect(again.json()).toMatchObject({ error: { code: 'CL_RULE_REFUSED' } });
    const after = await cli(['audit', 'verify', '--json'], 'tom.becker');
    expect(after.json().events).toBe(verify.json().events);
  }, 120_000);

  it('--json gives the summary to scripts', async () => {
    expectExit(await cli(['init'], 'admin'), 0);
    const run = await cli(['demo', '--json'], 'admin');
    expectExit(run, 0);
    const r = run.json() as { incidents: { total: number }; people: unknown[]; sign_in: string; triage: { escalate: number } };
    expect(r.incidents.total).toBeGreaterThanOrEqual(12);
    expect(r.people).toHaveLength(11);
    expect(r.sign_in).toBe('dana.whitfield');
    expect(r.triage.escalate).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
