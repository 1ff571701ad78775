import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Exposure } from '../../domain/records.js';

export interface AssetsTable {
  id: string;
  name: string | null;
  service: string | null;
  owner: string | null;
  business_critical: number;
  exposure: Exposure;
  auth_required: number;
  privileged: number;
  regulated: string;
  customer_facing: number;
  safety: number;
  third_party: string | null;
  telemetry: number;
  components: string;
  extra: string;
  updated_at: string;
  /** 1 for a provisional asset: a findings import created it for a target the inventory does not name. */
  not_in_inventory: number;
}

export type AssetRow = Selectable<AssetsTable>;
export type NewAssetRow = Insertable<AssetsTable>;
export type AssetRowUpdate = Updateable<AssetsTable>;
