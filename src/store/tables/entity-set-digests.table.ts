import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * The additive multiset digest (SHA-256 sum mod 2^256, hex) of one whole table vouched for as a set
 * (`finding`, `asset`, `decision`), its row count, and the audited writer that set it last: an
 * import, a triage run, a verdict on a finding or an asset merge (`writer_type`, `writer_id`).
 */
export interface EntitySetDigestsTable { entity_type: string; digest: string; row_count: number; writer_type: string; writer_id: string; at: string }

export type EntitySetDigest = Selectable<EntitySetDigestsTable>;
export type NewEntitySetDigest = Insertable<EntitySetDigestsTable>;
export type EntitySetDigestUpdate = Updateable<EntitySetDigestsTable>;
