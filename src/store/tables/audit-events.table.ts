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
  /** The Ed25519 key that signed `hash` (null: appended with no signing key, covered by a checkpoint). */
  key_id: string | null;
  /** Base64 Ed25519 signature of the hex `hash`. */
  signature: string | null;
}

export type AuditEvent = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type AuditEventUpdate = Updateable<AuditEventsTable>;
