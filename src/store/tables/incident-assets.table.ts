import type { Insertable, Selectable, Updateable } from 'kysely';

export interface IncidentAssetsTable { incident_id: string; asset_id: string }

export type IncidentAsset = Selectable<IncidentAssetsTable>;
export type NewIncidentAsset = Insertable<IncidentAssetsTable>;
export type IncidentAssetUpdate = Updateable<IncidentAssetsTable>;
