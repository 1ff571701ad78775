/**
 * Migration 0014 on a store that has data: a store migrated up to 0013 holding an incident and a
 * remediation item, brought up to date. The rows are as they were, the four health-check tables
 * exist and are empty, and a check with a sample, a note and a control finding is stored and read back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import { controlFindingsOf, findHealthCheck, insertControlFindings, insertHealthCheck, insertHealthCheckNote, insertHealthCheckSamples, latestHealthCheck, notesOf, samplesOf } from '../../src/store/repositories/health-checks.js';
import { ENGINES } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

const AT = '2026-11-28T12:00:00.000Z';

describe.each(ENGINES)('migration 0014 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  it('keeps every row, adds empty health-check tables, and stores a check afterwards', async () => {
    store = await storeMigratedTo(engine, 'm0014', migrationsUpTo('0013-signed-checkpoints'));
    await store.db.insertInto('incidents').values({
      id: 'INC-2026-0001', title: 'T', severity: 'high', state: 'closed', service: null, ir_lead: null, determination: 'incident', determination_rationale: null,
      none_identified_rationale: 'none', reportout_opened_at: AT, reportout_sent_at: AT, gate_flags: null, opened_by: 'lead', created_at: AT, updated_at: AT, closed_at: AT,
    }).execute();
    await store.db.insertInto('remediation_items').values({
      id: 'RI-0001', incident_id: 'INC-2026-0001', weakness_id: null, finding_id: null, owner_role: 'ir_lead', assignee: 'lead', criteria: 'c', due: null, ticket: null,
      status: 'open', overdue_since: null, created_at: AT, updated_at: AT,
    }).execute();

    await migrateToLatest(store);

    expect(await store.db.selectFrom('incidents').select(['id', 'state']).execute()).toEqual([{ id: 'INC-2026-0001', state: 'closed' }]);
    expect(await store.db.selectFrom('remediation_items').select(['id', 'status']).execute()).toEqual([{ id: 'RI-0001', status: 'open' }]);
    for (const table of ['health_checks', 'health_check_samples', 'health_check_notes', 'control_findings'] as const) {
      expect(await store.db.selectFrom(table).selectAll().execute(), table).toEqual([]);
    }
    expect(await latestHealthCheck(store.db)).toBeUndefined();

    const check = {
      id: 'HC-0001', period_from: '2026-11-01', period_to: '2026-11-30', sample_size: 5, seed: 's', stratify: 'severity', method: 'm', strata: '[]',
      population: 1, sampled: 1, passed: 0, control_id: 'IR-6(2)', control_version: 1, created_by: 'grc', created_at: AT,
    };
    await insertHealthCheck(store.db, check);
    const sample = { health_check_id: 'HC-0001', incident_id: 'INC-2026-0001', position: 1, stratum: 'high', answers: '{}', passed: 0, reopened: 0 };
    await insertHealthCheckSamples(store.db, [sample]);
    await expect(insertHealthCheckSamples(store.db, [sample])).rejects.toThrow();
    const note = { id: 'HN-0001', health_check_id: 'HC-0001', incident_id: 'INC-2026-0001', author: 'auditor', text: 'n', created_at: AT };
    await insertHealthCheckNote(store.db, note);
    const finding = { id: 'CF-0001', health_check_id: 'HC-0001', incident_id: 'INC-2026-0001', question: 'evidence', subject: null, message: 'm', owner_role: 'ir_lead', remediation_item_id: 'RI-0001', created_at: AT };
    await insertControlFindings(store.db, [finding]);
    expect(await findHealthCheck(store.db, 'HC-0001')).toEqual(check);
    expect(await samplesOf(store.db, 'HC-0001')).toEqual([sample]);
    expect(await notesOf(store.db, 'HC-0001')).toEqual([note]);
    expect(await controlFindingsOf(store.db, 'HC-0001')).toEqual([finding]);
  });
});
