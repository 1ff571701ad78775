/**
 * A full disk under the store: for SQLite as `PRAGMA max_page_count` makes it (SQLite answers
 * exactly as on a full file system: SQLITE_FULL), for PostgreSQL a tablespace on a small tmpfs
 * (mounted by the test, which runs as root). The failing import or API write gets an error,
 * nothing acknowledged is lost, nothing half-written stays, the chain verifies, and writes resume
 * once there is room again.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/chain.js';
import { importFile } from '../../src/app/importer.js';
import type { Pool } from 'pg';
import { makeApi, type Api } from '../api/harness.js';

let api: Api;

beforeEach(async () => {
  api = await makeApi('sqlite', { label: 'full' });
});
afterEach(() => api.close());

/** Lets the database grow by `pages` pages at most from its current size. */
function roomFor(pages: number): void {
  const handle = api.tc.ctx.store.sqlite;
  if (handle === null) throw new Error('not a SQLite store');
  const now = Number(handle.pragma('page_count', { simple: true }));
  handle.pragma(`max_page_count = ${now + pages}`);
}

async function counts(): Promise<{ incidents: number; findings: number; imports: number }> {
  const db = api.tc.ctx.store.db;
  const n = async (table: 'incidents' | 'findings' | 'imports') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { incidents: await n('incidents'), findings: await n('findings'), imports: await n('imports') };
}

describe('a full disk (SQLite)', () => {
  it('fails an import whole: no finding, no import record, no audit event; the chain verifies', async () => {
    const file = path.join(api.tc.dir, 'findings.ndjson');
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: `F-${i}`, vulnerability: `CVE-2024-${10000 + i}`, asset: `host-${i % 500}`, component: 'openssl', version: '3.0.1', description: 'x'.repeat(200) })).join('\n'));
    const before = await counts();
    const events = await api.auditCount();
    roomFor(4);
    await expect(importFile(api.tc.ctx, { actor: 'vm' }, { kind: 'findings', file, format: 'native' })).rejects.toMatchObject({ code: 'CL_STORAGE_FULL' });
    expect(await counts()).toEqual(before);
    expect(await api.auditCount()).toBe(events);
    expect(await verifyChain(api.tc.ctx.store.db)).toMatchObject({ ok: true });
    roomFor(10_000);
    const r = await importFile(api.tc.ctx, { actor: 'vm' }, { kind: 'findings', file, format: 'native' });
    expect(r.created).toBe(20_000);
  });

  it('answers the write that does not fit with an error in the catalogue shape, loses no acknowledged write, and resumes', async () => {
    roomFor(1);
    const acknowledged: string[] = [];
    let refused: { statusCode: number; body: string } | null = null;
    for (let i = 0; i < 1000 && refused === null; i++) {
      const res = await api.request('lead', 'POST', '/incidents', { title: `incident ${i} ${'t'.repeat(1000)}`, severity: 'high', assets: [`host-${i}`] });
      if (res.statusCode === 201) acknowledged.push(res.json<{ id: string }>().id);
      else refused = { statusCode: res.statusCode, body: res.body };
    }
    expect(refused, 'the database never filled up').not.toBeNull();
    expect(refused?.statusCode).toBe(507);
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ code: 'CL_STORAGE_FULL', message: expect.stringContaining('free space') });
    const stored = await api.tc.ctx.store.db.selectFrom('incidents').select('id').execute();
    expect(stored.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
    expect(await verifyChain(api.tc.ctx.store.db)).toMatchObject({ ok: true });

    roomFor(10_000);
    const after = await api.request('lead', 'POST', '/incidents', { title: 'after the disk was freed', severity: 'low' });
    expect(after.statusCode, after.body).toBe(201);
  });
});

/**
 * Runs `fn` with `tables` moved to a tablespace on a tmpfs of 1 MiB, mounted by the test (as root);
 * `grow()` remounts it at 64 MiB (the disk freed). Everything is put back afterwards.
 */
async function withSmallTablespace(pool: Pool, tables: readonly string[], fn: (grow: () => void) => Promise<void>): Promise<void> {
  const mountpoint = mkdtempSync(path.join(tmpdir(), 'closeloop-full-'));
  const space = `closeloop_full_${process.pid}_${Date.now()}`;
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountpoint]);
  const moved: string[] = [];
  try {
    execFileSync('chown', ['postgres:postgres', mountpoint]);
    await pool.query(`CREATE TABLESPACE ${space} LOCATION '${mountpoint}'`);
    for (const t of tables) {
      await pool.query(`ALTER TABLE ${t} SET TABLESPACE ${space}`);
      moved.push(t);
    }
    await fn(() => execFileSync('mount', ['-o', 'remount,size=64m', mountpoint]));
  } finally {
    for (const t of moved) await pool.query(`ALTER TABLE ${t} SET TABLESPACE pg_default`);
    await pool.query(`DROP TABLESPACE IF EXISTS ${space}`);
    execFileSync('umount', [mountpoint]);
    rmSync(mountpoint, { recursive: true, force: true });
  }
}

describe('a full disk (PostgreSQL: a tablespace on a small tmpfs)', () => {
  let pg: Api;
  let pool: Pool;
  beforeEach(async () => {
    pg = await makeApi('postgres', { label: 'fullpg' });
    if (pg.tc.ctx.store.pgPool === null) throw new Error('not a PostgreSQL store');
    pool = pg.tc.ctx.store.pgPool;
  });
  afterEach(() => pg.close());

  it('answers the write that does not fit with an error, loses no acknowledged write, and resumes when there is room', { timeout: 120_000 }, async () => {
    await withSmallTablespace(pool, ['incidents', 'incident_assets', 'audit_events', 'counters'], async (grow) => {
      const acknowledged: string[] = [];
      let refused: { statusCode: number; body: string } | null = null;
      for (let i = 0; i < 3000 && refused === null; i++) {
        // random text: PostgreSQL compresses repeated characters to nothing
        const res = await pg.request('lead', 'POST', '/incidents', { title: `incident ${i} ${randomBytes(700).toString('base64')}`, severity: 'high', assets: [`host-${i}`] });
        if (res.statusCode === 201) acknowledged.push(res.json<{ id: string }>().id);
        else refused = { statusCode: res.statusCode, body: res.body };
      }
      expect(refused, 'the tablespace never filled up').not.toBeNull();
      expect(refused?.statusCode).toBe(507);
      expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ code: 'CL_STORAGE_FULL', message: expect.stringContaining('free space') });
      const stored = await pg.tc.ctx.store.db.selectFrom('incidents').select('id').execute();
      expect(stored.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
      expect(await verifyChain(pg.tc.ctx.store.db)).toMatchObject({ ok: true });

      grow();
      const after = await pg.request('lead', 'POST', '/incidents', { title: 'after the disk was freed', severity: 'low' });
      expect(after.statusCode, after.body).toBe(201);
    });
  });

  it('fails an import whole: no finding, no import record, no audit event; the chain verifies; the same import goes through once there is room', { timeout: 120_000 }, async () => {
    const file = path.join(pg.tc.dir, 'findings.ndjson');
    // random descriptions: PostgreSQL would compress repeated characters into the 1 MiB
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `F-${i}`, vulnerability: `CVE-2024-${10000 + i}`, asset: `host-${i % 500}`, component: 'openssl', version: '3.0.1', description: randomBytes(300).toString('base64') })).join('\n'));
    const db = pg.tc.ctx.store.db;
    const n = async (table: 'findings' | 'imports' | 'vulnerabilities' | 'assets') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    await withSmallTablespace(pool, ['findings', 'imports', 'audit_events'], async (grow) => {
      const before = { findings: await n('findings'), imports: await n('imports'), vulnerabilities: await n('vulnerabilities'), assets: await n('assets') };
      const events = await pg.auditCount();
      const failed = await importFile(pg.tc.ctx, { actor: 'vm' }, { kind: 'findings', file, format: 'native' }).then(() => null, (err: unknown) => err);
      expect(failed, 'the import fitted in 1 MiB').not.toBeNull();
      expect(failed).toMatchObject({ code: 'CL_STORAGE_FULL', message: expect.stringMatching(/disk .* is full: nothing of this change was stored/) });
      expect({ findings: await n('findings'), imports: await n('imports'), vulnerabilities: await n('vulnerabilities'), assets: await n('assets') }).toEqual(before);
      expect(await pg.auditCount()).toBe(events);
      expect(await verifyChain(db)).toMatchObject({ ok: true });
      grow();
      const r = await importFile(pg.tc.ctx, { actor: 'vm' }, { kind: 'findings', file, format: 'native' });
      expect(r.created).toBe(5000);
      expect(await n('findings')).toBe(before.findings + 5000);
    });
  });
});
