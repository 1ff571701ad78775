/**
 * A real AppContext for tests: a closeloop.yaml written in a temporary directory, a store on a real
 * engine (SQLite file in that directory, or a PostgreSQL schema of its own) whose people directory
 * holds TEST_PEOPLE, and a clock the test moves by hand.
 *
 * Every test context gets a PostgreSQL schema no other test uses at the same time
 * (`t_<label>_<pid>_<time>_<n>`), so parallel test files never see each other's rows. The schema is
 * a copy of the run's migrated template (see store-templates.ts); `cleanup()` empties it for the
 * file's next test, and the file's schemas are dropped when it ends (setup.ts). A SQLite store is a
 * copy of the run's migrated template file.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { appendAudited } from '../../src/audit/entity-state.js';
import { makeKeyFiles } from '../../src/app/keys.js';
import { defaultConfig, loadConfig, writeConfig } from '../../src/config/load.js';
import { openStore, type Engine, type Store } from '../../src/store/db.js';
import { describeSchema, testPgUrl, type PgTemplate } from './store-templates.js';

export { testPgUrl };

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

/** Everyone the default test directory knows, one core role each (plus `admin`). */
export const TEST_PEOPLE: Readonly<Record<string, readonly string[]>> = {
  admin: ['admin'],
  lead: ['ir_lead'],
  vm: ['vuln_mgmt_owner'],
  so: ['service_owner'],
  ops: ['eng_ops_lead'],
  grc: ['grc_contact'],
  tpm: ['third_party_manager'],
  co: ['contract_owner'],
  approver: ['risk_approver'],
  auditor: ['auditor'],
};

export const TEST_START = '2026-11-28T12:00:00Z';

export interface TestClock {
  now(): Date;
  set(iso: string): void;
  /** Moves time forward by milliseconds, or by a duration. */
  advance(by: number | { days?: number; hours?: number; minutes?: number; seconds?: number }): Date;
}

export function makeClock(start: string = TEST_START): TestClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set(iso) {
      t = new Date(iso).getTime();
    },
    advance(by) {
      const ms =
        typeof by === 'number'
          ? by
          : (((by.days ?? 0) * 24 + (by.hours ?? 0)) * 60 + (by.minutes ?? 0)) * 60_000 + (by.seconds ?? 0) * 1000;
      t += ms;
      return new Date(t);
    },
  };
}

export interface TestContextOptions {
  /**
   * Merged over `defaultConfig()` (plain objects merge key by key, anything else replaces),
   * e.g. `{ gate: { mode: 'soft' } }`. `people` here is not written to the file: merged over
   * TEST_PEOPLE, it is the store's people directory.
   */
  config?: Record<string, unknown>;
  /** Clock start (default TEST_START). */
  start?: string;
  /** Short label for the PostgreSQL schema name (lowercase letters, digits, `_`). */
  label?: string;
  /**
   * Record the seeded people in the audit chain as `person.added` events (as a store whose people
   * were added through closeloop has them), for tests that run `audit verify`. Off by default: the
   * fixture is not a change, and most tests count the events they cause.
   */
  auditPeople?: boolean;
  /**
   * Give the context an audit signing key: a new Ed25519 key pair in `keys/` of the test's
   * directory, named by `audit.signing_key` (as `closeloop keys init` leaves it), loaded as `ctx.signer`.
   */
  signing?: boolean;
}

export interface TestContext {
  ctx: AppContext;
  /** The people the store's directory was seeded with (name -> roles). */
  people: Readonly<Record<string, readonly string[]>>;
  /** The temporary directory holding closeloop.yaml, the SQLite file and the `file` channel's outbox. */
  dir: string;
  clock: TestClock;
  /** Closes the store, drops the PostgreSQL schema, removes the directory. */
  cleanup(): Promise<void>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

let schemaCounter = 0;

/** This file's copies of the template that a finished test emptied, ready for the next one. */
const idleSchemas: string[] = [];
/** Every copy of the template this file made and has not dropped yet. */
const madeSchemas = new Set<string>();

/** Connections that empty and drop this file's copies (never a test's own store, which it may close). */
let admin: pg.Pool | null = null;
const adminPool = (): pg.Pool => (admin ??= new pg.Pool({ connectionString: testPgUrl().toString(), max: 2 }));

/**
 * Drops this file's PostgreSQL test schemas (setup.ts calls it when the file ends), the idle ones
 * and those not fit for reuse. A schema a test left open with a transaction does not stop the
 * file: its drop gives up after a few seconds.
 */
export async function dropTestSchemas(): Promise<void> {
  const names = [...madeSchemas];
  madeSchemas.clear();
  idleSchemas.length = 0;
  if (names.length === 0 && admin === null) return;
  const pool = adminPool();
  admin = null;
  try {
    if (names.length > 0) await pool.query(`SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS ${names.map((n) => `"${n}"`).join(', ')} CASCADE`);
  } catch (err) {
    console.warn(`could not drop test schemas ${names.join(', ')}: ${(err as Error).message}`);
  } finally {
    await pool.end();
  }
}

/**
 * Empties a finished test's copy of the template for the file's next test; false when it no
 * longer matches the template (the test changed its tables). Run once the test's store is closed,
 * so that nothing a timed-out test still runs can write into it afterwards.
 */
async function emptied(schema: string, template: PgTemplate): Promise<boolean> {
  const client = await adminPool().connect();
  try {
    await client.query(`SET search_path = "${schema}"`);
    await client.query(template.reset);
    return (await describeSchema(client, template.tables)) === template.shape;
  } catch {
    return false;
  } finally {
    client.release();
  }
}

/** A PostgreSQL store in a schema of its own: a reused or new copy of the template, or migrated when there is none. */
async function openPgStore(label: string, template: PgTemplate | null): Promise<{ store: Store; schema: string }> {
  const reused = template !== null ? idleSchemas.pop() : undefined;
  schemaCounter += 1;
  const schema = reused ?? `t_${label}_${process.pid}_${Date.now()}_${schemaCounter}`;
  const u = testPgUrl();
  u.searchParams.set('schema', schema);
  const store = await openStore({ url: u.toString(), migrate: template === null });
  if (template !== null && reused === undefined) {
    madeSchemas.add(schema);
    try {
      await store.pgPool?.query(template.create);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return { store, schema };
}

/** A SQLite store at `file`: a copy of the migrated template, or migrated when there is none. */
async function openSqliteStore(file: string, template: string | null): Promise<Store> {
  if (template !== null) await copyFile(template, file);
  return openStore({ url: file, migrate: template === null });
}

/** Writes `people` into the store's directory (no audit events: the fixture, not a change). */
export async function seedPeople(store: Store, people: Readonly<Record<string, readonly string[]>>, at: string): Promise<void> {
  const rows = Object.entries(people).map(([name, roles]) => ({ name, roles: JSON.stringify(roles), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null }));
  if (rows.length > 0) await store.db.insertInto('people').values(rows).onConflict((oc) => oc.column('name').doNothing()).execute();
}

/** `person.added` events for people seeded without any (see TestContextOptions.auditPeople). */
export async function auditSeededPeople(store: Store, people: Readonly<Record<string, readonly string[]>>, at: string): Promise<void> {
  const added = Object.keys(people).map((name) => ({ at, actor: 'admin', action: 'person.added', entityType: 'person', entityId: name, incidentId: null, state: null }));
  await store.transaction((trx) => appendAudited(trx, added));
}

export async function makeTestContext(engine: Engine, opts: TestContextOptions = {}): Promise<TestContext> {
  const dir = await mkdtemp(path.join(tmpdir(), 'closeloop-test-'));
  const configPath = path.join(dir, 'closeloop.yaml');
  const base = defaultConfig(path.join(dir, 'evidence'));
  const { people: extra, ...over } = opts.config ?? {};
  const people = { ...TEST_PEOPLE, ...(isPlainObject(extra) ? (extra as Record<string, readonly string[]>) : {}) };
  const signingKey = opts.signing === true ? makeKeyFiles(configPath) : undefined;
  const merged = deepMerge(base, over);
  writeConfig(configPath, signingKey === undefined ? merged : deepMerge(merged, { audit: { signing_key: 'keys/audit-signing.pem' } }));
  const config = loadConfig(configPath);

  // null when the run's global set-up made no template (or this file runs without it)
  const pgTemplate = engine === 'postgres' ? (inject('pgTemplate') ?? null) : null;
  let store: Store;
  let schema: string | null = null;
  if (engine === 'postgres') {
    ({ store, schema } = await openPgStore(opts.label ?? 'test', pgTemplate));
  } else {
    store = await openSqliteStore(path.join(dir, 'closeloop.db'), inject('sqliteTemplate') ?? null);
  }
  const clock = makeClock(opts.start);
  const ctx: AppContext = { store, config, configPath, now: () => clock.now(), ...(signingKey !== undefined ? { signer: signingKey.signer } : {}) };
  await seedPeople(store, people, clock.now().toISOString());
  if (opts.auditPeople === true) await auditSeededPeople(store, people, clock.now().toISOString());

  let cleaned = false;
  return {
    ctx,
    people,
    dir,
    clock,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        if (schema !== null && pgTemplate === null) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        // waits for the queries a timed-out test may still be running, and takes no new ones
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
      // a copy the test changed is dropped when the file ends
      if (schema !== null && pgTemplate !== null && (await emptied(schema, pgTemplate))) idleSchemas.push(schema);
    },
  };
}
