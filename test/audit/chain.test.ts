import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit, appendAuditMany, verifyChain } from '../../src/audit/chain.js';
import { canonicalJson } from '../../src/audit/canonical.js';
import type { Engine, Store } from '../../src/store/db.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const contexts: TestContext[] = [];

async function seeded(engine: Engine, count = 6): Promise<Store> {
  const t = await makeTestContext(engine, { label: 'audit' });
  contexts.push(t);
  const store = t.ctx.store;
  for (let i = 1; i <= count; i += 1) {
    await store.db.transaction().execute((trx) =>
      appendAudit(trx, { at: `2026-11-28T10:00:0${i}Z`, actor: 'lead', action: 'incident.opened', entityType: 'incident', entityId: `INC-2026-000${i}`, incidentId: `INC-2026-000${i}`, state: { n: i } }),
    );
  }
  return store;
}

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":2,"z":1}]},"b":1}');
  });
});

describe.each(ENGINES)('audit chain on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    for (const t of contexts.splice(0)) await t.cleanup();
    store = null;
  });

  it('verifies an untouched chain', async () => {
    store = await seeded(engine);
    const r = await verifyChain(store.db);
    expect(r).toMatchObject({ ok: true, events: 6, firstBad: null });
    expect(r.headHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('links each event to the one before', async () => {
    store = await seeded(engine);
    const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    for (let i = 1; i < rows.length; i += 1) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
  });

  const tamperings: [string, string, number][] = [
    ['an edited actor', `UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`, 3],
    ['an edited digest', `UPDATE audit_events SET digest = '${'a'.repeat(64)}' WHERE seq = 5`, 5],
    ['an edited hash', `UPDATE audit_events SET hash = '${'b'.repeat(64)}' WHERE seq = 2`, 2],
    ['a deleted middle row', `DELETE FROM audit_events WHERE seq = 4`, 4],
    ['a deleted last row', `DELETE FROM audit_events WHERE seq = 6`, 6],
    ['a deleted first row', `DELETE FROM audit_events WHERE seq = 1`, 1],
    ['two rows swapped', `UPDATE audit_events SET seq = -2 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = -2`, 2],
    ['a renumbered tail (deletion hidden by shifting seq)', `DELETE FROM audit_events WHERE seq = 3; UPDATE audit_events SET seq = seq - 1 WHERE seq > 3`, 3],
  ];

  it.each(tamperings)('detects %s and names the first bad sequence number', async (_what, statement, firstBad) => {
    store = await seeded(engine);
    for (const s of statement.split(';')) {
      if (s.trim() === '') continue;
      // a renumbering UPDATE must not collide with the primary key mid-statement on PostgreSQL
      if (engine === 'postgres' && s.includes('seq = seq - 1')) {
        await sql.raw('UPDATE audit_events SET seq = -seq WHERE seq > 3').execute(store.db);
        await sql.raw('UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0').execute(store.db);
        continue;
      }
      await sql.raw(s).execute(store.db);
    }
    const r = await verifyChain(store.db);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toBe(firstBad);
    expect(r.problem).toContain(String(firstBad));
  });

  it('keeps appending correctly after many events (paged verification)', async () => {
    store = await seeded(engine, 25);
    const r = await verifyChain(store.db, 7);
    expect(r).toMatchObject({ ok: true, events: 25 });
  });

  it('chains the events of concurrent transactions, each appending several', async () => {
    store = await seeded(engine, 1);
    const s = store;
    const event = (t: number, i: number) => ({ at: `2026-11-28T12:0${t}:0${i}Z`, actor: `actor-${t}`, action: 'x', entityType: 'incident', entityId: `INC-2026-00${t}${i}`, incidentId: null, state: { t, i } });
    // on PostgreSQL each transaction has a connection of its own: they wait on the sequence's row lock
    await Promise.all(
      [1, 2, 3, 4].map((t) =>
        s.db.transaction().execute(async (trx) => {
          for (let i = 1; i <= 3; i += 1) {
            await appendAudit(trx, event(t, i));
            await trx.selectFrom('audit_events').select('seq').execute();
          }
        }),
      ),
    );
    const r = await verifyChain(s.db);
    expect(r).toMatchObject({ ok: true, events: 13, firstBad: null });
    const rows = await s.db.selectFrom('audit_events').select(['seq', 'actor']).orderBy('seq').execute();
    expect(rows.map((x) => x.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    // each transaction's three events are consecutive: it held the sequence until it committed
    for (const t of [1, 2, 3, 4]) {
      const seqs = rows.filter((x) => x.actor === `actor-${t}`).map((x) => x.seq);
      expect(seqs).toHaveLength(3);
      expect(seqs[2]! - seqs[0]!).toBe(2);
    }
  });

  it('appends many events at once exactly as one by one, and chains on either side of them', async () => {
    const inputs = Array.from({ length: 1234 }, (_, i) => ({ at: '2026-11-28T12:00:00Z', actor: 'vm', action: `a.${i % 7}`, entityType: 'thing', entityId: `T-${i}`, incidentId: i % 2 ? null : 'INC-2026-0001', state: { i } }));
    const one = await seeded(engine, 2);
    for (const input of inputs.slice(0, 1000)) await one.db.transaction().execute((trx) => appendAudit(trx, input));
    await one.db.transaction().execute(async (trx) => {
      for (const input of inputs.slice(1000)) await appendAudit(trx, input);
    });
    const byOne = await one.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    await one.close();
    store = await seeded(engine, 2);
    const s = store;
    // in separate transactions (the predecessor read back) and in one (the predecessor remembered)
    await s.db.transaction().execute((trx) => appendAuditMany(trx, inputs.slice(0, 1000)));
    await s.db.transaction().execute(async (trx) => {
      await appendAudit(trx, inputs[1000]!);
      await appendAuditMany(trx, inputs.slice(1001, 1200));
      await appendAuditMany(trx, []);
      for (const input of inputs.slice(1200)) await appendAudit(trx, input);
    });
    const atOnce = await s.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    expect(atOnce).toHaveLength(2 + inputs.length);
    expect(atOnce).toEqual(byOne);
    expect(await verifyChain(s.db)).toMatchObject({ ok: true, events: 2 + inputs.length });
  });

  it('rolls back the audit event with the change when the transaction fails', async () => {
    store = await seeded(engine, 2);
    const s = store;
    await expect(
      s.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { at: '2026-11-28T11:00:00Z', actor: 'lead', action: 'x', entityType: 'incident', entityId: 'INC-2026-0009', incidentId: null, state: {} });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const r = await verifyChain(s.db);
    expect(r).toMatchObject({ ok: true, events: 2 });
  });
});
