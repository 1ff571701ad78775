/**
 * Limits at the command line: reserved or malformed actor, person and role names are refused with
 * exit 2 naming the option or field; every file closeloop writes (closeloop.yaml, the SQLite store
 * and its -wal/-shm, mailbox messages) is created 0600 in directories it creates 0700, whatever the
 * umask; and a store or configuration readable by others draws one warning on stderr saying how to
 * fix it.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectExit, runCliBy } from '../helpers/cli.js';

let dir: string;
let umask: number;
const db = () => path.join(dir, 'c.db');
const cli = (args: string[], by?: string) => runCliBy(dir, db(), args, by);
const modeOf = (file: string): number => statSync(file).mode & 0o777;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-limits-'));
  // The most permissive umask: modes below come from closeloop, not from the environment.
  umask = process.umask(0);
  expectExit(await cli(['init'], 'alice'), 0);
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('names', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'al\u001bice', 'x'.repeat(129)])('--by %j is refused, exit 2, naming --by', async (name) => {
    const r = await cli(['incident', 'list'], name);
    expectExit(r, 2);
    expect(r.stderr).toContain('--by');
    expect(r.stderr).not.toMatch(/internal|TypeError|at .*\.ts/);
  });

  it('CLOSELOOP_ACTOR=constructor is refused naming CLOSELOOP_ACTOR', async () => {
    const { inProcessCli } = await import('../helpers/cli.js');
    const r = await inProcessCli(dir, ['incident', 'list'], { CLOSELOOP_DB: db(), CLOSELOOP_ACTOR: 'constructor' });
    expectExit(r, 2);
    expect(r.stderr).toContain('CLOSELOOP_ACTOR');
  });

  it.each([
    [['people', 'add', '__proto__', '--roles', 'ir_lead'], 'name'],
    [['people', 'add', 'constructor', '--roles', 'ir_lead'], 'name'],
    [['people', 'add', 'bob', '--roles', 'constructor'], 'roles.0'],
    [['people', 'add', 'bob', '--roles', 'prototype'], 'roles.0'],
    [['token', 'create', '--actor', '__proto__'], 'actor'],
  ])('%j is refused cleanly, naming %s, and the directory is unchanged', async (args, field) => {
    const before = (await cli(['people', 'list', '--all', '--json'], 'alice')).stdout;
    const r = await cli(args, 'alice');
    expectExit(r, 2);
    expect(r.stderr).toContain(field);
    expect((await cli(['people', 'list', '--all', '--json'], 'alice')).stdout).toBe(before);
  });

  it('a configuration whose people directory names constructor is refused at start, naming the key', async () => {
    const file = path.join(dir, 'closeloop.yaml');
    const text = `${readFileSync(file, 'utf8')}people:\n  constructor: [admin]\n`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, text, { mode: 0o600 });
    const r = await cli(['incident', 'list'], 'alice');
    expectExit(r, 2);
    expect(r.stderr).toContain('people.constructor');
  });
});

describe('file modes', () => {
  it('init creates closeloop.yaml and the store 0600, and -wal/-shm follow the store', async () => {
    expect(modeOf(path.join(dir, 'closeloop.yaml'))).toBe(0o600);
    expect(modeOf(db())).toBe(0o600);
    // a WAL exists while a write is under way; open one and look.
    const { default: Database } = await import('better-sqlite3');
    const h = new Database(db());
    h.pragma('journal_mode = WAL');
    h.exec('CREATE TABLE IF NOT EXISTS t_mode (x)');
    for (const suffix of ['-wal', '-shm']) if (existsSync(db() + suffix)) expect(modeOf(db() + suffix), suffix).toBe(0o600);
    expect(existsSync(`${db()}-wal`)).toBe(true);
    h.close();
  });

  it('moving a people section into the store rewrites closeloop.yaml 0600', async () => {
    const file = path.join(dir, 'closeloop.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${readFileSync(file, 'utf8')}people:\n  alice: [admin]\n  bob: [ir_lead]\n`, { mode: 0o600 });
    const r = await runCliBy(dir, path.join(dir, 'fresh.db'), ['people', 'list'], 'alice');
    expectExit(r, 0);
    expect(r.stderr).toContain('moved 2 people');
    expect(readFileSync(file, 'utf8')).not.toMatch(/^people:/m);
    expect(modeOf(file)).toBe(0o600);
  });

  it('mailbox directories are 0700 and messages 0600', async () => {
    expectExit(await cli(['people', 'add', 'lead', '--roles', 'ir_lead'], 'alice'), 0);
    const open = await cli(['incident', 'open', '--title', 'modes', '--severity', 'low', '--json'], 'lead');
    expectExit(open, 0);
    const id = String(open.json().id);
    for (const state of ['triage', 'eradication']) expectExit(await cli(['incident', 'move', id, state], 'lead'), 0);
    expectExit(await cli(['reportout', 'none', id, '--rationale', 'nothing found'], 'lead'), 0);
    expectExit(await cli(['reportout', 'send', id], 'lead'), 0);
    expectExit(await cli(['deliver'], 'alice'), 0);
    const box = path.join(dir, 'outbox', 'ir_lead');
    expect(modeOf(path.join(dir, 'outbox'))).toBe(0o700);
    expect(modeOf(box)).toBe(0o700);
    const messages = readdirSync(box);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(modeOf(path.join(box, m)), m).toBe(0o600);
  });
});

describe('the warning at start', () => {
  it('says nothing when the files are private, and once, with the fix, when they are not', async () => {
    const quiet = await cli(['incident', 'list'], 'alice');
    expectExit(quiet, 0);
    expect(quiet.stderr).toBe('');
    chmodSync(db(), 0o644);
    chmodSync(path.join(dir, 'closeloop.yaml'), 0o640);
    const loud = await cli(['incident', 'list'], 'alice');
    expectExit(loud, 0);
    expect(loud.stderr.match(/warning/g)).toHaveLength(1);
    expect(loud.stderr).toContain(`${db()} (mode 0644)`);
    expect(loud.stderr).toContain('closeloop.yaml (mode 0640)');
    expect(loud.stderr).toContain(`chmod 600 ${path.join(dir, 'closeloop.yaml')} ${db()}`);
  });
});
