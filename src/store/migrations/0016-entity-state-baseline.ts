import type { Kysely } from 'kysely';
import { appendBaseline } from '../entity-registry.js';

/**
 * Entity state digests. From here on an audited change's event digests the changed row as stored
 * (store/entity-registry.ts), so `audit verify` finds a record edited outside closeloop. Creates
 * `entity_set_digests` (the multiset digests of findings, assets and decisions) and appends the
 * baseline: one `audit.baseline` event per existing row of every audited entity type, per entity
 * whose row no longer exists, and per set digest, so an upgraded store verifies as it stood.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('entity_set_digests')
    .addColumn('entity_type', 'text', (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('row_count', 'integer', (c) => c.notNull())
    .addColumn('writer_type', 'text', (c) => c.notNull())
    .addColumn('writer_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await appendBaseline(db, new Date().toISOString());
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('entity_set_digests').execute();
}
