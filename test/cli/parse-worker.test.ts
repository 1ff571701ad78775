import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, makeCliDir, runCli, spawnCli, type CliRun } from '../helpers/cli.js';
import { corpusPath } from '../helpers/corpus.js';

// Files of 4 MiB and more are parsed in a worker thread (src/app/parse-worker.ts), which needs the
// compiled code: with the worker forced on, these tests run the CLI as a child process
// (bin/closeloop.js, dist/); forced off, in-process (the sources, where parsing stays on the main
// thread).
let dir: string;

const cli = async (db: string, worker: 'always' | 'never', args: string[]): Promise<CliRun> =>
  worker === 'always' ? spawnCli(dir, args, { CLOSELOOP_DB: path.join(dir, db), CLOSELOOP_ACTOR: 'alice', CLOSELOOP_PARSE_WORKER: worker }) : runCli(dir, db, args, { CLOSELOOP_PARSE_WORKER: worker });

/** Every stored finding and decision, without the columns that name the import or its time. */
function stored(db: string): { findings: unknown[]; decisions: unknown[] } {
  const d = new Database(path.join(dir, db), { readonly: true });
  try {
    const findings = d.prepare('SELECT * FROM findings ORDER BY id').all().map((r) => ({ ...(r as object), last_import_id: null, first_seen: null, last_seen: null }));
    const decisions = d.prepare('SELECT finding_id, outcome, triggers, stay_reasons, flags, ssvc, evidence, input_hash, snapshot FROM decisions ORDER BY finding_id').all();
    return { findings, decisions };
  } finally {
    d.close();
  }
}

beforeAll(async () => {
  dir = await makeCliDir('closeloop-worker-', 'a.db', 'admin,vuln_mgmt_owner');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the parser worker', () => {
  it('stores every report exactly as parsing on the main thread does', async () => {
    const reports = [
      'scanners/trivy/kubernetes.json',
      'scanners/trivy/scheme_2_many_vulns.json',
      'scanners/anchore_grype/many_vulns4.json',
      'scanners/cyclonedx/log4j.xml',
      'scanners/sarif/appendix_k.sarif',
      'scanners/osv_scanner/many_findings.json',
    ];
    for (const [db, worker] of [['worker.db', 'always'], ['thread.db', 'never']] as const) {
      // each store has its own people directory: alice (the actor) becomes its first admin
      expectExit(await runCli(dir, db, ['init', '--db-only']), 0);
      for (const report of reports) {
        const r = await cli(db, worker, ['import', 'findings', corpusPath(report), '--triage', '--json']);
        expectExit(r, 0, report);
      }
    }
    const a = stored('worker.db');
    const b = stored('thread.db');
    expect(a.findings.length).toBeGreaterThan(50);
    expect(a.decisions).toHaveLength(a.findings.length);
    expect(a).toEqual(b);
  }, 120_000);

  it('reports a bad record found in the worker with its file, record and field, and stores nothing of the file', async () => {
    const file = path.join(dir, 'bad.ndjson');
    const good = { id: 'F-1', vulnerability: 'CVE-2099-0001', asset: 'a-1', component: 'x', version: '1' };
    writeFileSync(file, [JSON.stringify(good), JSON.stringify({ ...good, id: 'F-2', validation: 'sure' })].join('\n'));
    const r = await cli('a.db', 'always', ['import', 'findings', file, '--format', 'native']);
    expectExit(r, 2);
    expect(r.stderr).toContain('bad.ndjson');
    expect(r.stderr).toContain('validation');
    expect(r.stderr).toMatch(/record 2|F-2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = new Database(path.join(dir, 'a.db'), { readonly: true });
    expect(d.prepare('SELECT count(*) AS n FROM findings').get()).toEqual({ n: 0 });
    d.close();
  }, 60_000);
});
