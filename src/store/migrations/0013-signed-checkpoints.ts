import type { Kysely } from 'kysely';

/**
 * Signed checkpoints. `audit_checkpoints` (never written by earlier versions) becomes one row per
 * signed Merkle root of the audit log: the tree size it covers, the RFC 9162 root of the first
 * `tree_size` events, when, which Ed25519 key signed it and the signature, and the tree's right
 * edge (`right_edge`, JSON: the roots of its perfect subtrees, largest first), from which the next
 * checkpoint's root is computed without reading the events this one covers. Events gain
 * `signature` and `key_id`: with a signing key configured every appended event's hash is signed, so
 * an event appended by someone holding only the database has no valid signature. Existing events
 * stay unsigned; the first checkpoint covers them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_checkpoints').ifExists().execute();
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('tree_size', 'integer', (c) => c.primaryKey())
    .addColumn('root_hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('right_edge', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('audit_events').addColumn('key_id', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('signature', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('signature').execute();
  await db.schema.alterTable('audit_events').dropColumn('key_id').execute();
  await db.schema.dropTable('audit_checkpoints').execute();
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
}
