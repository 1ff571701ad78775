import { ClassifyingDriver } from './unavailable.js';
import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Driver,
  type Kysely,
  type PostgresDialectConfig,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

interface ColumnRow {
  column: string;
  not_null: boolean;
  has_default: boolean;
  table: string;
  table_type: string;
  schema: string;
  type: string;
  type_schema: string;
  column_description: string | null;
  auto_incrementing: string | null;
}

/**
 * Kysely's PostgreSQL introspector, limited to one schema: the store's own (`?schema=`), else the
 * session's current schema.
 *
 * Kysely's own lists every column of every schema and calls `has_schema_privilege(name)` and
 * `pg_get_serial_sequence(name)` on each row. Those look names up again after the catalog snapshot
 * was taken, so a schema dropped meanwhile (another store's, another test run's) fails the query
 * with `schema "…" does not exist`. The Migrator asks it whether its bookkeeping tables exist on
 * every start-up, so that error stopped stores from opening. Reading only the store's schema never
 * touches another store's objects, and answers the Migrator's question for the schema it works in.
 */
export class OwnSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #schema: string | null;
  readonly #schemas: PostgresIntrospector;

  constructor(db: Kysely<unknown>, schema: string | null) {
    this.#db = db;
    this.#schema = schema;
    this.#schemas = new PostgresIntrospector(db);
  }

  /** Every schema's name: one read of pg_namespace, which nothing dropped can make fail. */
  getSchemas(): Promise<SchemaMetadata[]> {
    return this.#schemas.getSchemas();
  }

  /** The tables and views of the store's schema, with their columns, as Kysely describes them. */
  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const schema = this.#schema === null ? sql`current_schema()` : sql`${this.#schema}`;
    const internal = options.withInternalKyselyTables
      ? sql``
      : sql`and c.relname not in (${DEFAULT_MIGRATION_TABLE}, ${DEFAULT_MIGRATION_LOCK_TABLE})`;
    const { rows } = await sql<ColumnRow>`
      select a.attname as column, a.attnotnull as not_null, a.atthasdef as has_default,
             c.relname as table, c.relkind as table_type, ns.nspname as schema,
             typ.typname as type, dtns.nspname as type_schema,
             col_description(a.attrelid, a.attnum) as column_description,
             pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname) as auto_incrementing
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on a.attrelid = c.oid
        join pg_catalog.pg_namespace ns on c.relnamespace = ns.oid
        join pg_catalog.pg_type typ on a.atttypid = typ.oid
        join pg_catalog.pg_namespace dtns on typ.typnamespace = dtns.oid
       where ns.nspname = ${schema}
         and c.relkind in ('r', 'v', 'p')
         and a.attnum >= 0 and not a.attisdropped
         ${internal}
       order by c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<string, { name: string; isView: boolean; schema: string; columns: TableMetadata['columns'] }>();
    for (const r of rows) {
      let table = tables.get(r.table);
      if (table === undefined) {
        table = { name: r.table, isView: r.table_type === 'v', schema: r.schema, columns: [] };
        tables.set(r.table, table);
      }
      table.columns.push({
        name: r.column,
        dataType: r.type,
        dataTypeSchema: r.type_schema,
        isAutoIncrementing: r.auto_incrementing !== null,
        isNullable: !r.not_null,
        hasDefaultValue: r.has_default,
        ...(r.column_description !== null ? { comment: r.column_description } : {}),
      });
    }
    return [...tables.values()];
  }

  /** Kept for the interface (Kysely deprecates it in favour of getTables). */
  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

/**
 * Kysely's PostgreSQL dialect whose introspection reads the store's own schema only, and whose
 * driver reports a lost database as CL_UNAVAILABLE (see unavailable.ts).
 */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  readonly #schema: string | null;

  constructor(config: PostgresDialectConfig, schema: string | null) {
    super(config);
    this.#schema = schema;
  }

  override createDriver(): Driver {
    return new ClassifyingDriver(super.createDriver());
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db, this.#schema);
  }
}
