/**
 * Migration 0016 on a store that has data: a store migrated up to 0013, with records whose events
 * digested something else than their rows (or that have no event at all, or whose row is gone),
 * brought up to date. The baseline makes it verify as it stood; a later direct edit is reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditMany, verifyChain } from '../../src/audit/chain.js';
import { verifyEntityStates } from '../../src/audit/entity-state.js';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

const AT = '2026-11-01T10:00:00.000Z';

describe.each(ENGINES)('migration 0016 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  it('appends one baseline event per row, per entity whose row is gone and per set digest, so the store verifies', async () => {
    store = await storeMigratedTo(engine, 'm0016', migrationsUpTo('0013-signed-checkpoints'));
    const db = store.db;
    await db.insertInto('people').values({ name: 'alice', roles: '["admin"]', display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: AT, updated_at: AT, removed_at: null }).execute();
    await db.insertInto('incidents').values({
      id: 'INC-2026-0001', title: 'Leaked key', severity: 'high', state: 'triage', service: null, ir_lead: null, determination: null, determination_rationale: null, none_identified_rationale: null,
      reportout_opened_at: null, reportout_sent_at: null, gate_flags: null, opened_by: 'alice', created_at: AT, updated_at: AT, closed_at: null,
    }).execute();
    await db.insertInto('assets').values({
      id: 'api', name: 'api', service: null, owner: null, business_critical: 1, exposure: 'internet', auth_required: 0, privileged: 0, regulated: '[]', customer_facing: 1, safety: 0,
      third_party: null, telemetry: 1, components: '[]', extra: '{}', updated_at: AT, not_in_inventory: 0,
    }).execute();
    await db.transaction().execute((trx) =>
      appendAuditMany(trx, [
        // an event of the old kind: its digest is of what the use case said, not of the row
        { at: AT, actor: 'alice', action: 'incident.opened', entityType: 'incident', entityId: 'INC-2026-0001', incidentId: 'INC-2026-0001', state: { title: 'Leaked key' } },
        // an acknowledgment since superseded: its row is gone
        { at: AT, actor: 'alice', action: 'reportout.acknowledged', entityType: 'acknowledgment', entityId: 'AK-0001', incidentId: 'INC-2026-0001', state: { role: 'grc_contact' } },
      ]),
    );

    await migrateToLatest(store);

    const baseline = await db.selectFrom('audit_events').select(['entity_type', 'entity_id', 'actor', 'incident_id']).where('action', '=', 'audit.baseline').orderBy('seq').execute();
    expect(baseline).toEqual([
      { entity_type: 'entity_set', entity_id: 'asset', actor: 'closeloop', incident_id: null },
      { entity_type: 'incident', entity_id: 'INC-2026-0001', actor: 'closeloop', incident_id: 'INC-2026-0001' },
      { entity_type: 'acknowledgment', entity_id: 'AK-0001', actor: 'closeloop', incident_id: null },
      { entity_type: 'person', entity_id: 'alice', actor: 'closeloop', incident_id: null },
    ]);
    const sets = await db.selectFrom('entity_set_digests').select(['entity_type', 'row_count', 'writer_type', 'writer_id']).orderBy('entity_type').execute();
    expect(sets).toEqual([
      // findings and decisions are empty: no digest until a writer adds some
      { entity_type: 'asset', row_count: 1, writer_type: 'audit', writer_id: 'baseline' },
    ]);
    expect(await verifyChain(db)).toMatchObject({ ok: true, events: 6 });
    expect(await verifyEntityStates(db)).toEqual({ ok: true, checked: 4 + 3, problems: [] });

    // from here on a direct edit is reported
    await db.updateTable('incidents').set({ severity: 'low' }).where('id', '=', 'INC-2026-0001').execute();
    await db.updateTable('assets').set({ exposure: 'internal' }).where('id', '=', 'api').execute();
    expect((await verifyEntityStates(db)).problems).toEqual([
      expect.objectContaining({ entity_type: 'incident', entity_id: 'INC-2026-0001' }),
      expect.objectContaining({ entity_type: 'asset', entity_id: 'baseline', problem: expect.stringMatching(/^assets no longer match the set digest recorded by audit baseline/) }),
    ]);
  });
});
