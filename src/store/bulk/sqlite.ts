/**
 * SQLite bulk path: prepared better-sqlite3 statements on the store's connection, inside the
 * Kysely transaction that wraps the use case (one connection, so one transaction).
 *
 * Measured on the 2-core development machine (docs/decisions/sqlite-bulk-tuning.md): a findings row costs ~3 µs to
 * insert into a table without secondary indexes and several times that with random-order keys
 * (sha256 fingerprints, finding ids); building the same indexes once after the load, by sorting,
 * costs a fraction. So when the findings or the decisions table is empty as the session first
 * writes to it ("load mode"), its indexes are dropped, rows are appended, and the indexes are
 * rebuilt from their stored SQL before the transaction commits (`settle`). Findings
 * fingerprints written meanwhile are tracked by hash (`KeyHashSet`); a possible repeat ends
 * findings load mode (indexes rebuilt) and is looked up for real. With rows already stored, every
 * lookup uses the indexes.
 */
import type Database from 'better-sqlite3';
import type { Store } from '../db.js';
import type { SignalsTable } from '../schema.js';
import { DECISION_COLUMNS, FINDING_COLUMNS, KEYED_COLUMNS, VULNERABILITY_FACT_COLUMNS, keyedValues, type DecisionValues, type FindingValues, type KeyedRows, type KeyedTable, type VulnerabilityFactValues } from './columns.js';
import type { BulkFindings, BulkSession, BulkTrx } from './index.js';
import { SQLITE_CACHE_BOUNDS } from './cache-bounds.js';
import { KeyHashSet } from './key-set.js';

/**
 * Page cache for the duration of a bulk session (KiB, as `PRAGMA cache_size = -N`), by what the
 * session works on. Into an empty findings table (a first import) the findings and decisions are
 * appended with their indexes deferred and the cache serves only the keyed lookups, where 64 MiB
 * cost peak RSS for no speed; with findings stored, lookups and updates go through their large
 * indexes, where 64 MiB is markedly faster (docs/decisions/sqlite-bulk-tuning.md).
 */
const LOAD_CACHE_KIB = 16 * 1024;
const BULK_CACHE_KIB = 64 * 1024;

type Stmt = Database.Statement<unknown[], unknown>;

/**
 * From this many ids on, a keyed lookup is one `id IN (SELECT value FROM json_each(?))` statement
 * instead of one `get` per id: measured 4.3 against 7.3 µs an id (200,000 random vulnerabilities
 * in batches of 5,000).
 */
const LOOKUP_IN_ONE_STATEMENT = 32;

/** Prepared statements by SQL text: each is prepared once per session (cleared when indexes change). */
class StatementCache {
  private readonly map = new Map<string, Stmt>();

  get(db: Database.Database, sql: string): Stmt {
    let s = this.map.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      this.map.set(sql, s);
    }
    return s;
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * Rows a session appends to a table that already holds rows before its indexes are dropped too
 * (with `whenLarge`): at least this many, and at least 1/LOAD_MODE_SHARE of what the table held.
 * A re-triage of a million findings appends a million decisions: maintaining `decisions_finding`
 * (random keys) row by row took 23.7 of its 54.5 s; a sort of the whole table at the end takes a
 * few seconds.
 */
const LOAD_MODE_MIN_ROWS = 50_000;
const LOAD_MODE_SHARE = 8;

/** Whether a table that held `base` rows goes into load mode once a session has appended `appended`. */
export function loadModeDue(base: number, appended: number, whenLarge: boolean): boolean {
  if (base === 0) return true;
  return whenLarge && appended >= LOAD_MODE_MIN_ROWS && appended * LOAD_MODE_SHARE >= base;
}

/**
 * Load mode for one table: when it is empty as the session first writes to it (or, with
 * `whenLarge`, once the session has appended a large share of what it held), its full secondary
 * indexes (those with stored SQL: not the primary key's) are dropped and later built once, by
 * sorting, from their own SQL. Partial indexes stay: a row outside their WHERE costs them nothing
 * (a Trivy finding's id is its fingerprint; a new decision has no incident), while building one
 * means a scan of the whole table (three of the seven scans at the million). Statements prepared
 * meanwhile are cleared on both edges (their plans name the indexes). Other connections keep
 * reading the indexes: the drop is part of the session's transaction.
 */
class DeferredIndexes {
  /** Index definitions dropped, rebuilt by `rebuild`; null when not loading. */
  private dropped: string[] | null = null;
  /** Rows in the table when the session first wrote to it (the largest rowid); null before. */
  private base: number | null = null;
  private appended = 0;
  /** Load mode has ended in this session: it does not begin again. */
  private ended = false;

  constructor(
    private readonly db: Database.Database,
    private readonly table: 'findings' | 'decisions',
    private readonly stmts: StatementCache,
    private readonly whenLarge = false,
  ) {}

  /**
   * Before appending `rows` rows: enters load mode if the table was empty when the session first
   * wrote to it, or (with `whenLarge`) once the session's rows pass the share above. Returns
   * whether load mode began now.
   */
  start(rows = 0): boolean {
    if (this.dropped !== null || this.ended) return false;
    if (this.base === null) {
      // max(rowid) is null only for an empty table; a table with rows counts as holding at least one
      const max = this.db.prepare(`SELECT max(rowid) FROM ${this.table}`).pluck().get();
      this.base = max === null ? 0 : Math.max(1, Number(max));
    }
    this.appended += rows;
    if (!loadModeDue(this.base, this.appended, this.whenLarge)) return false;
    const indexes = this.db
      .prepare(
        "SELECT m.name, m.sql FROM sqlite_master m JOIN pragma_index_list(?) il ON il.name = m.name WHERE m.type = 'index' AND m.sql IS NOT NULL AND il.partial = 0 ORDER BY m.name",
      )
      .all(this.table) as { name: string; sql: string }[];
    for (const ix of indexes) this.db.exec(`DROP INDEX "${ix.name.replace(/"/g, '""')}"`);
    this.dropped = indexes.map((ix) => ix.sql);
    this.stmts.clear();
    return true;
  }

  /** Leaves load mode: builds the dropped indexes (a duplicate key fails here, rolling back the transaction). */
  rebuild(): void {
    if (this.dropped === null) return;
    const sqls = this.dropped;
    this.dropped = null;
    this.ended = true;
    for (const s of sqls) this.db.exec(s);
    this.stmts.clear();
  }
}

class SqliteFindings implements BulkFindings {
  /** The findings table was empty when this session first touched it. */
  private fresh = false;
  private written: KeyHashSet | null = null;
  private readonly stmts = new StatementCache();
  private readonly indexes: DeferredIndexes;

  constructor(private readonly db: Database.Database) {
    this.indexes = new DeferredIndexes(db, 'findings', this.stmts);
  }

  private stmt(sql: string): Stmt {
    return this.stmts.get(this.db, sql);
  }

  private start(): void {
    if (!this.indexes.start()) return;
    this.fresh = true;
    this.written = new KeyHashSet(1 << 16);
  }

  /** Leaves load mode (see DeferredIndexes.rebuild). */
  endLoad(): void {
    this.written = null;
    this.indexes.rebuild();
  }

  async lookup(fingerprints: readonly string[]): Promise<Map<string, FindingValues>> {
    this.start();
    const found = new Map<string, FindingValues>();
    let ask: readonly string[] = fingerprints;
    if (this.written !== null) {
      const maybe: string[] = [];
      for (const fp of fingerprints) if (this.written.add(fp)) maybe.push(fp);
      if (maybe.length === 0) return found;
      this.endLoad();
      ask = maybe;
    }
    // value arrays: a re-import looks up every finding of the report, and rows as objects cost ~6 µs more each
    const columns = FINDING_COLUMNS.join(', ');
    const byId = this.stmt(`SELECT ${columns} FROM findings WHERE id = ? AND fingerprint = id`).raw(true);
    const byFp = this.stmt(`SELECT ${columns} FROM findings WHERE fingerprint = ? AND id <> fingerprint`).raw(true);
    for (const fp of ask) {
      const row = (byId.get(fp) ?? byFp.get(fp)) as FindingValues | undefined;
      if (row !== undefined) found.set(fp, row);
    }
    return found;
  }

  async insert(rows: readonly FindingValues[]): Promise<void> {
    this.start();
    // One row per statement call: measured faster here than multi-row INSERTs of 10 or 50 rows.
    const ins = this.stmt(`INSERT INTO findings (${FINDING_COLUMNS.join(', ')}) VALUES (${FINDING_COLUMNS.map(() => '?').join(', ')})`);
    for (const r of rows) ins.run(r);
  }

  async update(rows: readonly FindingValues[]): Promise<void> {
    if (rows.length === 0) return;
    this.start();
    this.endLoad();
    const cols = FINDING_COLUMNS.slice(1);
    const upd = this.stmt(`UPDATE findings SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
    for (const r of rows) upd.run([...r.slice(1), r[0]]);
  }

  async touch(ids: readonly string[], at: string, importId: string): Promise<void> {
    if (ids.length === 0) return;
    this.start();
    this.endLoad();
    const upd = this.stmt('UPDATE findings SET last_seen = ?, last_import_id = ? WHERE id = ?');
    for (const id of ids) upd.run(at, importId, id);
  }

  async resolveMissing(scanKeys: ReadonlySet<string>, importId: string): Promise<number> {
    this.start();
    this.endLoad();
    // Every row of a table that was empty when the import began was written by this import.
    if (this.fresh) return 0;
    const upd = this.stmt(
      "UPDATE findings SET status = 'resolved' WHERE scan_key = ? AND status = 'open' AND (last_import_id IS NULL OR last_import_id <> ?)",
    );
    let n = 0;
    for (const key of scanKeys) n += upd.run(key, importId).changes;
    return n;
  }
}

class SqliteSession implements BulkSession {
  readonly cacheBounds = SQLITE_CACHE_BOUNDS;
  readonly findings: SqliteFindings;
  private readonly stmts = new StatementCache();
  /** Decisions: appended in load mode when the table was empty (a first import or triage run). */
  private readonly decisionIndexes: DeferredIndexes;

  constructor(private readonly db: Database.Database) {
    this.findings = new SqliteFindings(db);
    this.decisionIndexes = new DeferredIndexes(db, 'decisions', this.stmts, true);
  }

  private stmt(sql: string): Stmt {
    return this.stmts.get(this.db, sql);
  }

  /**
   * Per keyed table: when it was empty as this session first looked into it, the ids written since
   * (by hash). An id not among them cannot be stored, so a first import into an empty table (EPSS,
   * an inventory) looks nothing up; a possible repeat is looked up for real.
   */
  private readonly writtenToEmpty = new Map<KeyedTable, KeyHashSet | null>();

  private written(table: KeyedTable): KeyHashSet | null {
    let set = this.writtenToEmpty.get(table);
    if (set === undefined) {
      set = this.db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() === undefined ? new KeyHashSet(1 << 16) : null;
      this.writtenToEmpty.set(table, set);
    }
    return set;
  }

  async lookup<T extends KeyedTable>(table: T, ids: readonly string[]): Promise<Map<string, KeyedRows[T]>> {
    const found = new Map<string, KeyedRows[T]>();
    for (const row of this.keyed(table, '*', ids, false) as KeyedRows[T][]) found.set(row.id, row);
    return found;
  }

  async vulnerabilityFacts(ids: readonly string[]): Promise<VulnerabilityFactValues[]> {
    // value arrays of the fact columns: 3.7 µs a row against 6.3 µs for whole rows as objects (measured, 5,000 random ids a statement)
    return this.keyed('vulnerabilities', VULNERABILITY_FACT_COLUMNS.join(', '), ids, true) as VulnerabilityFactValues[];
  }

  /** `columns` of the stored rows of `table` with these ids (each id once), as objects or (`raw`) value arrays. */
  private keyed(table: KeyedTable, columns: string, ids: readonly string[], raw: boolean): unknown[] {
    const written = this.written(table);
    return this.matching(`SELECT ${columns} FROM ${table}`, 'id', written === null ? ids : ids.filter((id) => written.has(id)), raw);
  }

  async signalsOn(assetIds: readonly string[]): Promise<SignalsTable[]> {
    return this.matching('SELECT * FROM signals', 'asset_id', assetIds, false, ' ORDER BY time, id') as SignalsTable[];
  }

  /**
   * The rows of `select` whose `column` is one of `keys` (each key once), in `order`: one statement
   * over a JSON array of the keys from LOOKUP_IN_ONE_STATEMENT keys on, SQLite probing the index
   * for each; below that, a statement per key.
   */
  private matching(select: string, column: string, keys: readonly string[], raw: boolean, order = ''): unknown[] {
    if (keys.length === 0) return [];
    if (keys.length < LOOKUP_IN_ONE_STATEMENT) {
      const each = this.stmt(`${select} WHERE ${column} = ?${order}`).raw(raw);
      const out: unknown[] = [];
      for (const key of keys) for (const row of each.all(key)) out.push(row);
      return out;
    }
    return this.stmt(`${select} WHERE ${column} IN (SELECT value FROM json_each(?))${order}`).raw(raw).all(JSON.stringify(keys));
  }

  async insert<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void> {
    const cols = KEYED_COLUMNS[table];
    const ins = this.stmt(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    const written = this.written(table);
    for (const r of rows) {
      written?.add(r.id);
      ins.run(keyedValues(table, r));
    }
  }

  async update<T extends KeyedTable>(table: T, rows: readonly KeyedRows[T][]): Promise<void> {
    const cols = KEYED_COLUMNS[table].slice(1);
    const upd = this.stmt(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
    for (const r of rows) {
      const v = keyedValues(table, r);
      upd.run([...v.slice(1), v[0]]);
    }
  }

  async *openFindings(pageSize: number): AsyncGenerator<FindingValues[]> {
    // rowid order reads the table sequentially; id order would visit a random page per row
    const page = this.stmt(`SELECT ${FINDING_COLUMNS.join(', ')}, rowid FROM findings WHERE status = 'open' AND rowid > ? ORDER BY rowid LIMIT ?`).raw(true);
    let after = 0;
    for (;;) {
      const rows = page.all(after, pageSize) as unknown[][];
      const last = rows[rows.length - 1];
      if (last === undefined) return;
      after = Number(last[FINDING_COLUMNS.length]);
      for (const r of rows) r.length = FINDING_COLUMNS.length;
      yield rows as unknown as FindingValues[];
    }
  }

  async insertDecisions(rows: readonly DecisionValues[]): Promise<void> {
    this.decisionIndexes.start(rows.length);
    const ins = this.stmt(`INSERT INTO decisions (${DECISION_COLUMNS.join(', ')}) VALUES (${DECISION_COLUMNS.map(() => '?').join(', ')})`);
    for (const r of rows) ins.run(r);
  }

  async settle(): Promise<void> {
    this.findings.endLoad();
    this.decisionIndexes.rebuild();
  }
}

export async function withSqliteBulk<T>(store: Store, fn: (trx: BulkTrx, bulk: BulkSession) => Promise<T>): Promise<T> {
  const db = store.sqlite;
  if (db === null) throw new Error('SQLite bulk path on a store without a SQLite handle');
  const cache = db.pragma('cache_size', { simple: true });
  const firstLoad = db.prepare('SELECT 1 FROM findings LIMIT 1').get() === undefined;
  db.pragma(`cache_size = -${firstLoad ? LOAD_CACHE_KIB : BULK_CACHE_KIB}`);
  try {
    return await store.transaction(async (trx) => {
      const session = new SqliteSession(db);
      const result = await fn(trx, session);
      await session.settle();
      return result;
    });
  } finally {
    db.pragma(`cache_size = ${Number(cache)}`);
  }
}
