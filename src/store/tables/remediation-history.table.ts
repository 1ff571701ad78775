import type { Insertable, Selectable, Updateable } from 'kysely';
import type { RemediationState } from '../../domain/incident.js';

export interface RemediationHistoryTable { item_id: string; seq: number; status: RemediationState; actor: string; at: string }

export type RemediationHistoryEntry = Selectable<RemediationHistoryTable>;
export type NewRemediationHistoryEntry = Insertable<RemediationHistoryTable>;
export type RemediationHistoryEntryUpdate = Updateable<RemediationHistoryTable>;
