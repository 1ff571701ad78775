import type { Insertable, Selectable, Updateable } from 'kysely';
import type { AliasKind } from '../../domain/asset-identity.js';

/** Where an alias came from: an inventory import, or a merge that folded a provisional asset's target in. */
export type AliasOrigin = 'inventory' | 'merge';

export interface AssetAliasesTable {
  kind: AliasKind;
  /** Normalised (domain/asset-identity.ts); unique with `kind`. */
  value: string;
  asset_id: string;
  /** The looser form a target is matched by when nothing else matches; null when there is none. */
  name_key: string | null;
  origin: AliasOrigin;
  created_at: string;
}

export type AssetAliasRow = Selectable<AssetAliasesTable>;
export type NewAssetAliasRow = Insertable<AssetAliasesTable>;
export type AssetAliasRowUpdate = Updateable<AssetAliasesTable>;
