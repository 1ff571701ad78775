import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/config/load.js';
import { expectExit, inProcessCli } from '../helpers/cli.js';

let dir: string;
const file = () => path.join(dir, 'closeloop.yaml');
const cli = (args: string[], env: Record<string, string> = {}) => inProcessCli(dir, args, { CLOSELOOP_DB: path.join(dir, 'c.db'), CLOSELOOP_ACTOR: 'admin', ...env });

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/TOKENTOKEN';
const HOOK_URL = 'https://siem.example.org/in/abc123';
const TEAMS_URL = 'https://prod-00.westeurope.logic.azure.com/workflows/xyz/triggers/manual/paths/invoke?sig=SIGSIG';

/** A version 1 file as users wrote them: URLs as addresses, an email route, no delivery sections. */
function writeV1(routes: 'mixed' | 'file-only'): string {
  const c = defaultConfig() as { version: number; routing: { roles: Record<string, unknown>; services: Record<string, unknown> } };
  c.version = 1;
  if (routes === 'mixed') {
    c.routing.roles.service_owner = [{ channel: 'slack', address: SLACK_URL }, { channel: 'email', address: 'owner@example.org' }];
    c.routing.roles.ir_lead = [{ channel: 'webhook', address: HOOK_URL }, { channel: 'slack', address: SLACK_URL }];
    c.routing.services = { payments: { service_owner: [{ channel: 'teams', address: TEAMS_URL }] } };
  }
  const text = `# our closeloop settings (kept by the upgrade)\n${stringify(c)}`;
  writeFileSync(file(), text, { mode: 0o600 });
  return text;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('closeloop config migrate (version 1 -> 2)', () => {
  it('a version 1 file with URL routes is refused at start, naming the key and the fix', async () => {
    writeV1('mixed');
    const r = await cli(['incident', 'list']);
    expectExit(r, 2);
    expect(r.stderr).toContain('routing.roles.service_owner[0].address');
    expect(r.stderr).toContain('closeloop config migrate');
    expect(r.stderr).toContain('routing.roles.service_owner[1].channel: email is not configured (add delivery.email)');
    expect(r.stderr).not.toContain('TOKENTOKEN');
  });

  it('moves each URL into an endpoint read from a variable, prints the variables and never a URL, keeps the old file 0600', async () => {
    const before = writeV1('mixed');
    const r = await cli(['config', 'migrate']);
    expectExit(r, 0);
    for (const secret of ['TOKENTOKEN', 'abc123', 'SIGSIG']) expect(r.stdout).not.toContain(secret);
    for (const v of ['CLOSELOOP_SLACK_IR_LEAD_URL', 'CLOSELOOP_WEBHOOK_IR_LEAD_URL', 'CLOSELOOP_WEBHOOK_IR_LEAD_SECRET', 'CLOSELOOP_TEAMS_PAYMENTS_SERVICE_OWNER_URL', 'CLOSELOOP_SMTP_URL']) expect(r.stdout).toContain(v);
    expect(r.stdout).toContain('closeloop.yaml.v1.bak');

    const backup = `${file()}.v1.bak`;
    expect(readFileSync(backup, 'utf8')).toBe(before);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(statSync(file()).mode & 0o777).toBe(0o600);

    const text = readFileSync(file(), 'utf8');
    expect(text).toContain('# our closeloop settings (kept by the upgrade)');
    for (const secret of ['TOKENTOKEN', 'abc123', 'SIGSIG']) expect(text).not.toContain(secret);
    const c = loadConfig(file());
    expect(c.version).toBe(2);
    expect(c.routing.roles.ir_lead).toEqual([{ channel: 'webhook', address: 'ir_lead' }, { channel: 'slack', address: 'ir_lead' }]);
    // the same URL routed twice becomes one endpoint (named after the first route, ir_lead's)
    expect(c.routing.roles.service_owner).toEqual([{ channel: 'slack', address: 'ir_lead' }, { channel: 'email', address: 'owner@example.org' }]);
    expect(c.routing.services.payments?.service_owner).toEqual([{ channel: 'teams', address: 'payments_service_owner' }]);
    expect(c.delivery.slack?.endpoints).toEqual({ ir_lead: { url: 'env:CLOSELOOP_SLACK_IR_LEAD_URL' } });
    expect(c.delivery.webhook?.endpoints).toEqual({ ir_lead: { url: 'env:CLOSELOOP_WEBHOOK_IR_LEAD_URL', secret: 'env:CLOSELOOP_WEBHOOK_IR_LEAD_SECRET' } });
    expect(c.delivery.teams?.endpoints).toEqual({ payments_service_owner: { url: 'env:CLOSELOOP_TEAMS_PAYMENTS_SERVICE_OWNER_URL' } });
    expect(c.delivery.email?.url).toBe('env:CLOSELOOP_SMTP_URL');

    // the upgraded file starts once its variables are set, and says which one is missing until then
    const env = {
      CLOSELOOP_SLACK_IR_LEAD_URL: SLACK_URL,
      CLOSELOOP_WEBHOOK_IR_LEAD_URL: HOOK_URL,
      CLOSELOOP_WEBHOOK_IR_LEAD_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      CLOSELOOP_TEAMS_PAYMENTS_SERVICE_OWNER_URL: TEAMS_URL,
      CLOSELOOP_SMTP_URL: 'smtp://127.0.0.1:2525',
    };
    expectExit(await cli(['incident', 'list'], env), 0);
    const missing = await cli(['incident', 'list'], { ...env, CLOSELOOP_WEBHOOK_IR_LEAD_SECRET: '' });
    expectExit(missing, 2);
    expect(missing.stderr).toContain('delivery.webhook.endpoints.ir_lead.secret: environment variable CLOSELOOP_WEBHOOK_IR_LEAD_SECRET is not set');

    // run again: nothing to do, nothing written
    const again = await cli(['config', 'migrate']);
    expectExit(again, 0);
    expect(again.stdout).toContain('already version 2');
  });

  it('a file-only version 1 file upgrades by its version alone; --dry-run writes nothing', async () => {
    const before = writeV1('file-only');
    const dry = await cli(['config', 'migrate', '--dry-run', '--json']);
    expectExit(dry, 0);
    expect(dry.json()).toMatchObject({ dry_run: true, from: 1, to: 2, changes: ['version: 1 -> 2'], variables: [] });
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expectExit(await cli(['config', 'migrate']), 0);
    const after = parse(readFileSync(file(), 'utf8')) as Record<string, unknown>;
    expect(after.version).toBe(2);
    expect(after.routing).toEqual((parse(before) as Record<string, unknown>).routing);
  });

  it('never overwrites an earlier backup', async () => {
    const before = writeV1('mixed');
    writeFileSync(`${file()}.v1.bak`, 'an older copy\n', { mode: 0o600 });
    const r = await cli(['config', 'migrate']);
    expectExit(r, 3);
    expect(r.stderr).toContain('exists already');
    expect(readFileSync(file(), 'utf8')).toBe(before);
    expect(readFileSync(`${file()}.v1.bak`, 'utf8')).toBe('an older copy\n');
  });
});
