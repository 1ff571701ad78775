import type { Insertable, Selectable, Updateable } from 'kysely';

export interface AuditCheckpointsTable { seq: number; hash: string; at: string; key_id: string; signature: string }

export type AuditCheckpoint = Selectable<AuditCheckpointsTable>;
export type NewAuditCheckpoint = Insertable<AuditCheckpointsTable>;
export type AuditCheckpointUpdate = Updateable<AuditCheckpointsTable>;
