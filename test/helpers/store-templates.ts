/**
 * Stores migrated once per test run and copied for each test, instead of running every migration
 * for each test context.
 *
 * PostgreSQL: a template schema is migrated with the real migrations; a test schema gets the same
 * tables, constraints, indexes and rows from one script (`create`), and is emptied again for the
 * next test of its file by another (`reset`). `describeSchema` lists what a schema is made of, so
 * that a test can check the copy against a migrated schema and a reused schema against the
 * template. SQLite: a migrated database file is copied.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/db.js';

/** What the global set-up hands to the test files (vitest `provide` / `inject`). */
export interface PgTemplate {
  /** The migrated template schema, dropped when the run ends. */
  schema: string;
  /** Run with the search_path on an empty schema: makes it a copy of the template. */
  create: string;
  /** Run with the search_path on a copy: deletes every row the tests wrote, keeps the migration records. */
  reset: string;
  /** The template's tables, whose description (`describeSchemaSql`) a reused copy must still match. */
  tables: readonly string[];
  /** That description. */
  shape: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Null when PostgreSQL was not reachable at set-up (tests then migrate each schema). */
    pgTemplate: PgTemplate | null;
    /** A migrated SQLite database file, or null when it could not be made. */
    sqliteTemplate: string | null;
  }
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

/** Kysely's bookkeeping tables: copied with their rows, never emptied. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * What the tables of the session's current schema are made of, one sorted line each: every table's
 * columns (name, type, not null, default, in table order), its indexes, constraints and triggers,
 * with names unqualified. Two schemas with equal descriptions answer every query alike. `tables`
 * limits it to those tables, read through the catalog's indexes (the whole-schema read scans all
 * of pg_class, which the test runs' schemas coming and going make large).
 */
export function describeSchemaSql(tables?: readonly string[]): string {
  const which = tables === undefined ? `c.relkind <> 'i'` : `c.relname = ANY (ARRAY[${tables.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ')}]::name[])`;
  return `
    WITH t AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND ${which})
    SELECT coalesce(string_agg(d, E'\\n' ORDER BY d), '') AS shape FROM (
      SELECT 'relation ' || t.relkind::text || ' ' || t.relname || ' (' || coalesce((
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
               || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '') || coalesce(' identity ' || nullif(a.attidentity::text, ''), '')
               || coalesce(' generated ' || nullif(a.attgenerated::text, ''), ''), ', ' ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')' AS d FROM t
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(i.indexrelid, 0, true) FROM pg_index i JOIN t ON t.oid = i.indrelid
      UNION ALL
      SELECT 'constraint ' || t.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid, true) FROM pg_constraint k JOIN t ON t.oid = k.conrelid
      UNION ALL
      SELECT 'trigger ' || t.relname || ' ' || g.tgname FROM pg_trigger g JOIN t ON t.oid = g.tgrelid WHERE NOT g.tgisinternal
    ) parts`;
}

/** `describeSchemaSql` run on the schema a client's search_path points at. */
export async function describeSchema(client: pg.ClientBase | pg.Pool, tables?: readonly string[]): Promise<string> {
  const { rows } = await client.query<{ shape: string }>(describeSchemaSql(tables));
  return rows[0]?.shape ?? '';
}

/**
 * The scripts that copy and empty the template schema (see PgTemplate). Only tables, their
 * indexes and constraints are copied; anything else a migration might add (sequences, views,
 * functions, triggers, types) makes this throw, so that a copy never silently differs from a
 * migrated schema.
 */
export async function templateScripts(client: pg.ClientBase, template: string): Promise<PgTemplate> {
  await client.query(`SET search_path = ${quote(template)}`);
  try {
    const { rows: others } = await client.query<{ what: string }>(`
      SELECT relkind::text || ' ' || relname AS what FROM pg_class
       WHERE relnamespace = current_schema()::regnamespace AND relkind NOT IN ('r', 'i')
      UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
      UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
      UNION ALL SELECT 'type ' || typname FROM pg_type
       WHERE typnamespace = current_schema()::regnamespace AND typtype <> 'c' AND typcategory <> 'A'`);
    if (others.length > 0) {
      throw new Error(`the template schema holds what its copy would not: ${others.map((o) => o.what).join(', ')}`);
    }
    const { rows: names } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' ORDER BY relname`,
    );
    const tables: { name: string; filled: boolean }[] = [];
    for (const { name } of names) {
      const { rows } = await client.query<{ filled: boolean }>(`SELECT EXISTS (SELECT FROM ${quote(name)}) AS filled`);
      tables.push({ name, filled: rows[0]?.filled === true });
    }
    // constraints that own an index (primary keys, unique), then foreign keys once every table is there
    const { rows: constraints } = await client.query<{ tbl: string; name: string; def: string; fk: boolean }>(`
      SELECT c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid, true) AS def, k.contype = 'f' AS fk
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
       WHERE k.connamespace = current_schema()::regnamespace AND k.contype IN ('p', 'u', 'x', 'f')
       ORDER BY k.contype = 'f', c.relname, k.conname`);
    const { rows: indexes } = await client.query<{ def: string }>(`
      SELECT pg_get_indexdef(i.indexrelid, 0, true) AS def
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relnamespace = current_schema()::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
       ORDER BY c.relname`);
    const shape = await describeSchema(client, names.map((t) => t.name));
    const create = [
      // LIKE copies columns, defaults, NOT NULL and CHECK constraints; indexes and the constraints
      // that own them are added under their own names below (LIKE would rename them).
      ...tables.map((t) => `CREATE TABLE ${quote(t.name)} (LIKE ${quote(template)}.${quote(t.name)} INCLUDING ALL EXCLUDING INDEXES);`),
      ...constraints.filter((k) => !k.fk).map((k) => `ALTER TABLE ${quote(k.tbl)} ADD CONSTRAINT ${quote(k.name)} ${k.def};`),
      ...indexes.map((i) => `${i.def};`),
      ...constraints.filter((k) => k.fk).map((k) => `ALTER TABLE ${quote(k.tbl)} ADD CONSTRAINT ${quote(k.name)} ${k.def};`),
      ...tables.filter((t) => t.filled).map((t) => `INSERT INTO ${quote(t.name)} SELECT * FROM ${quote(template)}.${quote(t.name)};`),
    ].join('\n');
    const emptied = tables.filter((t) => !MIGRATION_TABLES.has(t.name));
    // DELETE, not TRUNCATE: a handful of rows go in a few milliseconds, where TRUNCATE makes new
    // files for every table and index. Rows the migrations wrote into other tables come back. (A
    // DELETE a foreign key refuses fails the reset, and the copy is dropped instead of reused.)
    const reset = [
      ...emptied.map((t) => `DELETE FROM ${quote(t.name)};`),
      ...emptied.filter((t) => t.filled).map((t) => `INSERT INTO ${quote(t.name)} SELECT * FROM ${quote(template)}.${quote(t.name)};`),
    ].join('\n');
    return { schema: template, create, reset, tables: names.map((t) => t.name), shape };
  } finally {
    await client.query('RESET search_path');
  }
}

/** Migrates a new schema `template` with the real migrations and returns the scripts to copy it. */
export async function makePgTemplate(url: URL, template: string): Promise<PgTemplate> {
  const u = new URL(url);
  u.searchParams.set('schema', template);
  const store = await openStore({ url: u.toString() });
  await store.close();
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await templateScripts(client, template);
  } catch (err) {
    await client.query(`DROP SCHEMA IF EXISTS ${quote(template)} CASCADE`);
    throw err;
  } finally {
    await client.end();
  }
}

/** Drops a schema made by this module (the template, or a test schema). */
export async function dropPgSchema(url: URL, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A migrated SQLite database `dir/template.db`, closed (so a plain file copy is a whole database). */
export async function makeSqliteTemplate(dir: string): Promise<string> {
  const file = path.join(dir, 'template.db');
  const store = await openStore({ url: file });
  await store.close();
  await rm(`${file}-wal`, { force: true });
  await rm(`${file}-shm`, { force: true });
  return file;
}
