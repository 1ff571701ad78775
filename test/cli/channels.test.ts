import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { parse, stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelWarnings, closeContext, openContext } from '../../src/app/open-context.js';
import { expectExit, inProcessCli, root } from '../helpers/cli.js';
import { closedPort, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../helpers/receivers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
let dir: string;
let smtp: SmtpReceiver;
let http: HttpReceiver;
let env: Record<string, string>;

const cli = (args: string[], by = 'alice') => inProcessCli(dir, [...args, '--by', by], { CLOSELOOP_DB: path.join(dir, 'c.db'), CLOSELOOP_ACTOR: '', ...env });
const file = () => path.join(dir, 'closeloop.yaml');
type RawConfig = { routing: { roles: Record<string, unknown>; services: Record<string, unknown> }; delivery: Record<string, unknown> };
const editConfig = (fn: (c: RawConfig) => void) => {
  const c = parse(readFileSync(file(), 'utf8')) as RawConfig;
  fn(c);
  writeFileSync(file(), stringify(c), { mode: 0o600 });
};

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-channels-'));
  smtp = await startSmtpReceiver();
  http = await startHttpReceiver();
  const down = await closedPort();
  env = {
    SIEM_SECRET: SECRET,
    SLACK_URL: `${http.url}/slack/T0/B0/SLACKTOKEN`,
    TEAMS_URL: `${http.url}/teams/workflow?sig=TEAMSSIG`,
    DOWN_URL: `http://127.0.0.1:${down}/down`,
  };
  expectExit(await cli(['init']), 0);
  editConfig((c) => {
    c.delivery.email = { url: smtp.url, from: 'closeloop@example.org', tls: { reject_unauthorized: false }, timeout_seconds: 5 };
    c.delivery.webhook = { endpoints: { siem: { url: `${http.url}/siem`, secret: 'env:SIEM_SECRET' }, down: { url: 'env:DOWN_URL', secret: 'env:SIEM_SECRET' } } };
    c.delivery.slack = { endpoints: { alerts: { url: 'env:SLACK_URL' } } };
    c.delivery.teams = { endpoints: { soc: { url: 'env:TEAMS_URL' } } };
    c.routing.roles.service_owner = [
      { channel: 'email', address: 'owner@example.org' },
      { channel: 'webhook', address: 'siem' },
      { channel: 'slack', address: 'alerts' },
      { channel: 'teams', address: 'soc' },
      { channel: 'file', address: './outbox/service_owner' },
    ];
    c.routing.roles.ir_lead = [
      { channel: 'slack', address: 'alerts' },
      { channel: 'webhook', address: 'down' },
    ];
  });
});

afterEach(async () => {
  await smtp.close();
  await http.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('closeloop channels test ROLE', () => {
  it('sends a test message over each route and prints what each receiver answered', async () => {
    const r = await cli(['channels', 'test', 'service_owner']);
    expectExit(r, 0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^email owner@example\.org: delivered \(250\): 250 .*queued as test/);
    expect(lines[1]).toMatch(/^webhook siem: delivered \(200\): ok \[msg_[0-9a-f]{32}\]$/);
    expect(lines[2]).toMatch(/^slack alerts: delivered \(200\): ok/);
    expect(lines[3]).toMatch(/^teams soc: delivered \(200\): ok/);
    expect(lines[4]).toMatch(/^file \.\/outbox\/service_owner: delivered/);
    for (const secret of ['SLACKTOKEN', 'TEAMSSIG', SECRET]) expect(r.stdout).not.toContain(secret);

    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.mail.subject).toBe('[closeloop] test message for service_owner');
    expect(smtp.received[0]?.mail.text).toContain('A test message from closeloop to the service_owner role over email');
    const byPath = (p: string) => http.requests.filter((q) => q.path.startsWith(p));
    const hook = byPath('/siem')[0];
    const headers = Object.fromEntries(Object.entries(hook?.headers ?? {}).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
    expect((new Webhook(SECRET).verify(hook?.body ?? '', headers) as { type: string }).type).toBe('channel.test');
    expect((JSON.parse(byPath('/slack')[0]?.body ?? '{}') as { text: string }).text).toContain('test message for service_owner');
    expect(JSON.parse(byPath('/teams')[0]?.body ?? '{}')).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
    expect(readdirSync(path.join(dir, 'outbox', 'service_owner'))).toHaveLength(1);
  });

  it('a route that fails is shown with its error and whether it would be retried; exit 1; --json has every result', async () => {
    const r = await cli(['channels', 'test', 'ir_lead', '--json']);
    expectExit(r, 1);
    const out = r.json() as { role: string; results: { channel: string; address: string; ok: boolean; retryable?: boolean; error?: string }[] };
    expect(out.role).toBe('ir_lead');
    expect(out.results.map((x) => [x.channel, x.address, x.ok])).toEqual([
      ['slack', 'alerts', true],
      ['webhook', 'down', false],
    ]);
    expect(out.results[1]).toMatchObject({ retryable: true, error: expect.stringContaining('webhook endpoint down: ECONNREFUSED') as string });
    expect(r.stdout).not.toContain('/down');
    const human = await cli(['channels', 'test', 'ir_lead']);
    expect(human.stdout).toContain('webhook down: FAILED (would be retried): webhook endpoint down: ECONNREFUSED');
  });

  it('--service tests the routes a service override gives the role', async () => {
    editConfig((c) => (c.routing.services = { payments: { service_owner: [{ channel: 'slack', address: 'alerts' }] } }));
    const r = await cli(['channels', 'test', 'service_owner', '--service', 'payments', '--json']);
    expectExit(r, 0);
    expect(r.json()).toMatchObject({ role: 'service_owner', service: 'payments', results: [{ channel: 'slack', address: 'alerts', ok: true, status: 200 }] });
    expect(smtp.received).toHaveLength(0);
  });

  it('is audited, and refused to someone without the permission or for a role without routes', async () => {
    expectExit(await cli(['people', 'add', 'viewer', '--roles', 'auditor']), 0);
    expectExit(await cli(['channels', 'test', 'service_owner'], 'viewer'), 3);
    expect(smtp.received).toHaveLength(0);
    expectExit(await cli(['channels', 'test', 'ciso']), 2);
    expectExit(await cli(['channels', 'test', 'service_owner']), 0);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dir, 'c.db'), { readonly: true });
    const rows = db.prepare("SELECT actor, entity_type, entity_id FROM audit_events WHERE action = 'channel.tested'").all();
    db.close();
    expect(rows).toEqual([{ actor: 'alice', entity_type: 'role', entity_id: 'service_owner' }]);
  });
});

describe('start-up', () => {
  it('an SMTP server that cannot be reached is a warning naming the channel; the context still opens', async () => {
    const port = await closedPort();
    editConfig((c) => (c.delivery.email = { url: `smtp://127.0.0.1:${port}`, from: 'closeloop@example.org', timeout_seconds: 5 }));
    const ctx = await openContext({ env: { ...env, CLOSELOOP_CONFIG: file(), CLOSELOOP_DB: path.join(dir, 'c.db') }, cwd: dir, now: () => new Date() }, 'server');
    try {
      const warnings = await channelWarnings(ctx);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^closeloop: warning: email cannot connect now \(.*ECONNREFUSED.*\): its messages wait in the outbox until it can\n$/);
    } finally {
      await closeContext(ctx);
    }
  });

  it('a reachable SMTP server gives no warning', async () => {
    const ctx = await openContext({ env: { ...env, CLOSELOOP_CONFIG: file(), CLOSELOOP_DB: path.join(dir, 'c.db') }, cwd: dir, now: () => new Date() }, 'server');
    try {
      expect(await channelWarnings(ctx)).toEqual([]);
    } finally {
      await closeContext(ctx);
    }
  });

  it('an unset secret variable stops the start, naming the key and the variable', async () => {
    const r = await inProcessCli(dir, ['incident', 'list', '--by', 'alice'], { CLOSELOOP_DB: path.join(dir, 'c.db'), ...env, SLACK_URL: '' });
    expectExit(r, 2);
    expect(r.stderr).toContain('delivery.slack.endpoints.alerts.url: environment variable SLACK_URL is not set');
  });

  it('closeloop serve (the built bin) prints the warning and starts all the same', async () => {
    const port = await closedPort();
    editConfig((c) => (c.delivery.email = { url: `smtp://127.0.0.1:${port}`, from: 'closeloop@example.org', timeout_seconds: 5 }));
    const child = spawn(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'serve', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, ...env, CLOSELOOP_CONFIG: file(), CLOSELOOP_DB: path.join(dir, 'c.db'), CLOSELOOP_ACTOR: '' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const until = Date.now() + 30_000;
      while (!out.includes('listening on')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`server did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toMatch(/closeloop: warning: email cannot connect now \(.*ECONNREFUSED/);
      expect(out.indexOf('warning: email')).toBeLessThan(out.indexOf('listening on'));
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if (child.exitCode === null) await exited;
    }
  }, 60_000);
});

describe('the outbox delivers through the configured channels', () => {
  it('a report-out routed to email, webhook, slack and teams reaches each real receiver; no URL or secret lands in the store', async () => {
    const now = () => new Date();
    const run = (args: string[], by: string) => inProcessCli(dir, [...args, '--by', by], { CLOSELOOP_DB: path.join(dir, 'c.db'), CLOSELOOP_ACTOR: '', ...env }, now);
    editConfig((c) => (c.routing.roles.ir_lead = [{ channel: 'file', address: './outbox/ir_lead' }]));
    expectExit(await run(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice'), 0);
    const opened = await run(['incident', 'open', '--title', 'Webshell on web-01', '--severity', 'high', '--json'], 'bob');
    expectExit(opened, 0);
    const id = String(opened.json().id);
    expectExit(await run(['incident', 'move', id, 'triage'], 'bob'), 0);
    expectExit(await run(['incident', 'move', id, 'eradication'], 'bob'), 0);
    expectExit(await run(['reportout', 'add', id, '--type', 'technical', '--relation', 'enabled', '--asset', 'web-01', '--notes', 'unpatched CMS plugin', '--action', 'patch'], 'bob'), 0);
    expectExit(await run(['reportout', 'send', id], 'bob'), 0);
    const delivered = await run(['deliver', '--json'], 'bob');
    expectExit(delivered, 0);
    expect(delivered.json()).toMatchObject({ failed: 0, retrying: 0, no_channel: 0 });

    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.mail.subject).toContain(id);
    expect(smtp.received[0]?.mail.text).toContain('unpatched CMS plugin');
    const paths = http.requests.map((q) => q.path.split('/')[1]).sort();
    expect(paths).toEqual(['siem', 'slack', 'teams']);
    const hook = http.requests.find((q) => q.path === '/siem');
    const headers = Object.fromEntries(Object.entries(hook?.headers ?? {}).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
    expect((new Webhook(SECRET).verify(hook?.body ?? '', headers) as { type: string }).type).toBe('reportout.sent');

    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dir, 'c.db'), { readonly: true });
    const rows = db.prepare("SELECT channel, address, status, message_id FROM notifications WHERE role = 'service_owner' ORDER BY channel").all();
    db.close();
    expect(rows).toEqual([
      { channel: 'email', address: 'owner@example.org', status: 'delivered', message_id: expect.stringMatching(/^<[0-9a-f]{32}@closeloop>$/) as string },
      { channel: 'file', address: './outbox/service_owner', status: 'delivered', message_id: expect.any(String) as string },
      { channel: 'slack', address: 'alerts', status: 'delivered', message_id: expect.stringMatching(/^slack:/) as string },
      { channel: 'teams', address: 'soc', status: 'delivered', message_id: expect.stringMatching(/^teams:/) as string },
      { channel: 'webhook', address: 'siem', status: 'delivered', message_id: expect.stringMatching(/^msg_/) as string },
    ]);
    const stored = readdirSync(dir)
      .filter((f) => f.startsWith('c.db'))
      .map((f) => readFileSync(path.join(dir, f)).toString('latin1'))
      .join('');
    for (const secret of ['SLACKTOKEN', 'TEAMSSIG', SECRET.slice('whsec_'.length)]) expect(stored).not.toContain(secret);
  });
});
