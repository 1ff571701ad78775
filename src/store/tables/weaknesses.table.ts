import type { Insertable, Selectable, Updateable } from 'kysely';
import type { WeaknessRelation, WeaknessType } from '../../domain/incident.js';

export interface WeaknessesTable {
  id: string;
  incident_id: string;
  type: WeaknessType;
  relation: WeaknessRelation;
  assets: string;
  vulnerabilities: string;
  notes: string;
  action: string;
  vendor: string | null;
  created_by: string;
  created_at: string;
}

export type Weakness = Selectable<WeaknessesTable>;
export type NewWeakness = Insertable<WeaknessesTable>;
export type WeaknessUpdate = Updateable<WeaknessesTable>;
