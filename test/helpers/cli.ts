/**
 * The CLI as a person runs it, in a temporary directory of its own with a SQLite store and a
 * closeloop.yaml there: in-process through `runCli` (src/cli/main.ts) with that directory, an
 * environment and buffers as its io, or, for what only a real process shows (the bin's exit code,
 * the parser worker, the server), as a child process of the compiled bin/closeloop.js (dist/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli as runProgram } from '../../src/cli/main.js';

/** The project's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'closeloop.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

function result(code: number | null, stdout: string, stderr: string): CliRun {
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

/** The environment of a run in `dir`: this process's, its closeloop.yaml, and `env` on top. */
function envIn(dir: string, env: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), ...env };
}

/**
 * Runs `closeloop ARGS` in-process in `dir` with the closeloop.yaml there, and `env` on top of this
 * process's environment; `now` is the use cases' clock (default: the system's).
 */
export async function inProcessCli(dir: string, args: readonly string[], env: Record<string, string>, now?: () => Date): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(args, {
    env: envIn(dir, env),
    cwd: dir,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    ...(now ? { now } : {}),
  });
  return result(code, stdout, stderr);
}

/** Runs `closeloop ARGS` as a child process (bin/closeloop.js, dist/) in `dir`, like `inProcessCli`. */
export function spawnCli(dir: string, args: readonly string[], env: Record<string, string>): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: envIn(dir, env), encoding: 'utf8' });
  return result(r.status, r.stdout, r.stderr);
}

/** Runs `closeloop ARGS` in `dir` on the store `db` (a file path or a PostgreSQL URL) as nobody, or as `by` (`--by`). */
export function runCliBy(dir: string, db: string, args: readonly string[], by?: string): Promise<CliRun> {
  return inProcessCli(dir, [...args, ...(by ? ['--by', by] : [])], { CLOSELOOP_DB: db, CLOSELOOP_ACTOR: '' });
}

/** Runs `closeloop ARGS` in `dir` on the SQLite file `db` there, as alice, with `env` on top. */
export function runCli(dir: string, db: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return inProcessCli(dir, args, { CLOSELOOP_DB: path.join(dir, db), CLOSELOOP_ACTOR: 'alice', ...env });
}

/** What a run printed, to show with a failed assertion on it (`what` says which run it was). */
export function printed(run: CliRun, what = ''): string {
  return `${what ? `${what}: ` : ''}exit code ${String(run.code)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Asserts a run's exit code; a failure shows what the run printed. */
export function expectExit(run: CliRun, code: number, what = ''): void {
  expect(run.code, printed(run, what)).toBe(code);
}

/**
 * A new temporary directory with `closeloop init` done on `db` (alice its first admin) and alice
 * given `roles`; when they leave out admin, `root` is the admin (the directory keeps one).
 */
export async function makeCliDir(prefix: string, db: string, roles: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  expectExit(await runCli(dir, db, ['init']), 0);
  if (!roles.split(',').includes('admin')) expectExit(await runCli(dir, db, ['people', 'add', 'root', '--roles', 'admin']), 0);
  expectExit(await runCli(dir, db, ['people', 'roles', 'alice', '--roles', roles]), 0);
  return dir;
}
