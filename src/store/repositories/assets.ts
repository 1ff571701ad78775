import type { AssetAliasRow, AssetRow, Db, NewAssetAliasRow } from '../schema.js';
import type { AliasKind } from '../../domain/asset-identity.js';
import { insertRows, slices } from '../insert.js';

/**
 * Assets and their aliases, as the asset-identity use cases and the importer's target matching
 * read and change them (bulk upserts of inventory rows are in store/bulk).
 */

/** Ids per `IN (…)` list: well under either engine's limit on bound parameters. */
const IDS_PER_QUERY = 500;

/** The asset with that id, or undefined. */
export function findAsset(db: Db, id: string): Promise<AssetRow | undefined> {
  return db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Of these ids, the stored assets: id → whether it is provisional. */
export async function assetKinds(db: Db, ids: readonly string[]): Promise<Map<string, { provisional: boolean }>> {
  const out = new Map<string, { provisional: boolean }>();
  for (const part of slices([...new Set(ids)], IDS_PER_QUERY)) {
    const rows = await db.selectFrom('assets').select(['id', 'not_in_inventory']).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { provisional: Number(r.not_in_inventory) === 1 });
  }
  return out;
}

/** Assets by id order; `unmatched` lists the provisional ones only (with how many open findings each has). */
export async function listAssets(db: Db, o: { unmatched: boolean; limit: number }): Promise<(AssetRow & { open_findings: number })[]> {
  let q = db
    .selectFrom('assets')
    .selectAll('assets')
    .select((eb) => eb.selectFrom('findings').select((f) => f.fn.countAll<string | number>().as('n')).whereRef('findings.asset_id', '=', 'assets.id').where('findings.status', '=', 'open').as('open_findings'))
    .orderBy('assets.id')
    .limit(o.limit);
  if (o.unmatched) q = q.where('assets.not_in_inventory', '=', 1);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, open_findings: Number(r.open_findings ?? 0) }));
}

/** Whether any asset has an alias. */
export async function anyAlias(db: Db): Promise<boolean> {
  return (await db.selectFrom('asset_aliases').select('kind').limit(1).executeTakeFirst()) !== undefined;
}

/** The aliases with these (kind, value) keys. */
export async function aliasesByKey(db: Db, keys: readonly { kind: AliasKind; value: string }[]): Promise<AssetAliasRow[]> {
  const out: AssetAliasRow[] = [];
  for (const part of slices(keys, IDS_PER_QUERY)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('asset_aliases')
      .selectAll()
      .where((eb) => eb.or(part.map((k) => eb.and([eb('kind', '=', k.kind), eb('value', '=', k.value)]))))
      .execute();
    out.push(...rows);
  }
  return out;
}

/** The aliases with one of these name keys (looser forms: short host names, image repositories). */
export async function aliasesByNameKey(db: Db, nameKeys: readonly string[]): Promise<AssetAliasRow[]> {
  const out: AssetAliasRow[] = [];
  for (const part of slices([...new Set(nameKeys)], IDS_PER_QUERY)) {
    out.push(...(await db.selectFrom('asset_aliases').selectAll().where('name_key', 'in', part).execute()));
  }
  return out;
}

/** An asset's aliases, by kind and value. */
export function aliasesOf(db: Db, assetId: string): Promise<AssetAliasRow[]> {
  return db.selectFrom('asset_aliases').selectAll().where('asset_id', '=', assetId).orderBy('kind').orderBy('value').execute();
}

/** Replaces the aliases an inventory gave these assets (merge-made aliases stay). */
export async function replaceInventoryAliases(db: Db, assetIds: readonly string[], rows: readonly NewAssetAliasRow[]): Promise<void> {
  for (const part of slices([...new Set(assetIds)], IDS_PER_QUERY)) {
    await db.deleteFrom('asset_aliases').where('origin', '=', 'inventory').where('asset_id', 'in', part).execute();
  }
  await insertRows(db, 'asset_aliases', rows);
}

/** Adds aliases; one that is already there (same kind and value) is left as it is. */
export async function addAliases(db: Db, rows: readonly NewAssetAliasRow[]): Promise<void> {
  for (const r of rows) await db.insertInto('asset_aliases').values(r).onConflict((oc) => oc.columns(['kind', 'value']).doNothing()).execute();
}

/** The ids of the open findings on an asset. */
export async function openFindingIdsOn(db: Db, assetId: string): Promise<string[]> {
  const rows = await db.selectFrom('findings').select('id').where('asset_id', '=', assetId).where('status', '=', 'open').orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Moves everything that names asset `from` to asset `into`: findings (their target, fingerprint and
 * scan key stay: they are the report's), signals, aliases and incident links. Returns how many
 * findings and signals moved.
 */
export async function reassignAsset(db: Db, from: string, into: string): Promise<{ findings: number; signals: number }> {
  const f = await db.updateTable('findings').set({ asset_id: into }).where('asset_id', '=', from).executeTakeFirst();
  const s = await db.updateTable('signals').set({ asset_id: into }).where('asset_id', '=', from).executeTakeFirst();
  await db.updateTable('asset_aliases').set({ asset_id: into }).where('asset_id', '=', from).execute();
  const linked = await db.selectFrom('incident_assets').select('incident_id').where('asset_id', '=', from).execute();
  for (const l of linked) {
    await db.insertInto('incident_assets').values({ incident_id: l.incident_id, asset_id: into }).onConflict((oc) => oc.columns(['incident_id', 'asset_id']).doNothing()).execute();
  }
  await db.deleteFrom('incident_assets').where('asset_id', '=', from).execute();
  return { findings: Number(f.numUpdatedRows), signals: Number(s.numUpdatedRows) };
}

/** Deletes an asset row. */
export async function deleteAsset(db: Db, id: string): Promise<void> {
  await db.deleteFrom('assets').where('id', '=', id).execute();
}
