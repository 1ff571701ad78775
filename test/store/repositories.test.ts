import { afterEach, describe, expect, it } from 'vitest';
import { bumpCounter, counterValue } from '../../src/store/counters.js';
import { appendRemediationHistory, insertRemediationItem, remediationHistoryOfIncident } from '../../src/store/repositories/remediation.js';
import { insertThirdPartyNotice, noticeOfWeakness } from '../../src/store/repositories/third-party-notices.js';
import type { RemediationItem, ThirdPartyNotice } from '../../src/store/schema.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

/**
 * The repository functions with logic of their own; the plain reads and writes are exercised by
 * the use-case tests on both engines.
 */

const item = (id: string, incident: string): RemediationItem => ({
  id,
  incident_id: incident,
  weakness_id: null,
  finding_id: null,
  owner_role: 'service_owner',
  assignee: 'so',
  criteria: 'patched',
  due: null,
  ticket: null,
  status: 'open',
  overdue_since: null,
  created_at: '2026-11-28T12:00:00.000Z',
  updated_at: '2026-11-28T12:00:00.000Z',
});

const notice = (id: string, weakness: string): ThirdPartyNotice => ({
  id,
  incident_id: 'INC-2026-0001',
  weakness_id: weakness,
  vendor: 'acme',
  channel: null,
  status: 'pending',
  sent_at: null,
  response: null,
  responded_at: null,
  chased_at: null,
  tracking_item: null,
  created_at: '2026-11-28T12:00:00.000Z',
});

describe.each(ENGINES)('repositories on %s', (engine) => {
  let t: TestContext | null = null;
  afterEach(async () => {
    await t?.cleanup();
    t = null;
  });

  it('numbers each remediation item’s history from 1, item by item, and reads an incident’s back in order', async () => {
    t = await makeTestContext(engine, { label: 'repos' });
    const db = t.ctx.store.db;
    await insertRemediationItem(db, item('RI-0001', 'INC-2026-0001'));
    await insertRemediationItem(db, item('RI-0002', 'INC-2026-0001'));
    await insertRemediationItem(db, item('RI-0003', 'INC-2026-0002'));
    const at = (m: number) => `2026-11-28T12:0${m}:00.000Z`;
    expect(await appendRemediationHistory(db, { itemId: 'RI-0002', status: 'open', actor: 'so', at: at(1) })).toBe(1);
    expect(await appendRemediationHistory(db, { itemId: 'RI-0001', status: 'open', actor: 'so', at: at(2) })).toBe(1);
    expect(await appendRemediationHistory(db, { itemId: 'RI-0002', status: 'in_progress', actor: 'ops', at: at(3) })).toBe(2);
    expect(await appendRemediationHistory(db, { itemId: 'RI-0003', status: 'open', actor: 'so', at: at(4) })).toBe(1);
    expect(
      await db.transaction().execute((trx) => appendRemediationHistory(trx, { itemId: 'RI-0002', status: 'resolved', actor: 'ops', at: at(5) })),
    ).toBe(3);
    expect((await remediationHistoryOfIncident(db, 'INC-2026-0001')).map((h) => [h.item_id, Number(h.seq), h.status, h.actor])).toEqual([
      ['RI-0001', 1, 'open', 'so'],
      ['RI-0002', 1, 'open', 'so'],
      ['RI-0002', 2, 'in_progress', 'ops'],
      ['RI-0002', 3, 'resolved', 'ops'],
    ]);
    expect(await remediationHistoryOfIncident(db, 'INC-2026-0009')).toEqual([]);
  });

  it('finds a weakness’s notice by the lowest id, and none for a weakness without one', async () => {
    t = await makeTestContext(engine, { label: 'repos' });
    const db = t.ctx.store.db;
    await insertThirdPartyNotice(db, notice('TP-0002', 'WK-0001'));
    await insertThirdPartyNotice(db, notice('TP-0001', 'WK-0001'));
    expect((await noticeOfWeakness(db, 'WK-0001'))?.id).toBe('TP-0001');
    expect(await noticeOfWeakness(db, 'WK-0002')).toBeUndefined();
  });

  it('reads a counter’s last value without taking one: 0 before its first use', async () => {
    t = await makeTestContext(engine, { label: 'repos' });
    const db = t.ctx.store.db;
    expect(await counterValue(db, 'x')).toBe(0);
    await bumpCounter(db, 'x');
    await bumpCounter(db, 'x');
    expect(await counterValue(db, 'x')).toBe(2);
    expect(await counterValue(db, 'x')).toBe(2);
    expect(await bumpCounter(db, 'x')).toBe(3);
  });
});
