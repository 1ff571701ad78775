import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addRemediation, decideRisk, moveRemediation, requestRisk } from '../../src/app/followthrough.js';
import { importFile } from '../../src/app/importer.js';
import { closeIncident, moveIncident, openIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from '../../src/app/reportout.js';
import { sql } from 'kysely';
import { metrics, quantileAt } from '../../src/app/views/metrics.js';
import { epochSeconds, missingReportOut } from '../../src/store/repositories/metrics.js';
import { addDays } from '../../src/app/context.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };
const vm = { actor: 'vm' };

describe('quantileAt', () => {
  const of = (sorted: number[], f: readonly [number, number]) => quantileAt(sorted.length, (r) => sorted[r], f);
  it('interpolates between ranks exactly and is null for no values', () => {
    expect(of([], [1, 2])).toBeNull();
    expect(of([4], [9, 10])).toBe(4);
    expect(of([4, 10], [1, 2])).toBe(7);
    expect(of([4, 10], [9, 10])).toBeCloseTo(9.4, 10);
    expect(of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [9, 10])).toBeCloseTo(9.1, 10);
    expect(of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1])).toBe(10);
    // 31 values: rank 27 exactly, where 0.9 × 30 in floating point is not
    const values = Array.from({ length: 31 }, (_, i) => i * 10);
    expect(of(values, [9, 10])).toBe(270);
  });
});

describe.each(ENGINES)('metrics on %s', (engine) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'metrics' });
  });
  afterEach(async () => t.cleanup());

  /** An incident moved to eradication, where its report-out task opens. */
  async function atEradication(title: string): Promise<string> {
    const id = (await openIncident(t.ctx, lead, { title, severity: 'low' })).id;
    await moveIncident(t.ctx, lead, { id, state: 'triage' });
    await moveIncident(t.ctx, lead, { id, state: 'eradication' });
    return id;
  }

  it('counts every figure of a store built through the use cases', async () => {
    const day0 = t.ctx.now().toISOString().slice(0, 10);
    // A: report-out owed, not sent (a weakness recorded)
    const a = await atEradication('A');
    const wk = (await addWeakness(t.ctx, lead, { incident: a, type: 'technical', relation: 'enabled', assets: ['web-01'], notes: 'n', action: 'patch' })).id;
    // B: sent 6 h after its task opened (t+6 h); vm acknowledges at t+18 h (12 h), so at t+28 h (22 h)
    const b = await atEradication('B');
    t.clock.advance({ hours: 6 });
    await markNoneIdentified(t.ctx, lead, { incident: b, rationale: 'nothing found' });
    await sendReportOut(t.ctx, lead, { incident: b });
    // C: sent 2 h after its task opened (t+8 h); vm acknowledges after 4 h, so after 8 h
    const c = await atEradication('C');
    t.clock.advance({ hours: 2 });
    await markNoneIdentified(t.ctx, lead, { incident: c, rationale: 'nothing found' });
    await sendReportOut(t.ctx, lead, { incident: c });
    t.clock.advance({ hours: 4 });
    await acknowledge(t.ctx, vm, { incident: c, role: 'vuln_mgmt_owner' });
    t.clock.advance({ hours: 4 });
    await acknowledge(t.ctx, { actor: 'so' }, { incident: c, role: 'service_owner' });
    t.clock.advance({ hours: 2 });
    await acknowledge(t.ctx, vm, { incident: b, role: 'vuln_mgmt_owner' });
    t.clock.advance({ hours: 10 });
    await acknowledge(t.ctx, { actor: 'so' }, { incident: b, role: 'service_owner' });
    // D: a non-incident owes no report-out; E: still reported, its task not open
    const d = (await openIncident(t.ctx, lead, { title: 'D', severity: 'low' })).id;
    await closeIncident(t.ctx, lead, { id: d, non_incident: true, rationale: 'benign' });
    await openIncident(t.ctx, lead, { title: 'E', severity: 'high' });

    // remediation items opened on day 0, 50 and 90; read on day 95
    t.clock.set(`${day0}T13:00:00.000Z`);
    const old = await addRemediation(t.ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'patched' });
    const verified = await addRemediation(t.ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'v' });
    for (const s of ['in_progress', 'resolved', 'verified'] as const) await moveRemediation(t.ctx, lead, { item: verified.id, state: s });
    t.clock.set(`${addDays(day0, 50)}T13:00:00.000Z`);
    const mid = await addRemediation(t.ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'patched' });
    await moveRemediation(t.ctx, lead, { item: mid.id, state: 'in_progress' });
    // risk acceptances on day 89: due for review (approved, review in 5 days of day 95), not due, past, and requested
    t.clock.set(`${addDays(day0, 89)}T13:00:00.000Z`);
    const risk = async (reviewBy: number, approve: boolean) => {
      const r = await requestRisk(t.ctx, vm, { weakness: wk, rationale: 'r', controls: 'c', review_by: addDays(day0, reviewBy) });
      if (approve) await decideRisk(t.ctx, { actor: 'approver' }, { risk: r.id, approve: true });
      return r.id;
    };
    const dueSoon = await risk(100, true);
    await risk(150, true);
    const past = await risk(92, true);
    const requested = await risk(120, false);
    t.clock.set(`${addDays(day0, 90)}T13:00:00.000Z`);
    const fresh = await addRemediation(t.ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'patched', due: addDays(day0, 94) });
    await moveRemediation(t.ctx, lead, { item: fresh.id, state: 'in_progress' });
    await moveRemediation(t.ctx, lead, { item: fresh.id, state: 'resolved' });
    t.clock.set(`${addDays(day0, 95)}T12:00:00.000Z`);

    const m = await metrics(t.ctx, { actor: 'auditor' }, {});
    expect(m.incidents_by_state).toMatchObject({ reported: 1, eradication: 3, closed_non_incident: 1, triage: 0, closed: 0 });
    expect(m.missing_reportout).toEqual({ count: 1, ids: [a] });
    // from each incident's opening: B 6 h, C 2 h
    expect(m.reportout_latency).toEqual({ count: 2, median_hours: 4, p90_hours: 5.6, max_hours: 6, seconds: { median: 14_400, p90: 20_160, max: 21_600, sum: 28_800 } });
    expect(m.ack_latency).toEqual([
      { role: 'service_owner', count: 2, median_hours: 15, p90_hours: 20.6, max_hours: 22, seconds: { median: 54_000, p90: 74_160, max: 79_200, sum: 108_000 } },
      { role: 'vuln_mgmt_owner', count: 2, median_hours: 8, p90_hours: 11.2, max_hours: 12, seconds: { median: 28_800, p90: 40_320, max: 43_200, sum: 57_600 } },
    ]);
    // old: 95 days (open, due day 90: overdue); mid: 45 days (in progress); fresh: 5 days (resolved, past due but not overdue); verified: not counted
    expect(m.remediation_aging).toEqual({
      buckets: [
        { bucket: '0-7', total: 1, by_status: { open: 0, in_progress: 0, resolved: 1 } },
        { bucket: '8-30', total: 0, by_status: { open: 0, in_progress: 0, resolved: 0 } },
        { bucket: '31-90', total: 1, by_status: { open: 0, in_progress: 1, resolved: 0 } },
        { bucket: '>90', total: 1, by_status: { open: 1, in_progress: 0, resolved: 0 } },
      ],
      open_total: 3,
      overdue: 1,
    });
    expect(old.due).toBe(addDays(day0, 90));
    expect(m.risk_review).toEqual({
      requested: { count: 1, ids: [requested] },
      review_due: { count: 1, ids: [dueSoon], within_days: 14 },
      review_past: { count: 1, ids: [past] },
    });
    expect((await metrics(t.ctx, lead, { review_days: '60' })).risk_review.review_due.count).toBe(2);
    expect(m.escalations_by_trigger).toEqual([]);
    expect(m.stays_later_escalated).toEqual({ count: 0, ids: [] });
    expect(m.healthcheck_pass_rate).toBeNull();
    await expect(metrics(t.ctx, { actor: 'mallory' }, {})).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
  });

  it('counts escalations by trigger from the latest decision of each finding only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-metrics-'));
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    await importFile(t.ctx, vm, {
      kind: 'assets',
      file: file('assets.csv', ['id,name,service,owner,business_critical,exposure,auth_required,privileged,regulated,telemetry,components', 'web-01,Web 1,shop,web-team,true,internet,false,false,pii,true,httpd@2.4.49', 'web-02,Web 2,shop,web-team,true,internet,false,false,pii,true,httpd@2.4.49'].join('\n')),
    });
    await importFile(t.ctx, vm, { kind: 'vulnerabilities', file: file('v.ndjson', JSON.stringify({ id: 'CVE-2021-41773', cvss: { version: '3.1', base_score: 7.5 }, exploitation: 'active', public_poc: true })) });
    await importFile(t.ctx, vm, {
      kind: 'signals',
      file: file('s.ndjson', ['web-01', 'web-02'].map((a, i) => JSON.stringify({ id: `S-${i}`, time: '2026-11-27T23:10:00Z', asset: a, kind: 'exploit_attempt', vulnerability: 'CVE-2021-41773', source: 'waf', payload: 'x' })).join('\n')),
    });
    const findings = (validation: string) =>
      JSON.stringify([
        { id: 'F-1', vulnerability: 'CVE-2021-41773', asset: 'web-01', component: 'httpd', version: '2.4.49' },
        { id: 'F-2', vulnerability: 'CVE-2021-41773', asset: 'web-02', component: 'httpd', version: '2.4.49', validation },
      ]);
    const first = await importFile(t.ctx, vm, { kind: 'findings', file: file('f1.json', findings('unvalidated')), triage: true });
    expect(first.triage?.by_outcome.escalate).toBe(2);
    const before = await metrics(t.ctx, lead, {});
    const triggers = Object.entries(first.triage?.by_trigger ?? {}).filter(([, n]) => n > 0);
    expect(triggers.length).toBeGreaterThan(0);
    expect(before.escalations_by_trigger).toEqual(expect.arrayContaining(triggers.map(([trigger, n]) => ({ trigger, count: n }))));
    expect(before.escalations_by_trigger.every((e) => e.count === 2)).toBe(true);
    // F-2 is ruled a false positive: its newer decision stays, so only F-1's escalation counts
    t.clock.advance({ minutes: 5 });
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: file('f2.json', findings('false_positive')), triage: true });
    expect(second.triage?.by_outcome.stay).toBe(1);
    const after = await metrics(t.ctx, lead, {});
    expect(after.escalations_by_trigger.length).toBe(before.escalations_by_trigger.length);
    expect(after.escalations_by_trigger.every((e) => e.count === 1)).toBe(true);
    // escalated then stayed is not a stay later escalated; F-2 validated again escalates after its stay
    expect(after.stays_later_escalated).toEqual({ count: 0, ids: [] });
    t.clock.advance({ minutes: 5 });
    const third = await importFile(t.ctx, vm, { kind: 'findings', file: file('f3.json', findings('validated')), triage: true });
    expect(third.triage?.by_outcome.escalate).toBe(1);
    const last = await metrics(t.ctx, lead, {});
    expect(last.stays_later_escalated).toEqual({ count: 1, ids: ['F-2'] });
    // both findings escalate again on the triggers they first fired (F-2, now validated, may fire more)
    expect(last.escalations_by_trigger).toEqual(expect.arrayContaining(before.escalations_by_trigger));
  });

  it('reads ISO timestamps as epoch seconds in the database, across month, leap-day and year boundaries', async () => {
    const times = ['1970-01-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '2024-03-01T00:00:00Z', '2026-12-31T23:59:59.000Z', '2027-01-01T00:00:01.000Z', '2100-03-01T12:34:56.000Z'];
    for (const at of times) {
      const { rows } = await sql<{ s: number | string }>`select ${epochSeconds('x')} as s from (select cast(${at} as text) as x) v`.execute(t.ctx.store.db);
      expect([at, Number(rows[0]?.s)]).toEqual([at, Math.floor(Date.parse(at) / 1000)]);
    }
  });

  it('ranks latencies in the database: odd counts, interpolated 90th percentile, the longest; id lists capped with an exact count', async () => {
    const ids: string[] = [];
    for (const title of ['a', 'b', 'c', 'd', 'e']) ids.push(await atEradication(title));
    // sent 1, 2, 3, 5 and 10 hours after every incident opened, in another order than opened
    const sendAfter: [number, number][] = [[2, 1], [0, 2], [4, 3], [1, 5], [3, 10]];
    let elapsed = 0;
    for (const [i, hours] of sendAfter) {
      t.clock.advance({ hours: hours - elapsed });
      elapsed = hours;
      const id = ids[i] ?? '';
      await markNoneIdentified(t.ctx, lead, { incident: id, rationale: 'nothing found' });
      await sendReportOut(t.ctx, lead, { incident: id });
    }
    const m = await metrics(t.ctx, lead, {});
    // sorted 1, 2, 3, 5, 10 h: median 3; p90 at rank 3.6: 5 + 0.6 × 5 = 8; longest 10
    expect(m.reportout_latency).toEqual({ count: 5, median_hours: 3, p90_hours: 8, max_hours: 10, seconds: { median: 10_800, p90: 28_800, max: 36_000, sum: 75_600 } });

    for (const title of ['f', 'g', 'h']) await atEradication(title);
    const capped = await missingReportOut(t.ctx.store.db, 2);
    const owed = (await metrics(t.ctx, lead, {})).missing_reportout;
    expect(owed.count).toBe(3);
    expect(capped).toEqual({ count: 3, ids: owed.ids.slice(0, 2) });
    expect(owed.ids).toEqual([...owed.ids].sort());
  });

  it('measures an acknowledgment from the message it acknowledged, not from a later revision that kept it', async () => {
    const id = await atEradication('resent');
    await markNoneIdentified(t.ctx, lead, { incident: id, rationale: 'nothing found' });
    await sendReportOut(t.ctx, lead, { incident: id });
    t.clock.advance({ hours: 1 });
    await acknowledge(t.ctx, vm, { incident: id, role: 'vuln_mgmt_owner' });
    t.clock.advance({ hours: 4 });
    const again = await sendReportOut(t.ctx, lead, { incident: id });
    expect(again.acks_kept).toContain('vuln_mgmt_owner');
    t.clock.advance({ hours: 2 });
    await acknowledge(t.ctx, { actor: 'so' }, { incident: id, role: 'service_owner' });
    const m = await metrics(t.ctx, lead, {});
    // vm: 1 h after the first sending (not 4 h before the second); so: 2 h after the second
    expect(m.ack_latency.map((a) => [a.role, a.seconds.max])).toEqual([
      ['service_owner', 7200],
      ['vuln_mgmt_owner', 3600],
    ]);
  });
});
