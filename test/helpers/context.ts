/**
 * A real AppContext for tests: a closeloop.yaml written in a temporary directory (so use cases that
 * edit the people directory work), a store on a real engine (SQLite file in that directory, or a
 * PostgreSQL schema of its own), and a clock the test moves by hand.
 *
 * Every test file gets its own PostgreSQL schema (`t_<prefix>_<pid>_<time>_<n>`), dropped by
 * `cleanup()`, so parallel test files never see each other's rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppContext } from '../../src/app/context.js';
import { defaultConfig, loadConfig, writeConfig } from '../../src/config/load.js';
import { openStore, type Engine } from '../../src/store/db.js';

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
   * Merged over `defaultConfig('admin')` (plain objects merge key by key, anything else replaces),
   * e.g. `{ gate: { mode: 'soft' } }`. `people` here is merged over TEST_PEOPLE.
   */
  config?: Record<string, unknown>;
  /** Clock start (default TEST_START). */
  start?: string;
  /** Short label for the PostgreSQL schema name (lowercase letters, digits, `_`). */
  label?: string;
}

export interface TestContext {
  ctx: AppContext;
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

/**
 * The PostgreSQL server used by tests: `CLOSELOOP_TEST_PG` or the development machines' default.
 * node-postgres takes the user from the URL, else `$PGUSER` / `$USER`; when none is set (some CI
 * shells) it would refuse to connect, so the trust-auth default user `postgres` is filled in.
 */
export function testPgUrl(): URL {
  const url = new URL(process.env.CLOSELOOP_TEST_PG ?? 'postgres://127.0.0.1:5432/test');
  if (url.username === '' && !process.env.PGUSER && !process.env.USER) url.username = 'postgres';
  return url;
}

let schemaCounter = 0;

export async function makeTestContext(engine: Engine, opts: TestContextOptions = {}): Promise<TestContext> {
  const dir = await mkdtemp(path.join(tmpdir(), 'closeloop-test-'));
  const configPath = path.join(dir, 'closeloop.yaml');
  const base = defaultConfig('admin', path.join(dir, 'evidence'));
  const people = { ...TEST_PEOPLE, ...(isPlainObject(opts.config?.people) ? opts.config.people : {}) };
  writeConfig(configPath, deepMerge(base, { ...(opts.config ?? {}), people }));
  const config = loadConfig(configPath);

  let url: string;
  let schema: string | null = null;
  if (engine === 'postgres') {
    schemaCounter += 1;
    schema = `t_${opts.label ?? 'test'}_${process.pid}_${Date.now()}_${schemaCounter}`;
    const u = testPgUrl();
    u.searchParams.set('schema', schema);
    url = u.toString();
  } else {
    url = path.join(dir, 'closeloop.db');
  }
  const store = await openStore({ url });
  const clock = makeClock(opts.start);
  const ctx: AppContext = { store, config, configPath, now: () => clock.now() };

  let cleaned = false;
  return {
    ctx,
    dir,
    clock,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        if (schema !== null && store.pgPool) await store.pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
