import type { AssetRow, Db } from '../schema.js';

/** Assets, one at a time (bulk reads and writes are in store/bulk). */

export function findAsset(db: Db, id: string): Promise<AssetRow | undefined> {
  return db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
}
