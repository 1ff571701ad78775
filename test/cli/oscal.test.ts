/**
 * `closeloop oscal poam` as a person runs it: writes the OSCAL POA&M or the FedRAMP-style CSV to a
 * new 0600 file, replaces it whole; a bad option, a wrong format, a caller without the role or a
 * file that cannot be written exits with its code and leaves nothing behind.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POAM_CSV_COLUMNS } from '../../src/app/oscal/poam-csv.js';
import { oscalCommand, registerOscal } from '../../src/cli/commands/oscal.js';
import { createProgram } from '../../src/cli/program.js';
import { CliRun } from '../../src/cli/session.js';
import { openStore } from '../../src/store/db.js';
import { expectExit, runCliBy } from '../helpers/cli.js';
import { oscalErrors, oscalValidator } from '../helpers/oscal-schema.js';

let dir: string;
const db = () => path.join(dir, 'closeloop.db');
const cli = (args: string[], by?: string) => runCliBy(dir, db(), args, by);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-oscal-'));
  expectExit(await cli(['init'], 'alice'), 0);
  expectExit(await cli(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice'), 0);
  expectExit(await cli(['people', 'add', 'grace', '--roles', 'grc_contact'], 'alice'), 0);
  expectExit(await cli(['incident', 'open', '--title', 'Web shell', '--severity', 'high', '--asset', 'web-01'], 'bob'), 0);
  const inc = 'INC-' + new Date().getUTCFullYear() + '-0001';
  expectExit(await cli(['incident', 'move', inc, 'triage'], 'bob'), 0);
  expectExit(await cli(['incident', 'move', inc, 'eradication'], 'bob'), 0);
  expectExit(await cli(['reportout', 'add', inc, '--type', 'technical', '--relation', 'enabled', '--asset', 'web-01', '--notes', 'unpatched plugin, "old"', '--action', 'patch'], 'bob'), 0);
  expectExit(await cli(['remediation', 'add', 'WK-0001', '--owner-role', 'ir_lead', '--assignee', 'bob', '--criteria', 'patched', '--due', '2030-01-01'], 'bob'), 0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** How many POA&M exports the audit log records. */
async function exports(): Promise<number> {
  const store = await openStore({ url: db(), migrate: false });
  try {
    return (await store.db.selectFrom('audit_events').select('seq').where('action', '=', 'oscal.poam.exported').execute()).length;
  } finally {
    await store.close();
  }
}

describe('closeloop oscal poam', () => {
  it('writes a valid OSCAL POA&M to a new 0600 file, and the same bytes again', async () => {
    const run = await cli(['oscal', 'poam', '-o', 'poam.json'], 'grace');
    expectExit(run, 0);
    expect(run.stdout).toMatch(/wrote 1 POA&M item \(json\) to poam\.json/);
    const file = path.join(dir, 'poam.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const validate = oscalValidator('oscal_poam_schema.json');
    const text = readFileSync(file, 'utf8');
    expect(validate(JSON.parse(text)), oscalErrors(validate)).toBe(true);
    const again = await cli(['oscal', 'poam', '--output', 'poam.json', '--json'], 'grace');
    expectExit(again, 0);
    expect(again.json()).toMatchObject({ format: 'json', items: 1, file: 'poam.json' });
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes the CSV with --format csv', async () => {
    expectExit(await cli(['oscal', 'poam', '--format', 'csv', '-o', 'poam.csv'], 'grace'), 0);
    const rows: string[][] = parse(readFileSync(path.join(dir, 'poam.csv'), 'utf8'));
    expect(rows[0]).toEqual([...POAM_CSV_COLUMNS]);
    expect(rows[1]?.[0]).toBe('WK-0001');
    expect(rows[1]?.[3]).toBe('unpatched plugin, "old"');
  });

  it('exits 2 on an unknown option, a wrong format or a missing -o, and writes nothing', async () => {
    expectExit(await cli(['oscal', 'poam', '-o', 'a.json', '--colour'], 'grace'), 2);
    expectExit(await cli(['oscal', 'poam', '-o', 'a.json', '--format', 'xml'], 'grace'), 2);
    expectExit(await cli(['oscal', 'poam'], 'grace'), 2);
    expect(existsSync(path.join(dir, 'a.json'))).toBe(false);
  });

  it('exits 2 naming a file it cannot write, leaves the old one as it was, and records no export', async () => {
    const missing = await cli(['oscal', 'poam', '-o', 'no/such/dir/poam.json'], 'grace');
    expectExit(missing, 2);
    expect(missing.stderr).toContain('no/such/dir/poam.json');
    mkdirSync(path.join(dir, 'locked'));
    writeFileSync(path.join(dir, 'locked', 'poam.json'), 'old');
    chmodSync(path.join(dir, 'locked'), 0o500);
    try {
      expectExit(await cli(['oscal', 'poam', '-o', 'locked/poam.json'], 'grace'), process.getuid?.() === 0 ? 0 : 2);
    } finally {
      chmodSync(path.join(dir, 'locked'), 0o700);
    }
    if (process.getuid?.() !== 0) expect(readFileSync(path.join(dir, 'locked', 'poam.json'), 'utf8')).toBe('old');
    expect(await exports()).toBe(process.getuid?.() === 0 ? 1 : 0);
    expectExit(await cli(['oscal', 'poam', '-o', 'poam.json'], 'grace'), 0);
    expect(await exports()).toBe(process.getuid?.() === 0 ? 2 : 1);
  });

  it('refuses a caller without the role (exit 3)', async () => {
    const refused = await cli(['oscal', 'poam', '-o', 'poam.json'], 'bob');
    expectExit(refused, 3);
    expect(refused.stderr).toContain('oscal.export');
    expect(existsSync(path.join(dir, 'poam.json'))).toBe(false);
  });

  it('is one group that other OSCAL exports add their subcommands to', () => {
    const io = { env: {}, cwd: dir, stdout: { write: () => true }, stderr: { write: () => true } };
    const program = createProgram(io);
    registerOscal(program, new CliRun(io));
    oscalCommand(program).command('assessment-results <healthcheck>');
    expect(program.commands.filter((c) => c.name() === 'oscal')).toHaveLength(1);
    expect(oscalCommand(program).commands.map((c) => c.name())).toEqual(['poam', 'assessment-results']);
  });

  it('teaches with --help', async () => {
    const help = await cli(['oscal', 'poam', '--help']);
    expectExit(help, 0);
    expect(help.stdout).toContain('closeloop oscal poam --format csv -o poam.csv');
  });
});
