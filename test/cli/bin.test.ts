/**
 * bin/closeloop.js as a real process: the exit code it leaves is the program's, help and usage
 * errors reach the process's streams, and a user error prints its message without a stack trace.
 * (Every other CLI test runs the program in-process.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectExit, spawnCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { CLOSELOOP_DB: path.join(dir, 'c.db'), CLOSELOOP_ACTOR: '' };

describe('bin/closeloop.js', () => {
  it('exits 0 with the help on stdout, and 2 with a usage error on stderr', () => {
    const help = spawnCli(dir, ['--help'], env);
    expectExit(help, 0);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage or bad input, 3 refused by a gate or rule.');
    expect(help.stderr).toBe('');
    const usage = spawnCli(dir, ['incident', 'open', '--title', 'x', '--severity', 'severe', '--by', 'alice'], env);
    expectExit(usage, 2);
    expect(usage.stderr).toContain("error: option '--severity <severity>' argument 'severe' is invalid. Allowed choices are low, moderate, high, critical.");
    expect(usage.stderr).toContain('(run with --help for usage)');
    expect(usage.stdout).toBe('');
  });

  it('exits with the code of a user error (2 bad input, 3 refused), its message on stderr and no stack trace', () => {
    const missing = spawnCli(dir, ['incident', 'list', '--by', 'alice'], env);
    expectExit(missing, 2);
    expect(missing.stderr).toMatch(/^closeloop: no configuration at .*closeloop\.yaml: run `closeloop init --by YOUR_NAME`/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    expectExit(spawnCli(dir, ['init', '--by', 'alice'], env), 0);
    const again = spawnCli(dir, ['init', '--by', 'alice'], env);
    expectExit(again, 3);
    expect(again.stderr).toContain('exists already');
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });
});
