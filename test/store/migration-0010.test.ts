/**
 * Migration 0010 on a store that has data: a store migrated up to 0005, holding remediation items
 * (one with a ticket ref typed by hand) and their notifications, brought up to date. The rows are
 * as they were, the `tickets` table exists and is empty (a hand-typed ref is not synced), and a
 * ticket message delivered after the upgrade is found by its key and its item.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import { openTickets, saveTicket, ticketsByRef } from '../../src/store/repositories/tickets.js';
import type { RemediationItem } from '../../src/store/schema.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

describe.each(ENGINES)('migration 0010 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  const storeAt0005 = (): Promise<Store> => storeMigratedTo(engine, 'm0010', migrationsUpTo('0005-one-acknowledgment-per-role'));

  // a remediation item as 0005 stored it (without overdue_since, which 0011 adds)
  const item = (id: string, ticket: string | null): Omit<RemediationItem, 'overdue_since'> => ({
    id, incident_id: 'INC-2026-0001', weakness_id: 'WK-0001', finding_id: null, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'patch',
    due: '2026-12-28', ticket, status: 'open', created_at: '2026-11-28T12:00:00.000Z', updated_at: '2026-11-28T12:00:00.000Z',
  });

  it('keeps every row, adds an empty tickets table, and a ticket recorded afterwards is found by key and item', async () => {
    store = await storeAt0005();
    await (store.db as unknown as Kysely<{ remediation_items: Omit<RemediationItem, 'overdue_since'> }>).insertInto('remediation_items').values([item('RI-0001', 'OPS-77'), item('RI-0002', null)]).execute();
    await store.db.insertInto('notifications').values({
      id: 'NT-0001', incident_id: 'INC-2026-0001', purpose: 'reportout', role: 'vuln_mgmt_owner', channel: 'file', address: 'vm', subject: 's', body: 'b',
      idempotency_key: 'reportout:INC-2026-0001:r1:vuln_mgmt_owner:file:vm', status: 'delivered', attempts: 1, next_attempt_at: null, message_id: 'm', last_error: null,
      created_at: '2026-11-28T12:00:00.000Z', sent_at: null, delivered_at: null,
    }).execute();

    await migrateToLatest(store);

    expect(await store.db.selectFrom('remediation_items').select(['id', 'ticket', 'status']).orderBy('id').execute()).toEqual([
      { id: 'RI-0001', ticket: 'OPS-77', status: 'open' },
      { id: 'RI-0002', ticket: null, status: 'open' },
    ]);
    expect(await store.db.selectFrom('notifications').select(['id', 'status']).execute()).toEqual([{ id: 'NT-0001', status: 'delivered' }]);
    expect(await store.db.selectFrom('tickets').selectAll().execute()).toEqual([]);
    expect(await openTickets(store.db)).toEqual([]);

    const row = { notification_id: 'NT-0002', system: 'jira' as const, key: 'SEC-1', external_id: '10001', url: null, incident_id: 'INC-2026-0001', item_id: 'RI-0002', external_status: null, synced_at: null, created_at: '2026-11-29T12:00:00.000Z' };
    await saveTicket(store.db, row);
    await saveTicket(store.db, { ...row, url: 'https://x.atlassian.net/browse/SEC-1' });
    expect(await ticketsByRef(store.db, 'jira', 'SEC-1')).toEqual([{ ...row, url: 'https://x.atlassian.net/browse/SEC-1' }]);
    expect(await ticketsByRef(store.db, 'jira', '10001')).toHaveLength(1);
    expect(await ticketsByRef(store.db, 'servicenow', 'SEC-1')).toEqual([]);
    expect((await openTickets(store.db)).map((t) => t.item_id)).toEqual(['RI-0002']);
  });
});
