/**
 * Migration 0005 on a store that has data: a store migrated up to 0004, holding acknowledgments
 * of two report-out revisions and a duplicate that a race let in, then brought up to date.
 */
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import type { AcknowledgmentsTable } from '../../src/store/tables/acknowledgments.table.js';
import type { NotificationsTable } from '../../src/store/tables/notifications.table.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

describe.each(ENGINES)('migration 0005 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  const storeAt0004 = (): Promise<Store> => storeMigratedTo(engine, 'm0005', migrationsUpTo('0004-incidents-by-creation'));

  const note = (id: string, incident: string, revision: number, role: string, at: string) => ({
    id, incident_id: incident, purpose: 'reportout' as const, role, channel: 'file', address: `${role}@example.org`, subject: 's', body: 'b',
    idempotency_key: `reportout:${incident}:r${revision}:${role}:file:${role}@example.org`, status: 'delivered' as const, attempts: 1, created_at: at,
  });
  const ack = (id: string, incident: string, role: string, actor: string, at: string) => ({ id, incident_id: incident, role, actor, comment: null, at });

  it('records each acknowledgment\'s revision, keeps a duplicate aside and then holds one per role', async () => {
    store = await storeAt0004();
    // the tables as 0004 left them: acknowledgments without `revision`
    const db = store.db as unknown as Kysely<{ notifications: NotificationsTable; acknowledgments: Omit<AcknowledgmentsTable, 'revision'> }>;
    await db.insertInto('notifications').values([
      note('NT-0001', 'INC-2026-0001', 1, 'ir_lead', '2026-11-01T10:00:00.000Z'),
      note('NT-0002', 'INC-2026-0001', 2, 'ir_lead', '2026-11-03T10:00:00.000Z'),
      note('NT-0003', 'INC-2026-0002', 1, 'service_owner', '2026-11-01T10:00:00.000Z'),
    ]).execute();
    await db.insertInto('acknowledgments').values([
      ack('AK-0001', 'INC-2026-0001', 'ir_lead', 'lead', '2026-11-02T10:00:00.000Z'),
      ack('AK-0002', 'INC-2026-0002', 'service_owner', 'so', '2026-11-02T10:00:00.000Z'),
      ack('AK-0003', 'INC-2026-0002', 'service_owner', 'so2', '2026-11-02T10:00:00.500Z'),
      ack('AK-0004', 'INC-2026-0001', 'grc_contact', 'grc', '2026-11-04T10:00:00.000Z'),
    ]).execute();

    await migrateToLatest(store);

    const rows = await store.db.selectFrom('acknowledgments').select(['id', 'role', 'actor', 'revision']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'AK-0001', role: 'ir_lead', actor: 'lead', revision: 1 },
      { id: 'AK-0002', role: 'service_owner', actor: 'so', revision: 1 },
      { id: 'AK-0004', role: 'grc_contact', actor: 'grc', revision: 2 },
    ]);
    const aside = await sql<{ id: string; actor: string; revision: number }>`SELECT id, actor, revision FROM acknowledgments_duplicate`.execute(store.db);
    expect(aside.rows.map((r) => [r.id, r.actor, Number(r.revision)])).toEqual([['AK-0003', 'so2', 1]]);
    // the key now refuses a second acknowledgment of a role
    await expect(
      store.db.insertInto('acknowledgments').values({ ...ack('AK-0005', 'INC-2026-0001', 'ir_lead', 'lead2', '2026-11-05T10:00:00.000Z'), revision: 2 }).execute(),
    ).rejects.toThrow(/unique|UNIQUE/);
  });
});
