/**
 * Migration 0009 on a store that has data: a store migrated up to 0005, holding queued, delivered
 * and failed messages with their attempts and an acknowledgment, then brought up to date.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import type { AcknowledgmentsTable } from '../../src/store/tables/acknowledgments.table.js';
import type { NotificationAttemptsTable } from '../../src/store/tables/notification-attempts.table.js';
import type { NotificationsTable } from '../../src/store/tables/notifications.table.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

/** The tables as 0005 left them. */
type Before = {
  notifications: Omit<NotificationsTable, 'event' | 'subject_ref' | 'proof' | 'round_start' | 'incident_id'> & { incident_id: string };
  notification_attempts: Omit<NotificationAttemptsTable, 'channel' | 'status' | 'message_id'>;
  acknowledgments: Omit<AcknowledgmentsTable, 'via'>;
};

describe.each(ENGINES)('migration 0009 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });


  const note = (id: string, status: 'queued' | 'delivered' | 'failed', attempts: number) => ({
    id, incident_id: 'INC-2026-0001', purpose: 'reportout' as const, role: 'service_owner', channel: 'file', address: './outbox/service_owner', subject: `s ${id}`, body: `b ${id}`,
    idempotency_key: `reportout:INC-2026-0001:r1:service_owner:file:${id}`, status, attempts, next_attempt_at: status === 'queued' ? '2026-11-01T10:05:00.000Z' : null,
    message_id: status === 'delivered' ? `file:${id}.txt` : null, last_error: status === 'failed' ? 'disk full' : null, created_at: '2026-11-01T10:00:00.000Z',
    sent_at: null, delivered_at: status === 'delivered' ? '2026-11-01T10:01:00.000Z' : null,
  });

  it('keeps every message, attempt and acknowledgment, fills the attempts\' channel, and lets a message stand without an incident', async () => {
    store = await storeMigratedTo(engine, 'm0009', migrationsUpTo('0005-one-acknowledgment-per-role'));
    const db = store.db as unknown as Kysely<Before>;
    await db.insertInto('notifications').values([note('NT-0001', 'delivered', 1), note('NT-0002', 'failed', 2), note('NT-0003', 'queued', 0)]).execute();
    await db.insertInto('notification_attempts').values([
      { notification_id: 'NT-0001', attempt: 1, at: '2026-11-01T10:01:00.000Z', outcome: 'delivered', detail: 'file:NT-0001.txt' },
      { notification_id: 'NT-0002', attempt: 1, at: '2026-11-01T10:01:00.000Z', outcome: 'error', detail: 'disk full' },
      { notification_id: 'NT-0002', attempt: 2, at: '2026-11-01T10:02:00.000Z', outcome: 'error', detail: 'disk full' },
    ]).execute();
    await db.insertInto('acknowledgments').values({ id: 'AK-0001', incident_id: 'INC-2026-0001', role: 'service_owner', actor: 'so', comment: null, at: '2026-11-02T10:00:00.000Z', revision: 1 }).execute();

    await migrateToLatest(store);

    const rows = await store.db.selectFrom('notifications').selectAll().orderBy('id').execute();
    expect(rows).toEqual([
      { ...note('NT-0001', 'delivered', 1), event: null, subject_ref: null, proof: null, round_start: 0 },
      { ...note('NT-0002', 'failed', 2), event: null, subject_ref: null, proof: null, round_start: 0 },
      { ...note('NT-0003', 'queued', 0), event: null, subject_ref: null, proof: null, round_start: 0 },
    ]);
    const attempts = await store.db.selectFrom('notification_attempts').selectAll().orderBy('notification_id').orderBy('attempt').execute();
    expect(attempts.map((a) => [a.notification_id, a.attempt, a.outcome, a.detail, a.channel, a.status, a.message_id])).toEqual([
      ['NT-0001', 1, 'delivered', 'file:NT-0001.txt', 'file', null, null],
      ['NT-0002', 1, 'error', 'disk full', 'file', null, null],
      ['NT-0002', 2, 'error', 'disk full', 'file', null, null],
    ]);
    expect(await store.db.selectFrom('acknowledgments').selectAll().execute()).toEqual([
      { id: 'AK-0001', incident_id: 'INC-2026-0001', role: 'service_owner', actor: 'so', comment: null, at: '2026-11-02T10:00:00.000Z', revision: 1, via: null },
    ]);

    // a message about no incident now fits; the idempotency key is still unique
    await store.db.insertInto('notifications').values({ ...note('NT-0004', 'queued', 0), incident_id: null, subject_ref: 'channel:file', idempotency_key: 'channel-test:1', event: '{"type":"channel.test","incident":null}', proof: null }).execute();
    expect(await store.db.selectFrom('notifications').select(['incident_id', 'subject_ref', 'round_start']).where('id', '=', 'NT-0004').executeTakeFirst()).toEqual({ incident_id: null, subject_ref: 'channel:file', round_start: 0 });
    await expect(store.db.insertInto('notifications').values({ ...note('NT-0005', 'queued', 0), idempotency_key: 'channel-test:1', event: null, subject_ref: null, proof: null }).execute()).rejects.toThrow(/unique|UNIQUE/);
    // a link works once: its id is the key
    const use = { token_id: 't1', incident_id: 'INC-2026-0001', role: 'service_owner', revision: 1, used_at: '2026-11-03T00:00:00.000Z' };
    await store.db.insertInto('ack_link_uses').values(use).execute();
    await expect(store.db.insertInto('ack_link_uses').values(use).execute()).rejects.toThrow(/unique|UNIQUE|duplicate/);
  });
});
