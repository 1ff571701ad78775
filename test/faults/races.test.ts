/**
 * Races between two servers: every use case that checks state before it writes, run as many
 * concurrent pairs, each side through its own store (two `openStore` handles: two pools on one
 * PostgreSQL schema, or two handles on one SQLite file). Each pair must have exactly one winner
 * (or, where both may win, an outcome some serial order gives), the loser a 409 with the current
 * state in `details.current`, and the rows and audit events after must show no double outcome.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { importFile } from '../../src/app/importer.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { setFindingVerdict } from '../../src/app/finding-verdict.js';
import { decideRisk, requestRisk } from '../../src/app/followthrough.js';
import { closeIncident, moveIncident, openIncident, reopenIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from '../../src/app/reportout.js';
import { TIMERS } from '../../src/app/system-caller.js';
import { runTimers } from '../../src/app/timers.js';
import { addRemediation } from '../../src/app/followthrough.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ERROR_CODES, isClError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/db.js';
import { insertAcknowledgment } from '../../src/store/repositories/acknowledgments.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';

/** Concurrent pairs per use case. */
const PAIRS = 30;
const lead = { actor: 'lead' };

type Outcome = PromiseSettledResult<unknown>;

describe.each(ENGINES)('races between two servers on %s', (engine) => {
  let t: TestContext;
  let other: Store;
  /** The first server's context and the second's: the same configuration, each with its own store. */
  let a: AppContext;
  let b: AppContext;

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'races', config: { people: { so2: ['service_owner'], approver2: ['risk_approver'] } } });
    const u = testPgUrl();
    u.searchParams.set('schema', t.ctx.store.schema ?? '');
    other = await openStore({ url: engine === 'sqlite' ? path.join(t.dir, 'closeloop.db') : u.toString(), migrate: false });
    a = t.ctx;
    b = { ...t.ctx, store: other };
  });
  afterEach(async () => {
    await other.close();
    await t.cleanup();
  });

  const db = () => a.store.db;

  /** Runs every pair at once, each pair's two calls at once; the outcomes per pair. */
  async function race(pairs: (readonly [() => Promise<unknown>, () => Promise<unknown>])[]): Promise<[Outcome, Outcome][]> {
    return Promise.all(pairs.map(async ([x, y]) => {
      const [p, q] = await Promise.allSettled([x(), y()]);
      return [p, q] as [Outcome, Outcome];
    }));
  }

  /** The loser's refusal: a 409 that names the current state. */
  function expectConflict(o: Outcome, current?: unknown): void {
    expect(o.status).toBe('rejected');
    const reason: unknown = o.status === 'rejected' ? o.reason : null;
    if (!isClError(reason)) throw new Error(`not a ClError: ${String(reason)}`);
    expect(ERROR_CODES[reason.code].status).toBe(409);
    expect(reason.details).toHaveProperty('current');
    if (current !== undefined) expect(reason.details).toMatchObject({ current });
  }

  /** Exactly one of each pair fulfilled; the other refused with a 409 naming the current state. */
  function expectOneWinner(outcomes: [Outcome, Outcome][], current?: (winner: number) => unknown): number[] {
    return outcomes.map(([p, q]) => {
      const won = [p, q].filter((o) => o.status === 'fulfilled').length;
      expect(won).toBe(1);
      const winner = p.status === 'fulfilled' ? 0 : 1;
      expectConflict(winner === 0 ? q : p, current?.(winner));
      return winner;
    });
  }

  async function auditCount(action: string, entityIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await db().selectFrom('audit_events').select(['entity_id']).where('action', '=', action).where('entity_id', 'in', entityIds).execute();
    const n = new Map<string, number>();
    for (const r of rows) n.set(r.entity_id, (n.get(r.entity_id) ?? 0) + 1);
    return n;
  }

  async function auditSeq(action: string, entityId: string): Promise<number | undefined> {
    const row = await db().selectFrom('audit_events').select('seq').where('action', '=', action).where('entity_id', '=', entityId).executeTakeFirst();
    return row === undefined ? undefined : Number(row.seq);
  }

  async function incidents(n: number, upTo: readonly ('triage' | 'eradication')[] = []): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = (await openIncident(a, lead, { title: `race ${i}`, severity: 'moderate', assets: ['web-1'] })).id;
      for (const state of upTo) await moveIncident(a, lead, { id, state });
      ids.push(id);
    }
    return ids;
  }

  const weakness = (incident: string, notes = 'no MFA') => ({ incident, type: 'identity_access' as const, relation: 'enabled' as const, assets: ['web-1'], notes, action: 'enforce MFA' });

  async function requestedRisks(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (const incident of await incidents(n)) {
      const w = await addWeakness(a, lead, weakness(incident));
      ids.push((await requestRisk(a, lead, { weakness: w.id, rationale: 'legacy VPN', controls: 'IP allow-list', review_by: '2027-01-15' })).id);
    }
    return ids;
  }

  afterEach(async () => {
    expect((await verifyChain(a.store.db)).ok).toBe(true);
  });

  it('approve and reject of one risk acceptance: one decision each', async () => {
    const risks = await requestedRisks(PAIRS);
    const outcomes = await race(risks.map((risk) => [
      () => decideRisk(a, { actor: 'approver' }, { risk, approve: true }),
      () => decideRisk(b, { actor: 'approver2' }, { risk, approve: false, reason: 'controls too weak' }),
    ] as const));
    const winners = expectOneWinner(outcomes, (w) => (w === 0 ? 'approved' : 'rejected'));
    const rows = await db().selectFrom('risk_acceptances').select(['id', 'state', 'approver']).where('id', 'in', risks).orderBy('id').execute();
    expect(rows.map((r) => [r.state, r.approver])).toEqual(winners.map((w) => (w === 0 ? ['approved', 'approver'] : ['rejected', 'approver2'])));
    const approved = await auditCount('risk.approved', risks);
    const rejected = await auditCount('risk.rejected', risks);
    for (const risk of risks) expect((approved.get(risk) ?? 0) + (rejected.get(risk) ?? 0)).toBe(1);
  });

  it('two approvers approving one acceptance: approved once', async () => {
    const risks = await requestedRisks(PAIRS);
    const outcomes = await race(risks.map((risk) => [
      () => decideRisk(a, { actor: 'approver' }, { risk, approve: true }),
      () => decideRisk(b, { actor: 'approver2' }, { risk, approve: true }),
    ] as const));
    const winners = expectOneWinner(outcomes, () => 'approved');
    const rows = await db().selectFrom('risk_acceptances').select(['approver']).where('id', 'in', risks).orderBy('id').execute();
    expect(rows.map((r) => r.approver)).toEqual(winners.map((w) => (w === 0 ? 'approver' : 'approver2')));
    const approved = await auditCount('risk.approved', risks);
    for (const risk of risks) expect(approved.get(risk)).toBe(1);
  });

  it('two holders of one role acknowledging: one acknowledgment', async () => {
    const ids = await incidents(PAIRS, ['triage', 'eradication']);
    for (const incident of ids) {
      await markNoneIdentified(a, lead, { incident, rationale: 'phishing, no weakness' });
      await sendReportOut(a, lead, { incident });
    }
    const outcomes = await race(ids.map((incident) => [
      () => acknowledge(a, { actor: 'so' }, { incident, role: 'service_owner' }),
      () => acknowledge(b, { actor: 'so2' }, { incident, role: 'service_owner' }),
    ] as const));
    const winners = expectOneWinner(outcomes, () => ({ state: 'acknowledged', revision: 1 }));
    const rows = await db().selectFrom('acknowledgments').select(['incident_id', 'actor', 'revision']).where('incident_id', 'in', ids).where('role', '=', 'service_owner').orderBy('incident_id').execute();
    expect(rows.map((r) => [r.actor, r.revision])).toEqual(winners.map((w) => [w === 0 ? 'so' : 'so2', 1]));
    const events = await db().selectFrom('audit_events').select('incident_id').where('action', '=', 'reportout.acknowledged').where('incident_id', 'in', ids).execute();
    expect(events).toHaveLength(PAIRS);
  });

  it('the same move twice: moved once', async () => {
    const ids = await incidents(PAIRS, ['triage']);
    const outcomes = await race(ids.map((id) => [
      () => moveIncident(a, lead, { id, state: 'eradication' }),
      () => moveIncident(b, lead, { id, state: 'eradication' }),
    ] as const));
    expectOneWinner(outcomes, () => 'eradication');
    const moved = await auditCount('incident.moved.eradication', ids);
    const opened = await auditCount('reportout.task_opened', ids);
    for (const id of ids) {
      expect(moved.get(id)).toBe(1);
      expect(opened.get(id)).toBe(1);
    }
  });

  it('the same close twice, and the same reopen twice: once each', async () => {
    const ids = await incidents(PAIRS);
    const close = (ctx: AppContext, id: string) => () => closeIncident(ctx, lead, { id, non_incident: true, rationale: 'benign scan' });
    expectOneWinner(await race(ids.map((id) => [close(a, id), close(b, id)] as const)), () => 'closed_non_incident');
    const reopen = (ctx: AppContext, id: string) => () => reopenIncident(ctx, lead, { id, reason: 'new evidence' });
    expectOneWinner(await race(ids.map((id) => [reopen(a, id), reopen(b, id)] as const)), () => 'triage');
    const closed = await auditCount('incident.closed_non_incident', ids);
    const reopened = await auditCount('incident.reopened', ids);
    for (const id of ids) {
      expect(closed.get(id)).toBe(1);
      expect(reopened.get(id)).toBe(1);
    }
    const states = await db().selectFrom('incidents').select('state').where('id', 'in', ids).execute();
    expect(states.every((s) => s.state === 'triage')).toBe(true);
  });

  it('close and reopen at once: the end state is the one their order gives', async () => {
    const ids = await incidents(PAIRS);
    const outcomes = await race(ids.map((id) => [
      () => closeIncident(a, lead, { id, non_incident: true, rationale: 'benign scan' }),
      () => reopenIncident(b, lead, { id, reason: 'new evidence' }),
    ] as const));
    for (const [i, [close, reopen]] of outcomes.entries()) {
      const id = ids[i] ?? '';
      expect(close.status).toBe('fulfilled');
      const state = (await db().selectFrom('incidents').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
      const closedAt = await auditSeq('incident.closed_non_incident', id);
      const reopenedAt = await auditSeq('incident.reopened', id);
      expect(closedAt).toBeDefined();
      if (reopen.status === 'fulfilled') {
        expect(reopenedAt ?? 0).toBeGreaterThan(closedAt ?? Infinity);
        expect(state).toBe('triage');
      } else {
        expectConflict(reopen, 'reported');
        expect(reopenedAt).toBeUndefined();
        expect(state).toBe('closed_non_incident');
      }
    }
  });

  it('a weakness and "none identified" at once: one of them', async () => {
    const ids = await incidents(PAIRS);
    const outcomes = await race(ids.map((incident) => [
      () => addWeakness(a, lead, weakness(incident)),
      () => markNoneIdentified(b, lead, { incident, rationale: 'nothing found' }),
    ] as const));
    const winners = expectOneWinner(outcomes);
    for (const [i, id] of ids.entries()) {
      const inc = await db().selectFrom('incidents').select('none_identified_rationale').where('id', '=', id).executeTakeFirstOrThrow();
      const weaknesses = await db().selectFrom('weaknesses').select('id').where('incident_id', '=', id).execute();
      if (winners[i] === 0) expect([weaknesses.length, inc.none_identified_rationale]).toEqual([1, null]);
      else expect([weaknesses.length, inc.none_identified_rationale]).toEqual([0, 'nothing found']);
    }
  });

  it('a report-out edit and its send at once: each send lists exactly what was added before it', async () => {
    const ids = await incidents(PAIRS, ['triage', 'eradication']);
    for (const incident of ids) await addWeakness(a, lead, weakness(incident, 'first'));
    const outcomes = await race(ids.map((incident) => [
      () => addWeakness(a, lead, weakness(incident, 'second')),
      () => sendReportOut(b, lead, { incident }),
    ] as const));
    for (const [i, [add, send]] of outcomes.entries()) {
      const id = ids[i] ?? '';
      expect([add.status, send.status]).toEqual(['fulfilled', 'fulfilled']);
      const second = add.status === 'fulfilled' ? (add.value as { id: string }).id : '';
      const addedAt = (await auditSeq('weakness.added', second)) ?? Infinity;
      const sentAt = (await auditSeq('reportout.sent', id)) ?? -Infinity;
      const bodies = await db().selectFrom('notifications').select('body').where('incident_id', '=', id).where('purpose', '=', 'reportout').execute();
      expect(bodies.length).toBeGreaterThan(0);
      for (const { body } of bodies) expect(body.includes(second)).toBe(addedAt < sentAt);
    }
  });

  it('"none identified" and the send at once: a send only after the report-out had content', async () => {
    const ids = await incidents(PAIRS, ['triage', 'eradication']);
    const outcomes = await race(ids.map((incident) => [
      () => markNoneIdentified(a, lead, { incident, rationale: 'nothing found' }),
      () => sendReportOut(b, lead, { incident }),
    ] as const));
    for (const [i, [none, send]] of outcomes.entries()) {
      const id = ids[i] ?? '';
      expect(none.status).toBe('fulfilled');
      const noneAt = await auditSeq('reportout.none_identified', id);
      const sentAt = await auditSeq('reportout.sent', id);
      if (send.status === 'fulfilled') expect(sentAt ?? 0).toBeGreaterThan(noneAt ?? Infinity);
      else expect(sentAt).toBeUndefined();
    }
  });

  it('an escalation and the close of the incident it links at once: never a link to a closed incident', async () => {
    const vm = { actor: 'vm' };
    const file = (name: string, text: string): string => {
      const f = path.join(t.dir, name);
      writeFileSync(f, text);
      return f;
    };
    await importFile(a, vm, { kind: 'assets', file: file('assets.csv', 'id,name,service,owner,business_critical,exposure\nweb-01,Web 1,shop,web-team,true,internet\n') });
    await importFile(a, vm, { kind: 'vulnerabilities', file: file('vulns.ndjson', `${JSON.stringify({ id: 'CVE-2021-41773', cvss: { version: '3.1', base_score: 7.5 }, exploitation: 'active' })}\n`) });
    await importFile(a, vm, { kind: 'signals', file: file('signals.ndjson', `${JSON.stringify({ id: 'S-1', time: '2026-11-27T23:10:00Z', asset: 'web-01', kind: 'exploit_attempt', vulnerability: 'CVE-2021-41773', source: 'waf' })}\n`) });
    await importFile(a, vm, { kind: 'findings', file: file('findings.json', JSON.stringify([{ id: 'F-web', vulnerability: 'CVE-2021-41773', asset: 'web-01', component: 'httpd', version: '2.4.49' }])) });
    const ruleset = await loadRuleset();
    const started = performance.now();
    const first = await triageStored(a, vm, { escalate: true }, ruleset);
    // the close starts at points spread from just before a triage run to its end, so some land inside its window
    const span = performance.now() - started;
    const ROUNDS = 16;
    const offset = (round: number): number => span * (round / ROUNDS - 0.25);
    const incident = first.incidents[0]?.incident ?? '';
    expect(first.incidents).toMatchObject([{ finding: 'F-web', created: true }]);
    const linkedBeforeClose: boolean[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // each round's close is later than the last: a new incident follows the one closed last
      t.clock.advance({ seconds: 1 });
      const [escalated, closed] = await Promise.allSettled([
        delay(Math.max(0, -offset(round))).then(() => triageStored(b, vm, { escalate: true }, ruleset)),
        delay(Math.max(0, offset(round))).then(() => closeIncident(a, lead, { id: incident, non_incident: true, rationale: 'benign scan' })),
      ]);
      expect([escalated.status, closed.status]).toEqual(['fulfilled', 'fulfilled']);
      const run = escalated.status === 'fulfilled' ? escalated.value : null;
      const to = run?.incidents[0]?.incident ?? '';
      const escalatedAt = await auditSeq('triage.escalated', run?.run ?? '');
      const closedAt = (await db().selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('seq')).where('action', '=', 'incident.closed_non_incident').where('entity_id', '=', incident).executeTakeFirstOrThrow()).seq;
      linkedBeforeClose.push(to === incident);
      if (to === incident) {
        // linked before the close committed: the close came second and saw the link
        expect(Number(escalatedAt)).toBeLessThan(Number(closedAt));
      } else {
        // the close came first: a new incident, open, and the closed one untouched by this run
        expect(Number(escalatedAt)).toBeGreaterThan(Number(closedAt));
        const opened = await db().selectFrom('incidents').select('state').where('id', '=', to).executeTakeFirstOrThrow();
        expect(opened.state).toBe('reported');
        // and it records the closed incident it follows
        expect(await db().selectFrom('incident_follows').select('follows').where('incident_id', '=', to).executeTakeFirst()).toEqual({ follows: incident });
        await closeIncident(a, lead, { id: to, non_incident: true, rationale: 'duplicate of the reopened one' });
      }
      await reopenIncident(a, lead, { id: incident, reason: 'next round' });
    }
    // both orders happened, so the rounds did race
    expect(new Set(linkedBeforeClose).size).toBe(2);
  });

  it('the timers on both servers at once, and after a restart: every timer fires once', async () => {
    const ids = await incidents(10, ['triage', 'eradication']);
    const risks: string[] = [];
    for (const incident of ids) {
      const w = await addWeakness(a, lead, weakness(incident));
      await sendReportOut(a, lead, { incident });
      await addRemediation(a, lead, { weakness: w.id, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'MFA on', due: '2026-12-01' });
      const risk = await requestRisk(a, lead, { weakness: w.id, rationale: 'legacy VPN', controls: 'IP allow-list', review_by: '2026-12-05' });
      await decideRisk(a, { actor: 'approver' }, { risk: risk.id, approve: true });
      risks.push(risk.id);
    }
    const clock = t.clock;
    const firings = async () => Number((await db().selectFrom('timer_firings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const queued = async () => Number((await db().selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('purpose', '=', 'reminder').executeTakeFirstOrThrow()).n);
    // day 3: acknowledgment levels and risk warnings due; day 8: items overdue and risks expired
    for (const day of ['2026-12-01T13:00:00Z', '2026-12-06T13:00:00Z']) {
      clock.set(day);
      const [x, y] = await Promise.all([runTimers(a, TIMERS), runTimers(b, TIMERS)]);
      const sum = (k: keyof typeof x) => x[k] + y[k];
      if (day.startsWith('2026-12-01')) expect([sum('incidents'), sum('reminders'), sum('escalations'), sum('risk_warnings')]).toEqual([10, 50, 10, 10]);
      else expect([sum('items_overdue'), sum('risks_expired')]).toEqual([10, 10]);
    }
    const fired = await firings();
    const messages = await queued();
    // a restarted server (a new store handle) finds everything fired
    const restarted = await openStore({ url: engine === 'sqlite' ? path.join(t.dir, 'closeloop.db') : (() => { const u = testPgUrl(); u.searchParams.set('schema', t.ctx.store.schema ?? ''); return u.toString(); })(), migrate: false });
    try {
      expect(await runTimers({ ...a, store: restarted }, TIMERS)).toEqual({ incidents: 0, reminders: 0, escalations: 0, items_overdue: 0, risk_warnings: 0, risks_expired: 0 });
    } finally {
      await restarted.close();
    }
    expect([await firings(), await queued()]).toEqual([fired, messages]);
    expect(await auditCount('risk.expired', risks)).toEqual(new Map(risks.map((r) => [r, 1])));
    const keys = await db().selectFrom('notifications').select('idempotency_key').execute();
    expect(new Set(keys.map((k) => k.idempotency_key)).size).toBe(keys.length);
  });

  it('the store refuses a second acknowledgment of a role itself, as CL_CONFLICT with the first', async () => {
    const row = { id: 'AK-9001', incident_id: 'INC-2026-9999', role: 'service_owner', actor: 'so', comment: null, at: '2026-11-28T12:00:00.000Z', revision: 1 };
    await insertAcknowledgment(a.store.db, row);
    await expect(insertAcknowledgment(b.store.db, { ...row, id: 'AK-9002', actor: 'so2' })).rejects.toMatchObject({
      code: 'CL_CONFLICT',
      details: { role: 'service_owner', current: { state: 'acknowledged', actor: 'so', revision: 1 } },
    });
    expect(await db().selectFrom('acknowledgments').select('actor').where('incident_id', '=', 'INC-2026-9999').execute()).toEqual([{ actor: 'so' }]);
  });

  it('two verdicts on one finding at once: both recorded, one after the other, each before the other\'s after', async () => {
    const vm = { actor: 'vm' };
    const file = (name: string, text: string): string => {
      const f = path.join(t.dir, name);
      writeFileSync(f, text);
      return f;
    };
    await importFile(a, vm, { kind: 'assets', file: file('assets.csv', 'id,name,service,owner,business_critical,exposure\nweb-01,Web 1,shop,web-team,false,internal\n') });
    await importFile(a, vm, { kind: 'findings', file: file('findings.json', JSON.stringify([{ id: 'F-web', vulnerability: 'CVE-2099-0001', asset: 'web-01' }])) });
    const ruleset = await loadRuleset();
    for (let round = 0; round < 10; round++) {
      const [x, y] = await Promise.allSettled([
        setFindingVerdict(a, vm, { finding: 'F-web', validation: 'not_affected', note: `a${round}` }, { ruleset }),
        setFindingVerdict(b, lead, { finding: 'F-web', reachability: 'unreachable', validation: 'validated', note: `b${round}` }, { ruleset }),
      ]);
      expect([x.status, y.status]).toEqual(['fulfilled', 'fulfilled']);
    }
    const verdicts = await db().selectFrom('finding_verdicts').select(['id', 'actor', 'before', 'decision_id']).orderBy('id').execute();
    expect(verdicts).toHaveLength(20);
    // in id order, each verdict saw what the one before it left: serial, none lost
    const after = (actor: string) => (actor === 'vm' ? { validation: 'not_affected', ruled_out_by: 'vm' } : { validation: 'validated', ruled_out_by: null });
    for (let i = 1; i < verdicts.length; i++) {
      const prev = verdicts[i - 1];
      expect(JSON.parse(verdicts[i]?.before ?? '{}')).toMatchObject(after(prev?.actor ?? ''));
    }
    const last = verdicts.at(-1);
    const row = await db().selectFrom('findings').select(['validation', 'ruled_out_by']).where('id', '=', 'F-web').executeTakeFirstOrThrow();
    expect(row).toEqual(after(last?.actor ?? ''));
    expect(new Set(verdicts.map((v) => v.decision_id)).size).toBe(20);
    expect((await verifyChain(db())).ok).toBe(true);
  });
});
