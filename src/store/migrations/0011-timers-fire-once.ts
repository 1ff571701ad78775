import type { Kysely } from 'kysely';

/**
 * Timers that fire exactly once: `timer_firings` holds one row per timer that has fired (its kind
 * and subject are the key), written in the same transaction as what firing does, so a second
 * server or a restarted one finds the row and does nothing. Remediation items gain
 * `overdue_since`, set when an item's due date passes.
 *
 * Existing rows: acknowledgment reminders queued before (keys `reminder:INC:rN:ROLE:…` and
 * `reminder-lead:INC:rN:…`) were the first escalation level of their role and revision; they
 * become firings of `ack` `INC:rN:ROLE:L1` so that an upgraded server does not remind again.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('timer_firings')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('fired_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('timer_firings_pk', ['kind', 'subject'])
    .execute();
  await db.schema.alterTable('remediation_items').addColumn('overdue_since', 'text').execute();

  const reminders = (await db
    .selectFrom('notifications')
    .select(['idempotency_key', 'created_at'])
    .where('purpose', '=', 'reminder')
    .where('idempotency_key', 'like', 'reminder:%')
    .orderBy('created_at')
    .execute()) as { idempotency_key: string; created_at: string }[];
  const firings = new Map<string, string>();
  for (const r of reminders) {
    const m = /^reminder:([^:]+):r(\d+):([^:]+):/.exec(r.idempotency_key);
    if (m === null) continue;
    const subject = `${m[1] ?? ''}:r${m[2] ?? ''}:${m[3] ?? ''}:L1`;
    if (!firings.has(subject)) firings.set(subject, r.created_at);
  }
  for (const [subject, at] of firings) await db.insertInto('timer_firings').values({ kind: 'ack', subject, fired_at: at }).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('remediation_items').dropColumn('overdue_since').execute();
  await db.schema.dropTable('timer_firings').ifExists().execute();
}
