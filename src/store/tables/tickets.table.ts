import type { Insertable, Selectable, Updateable } from 'kysely';
import type { TicketSystem } from '../../domain/tickets.js';

/** A ticket a delivered message created or found in Jira or ServiceNow (see migration 0010). */
export interface TicketsTable {
  notification_id: string;
  system: TicketSystem;
  /** The key people use: a Jira issue key, a ServiceNow number. */
  key: string;
  /** The system's own id: a Jira issue id, a ServiceNow sys_id. */
  external_id: string;
  url: string | null;
  incident_id: string | null;
  item_id: string | null;
  /** The status last seen in the system (Jira status name, ServiceNow state value). */
  external_status: string | null;
  synced_at: string | null;
  created_at: string;
}

export type Ticket = Selectable<TicketsTable>;
export type NewTicket = Insertable<TicketsTable>;
export type TicketUpdate = Updateable<TicketsTable>;
