/**
 * Migration 0008 on a store that has data: a store migrated up to 0005, holding incidents that
 * escalation grouped by asset and vulnerability pairs (decisions linked, handoff notes sent), then
 * brought up to date and escalated into.
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import { incidentsOfKeys, lastHandoffRevisions } from '../../src/store/repositories/triage-handoff.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';
import type { DecisionsTable } from '../../src/store/tables/decisions.table.js';

describe.each(ENGINES)('migration 0008 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  const storeAt0005 = (): Promise<Store> => storeMigratedTo(engine, 'm0008', migrationsUpTo('0005-one-acknowledgment-per-role'));

  const at = '2026-11-01T10:00:00.000Z';
  const incident = (id: string, state: 'reported' | 'closed') => ({
    id, title: `Escalation ${id}`, severity: 'high' as const, state, service: null, ir_lead: null, determination: null, determination_rationale: null,
    none_identified_rationale: null, reportout_opened_at: null, reportout_sent_at: null, gate_flags: null, opened_by: 'vm', created_at: at, updated_at: at, closed_at: state === 'closed' ? at : null,
  });
  const decision = (id: string, finding: string, asset: string, vulnerability: string, incidentId: string | null) => ({
    id, finding_id: finding, asset_id: asset, vulnerability_id: vulnerability, outcome: 'escalate' as const, triggers: '["dangerous_exposure"]', stay_reasons: '[]', flags: '[]',
    next_actions: '["patch"]', ssvc: 'Act', evidence: '[]', ruleset_version: '2026.11.1', input_hash: `sha256:${id}`, snapshot: 'null', incident_id: incidentId, decided_at: at,
  });

  it('lists the asset and vulnerability of every linked decision as the incident\'s keys and gives incidents with notes their revision 1', async () => {
    store = await storeAt0005();
    const db = store.db;
    // the decisions table as 0005 left it: without the engine version that 0007 adds
    const at0005 = store.db as unknown as Kysely<{ decisions: Omit<DecisionsTable, 'engine_version'> }>;
    await db.insertInto('incidents').values([incident('INC-2026-0001', 'reported'), incident('INC-2026-0002', 'closed'), incident('INC-2026-0003', 'reported')]).execute();
    await at0005.insertInto('decisions').values([
      decision('TR-0001/0000001', 'F-1', 'web-01', 'CVE-2021-41773', 'INC-2026-0001'),
      decision('TR-0001/0000002', 'F-2', 'web-01', 'CVE-2021-41773', 'INC-2026-0001'),
      decision('TR-0001/0000003', 'F-3', 'web-02', 'CVE-2021-41773', 'INC-2026-0002'),
      decision('TR-0001/0000004', 'F-4', 'web-03', 'CVE-2099-0001', null),
    ]).execute();
    await db.insertInto('handoff_notes').values([
      { id: 'HO-0001', incident_id: 'INC-2026-0001', decision_id: 'TR-0001/0000001', markdown: '# note', json: '{}', created_at: at },
      { id: 'HO-0002', incident_id: 'INC-2026-0001', decision_id: 'TR-0001/0000002', markdown: '# note', json: '{}', created_at: '2026-11-02T10:00:00.000Z' },
      { id: 'HO-0003', incident_id: 'INC-2026-0002', decision_id: 'TR-0001/0000003', markdown: '# note', json: '{}', created_at: at },
    ]).execute();

    await migrateToLatest(store);

    const keys = await db.selectFrom('incident_keys').select(['incident_id', 'key']).orderBy('incident_id').orderBy('key').execute();
    expect(keys).toEqual([
      { incident_id: 'INC-2026-0001', key: 'asset:web-01' },
      { incident_id: 'INC-2026-0001', key: 'vuln:CVE-2021-41773' },
      { incident_id: 'INC-2026-0002', key: 'asset:web-02' },
      { incident_id: 'INC-2026-0002', key: 'vuln:CVE-2021-41773' },
    ]);
    // the grouping lookup finds the open incident of a key and the closed one a new incident follows
    expect((await incidentsOfKeys(db, ['vuln:CVE-2021-41773', 'asset:web-02', 'asset:web-03'])).sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'asset:web-02', open: null, closed: 'INC-2026-0002' },
      { key: 'vuln:CVE-2021-41773', open: 'INC-2026-0001', closed: 'INC-2026-0002' },
    ]);
    expect(await lastHandoffRevisions(db, ['INC-2026-0001', 'INC-2026-0002', 'INC-2026-0003'])).toEqual(new Map([['INC-2026-0001', 1], ['INC-2026-0002', 1]]));
    const first = await db.selectFrom('handoff_revisions').select(['incident_id', 'created_at', 'added']).where('incident_id', '=', 'INC-2026-0001').executeTakeFirstOrThrow();
    expect(first).toEqual({ incident_id: 'INC-2026-0001', created_at: at, added: '[]' });
    expect(await db.selectFrom('incident_follows').selectAll().execute()).toEqual([]);
    // a key is listed once per incident
    await expect(db.insertInto('incident_keys').values({ incident_id: 'INC-2026-0001', key: 'asset:web-01' }).execute()).rejects.toThrow(/unique|UNIQUE|duplicate/);
  });
});
