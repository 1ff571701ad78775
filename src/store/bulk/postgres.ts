/**
 * PostgreSQL bulk path: `COPY … FROM STDIN` (text format) for new rows, COPY into a temporary table
 * then one `UPDATE … FROM` for changed rows, array parameters for lookups, touches and resolution.
 *
 * COPY has to run on the connection that holds the transaction, so the session takes one client
 * from the pool and runs a Kysely instance bound to that client only: the use case's `trx` and the
 * COPY streams share one connection and one transaction.
 *
 * Appends and updates are written behind (`Connection`): the thread goes on deciding while
 * the server takes the rows.
 *
 * The session takes `SHARE ROW EXCLUSIVE` on `findings` before its first findings write: findings
 * imports then run one at a time (readers are not blocked), so fingerprint lookups and resolution
 * see every row a concurrent import could have written.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import type { Store } from '../db.js';
import type { Database, SignalsTable } from '../schema.js';
import { DECISION_COLUMNS, F, FINDING_COLUMNS, KEYED_COLUMNS, VULNERABILITY_FACT_COLUMNS, keyedValues, type DecisionValues, type FindingValues, type KeyedRows, type KeyedTable, type VulnerabilityFactValues } from './columns.js';
import type { BulkFindings, BulkSession, BulkTrx } from './index.js';
import { POSTGRES_CACHE_BOUNDS } from './cache-bounds.js';
import { KeyHashSet } from './key-set.js';
import { classifyStoreError } from '../unavailable.js';

type Value = string | number | null;

const SPECIAL = /[\\\n\r\t]/;

/** One value in COPY text format. */
function copyText(v: Value): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  if (!SPECIAL.test(v)) return v;
  return v.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Bytes of COPY text sent at a time. */
const CHUNK = 1 << 20;
/** Rows one session writes to a table before it runs ANALYZE on it. */
const ANALYZE_AFTER_ROWS = 10_000;

/** Rows written per table by the current sessions: large loads get fresh planner statistics. */
const written = new WeakMap<pg.PoolClient, Map<string, number>>();

type CopyFrom = (typeof import('pg-copy-streams'))['from'];
/** Loaded with the first session, like the driver (src/store/db.ts): SQLite-only runs never load it. */
let copyFrom: CopyFrom | null = null;

/** Streams rows into `COPY <table> (<columns>) FROM STDIN`. */
async function copyRows(client: pg.PoolClient, table: string, columns: readonly string[], rows: readonly (readonly Value[])[]): Promise<void> {
  if (rows.length === 0) return;
  if (copyFrom === null) throw new Error('pg-copy-streams is not loaded: COPY runs inside withPostgresBulk');
  const counts = written.get(client);
  if (counts !== undefined && !table.startsWith('bulk_')) counts.set(table, (counts.get(table) ?? 0) + rows.length);
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = finished(stream);
  // Values are written into a buffer as UTF-8 as they come: a chunk's text built by concatenation
  // is a tree of thousands of pieces that encoding must flatten first, at about twice the cost a
  // row (docs/decisions/storage.md).
  let buf = Buffer.allocUnsafe(2 * CHUNK);
  let at = 0;
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) {
      const text = copyText(r[i] ?? null);
      // at most 3 UTF-8 bytes per UTF-16 unit, a separator and the row's newline
      const room = 3 * text.length + 2;
      if (at + room > buf.length) {
        if (at > 0) stream.write(buf.subarray(0, at));
        buf = Buffer.allocUnsafe(Math.max(2 * CHUNK, room));
        at = 0;
      }
      if (i > 0) buf[at++] = 0x09;
      at += buf.write(text, at);
    }
    buf[at++] = 0x0a;
    if (at >= CHUNK) {
      const ok = stream.write(buf.subarray(0, at));
      buf = Buffer.allocUnsafe(2 * CHUNK);
      at = 0;
      if (!ok) await Promise.race([once(stream, 'drain'), done]);
    }
  }
  stream.end(buf.subarray(0, at));
  await done;
}

/**
 * The session's connection. Writes that nothing reads back at once (the COPY of new findings,
 * decisions and keyed rows, the update of changed rows) are written behind: they are sent and the
 * call returns while the server is still at them, so this thread decides the next findings
 * meanwhile. Every other statement (a lookup, the next write, the commit) waits for the write
 * behind to end first, so it sees its rows, and one statement at a time runs on the connection.
 * A write that fails is the error the session reports, not the "transaction is aborted" of
 * whatever statement came next.
 */
class Connection {
  private pending: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  /** Temporary tables made for `update` in this transaction. */
  private readonly temps = new Set<string>();

  constructor(readonly client: pg.PoolClient) {}

  /**
   * One statement, once the write behind (if any) has ended. After a failed write only a ROLLBACK
   * goes through: anything else throws that write's error.
   */
  async query<R extends object = Record<string, unknown>>(config: string | pg.QueryArrayConfig | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (typeof config === 'string' && /^\s*rollback\b/i.test(config)) await this.settle();
    else await this.drain();
    return this.client.query<R>(config, values);
  }

  /** A COPY written behind (no rows: nothing to wait for). */
  async copy(table: string, columns: readonly string[], rows: readonly (readonly Value[])[]): Promise<void> {
    if (rows.length === 0) return;
    await this.behind((client) => copyRows(client, table, columns, rows));
  }

  /**
   * Replaces every column of the rows with the same id, written behind: the rows are copied into a
   * temporary table (made on first use, dropped at commit) and applied with one `UPDATE … FROM`.
   */
  async update(table: string, columns: readonly string[], rows: readonly (readonly Value[])[]): Promise<void> {
    if (rows.length === 0) return;
    const temp = `bulk_${table}`;
    const create = !this.temps.has(temp);
    this.temps.add(temp);
    const set = columns.slice(1).map((c) => `${c} = t.${c}`).join(', ');
    await this.behind(async (client) => {
      if (create) await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${temp} (LIKE ${table}) ON COMMIT DROP`);
      await copyRows(client, temp, columns, rows);
      await client.query(`UPDATE ${table} AS x SET ${set} FROM ${temp} AS t WHERE x.id = t.id`);
      await client.query(`TRUNCATE ${temp}`);
    });
  }

  /** Waits for the previous write behind, then starts `write` (its statements one after another) behind. */
  async behind(write: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    await this.drain();
    const p = write(this.client);
    this.pending = p;
    p.catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** Waits for the write behind, if any; throws the error of a write that failed. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure !== null) throw this.failure.error;
  }

  /** Waits for the write behind, if any, to end either way. */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    if (p !== null) await p.catch(() => undefined);
  }
}

class PgFindings implements BulkFindings {
  private started = false;
  private fresh = false;
  /**
   * When the table was empty as the import began (and is locked against other imports): the
   * fingerprints written since, by hash. Only a possible repeat is looked up: a first import
   * makes no lookup round trip per batch.
   */
  private written: KeyHashSet | null = null;

  constructor(private readonly conn: Connection) {}

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.conn.query('LOCK TABLE findings IN SHARE ROW EXCLUSIVE MODE');
    const r = await this.conn.query('SELECT 1 FROM findings LIMIT 1');
    this.fresh = r.rowCount === 0;
    if (this.fresh) this.written = new KeyHashSet(1 << 16);
  }

  async lookup(all: readonly string[]): Promise<Map<string, FindingValues>> {
    await this.start();
    const found = new Map<string, FindingValues>();
    const written = this.written;
    const fingerprints = written === null ? all : all.filter((fp) => written.add(fp));
    if (fingerprints.length === 0) return found;
    const columns = FINDING_COLUMNS.join(', ');
    const r = await this.conn.query({
      text: `SELECT ${columns} FROM findings WHERE id = ANY($1::text[]) AND fingerprint = id
             UNION ALL
             SELECT ${columns} FROM findings WHERE fingerprint = ANY($1::text[]) AND id <> fingerprint`,
      values: [fingerprints],
      rowMode: 'array',
    });
    for (const row of r.rows as unknown as FindingValues[]) found.set(row[F.fingerprint], row);
    return found;
  }

  async insert(rows: readonly FindingValues[]): Promise<void> {
    await this.start();
    await this.conn.copy('findings', FINDING_COLUMNS, rows);
  }

  async update(rows: readonly FindingValues[]): Promise<void> {
    await this.start();
    await this.conn.update('findings', FINDING_COLUMNS, rows);
  }

  async touch(ids: readonly string[], at: string, importId: string): Promise<void> {
    await this.start();
    if (ids.length === 0) return;
    await this.conn.query('UPDATE findings SET last_seen = $1, last_import_id = $2 WHERE id = ANY($3::text[])', [at, importId, ids]);
  }

  async resolveMissing(scanKeys: ReadonlySet<string>, importId: string): Promise<number> {
    await this.start();
    // The table lock makes "empty when the import began" mean "every row is this import's".
    if (this.fresh || scanKeys.size === 0) return 0;
    const keys = [...scanKeys];
    let n = 0;
    for (let i = 0; i < keys.length; i += 5000) {
      const r = await this.conn.query(
        "UPDATE findings SET status = 'resolved' WHERE scan_key = ANY($1::text[]) AND status = 'open' AND (last_import_id IS NULL OR last_import_id <> $2)",
        [keys.slice(i, i + 5000), importId],
      );
      n += r.rowCount ?? 0;
    }
    return n;
  }
}

class PgSession implements BulkSession {
  readonly cacheBounds = POSTGRES_CACHE_BOUNDS;
  readonly findings: PgFindings;

  constructor(readonly conn: Connection) {
    this.findings = new PgFindings(conn);
  }

  async lookup<T extends KeyedTable>(table: T, ids: readonly string[]): Promise<Map<string, KeyedRows[T]>> {
    const found = new Map<string, KeyedRows[T]>();
    if (ids.length === 0) return found;
    const r = await this.conn.query<KeyedRows[T] & { id: string }>(`SELECT * FROM ${table} WHERE id = ANY($1::text[])`, [ids]);
    for (const row of r.rows) found.set(row.id, row);
    return found;
  }

  async vulnerabilityFacts(ids: readonly string[]): Promise<VulnerabilityFactValues[]> {
    if (ids.length === 0) return [];
    const r = await this.conn.query({ text: `SELECT ${VULNERABILITY_FACT_COLUMNS.join(', ')} FROM vulnerabilities WHERE id = ANY($1::text[])`, values: [ids], rowMode: 'array' });
    return r.rows as unknown as VulnerabilityFactValues[];
  }

  async signalsOn(assetIds: readonly string[]): Promise<SignalsTable[]> {
    if (assetIds.length === 0) return [];
    const r = await this.conn.query<SignalsTable>('SELECT * FROM signals WHERE asset_id = ANY($1::text[]) ORDER BY time, id', [assetIds]);
    return r.rows;
  }

  async insert<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void> {
    await this.conn.copy(table, KEYED_COLUMNS[table], rows.map((r) => keyedValues(table, r)));
  }

  async update<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void> {
    await this.conn.update(table, KEYED_COLUMNS[table], rows.map((r) => keyedValues(table, r)));
  }

  async *openFindings(pageSize: number): AsyncGenerator<FindingValues[]> {
    const text = `SELECT ${FINDING_COLUMNS.join(', ')} FROM findings WHERE status = 'open' AND id > $1 ORDER BY id LIMIT $2`;
    let after = '';
    for (;;) {
      const r = await this.conn.query<FindingValues>({ text, values: [after, pageSize], rowMode: 'array' });
      const last = r.rows[r.rows.length - 1];
      if (last === undefined) return;
      after = last[0];
      yield r.rows;
    }
  }

  async insertDecisions(rows: readonly DecisionValues[]): Promise<void> {
    await this.conn.copy('decisions', DECISION_COLUMNS, rows);
  }

  /** Nothing is deferred on PostgreSQL: COPY writes into the indexed tables. */
  async settle(): Promise<void> {}
}

/** A Kysely "pool" that always hands out the same client and never releases it. */
function singleClientPool(conn: Connection): PostgresPool {
  // Kysely's dialect calls pg's query(text, values); release never gives the client back.
  const wrapped = { query: (text: string, values?: unknown[]) => conn.query(text, values), release: () => undefined } as unknown as PostgresPoolClient;
  return { connect: async () => wrapped, end: async () => undefined };
}

export async function withPostgresBulk<T>(store: Store, fn: (trx: BulkTrx, bulk: BulkSession) => Promise<T>): Promise<T> {
  const pool = store.pgPool;
  if (pool === null) throw new Error('PostgreSQL bulk path on a store without a pool');
  copyFrom ??= (await import('pg-copy-streams')).from;
  const client = await pool.connect().catch((err: unknown) => {
    throw classifyStoreError(err);
  });
  const conn = new Connection(client);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: singleClientPool(conn) }) });
  let broken: Error | undefined;
  const counts = new Map<string, number>();
  written.set(client, counts);
  const session = new PgSession(conn);
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await fn(trx, session);
      await conn.drain();
      // A bulk load leaves the planner with no statistics for the new rows (autovacuum comes
      // later): without them the next paged read of a million findings sorts the table per page.
      for (const [table, n] of counts) if (n >= ANALYZE_AFTER_ROWS) await conn.query(`ANALYZE ${table}`);
      return result;
    });
  } catch (err) {
    await conn.settle();
    // A failed ROLLBACK leaves the connection unusable: drop it instead of returning it to the pool.
    const status = await client.query('SELECT 1').then(
      () => null,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    if (status !== null) broken = status;
    throw classifyStoreError(err);
  } finally {
    written.delete(client);
    client.release(broken);
    await db.destroy();
  }
}

