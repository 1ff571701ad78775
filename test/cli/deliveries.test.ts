/**
 * `closeloop deliveries`, `closeloop ack` and the evidence of `incident show` from the command
 * line (SQLite; the use cases run on both engines in test/app/deliveries.test.ts), and the
 * configuration of acknowledgment links: `server.ack_key` is a secret reference, read at start.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, inProcessCli, printed, type CliRun } from '../helpers/cli.js';

describe('deliveries and delivery evidence from the command line', () => {
  let dir: string;
  let incident: string;
  const env = (extra: Record<string, string> = {}) => ({ CLOSELOOP_DB: path.join(dir, 'closeloop.db'), CLOSELOOP_ACTOR: '', ...extra });
  const cli = (args: string[], by = 'lead', extra: Record<string, string> = {}): Promise<CliRun> => inProcessCli(dir, [...args, '--by', by], env(extra));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-deliveries-'));
    expectExit(await cli(['init'], 'alice'), 0);
    for (const [person, roles] of [['lead', 'ir_lead'], ['so', 'service_owner'], ['auditor', 'auditor']] as const) expectExit(await cli(['people', 'add', person, '--roles', roles], 'alice'), 0);
    const opened = await cli(['incident', 'open', '--title', 'Leaked token', '--severity', 'low', '--json']);
    expectExit(opened, 0);
    incident = (JSON.parse(opened.stdout) as { id: string }).id;
    for (const args of [
      ['incident', 'move', incident, 'triage'],
      ['incident', 'move', incident, 'eradication'],
      ['reportout', 'none', incident, '--rationale', 'token revoked; no weakness behind the leak'],
      ['reportout', 'send', incident],
      ['deliver'],
    ]) expectExit(await cli(args), 0, args.join(' '));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists and shows deliveries, and refuses to retry one that is not failed (exit 3)', async () => {
    const ls = await cli(['deliveries', 'list', '--incident', incident], 'auditor');
    expectExit(ls, 0);
    expect(ls.stdout).toMatch(/^ID\s+STATE\s+ATTEMPTS\s+PURPOSE\s+ABOUT\s+ROLE\s+CHANNEL\s+ADDRESS/);
    expect(ls.stdout.match(/delivered/g)?.length).toBe(5);
    const failed = await cli(['deliveries', 'list', '--state', 'failed', '--json']);
    expect(JSON.parse(failed.stdout)).toEqual({ deliveries: [], next: null });
    const bad = await cli(['deliveries', 'list', '--state', 'lost']);
    expectExit(bad, 2);

    const show = await cli(['deliveries', 'show', 'NT-0001']);
    expectExit(show, 0);
    expect(show.stdout).toContain('state delivered, 1 attempt(s)');
    expect(show.stdout).toMatch(/attempt 1 at \S+ via file: delivered/);
    expect(show.stdout).toMatch(/message id: file:/);

    const retry = await cli(['deliveries', 'retry', 'NT-0001']);
    expectExit(retry, 3);
    expect(retry.stderr).toContain('only a failed delivery (the dead letter) can be retried');
    expectExit(await cli(['deliveries', 'show', 'NT-0001'], 'nobody'), 3);
  });

  it('acknowledges by CLI (recorded as cli) and shows the evidence per role in incident show', async () => {
    expectExit(await cli(['ack', incident, '--role', 'service_owner'], 'so'), 0);
    const show = await cli(['incident', 'show', incident]);
    expectExit(show, 0);
    expect(show.stdout, printed(show)).toContain('delivery evidence by role:');
    expect(show.stdout).toMatch(/service_owner: acknowledged by so at \S+ via cli \(revision 1\)/);
    expect(show.stdout).toMatch(/NT-\d+ reportout r1 via file \.\/outbox\/service_owner: delivered, 1 attempt\(s\), message id file:/);
    expect(show.stdout).toMatch(/grc_contact: not acknowledged/);
    const json = JSON.parse((await cli(['incident', 'show', incident, '--json'])).stdout) as { evidence: { role: string; acknowledgment: { via: string } | null }[] };
    expect(json.evidence.find((e) => e.role === 'service_owner')?.acknowledgment?.via).toBe('cli');
  });

  it('reads server.ack_key from the environment at start, and refuses a literal key or an unset variable naming the key', async () => {
    const config = path.join(dir, 'closeloop.yaml');
    appendFileSync(config, 'server:\n  public_url: https://closeloop.example.org\n  ack_key: env:CL_TEST_ACK_KEY\n');
    const unset = await cli(['deliveries', 'list']);
    expectExit(unset, 2);
    expect(unset.stderr).toContain('server.ack_key: environment variable CL_TEST_ACK_KEY is not set');
    expectExit(await cli(['deliveries', 'list'], 'lead', { CL_TEST_ACK_KEY: 'k' }), 0);
    appendFileSync(config, '  ack_link_days: 0\n');
    const days = await cli(['deliveries', 'list'], 'lead', { CL_TEST_ACK_KEY: 'k' });
    expectExit(days, 2);
    expect(days.stderr).toContain('server.ack_link_days');
  });

  it('refuses a key written in the file', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'closeloop-ackkey-'));
    try {
      expectExit(await inProcessCli(other, ['init', '--by', 'alice'], { CLOSELOOP_DB: path.join(other, 'c.db'), CLOSELOOP_ACTOR: '' }), 0);
      appendFileSync(path.join(other, 'closeloop.yaml'), 'server:\n  ack_key: s3cret-literal\n');
      const r = await inProcessCli(other, ['deliveries', 'list', '--by', 'alice'], { CLOSELOOP_DB: path.join(other, 'c.db'), CLOSELOOP_ACTOR: '' });
      expectExit(r, 2);
      expect(r.stderr).toContain('server.ack_key: a secret reference env:NAME');
      expect(r.stderr).not.toContain('s3cret-literal');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
