import { createPrivateFile } from './private-file.js';
import Database from 'better-sqlite3';
import { Kysely, Migrator, sql, type Migration, type MigrationProvider, type Transaction } from 'kysely';
import type pg from 'pg';
import { ClError } from '../errors.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-replayable-decisions.js';
import * as m0003 from './migrations/0003-remediation-by-finding.js';
import * as m0004 from './migrations/0004-incidents-by-creation.js';
import * as m0005 from './migrations/0005-one-acknowledgment-per-role.js';
import * as m0006 from './migrations/0006-asset-aliases.js';
import * as m0007 from './migrations/0007-rulings-and-verdicts.js';
import * as m0008 from './migrations/0008-incident-grouping.js';
import * as m0009 from './migrations/0009-outbox-events-and-ack-links.js';
import * as m0010 from './migrations/0010-tickets.js';
import * as m0011 from './migrations/0011-timers-fire-once.js';
import * as m0012 from './migrations/0012-people-and-sessions.js';
import * as m0013 from './migrations/0013-signed-checkpoints.js';
import * as m0015 from './migrations/0015-control-card-versions.js';
import { OwnSchemaPostgresDialect } from './own-schema-dialect.js';
import { takingTurnsOnFile } from './sqlite-file-turns.js';
import { ImmediateSqliteDialect, withWriteLockRetry } from './sqlite-write-lock.js';
import type { Database as Schema } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

/** An open store: the Kysely handle plus what the engine can do. Close it when done. */
export interface Store {
  db: Kysely<Schema>;
  engine: Engine;
  /** Human-readable location (file path or URL without credentials). */
  location: string;
  /** The raw better-sqlite3 handle, for bulk paths that need prepared statements. */
  sqlite: Database.Database | null;
  /** The pg pool, for bulk paths that need COPY. */
  pgPool: pg.Pool | null;
  /** The PostgreSQL schema this store works in (`?schema=`), or null for the default. */
  schema: string | null;
  /**
   * Runs `fn` as one write transaction and commits it. On SQLite it begins IMMEDIATE (the write
   * lock is taken first) and, while another process holds that lock, is tried again for up to the
   * store's write wait, then fails with CL_UNAVAILABLE (see sqlite-write-lock.ts).
   */
  transaction<T>(fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Every migration, by name; applied in name order. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': m0001,
  '0002-replayable-decisions': m0002,
  '0003-remediation-by-finding': m0003,
  '0004-incidents-by-creation': m0004,
  '0005-one-acknowledgment-per-role': m0005,
  '0006-asset-aliases': m0006,
  '0007-rulings-and-verdicts': m0007,
  '0008-incident-grouping': m0008,
  '0009-outbox-events-and-ack-links': m0009,
  '0010-tickets': m0010,
  '0011-timers-fire-once': m0011,
  '0012-people-and-sessions': m0012,
  '0013-signed-checkpoints': m0013,
  '0015-control-card-versions': m0015,
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export interface OpenStoreOptions {
  /** A file path (SQLite) or a postgres:// URL. Default `./closeloop.db`. */
  url?: string;
  /** Run migrations (default true). */
  migrate?: boolean;
  /** How a SQLite store waits for the write lock another process holds (default SQLITE_WAIT_COMMAND). */
  sqliteWait?: SqliteWait;
}

/**
 * How long a SQLite connection waits for the write lock held by another process. `busyMs` is
 * SQLite's busy timeout: a wait inside better-sqlite3, synchronous, during which the process runs
 * nothing else. `writeMs` bounds the whole wait of a write transaction, spent in turns of at most
 * `busyMs` with asynchronous pauses between them (sqlite-write-lock.ts).
 */
export interface SqliteWait {
  busyMs: number;
  writeMs: number;
}

/**
 * A command (the CLI) does one thing at a time, so it may wait synchronously, and it waits out
 * another process's import rather than fail: half an hour covers a million-finding import on a
 * small machine several times over (docs/benchmarks.md); Ctrl-C stops the wait.
 */
export const SQLITE_WAIT_COMMAND: SqliteWait = { busyMs: 5000, writeMs: 30 * 60_000 };

/**
 * The server answers other requests while one waits: each synchronous wait is short (it delays
 * every request of the process), and a request that cannot write within 5 s is answered 503
 * CL_UNAVAILABLE with Retry-After rather than held.
 */
export const SQLITE_WAIT_SERVER: SqliteWait = { busyMs: 50, writeMs: 5000 };

/** The store location from `CLOSELOOP_DB`, defaulting to `./closeloop.db`. */
export function storeUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOSELOOP_DB && env.CLOSELOOP_DB.trim() !== '' ? env.CLOSELOOP_DB : './closeloop.db';
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** Strips the password from a URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Opens the store named by `url` and brings its schema up to date.
 * A postgres URL may carry `?schema=NAME` to work inside its own schema (created when missing):
 * tests use it so that runs never collide.
 */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const url = opts.url ?? storeUrlFromEnv();
  let store: Store;
  if (isPostgresUrl(url)) {
    store = await openPostgres(url);
  } else {
    store = openSqlite(url, opts.sqliteWait ?? SQLITE_WAIT_COMMAND);
  }
  if (opts.migrate !== false) await migrateToLatest(store);
  return store;
}

/** Prepared statements kept for reuse per SQLite store (cleared when full). */
const STATEMENT_CACHE = 512;

/**
 * The connection as Kysely sees it, with prepared statements reused by SQL text. Kysely prepares
 * every query it runs; preparing is ~20 µs here, a tenth of an escalation's queries (measured on
 * the ~20,000 escalations of a million findings). A statement busy in an open iterator is never
 * handed out again: a second one is prepared. A schema change makes SQLite re-prepare a cached
 * statement on its next run.
 */
function reusingStatements(handle: Database.Database): { close(): void; prepare(sql: string): Database.Statement } {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => handle.close(),
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const stmt = handle.prepare(sql);
      if (cache.size >= STATEMENT_CACHE) cache.clear();
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** Page size of new SQLite databases (bytes). */
export const SQLITE_PAGE_SIZE = 65536;

/**
 * Creates a new database file 0600 (owner only) before SQLite opens it: SQLite gives its -wal and
 * -shm files the main file's mode, so the store's records never land in a world-readable file
 * whatever the umask. An existing file keeps its mode (a warning at start says how to fix it).
 */
function createPrivate(file: string): void {
  if (file === '' || file === ':memory:' || file.startsWith('file:')) return;
  createPrivateFile(file);
}

function openSqlite(file: string, wait: SqliteWait): Store {
  let handle: Database.Database;
  try {
    createPrivate(file);
    handle = new Database(file);
  } catch (err) {
    throw new ClError('CL_CONFIG_INVALID', `cannot open SQLite database ${file}: ${(err as Error).message}`);
  }
  // A new database gets 64 KiB pages (an existing one keeps its own): bulk imports write and read
  // back far fewer pages, and on a VM every page is a system call. See docs/benchmarks.md.
  handle.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
  handle.pragma('journal_mode = WAL');
  // FULL: WAL is synced at every commit, so a write acknowledged survives power loss (NORMAL syncs
  // only at checkpoints and may lose the last commits). Costs one fsync a commit: ~5-10 ms on a
  // typical write here, nothing measurable on a bulk import (one commit). docs/reliability.md.
  handle.pragma('synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  handle.pragma(`busy_timeout = ${Math.max(0, Math.round(wait.busyMs))}`);
  // transactions begin IMMEDIATE and wait for other processes asynchronously (sqlite-write-lock.ts);
  // several stores of this process on one file (two servers in a test) take turns (sqlite-file-turns.ts)
  const db = new Kysely<Schema>({ dialect: takingTurnsOnFile(new ImmediateSqliteDialect({ database: reusingStatements(handle) }), file) });
  return {
    db,
    engine: 'sqlite',
    location: file,
    sqlite: handle,
    pgPool: null,
    schema: null,
    transaction: (fn) => withWriteLockRetry(wait.writeMs, () => db.transaction().execute(fn)),
    close: async () => {
      await db.destroy();
    },
  };
}

/** How long a query waits for a PostgreSQL connection before CL_UNAVAILABLE (ms). */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** One line on stderr for a pooled connection lost while idle: the driver's message and code only, never the URL. */
function reportIdleError(err: Error): void {
  const code = (err as { code?: unknown }).code;
  const line = { level: 'warn', msg: 'PostgreSQL connection lost while idle; the pool reconnects on the next query', reason: typeof code === 'string' ? code : err.message };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

async function openPostgres(url: string): Promise<Store> {
  // loaded here, not at start-up: a SQLite store (the default) never needs the driver (~100 ms)
  const { default: pg } = await import('pg');
  const u = new URL(url);
  // libpq falls back to the OS user name; where none is set (containers, CI) use `postgres`.
  if (u.username === '' && !process.env.PGUSER && !process.env.USER) u.username = 'postgres';
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ClError('CL_CONFIG_INVALID', `schema name ${schema} in CLOSELOOP_DB must match [a-z_][a-z0-9_]*`);
  }
  const pool = new pg.Pool({
    connectionString: u.toString(),
    max: 10,
    // a request waits this long for a connection (new, or a free one of the pool) before it is
    // answered CL_UNAVAILABLE, so nothing hangs while PostgreSQL is down
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    ...(schema !== null ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that dies (server restart, pg_terminate_backend, network) is reported here;
  // without a listener Node treats the event as an uncaught error and the process exits. The pool
  // has already dropped that client and opens a new one on the next query.
  pool.on('error', (err) => reportIdleError(err));
  // A connection in use when it dies (a request's transaction, the dispatcher's pass) emits
  // 'error' on its client, which the pool listens to only while the client is idle. Its queries
  // fail with the same error (CL_UNAVAILABLE for their callers), and the pool discards a client
  // that can no longer query when it is released: this listener only keeps the event from
  // ending the process.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  try {
    // the first connection proves the server is there, and creates the schema when it is missing
    const c = await pool.connect();
    try {
      if (schema !== null) await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      c.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new ClError('CL_CONFIG_INVALID', `cannot reach PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  // Introspection (the Migrator's check for its own tables) reads this store's schema only: see
  // OwnSchemaIntrospector.
  const db = new Kysely<Schema>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema) });
  return {
    db,
    engine: 'postgres',
    location: redactUrl(url),
    sqlite: null,
    pgPool: pool,
    schema,
    transaction: (fn) => db.transaction().execute(fn),
    close: async () => {
      await db.destroy();
    },
  };
}

/**
 * True when the store's migration records name exactly the migrations this build has, so there is
 * nothing to run. Kysely's Migrator would find the same in a transaction under an advisory lock
 * that is one for the whole database, after reading the catalog; this one query spares every
 * start-up of an up-to-date store that (most of a PostgreSQL store's start-up time). A store whose
 * records differ in any way (new, behind, unknown names) goes to the Migrator.
 */
async function isUpToDate(store: Store): Promise<boolean> {
  let done: string[];
  try {
    // unqualified: the search_path holds the store's schema, where the Migrator keeps its tables
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(store.db);
    done = rows.map((r) => r.name);
  } catch {
    return false; // no migration table yet: a new store
  }
  const known = Object.keys(migrations);
  return done.length === known.length && known.every((name) => done.includes(name));
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(store: Store): Promise<void> {
  if (await isUpToDate(store)) return;
  // Kysely's own bookkeeping tables live in the store's schema, so stores in different schemas of
  // one database never see each other's migration state.
  const migrator = new Migrator({ db: store.db, provider, ...(store.schema !== null ? { migrationTableSchema: store.schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new ClError('CL_INTERNAL', `migration ${failed} failed: ${(error as Error).message}`);
  }
}
