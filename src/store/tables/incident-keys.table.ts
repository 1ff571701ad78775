import type { Insertable, Selectable } from 'kysely';

/** A grouping key an incident's scope lists: `asset:<asset id>` or `vuln:<vulnerability id or alias>`. */
export interface IncidentKeysTable {
  incident_id: string;
  key: string;
}

export type IncidentKey = Selectable<IncidentKeysTable>;
export type NewIncidentKey = Insertable<IncidentKeysTable>;
