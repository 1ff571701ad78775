/**
 * Tickets from the command line, end to end on a SQLite store: escalating triage opens a
 * remediation item per finding for `vuln_mgmt_owner`, which routes to Jira here, so each item is
 * queued as a ticket; `closeloop deliver` creates the issues (emulated Jira on 127.0.0.1);
 * `closeloop tickets sync` brings a closed issue's status back; a credential variable left unset
 * is a configuration error naming the key, for `serve`'s inbound webhook secret too.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { expectExit, makeCliDir, runCli } from '../helpers/cli.js';
import { fakeJira, type FakeJira } from '../helpers/ticket-servers.js';

let dir: string;
let jira: FakeJira;
const ENV = { JIRA_TOKEN: 'tok-cli' };
const cli = (args: string[], env: Record<string, string> = ENV) => runCli(dir, 'tk.db', args, env);

function ndjson(name: string, rows: unknown[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

beforeAll(async () => {
  jira = await fakeJira(`Basic ${Buffer.from('bot@example.org:tok-cli').toString('base64')}`);
  dir = await makeCliDir('closeloop-tickets-', 'tk.db', 'admin,vuln_mgmt_owner,ir_lead');
  const file = path.join(dir, 'closeloop.yaml');
  const cfg = parse(readFileSync(file, 'utf8')) as { routing: { roles: Record<string, unknown> }; delivery: Record<string, unknown> };
  cfg.routing.roles.vuln_mgmt_owner = [{ channel: 'jira', address: 'SEC' }];
  cfg.delivery.jira = { url: jira.url, email: 'bot@example.org', api_token: 'env:JIRA_TOKEN' };
  writeFileSync(file, stringify(cfg), { mode: 0o600 });
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await jira.close();
});

describe('tickets on the command line', () => {
  it('escalation opens items as Jira issues through deliver, and tickets sync brings a closed issue back', async () => {
    const assets = ['web-1', 'web-2'].map((id) => ({ id, name: id, business_critical: true, exposure: 'internet', auth_required: false }));
    expectExit(await cli(['import', 'assets', ndjson('assets.ndjson', assets)]), 0);
    expectExit(await cli(['import', 'vulnerabilities', ndjson('vulns.ndjson', [{ id: 'CVE-2021-41773', exploitation: 'active', public_poc: true }])]), 0);
    expectExit(await cli(['import', 'findings', ndjson('findings.ndjson', assets.map((a) => ({ id: `F-${a.id}`, vulnerability: 'CVE-2021-41773', asset: a.id, component: 'httpd', version: '2.4.49', validation: 'validated' })))]), 0);
    expectExit(await cli(['triage', '--escalate']), 0);

    const delivered = await cli(['deliver']);
    expectExit(delivered, 0);
    expect(jira.issues.size).toBe(2);
    const summaries = [...jira.issues.values()].map((i) => i.fields.summary).sort();
    expect(summaries).toEqual([expect.stringMatching(/^\[closeloop\] INC-\d{4}-\d{4} RI-\d{4}: .* on web-1$/), expect.stringMatching(/^\[closeloop\] INC-\d{4}-\d{4} RI-\d{4}: .* on web-2$/)]);

    const first = [...jira.issues.keys()][0] ?? '';
    jira.setStatus(first, 'Done', 'done');
    const sync = await cli(['tickets', 'sync']);
    expectExit(sync, 0);
    expect(sync.stdout).toMatch(new RegExp(`^jira ${first} \\(RI-\\d{4}\\): Done; item open → resolved$`, 'm'));
    expect(sync.stdout).toMatch(/: To Do; item stays open$/m);

    const json = await cli(['tickets', 'sync', '--json']);
    expectExit(json, 0);
    expect((json.json().results as unknown[]).length).toBe(2);
  });

  it('an unset credential variable is a configuration error naming the key', async () => {
    const r = await cli(['tickets', 'sync'], {});
    expectExit(r, 2);
    expect(r.stderr).toContain('delivery.jira.api_token: environment variable JIRA_TOKEN is not set');
  });

  it('serve refuses to start when the inbound webhook secret variable is unset, naming the key', async () => {
    const file = path.join(dir, 'closeloop.yaml');
    const cfg = parse(readFileSync(file, 'utf8')) as { delivery: { jira: Record<string, unknown> } };
    cfg.delivery.jira.webhook_secret = 'env:JIRA_HOOK';
    writeFileSync(file, stringify(cfg), { mode: 0o600 });
    const r = await cli(['serve', '--port', '0']);
    expectExit(r, 2);
    expect(r.stderr).toContain('delivery.jira.webhook_secret: environment variable JIRA_HOOK is not set');
    expect(r.stdout).not.toContain('listening');
  });
});
