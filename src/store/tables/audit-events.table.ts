import type { Insertable, Selectable, Updateable } from 'kysely';
import type { HashedEventFields } from '../../domain/audit-hash.js';

/** An event of the audit chain: the fields its hash covers (domain/audit-hash.ts), the hash, and its signature. */
export interface AuditEventsTable extends HashedEventFields {
  hash: string;
  /** The Ed25519 key that signed `hash` (null: appended with no signing key, covered by a checkpoint). */
  key_id: string | null;
  /** Base64 Ed25519 signature of the hex `hash`. */
  signature: string | null;
}

export type AuditEvent = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type AuditEventUpdate = Updateable<AuditEventsTable>;
