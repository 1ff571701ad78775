/**
 * Migration 0010 on a store that has data: a store migrated up to 0005, holding remediation items
 * (one with a ticket ref typed by hand) and their notifications, brought up to date. The rows are
 * as they were, the `tickets` table exists and is empty (a hand-typed ref is not synced), and a
 * ticket message delivered after the upgrade is found by its key and its item.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.js';
import * as m0001 from '../../src/store/migrations/0001-initial.js';
import * as m0002 from '../../src/store/migrations/0002-replayable-decisions.js';
import * as m0003 from '../../src/store/migrations/0003-remediation-by-finding.js';
import * as m0004 from '../../src/store/migrations/0004-incidents-by-creation.js';
import * as m0005 from '../../src/store/migrations/0005-one-acknowledgment-per-role.js';
import { openTickets, saveTicket, ticketsByRef } from '../../src/store/repositories/tickets.js';
import type { RemediationItem } from '../../src/store/schema.js';
import { ENGINES, testPgUrl } from '../helpers/context.js';

const UP_TO_0005: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-replayable-decisions': m0002,
  '0003-remediation-by-finding': m0003,
  '0004-incidents-by-creation': m0004,
  '0005-one-acknowledgment-per-role': m0005,
};

describe.each(ENGINES)('migration 0010 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    if (store?.schema) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    await store?.close();
    store = null;
  });

  async function storeAt0005(): Promise<Store> {
    let url: string;
    if (engine === 'sqlite') url = path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-m0010-')), 'closeloop.db');
    else {
      const u = testPgUrl();
      u.searchParams.set('schema', `t_m0010_${process.pid}_${Date.now()}`);
      url = u.toString();
    }
    const s = await openStore({ url, migrate: false });
    const migrator = new Migrator({ db: s.db, provider: { getMigrations: async () => UP_TO_0005 }, ...(s.schema !== null ? { migrationTableSchema: s.schema } : {}) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw new Error(`migrating to 0005 failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
    return s;
  }

  const item = (id: string, ticket: string | null): RemediationItem => ({
    id, incident_id: 'INC-2026-0001', weakness_id: 'WK-0001', finding_id: null, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'patch',
    due: '2026-12-28', ticket, status: 'open', created_at: '2026-11-28T12:00:00.000Z', updated_at: '2026-11-28T12:00:00.000Z',
  });

  it('keeps every row, adds an empty tickets table, and a ticket recorded afterwards is found by key and item', async () => {
    store = await storeAt0005();
    await store.db.insertInto('remediation_items').values([item('RI-0001', 'OPS-77'), item('RI-0002', null)]).execute();
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
