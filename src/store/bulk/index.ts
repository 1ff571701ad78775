/**
 * The bulk write path: one interface, one implementation per engine (chosen by `store.engine`), so
 * use cases stream millions of rows without knowing which engine they write to.
 *
 * - SQLite (`sqlite.ts`): prepared better-sqlite3 statements on the store's own connection, inside
 *   the use case's transaction; bigger page cache for the duration; when the findings or the
 *   decisions table is empty as the session first writes to it, its indexes are dropped and built
 *   once at the end (`settle`, same transaction).
 * - PostgreSQL (`postgres.ts`): `COPY … FROM STDIN` into the table (or a temporary table, then one
 *   `UPDATE … FROM`), array parameters for lookups; the Kysely transaction runs on the same
 *   connection as the COPY, so one transaction still covers everything.
 *
 * Either way a failure anywhere rolls the whole transaction back: nothing of a failed file remains.
 */
import type { Transaction } from 'kysely';
import type { Store } from '../db.js';
import type { CacheBounds } from './cache-bounds.js';
import type { Database, SignalsTable } from '../schema.js';
import type { DecisionValues, FindingValues, KeyedRows, KeyedTable, VulnerabilityFactValues } from './columns.js';
import { withPostgresBulk } from './postgres.js';
import { withSqliteBulk } from './sqlite.js';
import { classifyStoreError } from '../unavailable.js';

export * from './columns.js';
export * from './cache-bounds.js';

export type BulkTrx = Transaction<Database>;

/** Findings writes of one import. Rows are value arrays in FINDING_COLUMNS order. */
export interface BulkFindings {
  /**
   * The stored rows with these fingerprints (each fingerprint once), as values in FINDING_COLUMNS
   * order, rows written earlier in the same transaction included. A fingerprint that is not
   * returned must then be inserted: the session remembers it as written.
   */
  lookup(fingerprints: readonly string[]): Promise<Map<string, FindingValues>>;
  insert(rows: readonly FindingValues[]): Promise<void>;
  /** Replaces every column of the rows with the same id. */
  update(rows: readonly FindingValues[]): Promise<void>;
  /** Marks rows as seen by this import without other changes. */
  touch(ids: readonly string[], at: string, importId: string): Promise<void>;
  /** Open findings of these scan keys that this import did not write become `resolved`; returns how many. */
  resolveMissing(scanKeys: ReadonlySet<string>, importId: string): Promise<number>;
}

export interface BulkSession {
  readonly findings: BulkFindings;
  /** How much a triage run over this session caches (CacheBounds): the engine's answer, so use cases need not ask which engine. */
  readonly cacheBounds: CacheBounds;
  /** Stored rows of a keyed table by id (each id once). */
  lookup<T extends KeyedTable>(table: T, ids: readonly string[]): Promise<Map<string, KeyedRows[T]>>;
  /**
   * The facts of the stored vulnerabilities with these ids (each id once; rows written earlier in
   * the same transaction included), as values in VULNERABILITY_FACT_COLUMNS order: what triage
   * reads of each, without the words it never reads.
   */
  vulnerabilityFacts(ids: readonly string[]): Promise<VulnerabilityFactValues[]>;
  insert<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void>;
  /** Stored signals on these assets (rows written earlier in the same transaction included), by time. */
  signalsOn(assetIds: readonly string[]): Promise<SignalsTable[]>;
  /** Replaces every column of the rows with the same id. */
  update<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void>;
  /**
   * Open findings, a page at a time, in the order the engine reads them fastest (SQLite: storage
   * order; PostgreSQL: id order), as row values (FINDING_COLUMNS order). Stable for a given store;
   * pages are fetched as they are taken.
   */
  openFindings(pageSize: number): AsyncGenerator<FindingValues[]>;
  /** Appends decision rows (DECISION_COLUMNS order). */
  insertDecisions(rows: readonly DecisionValues[]): Promise<void>;
  /**
   * Builds whatever a load deferred (SQLite: the indexes of a table loaded while empty). Called
   * before the use case queries what it wrote through `trx`, and always before commit.
   */
  settle(): Promise<void>;
}

/**
 * Runs `fn` in one transaction with a bulk session bound to it. `trx` is an ordinary Kysely
 * transaction for everything else the use case writes (audit events, counters, …).
 */
export async function withBulkTransaction<T>(store: Store, fn: (trx: BulkTrx, bulk: BulkSession) => Promise<T>): Promise<T> {
  if (store.engine === 'postgres') return withPostgresBulk(store, fn);
  try {
    return await withSqliteBulk(store, fn);
  } catch (err) {
    // the bulk session writes through better-sqlite3 itself, past the classifying driver
    throw classifyStoreError(err);
  }
}
