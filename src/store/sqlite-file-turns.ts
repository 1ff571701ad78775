/**
 * One turn at a time per SQLite file within this process.
 *
 * better-sqlite3 is synchronous: when two handles of one process share a file and one holds the
 * write lock across an `await` (a use case's transaction), the other's write either fails at once
 * (SQLITE_BUSY on upgrading a read transaction) or waits inside SQLite's busy handler, which
 * blocks the event loop, so the holder can never finish. Handing out the file's connections in
 * turns, asynchronously, makes concurrent writers of one process wait for each other instead, as
 * one handle's connection mutex already does. Other processes are SQLite's own locking's business.
 */
import { realpathSync } from 'node:fs';
import type { DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler, TransactionSettings } from 'kysely';

class Turns {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  async take(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

/** The turns of each SQLite file this process opened, by real path. */
const turnsByFile = new Map<string, Turns>();

class TurnTakingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly turns: Turns,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.turns.take();
    try {
      return await this.inner.acquireConnection();
    } catch (err) {
      this.turns.give();
      throw err;
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.savepoint) throw new Error('savepoints are not supported');
    await this.inner.savepoint(connection, name, compileQuery);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.rollbackToSavepoint) throw new Error('savepoints are not supported');
    await this.inner.rollbackToSavepoint(connection, name, compileQuery);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.inner.releaseSavepoint) throw new Error('savepoints are not supported');
    await this.inner.releaseSavepoint(connection, name, compileQuery);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.releaseConnection(connection);
    } finally {
      this.turns.give();
    }
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * `dialect` with its connections handed out in turns shared by every store of this process on
 * `file` (an in-memory database has no file to share and is returned as is).
 */
export function takingTurnsOnFile(dialect: Dialect, file: string): Dialect {
  let key: string;
  try {
    key = realpathSync(file);
  } catch {
    return dialect;
  }
  let turns = turnsByFile.get(key);
  if (turns === undefined) {
    turns = new Turns();
    turnsByFile.set(key, turns);
  }
  const shared = turns;
  return {
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    createDriver: (): Driver => new TurnTakingDriver(dialect.createDriver(), shared),
    createQueryCompiler: (): QueryCompiler => dialect.createQueryCompiler(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => dialect.createIntrospector(db),
  };
}
