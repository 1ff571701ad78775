/**
 * `closeloop people passwd NAME --password-stdin | --link` and `people sessions revoke NAME`: the
 * password read from a pipe (in-process with a stream as standard input, and through the real bin
 * with the child's stdin), refused from a terminal or empty input, the one-time link printed, and
 * what the audit chain records (the events, never the password).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/app/passwords.js';
import { runCli as runProgram, type CliIo } from '../../src/cli/main.js';
import { openStore, type Store } from '../../src/store/db.js';
import { findPersonRow } from '../../src/store/repositories/people.js';
import { expectExit, makeCliDir, printed, root, runCli, type CliRun } from '../helpers/cli.js';

const DB = 'passwd.db';

/** `closeloop ARGS` as alice (an admin) in `dir`, with `stdin` as standard input. */
async function withStdin(dir: string, args: string[], stdin: CliIo['stdin']): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(args, {
    env: { ...process.env, CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), CLOSELOOP_DB: path.join(dir, DB), CLOSELOOP_ACTOR: 'alice' },
    cwd: dir,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    ...(stdin !== undefined ? { stdin } : {}),
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

describe('closeloop people passwd', () => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = await makeCliDir('closeloop-passwd-', DB, 'admin');
    expectExit(await runCli(dir, DB, ['people', 'add', 'bob', '--roles', 'ir_lead']), 0);
    store = await openStore({ url: path.join(dir, DB) });
  });
  afterAll(async () => {
    await store.close();
  });

  const hashOf = async (name: string): Promise<string | null> => (await findPersonRow(store.db, name))?.password_hash ?? null;

  it('sets the password read from the first line of standard input', async () => {
    const run = await withStdin(dir, ['people', 'passwd', 'bob', '--password-stdin'], Readable.from(['my new passphrase\n', 'second line is ignored\n']));
    expectExit(run, 0);
    expect(run.stdout).toBe('password of bob set\n');
    const hash = await hashOf('bob');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword(hash ?? '', 'my new passphrase')).toBe(true);
    const events = await store.db.selectFrom('audit_events').select(['action', 'actor']).where('entity_id', '=', 'bob').where('action', '=', 'person.password_set').execute();
    expect(events).toEqual([{ action: 'person.password_set', actor: 'alice' }]);
  });

  it('refuses a terminal, empty input and a short password, and changes nothing', async () => {
    const before = await hashOf('bob');
    const tty = Object.assign(Readable.from(['typed on a terminal\n']), { isTTY: true });
    const fromTerminal = await withStdin(dir, ['people', 'passwd', 'bob', '--password-stdin'], tty);
    expectExit(fromTerminal, 2);
    expect(fromTerminal.stderr).toMatch(/reads the password from a pipe, not a terminal/);
    const empty = await withStdin(dir, ['people', 'passwd', 'bob', '--password-stdin'], Readable.from([]));
    expectExit(empty, 2);
    expect(empty.stderr).toMatch(/read no password \(standard input was empty\)/);
    const short = await withStdin(dir, ['people', 'passwd', 'bob', '--password-stdin'], Readable.from(['short\n']));
    expectExit(short, 2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const neither = await withStdin(dir, ['people', 'passwd', 'bob'], undefined);
    expectExit(neither, 2);
    expect(neither.stderr).toMatch(/--password-stdin .* or --link/);
    expect(await hashOf('bob')).toBe(before);
  });

  it('prints a one-time set-password link', async () => {
    const run = await runCli(dir, DB, ['people', 'passwd', 'bob', '--link', '--json']);
    expectExit(run, 0);
    const out = run.json();
    expect(out.url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/set-password\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(String(out.url)).searchParams.get('token') ?? '';
    const rows = await store.db.selectFrom('password_links').select('token_hash').where('person', '=', 'bob').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).not.toBe(token);
  });

  it('refuses someone not in the directory, and a caller who is no admin', async () => {
    const nobody = await withStdin(dir, ['people', 'passwd', 'nobody', '--password-stdin'], Readable.from(['a long enough password\n']));
    expectExit(nobody, 2);
    expect(nobody.stderr).toMatch(/nobody is not in the people directory/);
    const byBob = await runCli(dir, DB, ['people', 'passwd', 'alice', '--link'], { CLOSELOOP_ACTOR: 'bob' });
    expectExit(byBob, 3);
    expect(byBob.stderr).toMatch(/may not people\.manage/);
  });

  it('revokes a person\'s sessions', async () => {
    const run = await runCli(dir, DB, ['people', 'sessions', 'revoke', 'bob']);
    expectExit(run, 0);
    expect(run.stdout).toBe('bob: 0 session(s) ended\n');
  });

  it('reads the password from the real process\'s standard input (bin)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'people', 'passwd', 'bob', '--password-stdin'], {
      cwd: dir,
      env: { ...process.env, CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), CLOSELOOP_DB: path.join(dir, DB), CLOSELOOP_ACTOR: 'alice' },
      input: 'piped through the bin\n',
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toBe('password of bob set\n');
    return hashOf('bob').then(async (hash) => expect(await verifyPassword(hash ?? '', 'piped through the bin')).toBe(true));
  });

  it('keeps the password out of what it prints', async () => {
    const run = await withStdin(dir, ['people', 'passwd', 'bob', '--password-stdin', '--json'], Readable.from(['never printed anywhere\n']));
    expectExit(run, 0);
    expect(run.stdout + run.stderr, printed(run)).not.toContain('never printed');
    expect(run.json()).toEqual({ id: 'bob', name: 'bob', sessions_ended: 0 });
  });
});
