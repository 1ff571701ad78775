import type { Insertable, Selectable, Updateable } from 'kysely';

export interface AuditEventsTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  incident_id: string | null;
  digest: string;
  prev_hash: string;
  hash: string;
}

export type AuditEvent = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type AuditEventUpdate = Updateable<AuditEventsTable>;
