import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import type pg from 'pg';
import { ClError } from '../errors.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-replayable-decisions.js';
import * as m0003 from './migrations/0003-remediation-by-finding.js';
import * as m0004 from './migrations/0004-incidents-by-creation.js';
import { OwnSchemaPostgresDialect } from './own-schema-dialect.js';
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
  close(): Promise<void>;
}

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-replayable-decisions': m0002,
  '0003-remediation-by-finding': m0003,
  '0004-incidents-by-creation': m0004,
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export interface OpenStoreOptions {
  /** A file path (SQLite) or a postgres:// URL. Default `./closeloop.db`. */
  url?: string;
  /** Run migrations (default true). */
  migrate?: boolean;
}

/** The store location from `CLOSELOOP_DB`, defaulting to `./closeloop.db`. */
export function storeUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOSELOOP_DB && env.CLOSELOOP_DB.trim() !== '' ? env.CLOSELOOP_DB : './closeloop.db';
}

function isPostgresUrl(url: string): boolean {
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
    store = openSqlite(url);
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
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  closeSync(fd);
}

function openSqlite(file: string): Store {
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
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: reusingStatements(handle) }) });
  return {
    db,
    engine: 'sqlite',
    location: file,
    sqlite: handle,
    pgPool: null,
    schema: null,
    close: async () => {
      await db.destroy();
    },
  };
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
    ...(schema !== null ? { options: `-c search_path=${schema}` } : {}),
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
