/**
 * The compiled CLI (bin/closeloop.js, dist/) run as a child process, as a person would, in a
 * temporary directory of its own with a SQLite store and a closeloop.yaml there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The project's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'closeloop.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

/** Runs `closeloop ARGS` in `dir` with the closeloop.yaml there, and `env` on top of this process's environment. */
export function spawnCli(dir: string, args: readonly string[], env: Record<string, string>): CliRun {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...process.env, CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

/** Runs `closeloop ARGS` in `dir` on the store `db` (a file path or a PostgreSQL URL) as nobody, or as `by` (`--by`). */
export function runCliBy(dir: string, db: string, args: readonly string[], by?: string): CliRun {
  return spawnCli(dir, [...args, ...(by ? ['--by', by] : [])], { CLOSELOOP_DB: db, CLOSELOOP_ACTOR: '' });
}

/** Runs `closeloop ARGS` in `dir` on the SQLite file `db` there, as alice, with `env` on top. */
export function runCli(dir: string, db: string, args: string[], env: Record<string, string> = {}): CliRun {
  return spawnCli(dir, args, { CLOSELOOP_DB: path.join(dir, db), CLOSELOOP_ACTOR: 'alice', ...env });
}

/** A new temporary directory with `closeloop init` done on `db` and alice added with `roles`. */
export function makeCliDir(prefix: string, db: string, roles: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  expect(runCli(dir, db, ['init']).code).toBe(0);
  expect(runCli(dir, db, ['people', 'add', 'alice', '--roles', roles]).code).toBe(0);
  return dir;
}
