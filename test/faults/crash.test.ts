/**
 * `kill -9` in the middle of `closeloop triage --escalate`: a triage run, its decisions and its
 * escalations are one transaction, so a run killed after it had handed escalations to IR leaves
 * none of them (no incident without its handoff note and audit event, the chain verifies), and a
 * rerun completes the work. A real process is killed: an in-process run cannot be.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { verifyChain } from '../../src/audit/chain.js';
import { expectExit, makeCliDir, root, runCli } from '../helpers/cli.js';

let dir: string;
const DB = 'crash.db';
const FINDINGS = 3000;
const cli = (args: string[]) => runCli(dir, DB, args);

function ndjson(name: string, rows: unknown[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

beforeAll(async () => {
  dir = await makeCliDir('closeloop-crash-', DB, 'admin,vuln_mgmt_owner,ir_lead');
  const assets = Array.from({ length: FINDINGS }, (_, i) => ({ id: `host-${i}`, business_critical: true, exposure: 'internet', auth_required: false }));
  for (const [kind, file] of [
    ['assets', ndjson('assets.ndjson', assets)],
    ['vulnerabilities', ndjson('vulns.ndjson', [{ id: 'CVE-2021-41773', exploitation: 'active', public_poc: true }])],
    ['findings', ndjson('findings.ndjson', assets.map((a) => ({ id: `F-${a.id}`, vulnerability: 'CVE-2021-41773', asset: a.id, component: 'httpd', version: '2.4.49', validation: 'validated' })))],
  ] as const) {
    expectExit(await cli(['import', kind, file]), 0, `import ${kind}`);
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `closeloop triage --escalate` as a process and kills it with SIGKILL once the first chunk of escalations is committed. */
function killAfterFirstChunk(): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'triage', '--escalate', '--progress'], {
      cwd: dir,
      env: { ...process.env, CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), CLOSELOOP_DB: path.join(dir, DB), CLOSELOOP_ACTOR: 'alice', CLOSELOOP_PROGRESS_MS: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (/escalations handed to IR/.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

/** Every incident has its opening audit event and at least one handoff note; the chain verifies. Returns the findings handed over. */
async function whole(): Promise<{ incidents: number; runs: number; findingsHandedOver: number }> {
  const store = await openStore({ url: path.join(dir, DB), migrate: false });
  try {
    const chain = await verifyChain(store.db);
    expect(chain, chain.problem ?? '').toMatchObject({ ok: true });
    const incidents = await store.db.selectFrom('incidents').select('id').execute();
    const opened = new Set((await store.db.selectFrom('audit_events').select('entity_id').where('action', '=', 'incident.opened').execute()).map((e) => e.entity_id));
    const noted = new Set((await store.db.selectFrom('handoff_notes').select('incident_id').execute()).map((n) => n.incident_id));
    for (const i of incidents) {
      expect(opened.has(i.id), `${i.id} has no incident.opened event`).toBe(true);
      expect(noted.has(i.id), `${i.id} has no handoff note`).toBe(true);
    }
    const handedOver = await store.db
      .selectFrom('handoff_notes')
      .innerJoin('decisions', 'decisions.id', 'handoff_notes.decision_id')
      .select((eb) => eb.fn.count<number>('decisions.finding_id').distinct().as('n'))
      .executeTakeFirstOrThrow();
    const runs = await store.db.selectFrom('triage_runs').select('id').execute();
    return { incidents: incidents.length, runs: runs.length, findingsHandedOver: Number(handedOver.n) };
  } finally {
    await store.close();
  }
}

describe('a crash during triage --escalate', () => {
  it('leaves only whole escalations behind, and a rerun completes the work', async () => {
    const before = await whole();
    const killed = await killAfterFirstChunk();
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stderr).toMatch(/500 escalations handed to IR/);
    expect(await whole()).toEqual(before);

    const rerun = await cli(['triage', '--escalate', '--json']);
    expectExit(rerun, 0, 'rerun');
    const done = await whole();
    expect(done.findingsHandedOver).toBe(FINDINGS);
    const again = await cli(['triage', '--escalate', '--json']);
    expectExit(again, 0, 'third run');
    expect((again.json().incidents as { created: boolean }[]).filter((i) => i.created)).toEqual([]);
    expect((await whole()).incidents).toBe(done.incidents);
  }, 180_000);
});
