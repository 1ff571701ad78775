import type { Insertable, Selectable, Updateable } from 'kysely';
import type { RemediationState } from '../../domain/incident.js';

export interface RemediationItemsTable {
  id: string;
  incident_id: string | null;
  weakness_id: string | null;
  finding_id: string | null;
  owner_role: string;
  assignee: string;
  criteria: string;
  due: string | null;
  ticket: string | null;
  status: RemediationState;
  /** When the timer found the item past its due date (null while it is not). */
  overdue_since: string | null;
  created_at: string;
  updated_at: string;
}

export type RemediationItem = Selectable<RemediationItemsTable>;
export type NewRemediationItem = Insertable<RemediationItemsTable>;
export type RemediationItemUpdate = Updateable<RemediationItemsTable>;
