/**
 * Migration 0011 on a store that has data: a store migrated up to 0005 whose server had already
 * sent acknowledgment reminders, and a remediation item, brought up to date. The reminders become
 * fired first levels (an upgraded server does not remind again); the item gains `overdue_since`.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import type { NotificationsTable } from '../../src/store/tables/notifications.table.js';
import type { RemediationItemsTable } from '../../src/store/tables/remediation-items.table.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

describe.each(ENGINES)('migration 0011 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  const reminder = (id: string, key: string, at: string) => ({
    id, incident_id: 'INC-2026-0001', purpose: 'reminder' as const, role: 'vuln_mgmt_owner', channel: 'file', address: './outbox/x', subject: 's', body: 'b',
    idempotency_key: key, status: 'delivered' as const, attempts: 1, created_at: at,
  });

  it('turns reminders already sent into fired first levels, and adds overdue_since to items', async () => {
    store = await storeMigratedTo(engine, 'm0011', migrationsUpTo('0005-one-acknowledgment-per-role'));
    const db = store.db as unknown as Kysely<{ notifications: NotificationsTable; remediation_items: Omit<RemediationItemsTable, 'overdue_since'> }>;
    await db.insertInto('notifications').values([
      reminder('NT-0001', 'reminder:INC-2026-0001:r1:vuln_mgmt_owner:file:./outbox/vuln_mgmt_owner', '2026-11-03T10:00:00.000Z'),
      reminder('NT-0002', 'reminder:INC-2026-0001:r1:vuln_mgmt_owner:email:vm@example.org', '2026-11-03T10:00:00.000Z'),
      reminder('NT-0003', 'reminder-lead:INC-2026-0001:r1:vuln_mgmt_owner:file:./outbox/ir_lead', '2026-11-03T10:00:00.000Z'),
      reminder('NT-0004', 'reminder:INC-2026-0001:r2:grc_contact:file:./outbox/grc_contact', '2026-11-06T10:00:00.000Z'),
    ]).execute();
    await db.insertInto('remediation_items').values({
      id: 'RI-0001', incident_id: 'INC-2026-0001', weakness_id: null, finding_id: null, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'patched',
      due: '2026-11-10', ticket: null, status: 'open', created_at: '2026-11-01T10:00:00.000Z', updated_at: '2026-11-01T10:00:00.000Z',
    }).execute();

    await migrateToLatest(store);

    const fired = await store.db.selectFrom('timer_firings').selectAll().orderBy('subject').execute();
    expect(fired).toEqual([
      { kind: 'ack', subject: 'INC-2026-0001:r1:vuln_mgmt_owner:L1', fired_at: '2026-11-03T10:00:00.000Z' },
      { kind: 'ack', subject: 'INC-2026-0001:r2:grc_contact:L1', fired_at: '2026-11-06T10:00:00.000Z' },
    ]);
    const item = await store.db.selectFrom('remediation_items').select(['id', 'due', 'overdue_since']).executeTakeFirstOrThrow();
    expect(item).toEqual({ id: 'RI-0001', due: '2026-11-10', overdue_since: null });
    // the key makes a second firing of one timer impossible
    await expect(store.db.insertInto('timer_firings').values({ kind: 'ack', subject: 'INC-2026-0001:r1:vuln_mgmt_owner:L1', fired_at: '2026-11-07T00:00:00.000Z' }).execute()).rejects.toThrow(/unique|UNIQUE|duplicate/);
  });
});
