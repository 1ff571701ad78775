import type { Insertable, Selectable, Updateable } from 'kysely';

/** One signed Merkle root of the audit log: the RFC 9162 root (hex) of its first `tree_size` events. */
export interface AuditCheckpointsTable { tree_size: number; root_hash: string; at: string; key_id: string; signature: string }

export type AuditCheckpoint = Selectable<AuditCheckpointsTable>;
export type NewAuditCheckpoint = Insertable<AuditCheckpointsTable>;
export type AuditCheckpointUpdate = Updateable<AuditCheckpointsTable>;
