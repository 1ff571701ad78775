import { sql, type Kysely } from 'kysely';

/**
 * One outbox for every message, with its proof, and acknowledgment links.
 *
 * - `notifications`: `incident_id` may be null (a channel test, an SLA warning on a remediation
 *   item, a checkpoint witness are not about an incident; `subject_ref` says what they are about),
 *   and each row gains `event` (the structured DeliveryEvent channels render, JSON) and `proof`
 *   (what the receiver answered when it took the message, JSON), and `round_start` (the attempts
 *   made before the last manual retry: each retry gets `delivery.max_attempts` more). SQLite cannot drop a NOT NULL, so
 *   the table is rebuilt (same rows, same ids and indexes) on both engines alike.
 * - `notification_attempts`: each attempt also records its channel, response code and message id.
 * - `acknowledgments.via`: how an acknowledgment came (cli, api, link); null on existing rows,
 *   which did not record it.
 * - `acknowledgments_superseded`: an acknowledgment a revised report-out asked again (the role's
 *   part changed) moves here, kept as evidence and never counted.
 * - `ack_link_uses`: one row per used acknowledgment link (primary key), so a link works once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notifications_0009')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('message_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('event', 'text')
    .addColumn('subject_ref', 'text')
    .addColumn('proof', 'text')
    .addColumn('round_start', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  const kept = ['id', 'incident_id', 'purpose', 'role', 'channel', 'address', 'subject', 'body', 'idempotency_key', 'status', 'attempts', 'next_attempt_at', 'message_id', 'last_error', 'created_at', 'sent_at', 'delivered_at'];
  await db
    .insertInto('notifications_0009')
    .columns(kept)
    .expression(db.selectFrom('notifications').select(kept))
    .execute();
  await db.schema.dropTable('notifications').execute();
  await db.schema.alterTable('notifications_0009').renameTo('notifications').execute();
  await db.schema.createIndex('notifications_incident').on('notifications').column('incident_id').execute();
  await db.schema.createIndex('notifications_outbox').on('notifications').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('notifications_subject').on('notifications').column('subject_ref').execute();

  await db.schema.alterTable('notification_attempts').addColumn('channel', 'text').execute();
  await db.schema.alterTable('notification_attempts').addColumn('status', 'integer').execute();
  await db.schema.alterTable('notification_attempts').addColumn('message_id', 'text').execute();
  // the channel of the attempts already recorded is the channel of their message
  await db
    .updateTable('notification_attempts')
    .set({ channel: sql`(SELECT n.channel FROM notifications n WHERE n.id = notification_attempts.notification_id)` })
    .execute();

  await db.schema.alterTable('acknowledgments').addColumn('via', 'text').execute();
  await db.schema
    .createTable('acknowledgments_superseded')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('via', 'text')
    .addColumn('superseded_at', 'text', (c) => c.notNull())
    .addColumn('superseded_by', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('acknowledgments_superseded_incident').on('acknowledgments_superseded').column('incident_id').execute();

  await db.schema
    .createTable('ack_link_uses')
    .addColumn('token_id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('used_at', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ack_link_uses').ifExists().execute();
  await db.schema.dropTable('acknowledgments_superseded').ifExists().execute();
  await db.schema.alterTable('acknowledgments').dropColumn('via').execute();
  for (const c of ['message_id', 'status', 'channel']) await db.schema.alterTable('notification_attempts').dropColumn(c).execute();
  await db.schema.dropIndex('notifications_subject').ifExists().execute();
  for (const c of ['round_start', 'proof', 'subject_ref', 'event']) await db.schema.alterTable('notifications').dropColumn(c).execute();
}
