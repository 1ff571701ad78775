/**
 * SQLite write transactions that take the write lock at BEGIN, and wait for it without freezing
 * the process.
 *
 * Kysely's SqliteDriver begins with a plain (deferred) `begin`: the transaction reads under a
 * shared lock and asks for the write lock at its first write. When another process holds the write
 * lock then, SQLite answers SQLITE_BUSY at once, without waiting for the busy timeout (waiting
 * could deadlock two readers that both want to write, and in WAL mode the reader's snapshot would
 * be stale anyway), so a use case that reads before it writes failed with "database is locked"
 * whenever a second process (the CLI beside the server) was writing. `begin immediate` asks for the
 * write lock first, where waiting is safe.
 *
 * better-sqlite3 waits for a lock inside SQLite's busy handler, synchronously: a process waiting
 * there runs nothing else. So each `begin immediate` waits at most the connection's short busy
 * timeout, and the transaction is tried again after an asynchronous pause, with the connection
 * released meanwhile (reads of the same process go on: WAL readers need no lock), until the
 * store's write wait is spent; then the caller gets CL_UNAVAILABLE (HTTP 503 with Retry-After,
 * CLI exit 1). See docs/reliability.md, "SQLite with several writers".
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { ClError } from '../errors.js';
import { ClassifyingDriver } from './unavailable.js';

/** The write lock was not free at BEGIN within the connection's busy timeout: nothing ran yet. */
export class WriteLockBusy extends Error {
  constructor(cause: unknown) {
    super('SQLite write lock held by another connection', { cause });
    this.name = 'WriteLockBusy';
  }
}

/** Whether `err` is SQLite's "database is locked" (SQLITE_BUSY and its extended codes). */
export function isSqliteBusy(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      if (isSqliteBusy(err)) throw new WriteLockBusy(err);
      throw err;
    }
  }

  /**
   * After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has already rolled the
   * transaction back itself; a second rollback would fail with "no transaction is active" and that
   * error would take the place of the one that says what happened.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (err) {
      if (err instanceof Error && /no transaction is active/.test(err.message)) return;
      throw err;
    }
  }
}

/** Kysely's SQLite dialect whose transactions begin IMMEDIATE (see above). */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }

  /** Failures pass through classifyStoreError, as on PostgreSQL (a full disk is CL_STORAGE_FULL). */
  override createDriver(): Driver {
    return new ClassifyingDriver(new ImmediateSqliteDriver(this.#config));
  }
}

/** Seconds a client is told to wait (Retry-After) when the write lock stayed busy. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (one whole transaction) again while its BEGIN finds the write lock busy, pausing
 * between tries (10 ms doubling to 200 ms, with jitter so that waiting processes do not try in
 * step), for at most `waitMs` in all. A "database is locked" anywhere else, or once the wait is
 * spent, becomes CL_UNAVAILABLE.
 */
export async function withWriteLockRetry<T>(waitMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  let pause = 10;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof WriteLockBusy)) {
        if (isSqliteBusy(err)) throw unavailable(err);
        throw err;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw unavailable(err);
      await sleep(Math.min(left, pause / 2 + Math.random() * pause));
      pause = Math.min(pause * 2, 200);
    }
  }
}

function unavailable(cause: unknown): ClError {
  const err = new ClError(
    'CL_UNAVAILABLE',
    'the store is busy: another process (an import, the server or a command) holds its write lock; try again shortly',
    { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS },
  );
  err.cause = cause;
  return err;
}
