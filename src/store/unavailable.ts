/**
 * The one place that decides whether a driver error means "the database is unreachable" (down,
 * restarting, the connection lost) rather than "this query is wrong". Those become
 * `CL_UNAVAILABLE`: the API answers 503 with `Retry-After`, the CLI exits 1, and the caller may
 * retry — the transaction that failed was rolled back by PostgreSQL with its connection.
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { ClError, isClError } from '../errors.js';

/** Socket-level failures reaching or keeping the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server going away: class 08 (connection exception), 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** node-postgres reports a lost or refused connection with these messages and no code. */
const DRIVER_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /is not queryable/i,
  /connection (?:error|timeout)/i,
];

/** True when `err` says the database cannot be reached, not that the query failed. */
export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (isClError(err)) return err.code === 'CL_UNAVAILABLE';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnavailableError); // Node's dual-stack connect
  return DRIVER_MESSAGES.some((re) => re.test(err.message));
}

export const UNAVAILABLE_MESSAGE = 'the database is unreachable; retry';

/** SQLite's SQLITE_FULL and PostgreSQL's 53100 disk_full: the disk under the database is full. */
export function isStorageFullError(err: unknown): boolean {
  if (!(err instanceof Error) || isClError(err)) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_FULL' || code === '53100';
}

export const STORAGE_FULL_MESSAGE = 'the disk under the database is full: nothing of this change was stored; free space, then run it again';

/**
 * `err` as CL_UNAVAILABLE when it means the database is unreachable, as CL_STORAGE_FULL when its
 * disk is full (both engines roll the failed transaction back whole), else unchanged.
 */
export function classifyStoreError(err: unknown): unknown {
  if (isClError(err)) return err;
  const reason = err instanceof Error ? ((err as { code?: unknown }).code ?? err.message) : undefined;
  const details = { reason: typeof reason === 'string' ? reason : 'unknown' };
  let out: ClError;
  if (isStorageFullError(err)) out = new ClError('CL_STORAGE_FULL', STORAGE_FULL_MESSAGE, details);
  else if (isUnavailableError(err)) out = new ClError('CL_UNAVAILABLE', UNAVAILABLE_MESSAGE, details);
  else return err;
  out.cause = err;
  return out;
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw classifyStoreError(err);
  }
}

/** A connection whose failures pass through classifyStoreError. */
class ClassifyingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;

  constructor(inner: DatabaseConnection) {
    this.inner = inner;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return guard(() => this.inner.executeQuery<R>(compiledQuery));
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize);
    } catch (err) {
      throw classifyStoreError(err);
    }
  }
}

function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof ClassifyingConnection ? connection.inner : connection;
}

/**
 * A Kysely driver around another whose every failure passes through classifyStoreError: queries,
 * transaction control and acquiring a connection alike, so no use case sees a raw "connection
 * terminated" and none has to know about it.
 */
export class ClassifyingDriver implements Driver {
  readonly #inner: Driver;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return guard(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ClassifyingConnection(await guard(() => this.#inner.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(() => this.#inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => this.#inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => this.#inner.rollbackTransaction(innerOf(connection)));
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.#inner;
    if (inner.savepoint === undefined) throw new Error('savepoints are not supported by this driver');
    await guard(() => inner.savepoint?.(innerOf(connection), name, compile) ?? Promise.resolve());
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.#inner;
    if (inner.rollbackToSavepoint === undefined) throw new Error('savepoints are not supported by this driver');
    await guard(() => inner.rollbackToSavepoint?.(innerOf(connection), name, compile) ?? Promise.resolve());
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.#inner;
    if (inner.releaseSavepoint === undefined) throw new Error('savepoints are not supported by this driver');
    await guard(() => inner.releaseSavepoint?.(innerOf(connection), name, compile) ?? Promise.resolve());
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
