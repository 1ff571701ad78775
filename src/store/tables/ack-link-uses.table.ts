import type { Selectable } from 'kysely';

/**
 * Acknowledgment links that were used: one row per link id (primary key), so a link acknowledges
 * once, also when two servers receive its click at the same moment.
 */
export interface AckLinkUsesTable {
  token_id: string;
  incident_id: string;
  role: string;
  revision: number;
  used_at: string;
}

export type AckLinkUse = Selectable<AckLinkUsesTable>;
