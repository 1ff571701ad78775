/**
 * `closeloop backup` and `closeloop restore` on SQLite, as an operator runs them: a backup taken
 * while another connection keeps writing is consistent, a restored store verifies and serves; and
 * the documented PostgreSQL route (pg_dump, pg_restore into an empty database) gives a store that
 * verifies and serves too.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { openIncident } from '../../src/app/incidents.js';
import { openContext, closeContext } from '../../src/app/open-context.js';
import { openStore } from '../../src/store/db.js';
import { verifyChain } from '../../src/audit/chain.js';
import { expectExit, runCliBy } from '../helpers/cli.js';
import { testPgUrl } from '../helpers/context.js';

let dir: string;
const db = () => path.join(dir, 'closeloop.db');
const cli = (args: string[], by?: string, store = db()) => runCliBy(dir, store, args, by);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-backup-'));
  expectExit(await cli(['init'], 'alice'), 0);
  expectExit(await cli(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice'), 0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens `n` incidents as bob through a connection of its own (as a running server would). */
async function openIncidents(store: string, n: number, from = 0): Promise<void> {
  const ctx = await openContext({ env: { CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), CLOSELOOP_DB: store }, cwd: dir, now: () => new Date() });
  try {
    for (let i = 0; i < n; i++) {
      await openIncident(ctx, { actor: 'bob' }, { title: `incident ${from + i}`, severity: 'high', assets: [`host-${from + i}`] });
      // let the backup's steps interleave with the writes
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await closeContext(ctx);
  }
}

/** Every incident row of a store has its `incident.opened` audit event, and the chain verifies. */
async function consistent(store: string): Promise<{ incidents: number; events: number }> {
  const s = await openStore({ url: store, migrate: false });
  try {
    const chain = await verifyChain(s.db);
    expect(chain, `${store}: ${chain.problem ?? ''}`).toMatchObject({ ok: true });
    const incidents = await s.db.selectFrom('incidents').select('id').execute();
    const opened = await s.db.selectFrom('audit_events').select('entity_id').where('action', '=', 'incident.opened').execute();
    expect(new Set(opened.map((e) => e.entity_id))).toEqual(new Set(incidents.map((i) => i.id)));
    return { incidents: incidents.length, events: chain.events };
  } finally {
    await s.close();
  }
}

describe('closeloop backup and restore (SQLite)', () => {
  it('backs up while another connection writes: the copy is consistent, private, and restores to a store that verifies and serves', async () => {
    await openIncidents(db(), 5);
    const token = (await cli(['token', 'create', '--actor', 'bob', '--json'], 'alice')).json().token as string;
    const file = path.join(dir, 'backup.db');
    const [r] = await Promise.all([cli(['backup', file, '--json'], 'alice'), openIncidents(db(), 40, 5)]);
    expectExit(r, 0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const copy = await consistent(file);
    expect(copy.incidents).toBeGreaterThanOrEqual(5);
    expect(r.json()).toMatchObject({ file, events: copy.events });
    // the backup is recorded in the store it was taken from
    const after = await openStore({ url: db(), migrate: false });
    expect(await after.db.selectFrom('audit_events').select('actor').where('action', '=', 'store.backup').execute()).toEqual([{ actor: 'alice' }]);
    await after.close();

    const target = path.join(dir, 'restored.db');
    const restored = await cli(['restore', file, '--json'], 'alice', target);
    expectExit(restored, 0);
    expect(restored.json()).toMatchObject({ store: target, events: copy.events + 1 });
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(existsSync(`${target}.restoring-${process.pid}`)).toBe(false);
    expectExit(await cli(['audit', 'verify'], 'alice', target), 0);
    expect((await consistent(target)).incidents).toBe(copy.incidents);

    const ctx = await openContext({ env: { CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'), CLOSELOOP_DB: target }, cwd: dir, now: () => new Date() });
    try {
      const app = await buildServer(ctx);
      const list = await app.inject({ method: 'GET', url: '/api/v1/incidents?limit=1000', headers: { authorization: `Bearer ${token}` } });
      expect(list.statusCode).toBe(200);
      expect((list.json<{ incidents: unknown[] }>()).incidents).toHaveLength(copy.incidents);
      await app.close();
    } finally {
      await closeContext(ctx);
    }
  });

  it('refuses what would lose or leak data: an existing file, a non-admin, a store in place without --force', async () => {
    const file = path.join(dir, 'backup.db');
    writeFileSync(file, 'keep me');
    const exists = await cli(['backup', file], 'alice');
    expectExit(exists, 2);
    expect(exists.stderr).toContain('never overwrites');
    rmSync(file);
    const bob = await cli(['backup', file], 'bob');
    expectExit(bob, 3);
    expect(existsSync(file)).toBe(false);
    expectExit(await cli(['backup', file], 'alice'), 0);

    expectExit(await cli(['restore', file], 'bob', path.join(dir, 'other.db')), 3);
    const inPlace = await cli(['restore', file], 'alice');
    expectExit(inPlace, 3);
    expect(inPlace.stderr).toContain('--force');
    await openIncidents(db(), 2);
    expectExit(await cli(['restore', file, '--force'], 'alice'), 0);
    expect((await consistent(db())).incidents).toBe(0);
  });

  it('restores nothing from a file that is not a store or whose audit chain was edited', async () => {
    const target = path.join(dir, 'restored.db');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a database');
    const notDb = await cli(['restore', path.join(dir, 'notes.txt')], 'alice', target);
    expectExit(notDb, 2);
    expect(notDb.stderr).toContain('not a SQLite database');

    await openIncidents(db(), 3);
    const file = path.join(dir, 'backup.db');
    expectExit(await cli(['backup', file], 'alice'), 0);
    const tampered = path.join(dir, 'tampered.db');
    copyFileSync(file, tampered);
    const t = await openStore({ url: tampered, migrate: false });
    await t.db.updateTable('audit_events').set({ actor: 'mallory' }).where('seq', '=', 2).execute();
    await t.close();
    const broken = await cli(['restore', tampered], 'alice', target);
    expectExit(broken, 1);
    expect(broken.stderr).toContain('broken at seq 2');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.restoring-${process.pid}`)).toBe(false);
  });
});

describe('PostgreSQL stores', () => {
  it('closeloop backup and restore point to pg_dump; the documented pg_dump / pg_restore route gives a store that verifies and serves', async () => {
    const schema = `t_backup_${process.pid}_${Date.now()}`;
    const source = testPgUrl();
    source.searchParams.set('schema', schema);
    const url = source.toString();
    const database = `closeloop_restore_${process.pid}_${Date.now()}`;
    const admin = testPgUrl();
    try {
      expectExit(await cli(['init', '--db-only'], 'alice', url), 0);
      // the people directory is the store's: this one has its first admin only
      expectExit(await cli(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice', url), 0);
      await openIncidents(url, 3);
      const backup = await cli(['backup', path.join(dir, 'pg.db')], 'alice', url);
      expectExit(backup, 2);
      expect(backup.stderr).toContain('pg_dump');
      const restore = await cli(['restore', path.join(dir, 'pg.db')], 'alice', url);
      expectExit(restore, 2);
      expect(restore.stderr).toContain('pg_restore');

      // the route docs/reliability.md documents
      const dump = path.join(dir, 'closeloop.dump');
      const plain = new URL(admin.toString());
      execFileSync('pg_dump', ['--format=custom', `--schema=${schema}`, '--file', dump, plain.toString()]);
      execFileSync('createdb', ['-h', plain.hostname, '-p', plain.port || '5432', '-U', plain.username || 'postgres', database]);
      const restored = new URL(plain.toString());
      restored.pathname = `/${database}`;
      execFileSync('pg_restore', ['--dbname', restored.toString(), dump]);
      restored.searchParams.set('schema', schema);
      expectExit(await cli(['audit', 'verify'], 'alice', restored.toString()), 0);
      expect((await consistent(restored.toString())).incidents).toBe(3);
    } finally {
      const s = await openStore({ url: admin.toString(), migrate: false });
      await s.pgPool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await s.pgPool?.query(`DROP DATABASE IF EXISTS "${database}"`);
      await s.close();
    }
  });
});
