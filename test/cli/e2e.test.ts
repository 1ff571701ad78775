import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, runCliBy, type CliRun } from '../helpers/cli.js';

const PG = process.env.CLOSELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `closeloop` in `dir` on the store `db` (a file or a PostgreSQL URL), as nobody unless `by` is given. */
function makeCli(dir: string, db: string) {
  return (args: string[], by?: string): Promise<CliRun> => runCliBy(dir, db, args, by);
}

function futureDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const engines = [
  { name: 'sqlite', url: (dir: string) => path.join(dir, 'closeloop.db') },
  { name: 'postgres', url: () => `${PG}?schema=cli_${process.pid}_${Date.now()}` },
] as const;

describe.each(engines)('CLI end to end on $name', ({ name, url }) => {
  let dir: string;
  let db: string;
  let cli: ReturnType<typeof makeCli>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-cli-'));
    db = url(dir);
    cli = makeCli(dir, db);
    expectExit(await cli(['init'], 'alice'), 0);
    for (const [person, roles] of [
      ['lead', 'ir_lead'],
      ['vm', 'vuln_mgmt_owner'],
      ['so', 'service_owner'],
      ['ops', 'eng_ops_lead'],
      ['grc', 'grc_contact'],
      ['tpm', 'third_party_manager'],
      ['co', 'contract_owner'],
      ['approver', 'risk_approver'],
      ['auditor', 'auditor'],
    ] as const) {
      const r = await cli(['people', 'add', person, '--roles', roles], 'alice');
      expectExit(r, 0);
    }
  }, 120_000);

  afterAll(async () => {
    if (name === 'postgres') {
      const schema = new URL(db).searchParams.get('schema');
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an incident from report to closure, refusing close until every gate item holds', { timeout: 240_000 }, async () => {
    const open = await cli(['incident', 'open', '--title', 'Webshell on web-01', '--severity', 'high', '--asset', 'web-01', '--service', 'shop', '--json'], 'lead');
    expectExit(open, 0);
    const id = open.json().id as string;
    expect(id).toMatch(/^INC-\d{4}-0001$/);

    // closing too early: wrong state
    const early = await cli(['incident', 'close', id], 'lead');
    expectExit(early, 3);
    expect(early.stderr).toContain('post_incident');

    // an illegal move names the allowed ones
    const bad = await cli(['incident', 'move', id, 'recovery'], 'lead');
    expectExit(bad, 3);
    expect(bad.stderr).toContain('allowed moves from reported: triage');

    for (const s of ['triage', 'containment', 'eradication']) expectExit(await cli(['incident', 'move', id, s], 'lead'), 0);

    const w1 = await cli(['reportout', 'add', id, '--type', 'technical', '--relation', 'enabled', '--asset', 'web-01', '--notes', 'unpatched CMS plugin reachable from the internet', '--action', 'patch the plugin', '--vuln', 'CVE-2021-41773', '--json'], 'lead');
    expectExit(w1, 0);
    const wk1 = w1.json().id as string;
    const w2 = await cli(['reportout', 'add', id, '--type', 'third_party', '--relation', 'worsened_impact', '--asset', 'web-01', '--notes', 'hosting provider left the admin port open', '--action', 'provider closes the port', '--vendor', 'acme-hosting', '--json'], 'lead');
    expectExit(w2, 0);
    const wk2 = w2.json().id as string;
    const w3 = await cli(['reportout', 'add', id, '--type', 'detection_gap', '--relation', 'delayed_detection', '--asset', 'web-01', '--notes', 'no EDR on web-01', '--action', 'deploy EDR', '--json'], 'lead');
    const wk3 = w3.json().id as string;

    for (const s of ['recovery', 'post_incident']) expectExit(await cli(['incident', 'move', id, s], 'lead'), 0);

    // the gate refuses and lists every missing item, in words and in JSON
    const refused = await cli(['incident', 'close', id], 'lead');
    expectExit(refused, 3);
    expect(refused.stderr).toContain('role service_owner has not been sent the report-out');
    expect(refused.stderr).toContain('role service_owner has not acknowledged the report-out');
    expect(refused.stderr).toContain(`weakness ${wk1} has no remediation item and no approved risk acceptance`);
    expect(refused.stderr).toContain(`third-party weakness ${wk2}: no notice has been sent to acme-hosting`);
    const refusedJson = await cli(['incident', 'close', id, '--json'], 'lead');
    expectExit(refusedJson, 3);
    const err = refusedJson.json().error as { code: string; details: { missing: { item: string; subject: string }[] } };
    expect(err.code).toBe('CL_GATE_REFUSED');
    const items = new Set(err.details.missing.map((m) => m.item));
    expect(items).toEqual(new Set(['roles_notified', 'roles_acknowledged', 'weakness_followthrough', 'third_party_notice']));
    // 7 roles (5 + third-party manager and contract owner) not notified, 7 not acknowledged, 3 weaknesses, 1 notice
    expect(err.details.missing, JSON.stringify(err.details.missing, null, 1)).toHaveLength(7 + 7 + 3 + 1);

    const sent = await cli(['reportout', 'send', id, '--json'], 'lead');
    expectExit(sent, 0);
    const notifications = sent.json().notifications as { role: string; status: string }[];
    expect(new Set(notifications.map((n) => n.role))).toEqual(new Set(['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact', 'third_party_manager', 'contract_owner']));
    expect(notifications.every((n) => n.status === 'queued')).toBe(true);

    // queued is not delivered: the gate still says so
    const queued = await cli(['incident', 'close', id], 'lead');
    expectExit(queued, 3);
    expect(queued.stderr).toContain('has no delivery evidence yet (queued)');

    const delivered = await cli(['deliver', '--json'], 'lead');
    expectExit(delivered, 0);
    expect(delivered.json().delivered).toBe(7);
    expect(readdirSync(path.join(dir, 'outbox', 'service_owner'))).toHaveLength(1);

    // an acknowledgment needs the role
    const wrongAck = await cli(['ack', id, '--role', 'service_owner'], 'vm');
    expectExit(wrongAck, 3);
    for (const [person, role] of [
      ['lead', 'ir_lead'],
      ['vm', 'vuln_mgmt_owner'],
      ['so', 'service_owner'],
      ['ops', 'eng_ops_lead'],
      ['grc', 'grc_contact'],
      ['tpm', 'third_party_manager'],
      ['co', 'contract_owner'],
    ]) {
      const a = await cli(['ack', id, '--role', role as string], person);
      expectExit(a, 0);
    }

    const r1 = await cli(['remediation', 'add', wk1, '--owner-role', 'eng_ops_lead', '--assignee', 'ops', '--criteria', 'plugin at 2.4.51 or later on every web host', '--ticket', 'OPS-42', '--json'], 'vm');
    expectExit(r1, 0);
    const ri = r1.json().id as string;
    expect(r1.json().due).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expectExit(await cli(['remediation', 'move', ri, 'verified'], 'vm'), 3);
    expectExit(await cli(['remediation', 'move', ri, 'in_progress'], 'ops'), 0);
    expectExit(await cli(['remediation', 'add', wk2, '--owner-role', 'third_party_manager', '--assignee', 'tpm', '--criteria', 'port closed, verified by scan'], 'vm'), 0);

    // risk acceptance: approver role required, never the requester
    const req = await cli(['risk', 'request', wk3, '--rationale', 'EDR licence arrives next quarter', '--controls', 'hourly log review of web-01', '--review-by', futureDate(60), '--json'], 'vm');
    expectExit(req, 0);
    const ra = req.json().id as string;
    const notApprover = await cli(['risk', 'approve', ra], 'lead');
    expectExit(notApprover, 3);
    expect(notApprover.stderr).toContain('no approving role');
    expectExit(await cli(['people', 'roles', 'vm', '--roles', 'vuln_mgmt_owner,risk_approver'], 'alice'), 0);
    const self = await cli(['risk', 'approve', ra], 'vm');
    expectExit(self, 3);
    expect(self.stderr).toContain('cannot also decide it');
    expectExit(await cli(['risk', 'approve', ra], 'approver'), 0);

    // third party: notice, then response
    const show = (await cli(['incident', 'show', id, '--json'], 'auditor')).json() as { third_party_notices: { id: string }[] };
    const notice = show.third_party_notices[0]?.id ?? '';
    expect(notice).toMatch(/^TP-/);
    expectExit(await cli(['vendor', 'response', notice, '--text', 'we will fix it'], 'tpm'), 3);
    expectExit(await cli(['vendor', 'notify', wk2, '--channel', 'security@acme-hosting.example (contract §7)'], 'tpm'), 0);
    expectExit(await cli(['vendor', 'response', notice, '--text', 'RCA: firewall template regression; fixed in template v12'], 'tpm'), 0);

    const closed = await cli(['incident', 'close', id, '--json'], 'lead');
    expectExit(closed, 0);
    expect((closed.json().incident as { state: string }).state).toBe('closed');

    // closed incidents refuse changes until reopened, and reopening is audited
    expectExit(await cli(['reportout', 'add', id, '--type', 'operational', '--relation', 'enabled', '--asset', 'web-01', '--notes', 'n', '--action', 'a'], 'lead'), 3);
    const reopened = await cli(['incident', 'reopen', id, '--reason', 'post-closure review found a missing asset', '--json'], 'lead');
    expectExit(reopened, 0);
    expect(reopened.json().state).toBe('post_incident');

    const verify = await cli(['audit', 'verify', '--json'], 'auditor');
    expectExit(verify, 0);
    expect(verify.json().ok).toBe(true);
    expect(verify.json().events as number).toBeGreaterThan(40);
  });

  it('closes a non-incident with a determination and rationale', async () => {
    const open = await cli(['incident', 'open', '--title', 'Suspicious login', '--severity', 'low', '--json'], 'lead');
    const id = open.json().id as string;
    const noRationale = await cli(['incident', 'close', id, '--non-incident'], 'lead');
    expectExit(noRationale, 2);
    expect(noRationale.stderr).toContain('rationale');
    const r = await cli(['incident', 'close', id, '--non-incident', '--rationale', 'the user confirmed the travel login', '--json'], 'lead');
    expectExit(r, 0);
    const inc = r.json().incident as { state: string; determination: string; none_identified_rationale: string };
    expect(inc.state).toBe('closed_non_incident');
    expect(inc.determination).toBe('non_incident');
    expect(inc.none_identified_rationale).toContain('travel login');
  });

  it('closes an incident whose report-out is "none identified"', { timeout: 120_000 }, async () => {
    const id = (await cli(['incident', 'open', '--title', 'Lost laptop (encrypted)', '--severity', 'moderate', '--json'], 'lead')).json().id as string;
    for (const s of ['triage', 'eradication', 'recovery', 'post_incident']) expectExit(await cli(['incident', 'move', id, s], 'lead'), 0);
    expectExit(await cli(['reportout', 'none', id, '--rationale', 'disk encryption held; no weakness involved'], 'lead'), 0);
    expectExit(await cli(['reportout', 'send', id], 'lead'), 0);
    expectExit(await cli(['deliver'], 'lead'), 0);
    const missing = await cli(['incident', 'close', id, '--json'], 'lead');
    expectExit(missing, 3);
    const details = (missing.json().error as { details: { missing: { item: string }[] } }).details.missing;
    expect(details.every((m) => m.item === 'roles_acknowledged')).toBe(true);
    expect(details).toHaveLength(5);
    for (const [person, role] of [['lead', 'ir_lead'], ['vm', 'vuln_mgmt_owner'], ['so', 'service_owner'], ['ops', 'eng_ops_lead'], ['grc', 'grc_contact']]) {
      expectExit(await cli(['ack', id, '--role', role as string], person), 0);
    }
    expectExit(await cli(['incident', 'close', id], 'lead'), 0);
  });

  it('lists incidents a page at a time, tells how to get the next page, and lists all with --all', { timeout: 60_000 }, async () => {
    const all = await cli(['incident', 'list', '--limit', '1000', '--json'], 'lead');
    expectExit(all, 0);
    const ids = (all.json().incidents as { id: string }[]).map((i) => i.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(all.json().next).toBeNull();

    const first = await cli(['incident', 'list', '--limit', '1'], 'lead');
    expectExit(first, 0);
    expect(first.stdout).toContain(ids[0] as string);
    expect(first.stdout).not.toContain(ids[1] as string);
    const more = /more incidents: closeloop incident list --limit 1 --after (\S+) \(or --all\)/.exec(first.stdout);
    expect(more, first.stdout).not.toBeNull();
    const second = await cli(['incident', 'list', '--limit', '1', '--after', more?.[1] ?? '', '--json'], 'lead');
    expect((second.json().incidents as { id: string }[]).map((i) => i.id)).toEqual([ids[1]]);

    const every = await cli(['incident', 'list', '--all', '--limit', '1', '--json'], 'lead');
    expect(every.json()).toEqual({ incidents: expect.any(Array), next: null });
    expect((every.json().incidents as { id: string }[]).map((i) => i.id)).toEqual(ids);

    const bad = await cli(['incident', 'list', '--limit', '0'], 'lead');
    expectExit(bad, 2);
    expect(bad.stderr).toContain('limit');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects bad input with exit 2, naming the field, and changes nothing', { timeout: 120_000 }, async () => {
    const before = (await cli(['audit', 'verify', '--json'], 'auditor')).json().events as number;
    const cases: [string[], string][] = [
      [['incident', 'open', '--title', 'x', '--severity', 'severe'], 'severe'],
      [['incident', 'open', '--severity', 'low'], '--title'],
      [['incident', 'move', 'INC-2026-0001', 'limbo'], 'state'],
      [['incident', 'show', 'INC-1999-0042'], 'incident INC-1999-0042 not found'],
      [['risk', 'request', 'WK-0001', '--rationale', 'r', '--controls', 'c', '--review-by', '2026-13-45'], 'review_by'],
      [['remediation', 'add', 'WK-0001', '--owner-role', 'x', '--assignee', 'y', '--criteria', 'z', '--due', 'tomorrow'], 'due'],
      [['incident', 'open', '--title', 'x', '--severity', 'low'], 'who is acting'],
    ];
    for (const [args, text] of cases) {
      const r = await cli(args, args[args.length - 1] === 'low' && text === 'who is acting' ? undefined : 'lead');
      expectExit(r, 2, args.join(' '));
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const after = (await cli(['audit', 'verify', '--json'], 'auditor')).json().events as number;
    expect(after).toBe(before);
  });

  it('refuses an actor without the role (exit 3) and an unknown actor', async () => {
    const r = await cli(['incident', 'open', '--title', 'x', '--severity', 'low'], 'auditor');
    expectExit(r, 3);
    expect(r.stderr).toContain('may not incident.open');
    const u = await cli(['incident', 'list'], 'mallory');
    expectExit(u, 3);
    expect(u.stderr).toContain('not in the people directory');
  });

  it('audit verify exits 1 naming the first bad sequence number after a direct edit of the database', { timeout: 60_000 }, async () => {
    const ok = await cli(['audit', 'verify'], 'auditor');
    expectExit(ok, 0);
    const tamper = 'UPDATE audit_events SET actor = \'mallory\' WHERE seq = 5';
    if (name === 'postgres') {
      const schema = new URL(db).searchParams.get('schema');
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`SET search_path TO "${schema}"`);
      await c.query(tamper);
      await c.end();
    } else {
      const { default: Database } = await import('better-sqlite3');
      const handle = new Database(db);
      handle.exec(tamper);
      handle.close();
    }
    const broken = await cli(['audit', 'verify'], 'auditor');
    expectExit(broken, 1);
    expect(broken.stdout).toContain('BROKEN at seq 5');
    const json = await cli(['audit', 'verify', '--json'], 'auditor');
    expectExit(json, 1);
    expect(json.json()).toMatchObject({ ok: false, firstBad: 5 });
  });

  it('prints help that teaches, for the program and each command', async () => {
    const h = await cli(['--help']);
    expectExit(h, 0);
    expect(h.stdout).toContain('Exit codes');
    expect(h.stdout).toContain('closeloop incident open');
    const c = await cli(['incident', 'close', '--help']);
    expectExit(c, 0);
    expect(c.stdout).toContain('--non-incident');
    expect(existsSync(path.join(dir, 'closeloop.yaml'))).toBe(true);
  });
});
