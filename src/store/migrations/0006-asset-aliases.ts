import { sql, type Kysely } from 'kysely';

/**
 * Asset identity: the other names an asset goes by, provisional assets, and a finding's own target.
 *
 * - `asset_aliases`: one row per alias of an asset (hostname, FQDN, IP address, cloud instance id,
 *   container image reference, repository URL, or a scanner target id folded in by a merge), stored
 *   normalised under its kind; `(kind, value)` is unique, so an alias names one asset. `name_key` is
 *   the looser form a target is matched by last (a short host name, an image repository without
 *   tag or digest), not unique.
 * - `assets.not_in_inventory`: 1 for an asset a findings import created for a target the inventory
 *   does not name (a provisional asset; its exposure is `unknown`).
 * - `findings.target`: the target as the report named it. The fingerprint and the scan key come
 *   from it; `asset_id` is the asset it was matched to. Existing rows get their asset id, which is
 *   what their fingerprints and scan keys were made from.
 *
 * Existing assets a findings import made for a report's target (their `extra` is exactly the
 * `{"target_type":…}` the importer wrote) were never in an inventory: they become provisional, with
 * exposure `unknown` instead of the `internal` they were given by default.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('asset_aliases')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('asset_aliases_pk', ['kind', 'value'])
    .execute();
  await db.schema.createIndex('asset_aliases_asset').on('asset_aliases').column('asset_id').execute();
  await db.schema.createIndex('asset_aliases_name').on('asset_aliases').column('name_key').execute();
  await db.schema.alterTable('assets').addColumn('not_in_inventory', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('findings').addColumn('target', 'text').execute();
  await sql`UPDATE findings SET target = asset_id`.execute(db);
  await sql`UPDATE assets SET not_in_inventory = 1, exposure = 'unknown' WHERE extra LIKE '{"target_type":%' AND extra NOT LIKE '%,%'`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('findings').dropColumn('target').execute();
  await db.schema.alterTable('assets').dropColumn('not_in_inventory').execute();
  await db.schema.dropTable('asset_aliases').ifExists().execute();
}
