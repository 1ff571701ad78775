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
}

export type AssetRow = Selectable<AssetsTable>;
export type NewAssetRow = Insertable<AssetsTable>;
export type AssetRowUpdate = Updateable<AssetsTable>;
