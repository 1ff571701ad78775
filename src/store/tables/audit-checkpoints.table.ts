import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * One signed Merkle root of the audit log: the RFC 9162 root (hex) of its first `tree_size` events,
 * and the tree's right edge (`right_edge`, JSON array of hex subtree roots, largest first) that the
 * next checkpoint extends. The signature covers `checkpointMessage` (size, root, time), not the edge.
 */
export interface AuditCheckpointsTable { tree_size: number; root_hash: string; at: string; key_id: string; signature: string; right_edge: string }

export type AuditCheckpoint = Selectable<AuditCheckpointsTable>;
export type NewAuditCheckpoint = Insertable<AuditCheckpointsTable>;
export type AuditCheckpointUpdate = Updateable<AuditCheckpointsTable>;
