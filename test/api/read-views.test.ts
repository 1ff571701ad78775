import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { addRemediation, decideRisk, notifyVendor, requestRisk } from '../../src/app/followthrough.js';
import { listIncidents, moveIncident, openIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import type { AuditLog, Timeline } from '../../src/app/views/audit-log.js';
import type { NoticeList, RemediationBoard, RiskList } from '../../src/app/views/follow-through.js';
import type { Metrics } from '../../src/app/views/metrics.js';
import type { MyWork } from '../../src/app/views/my-work.js';
import type { SettingsView } from '../../src/app/views/settings.js';
import { listPeopleRows } from '../../src/store/repositories/people.js';
import { ENGINES, TEST_PEOPLE } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const lead = { actor: 'lead' };

interface ListedIncident {
  id: string;
  summary: { reportout: string; acks: { done: number; required: number }; overdue: boolean; ack_overdue: boolean; remediation_overdue: boolean };
}
interface IncidentPage {
  incidents: ListedIncident[];
  next: string | null;
}

/** The world the views read, built through the use cases (see `build`). */
interface World {
  inc1: string;
  inc2: string;
  inc3: string;
  tpWeakness: string;
  item1: string;
  item2: string;
  requested: string;
  approved: string;
  notice: string;
}

describe.each(ENGINES)('read views on %s', (engine) => {
  let api: Api;
  let ctx: AppContext;
  let w: World;

  beforeEach(async () => {
    api = await makeApi(engine, {
      label: 'views',
      config: {
        people: { nobody: [] },
        delivery: { webhook: { endpoints: { siem: { url: 'https://hooks.example.org/path/with-token-abc123?sig=zzz', secret: 'env:SIEM_SECRET' } } } },
      },
    });
    ctx = api.tc.ctx;
    w = await build();
  });
  afterEach(async () => api.close());

  /**
   * INC 1 (high, shop, led by lead): a technical and a third-party weakness, report-out sent at t0,
   * acknowledged by vuln_mgmt_owner only; item 1 (so, due t0+1 day) and item 2 (eng_ops_lead);
   * a requested and an approved risk acceptance; the vendor notified at t0. INC 2 (low, billing):
   * report-out owed, not sent. INC 3 (moderate): reported. Read at t0 + 3 days.
   */
  async function build(): Promise<World> {
    const t0 = ctx.now().toISOString().slice(0, 10);
    const inc1 = (await openIncident(ctx, lead, { title: 'one', severity: 'high', service: 'shop', ir_lead: 'lead' })).id;
    const inc2 = (await openIncident(ctx, lead, { title: 'two', severity: 'low', service: 'billing' })).id;
    const inc3 = (await openIncident(ctx, lead, { title: 'three', severity: 'moderate' })).id;
    for (const id of [inc1, inc2]) for (const state of ['triage', 'eradication'] as const) await moveIncident(ctx, lead, { id, state });
    const tech = (await addWeakness(ctx, lead, { incident: inc1, type: 'technical', relation: 'enabled', assets: ['web-01'], notes: 'n', action: 'patch' })).id;
    const tpWeakness = (await addWeakness(ctx, lead, { incident: inc1, type: 'third_party', relation: 'enabled', assets: ['saas'], notes: 'n', action: 'vendor fix', vendor: 'acme' })).id;
    await addWeakness(ctx, lead, { incident: inc2, type: 'configuration', relation: 'enabled', assets: ['db'], notes: 'n', action: 'fix' });
    await sendReportOut(ctx, lead, { incident: inc1 });
    await acknowledge(ctx, { actor: 'vm' }, { incident: inc1, role: 'vuln_mgmt_owner' });
    const item1 = (await addRemediation(ctx, lead, { weakness: tech, owner_role: 'service_owner', assignee: 'so', criteria: 'patched', due: t0 })).id;
    const item2 = (await addRemediation(ctx, lead, { weakness: tech, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'config' })).id;
    const requested = (await requestRisk(ctx, { actor: 'vm' }, { weakness: tech, rationale: 'r', controls: 'c', review_by: '2027-01-15' })).id;
    const approved = (await requestRisk(ctx, lead, { weakness: tech, rationale: 'r', controls: 'c', review_by: '2026-12-05' })).id;
    await decideRisk(ctx, { actor: 'approver' }, { risk: approved, approve: true });
    const notice = (await notifyVendor(ctx, { actor: 'tpm' }, { weakness: tpWeakness, channel: 'portal' })).id;
    api.tc.clock.advance({ days: 3 });
    return { inc1, inc2, inc3, tpWeakness, item1, item2, requested, approved, notice };
  }

  const ids = (page: IncidentPage) => page.incidents.map((i) => i.id);

  it('filters incidents by severity, service, missing report-out and overdue, with each summary, page by page', async () => {
    const all = await api.ok<IncidentPage>('grc', 'GET', '/incidents');
    expect(ids(all)).toEqual([w.inc1, w.inc2, w.inc3]);
    const [one, two, three] = all.incidents;
    expect(one?.summary).toEqual({ reportout: 'sent', acks: { done: 1, required: 7 }, overdue: true, ack_overdue: true, remediation_overdue: true });
    expect(two?.summary).toEqual({ reportout: 'owed', acks: { done: 0, required: 5 }, overdue: false, ack_overdue: false, remediation_overdue: false });
    expect(three?.summary.reportout).toBe('not_open');
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', '/incidents?severity=high'))).toEqual([w.inc1]);
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', '/incidents?service=billing'))).toEqual([w.inc2]);
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', '/incidents?missing_reportout=true'))).toEqual([w.inc2]);
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', '/incidents?overdue=true'))).toEqual([w.inc1]);
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', '/incidents?overdue=false&state=reported'))).toEqual([w.inc3]);
    const first = await api.ok<IncidentPage>('grc', 'GET', '/incidents?missing_reportout=false&limit=1');
    expect(ids(first)).toEqual([w.inc1]);
    expect(ids(await api.ok<IncidentPage>('grc', 'GET', `/incidents?missing_reportout=false&limit=1&after=${first.next ?? ''}`))).toEqual([w.inc3]);
    const bad = await api.fail('grc', 'GET', '/incidents?overdue=maybe', undefined, 400, 'CL_BAD_INPUT');
    expect(JSON.stringify(bad.details)).toContain('overdue');
    await api.fail('nobody', 'GET', '/incidents', undefined, 403, 'CL_FORBIDDEN');
  });

  it('lists a page of a few hundred incidents with their summaries in one statement (and one that reads the caller\'s roles)', { timeout: 90_000 }, async () => {
    for (let i = 0; i < 250; i++) await openIncident(ctx, lead, { title: `bulk ${i}`, severity: i % 2 === 0 ? 'low' : 'critical' });
    let statements = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        statements += 1;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const counted: AppContext = { ...ctx, store: Object.assign(Object.create(ctx.store) as AppContext['store'], { db: ctx.store.db.withPlugin(counter) }) };
    const page = await listIncidents(counted, lead, { limit: 200 });
    expect(page.incidents).toHaveLength(200);
    expect(statements).toBe(2);
    statements = 0;
    const filtered = await listIncidents(counted, lead, { severity: 'critical', overdue: false, missing_reportout: false, limit: 1000, after: page.next ?? '' });
    // after the 3 incidents of the world and bulk 0–196 come bulk 197–249, 27 of them critical (the odd ones)
    expect(filtered.incidents.length).toBe(27);
    expect(filtered.incidents.every((i) => i.severity === 'critical' && !i.summary.overdue)).toBe(true);
    expect(statements).toBe(2);
  });

  it("shows each caller's work: acknowledgments owed, items, decisions, vendor chases and incidents led", async () => {
    const so = await api.ok<MyWork>('so', 'GET', '/me/work');
    expect(so.roles).toEqual(['service_owner']);
    expect(so.acks).toEqual([{ incident: w.inc1, title: 'one', severity: 'high', role: 'service_owner', sent_at: expect.any(String), due_at: expect.any(String), overdue: true }]);
    const ack = so.acks[0];
    expect(Date.parse(ack?.due_at ?? '') - Date.parse(ack?.sent_at ?? '')).toBe(48 * 3_600_000);
    expect(so.remediation.map((r) => [r.id, r.mine_as, r.overdue])).toEqual([[w.item1, 'assignee', true]]);
    expect(so.risk_decisions).toEqual([]);
    expect(so.vendor_chases).toEqual([]);
    expect(so.leading).toEqual([]);
    // vuln_mgmt_owner acknowledged: nothing owed
    expect((await api.ok<MyWork>('vm', 'GET', '/me/work')).acks).toEqual([]);
    const ops = await api.ok<MyWork>('ops', 'GET', '/me/work');
    expect(ops.remediation.map((r) => r.id)).toEqual([w.item2]);
    const approver = await api.ok<MyWork>('approver', 'GET', '/me/work');
    expect(approver.risk_decisions.map((r) => [r.id, r.can_decide])).toEqual([[w.requested, true]]);
    const l = await api.ok<MyWork>('lead', 'GET', '/me/work');
    expect(l.leading).toEqual([{ id: w.inc1, title: 'one', severity: 'high', state: 'eradication', reportout: 'sent' }]);
    expect(l.acks.map((a) => a.role)).toEqual(['ir_lead']);
    // the vendor notice is chased 7 days after it was sent
    expect((await api.ok<MyWork>('tpm', 'GET', '/me/work')).vendor_chases).toEqual([]);
    api.tc.clock.advance({ days: 5 });
    const tpm = await api.ok<MyWork>('tpm', 'GET', '/me/work');
    expect(tpm.vendor_chases.map((n) => [n.id, n.chase_overdue])).toEqual([[w.notice, true]]);
    expect(tpm.acks.map((a) => [a.incident, a.role])).toEqual([[w.inc1, 'third_party_manager']]);
    await api.fail('nobody', 'GET', '/me/work', undefined, 403, 'CL_FORBIDDEN');
  });

  it('shows the remediation board with its filters and paging', async () => {
    const board = await api.ok<RemediationBoard>('auditor', 'GET', '/remediation');
    expect(board.items.map((i) => [i.id, i.incident, i.owner_role, i.assignee, i.status, i.overdue])).toEqual([
      [w.item1, w.inc1, 'service_owner', 'so', 'open', true],
      [w.item2, w.inc1, 'eng_ops_lead', 'ops', 'open', false],
    ]);
    expect(board.items[0]?.weakness).toMatch(/^WK-/);
    expect(board.next).toBeNull();
    const only = async (q: string) => (await api.ok<RemediationBoard>('auditor', 'GET', `/remediation?${q}`)).items.map((i) => i.id);
    expect(await only('owner=so')).toEqual([w.item1]);
    expect(await only('owner=eng_ops_lead')).toEqual([w.item2]);
    expect(await only('overdue=true')).toEqual([w.item1]);
    expect(await only('overdue=false')).toEqual([w.item2]);
    expect(await only('status=in_progress')).toEqual([]);
    expect(await only(`incident=${w.inc2}`)).toEqual([]);
    const first = await api.ok<RemediationBoard>('auditor', 'GET', '/remediation?limit=1');
    expect(first.items.map((i) => i.id)).toEqual([w.item1]);
    expect(await only(`limit=1&after=${first.next ?? ''}`)).toEqual([w.item2]);
    await api.fail('auditor', 'GET', '/remediation?after=nonsense', undefined, 400, 'CL_BAD_INPUT');
    await api.fail('nobody', 'GET', '/remediation', undefined, 403, 'CL_FORBIDDEN');
  });

  it('lists risk acceptances by effective state, with who may decide each', async () => {
    const mine = await api.ok<RiskList>('approver', 'GET', '/risk-acceptances');
    expect(mine.risk_acceptances.map((r) => [r.id, r.effective_state, r.requester, r.approver, r.can_decide])).toEqual([
      [w.requested, 'requested', 'vm', null, true],
      [w.approved, 'approved', 'lead', 'approver', false],
    ]);
    // the requester may not decide their own; a role without approval authority neither
    expect((await api.ok<RiskList>('vm', 'GET', '/risk-acceptances?state=requested')).risk_acceptances.map((r) => r.can_decide)).toEqual([false]);
    expect((await api.ok<RiskList>('lead', 'GET', '/risk-acceptances?state=requested')).risk_acceptances.map((r) => r.can_decide)).toEqual([false]);
    expect((await api.ok<RiskList>('grc', 'GET', '/risk-acceptances?state=approved')).risk_acceptances.map((r) => r.id)).toEqual([w.approved]);
    expect((await api.ok<RiskList>('grc', 'GET', '/risk-acceptances?state=expired')).risk_acceptances).toEqual([]);
    api.tc.clock.set('2026-12-05T09:00:00Z');
    const expired = await api.ok<RiskList>('grc', 'GET', '/risk-acceptances?state=expired');
    expect(expired.risk_acceptances.map((r) => [r.id, r.state, r.effective_state, r.review_by])).toEqual([[w.approved, 'approved', 'expired', '2026-12-05']]);
    expect((await api.ok<RiskList>('grc', 'GET', '/risk-acceptances?state=approved')).risk_acceptances).toEqual([]);
    const page = await api.ok<RiskList>('grc', 'GET', '/risk-acceptances?limit=1');
    expect(page.risk_acceptances.map((r) => r.id)).toEqual([w.requested]);
    expect((await api.ok<RiskList>('grc', 'GET', `/risk-acceptances?limit=1&after=${page.next ?? ''}`)).risk_acceptances.map((r) => r.id)).toEqual([w.approved]);
    await api.fail('nobody', 'GET', '/risk-acceptances', undefined, 403, 'CL_FORBIDDEN');
  });

  it('lists vendor notices with their chase dates', async () => {
    const list = await api.ok<NoticeList>('co', 'GET', '/vendor-notices');
    expect(list.notices).toHaveLength(1);
    const n = list.notices[0];
    expect(n).toMatchObject({ id: w.notice, incident: w.inc1, weakness: w.tpWeakness, vendor: 'acme', channel: 'portal', status: 'sent', response: null, chase_overdue: false });
    expect(Date.parse(n?.chase_due ?? '') - Date.parse(n?.sent_at ?? '')).toBe(7 * 86_400_000);
    expect((await api.ok<NoticeList>('co', 'GET', '/vendor-notices?status=responded')).notices).toEqual([]);
    expect((await api.ok<NoticeList>('co', 'GET', '/vendor-notices?vendor=acme')).notices).toHaveLength(1);
    expect((await api.ok<NoticeList>('co', 'GET', `/vendor-notices?incident=${w.inc2}`)).notices).toEqual([]);
    api.tc.clock.advance({ days: 5 });
    expect((await api.ok<NoticeList>('co', 'GET', '/vendor-notices')).notices[0]?.chase_overdue).toBe(true);
    await api.ok('tpm', 'POST', `/vendor-notices/${w.notice}/response`, { text: 'fixed in 2.1' });
    expect((await api.ok<NoticeList>('co', 'GET', '/vendor-notices?status=responded')).notices.map((x) => [x.chase_due, x.chase_overdue])).toEqual([[null, false]]);
    await api.fail('nobody', 'GET', '/vendor-notices', undefined, 403, 'CL_FORBIDDEN');
  });

  it('reads the audit log newest first with its filters and paging, for ir_lead, grc_contact and auditor only', async () => {
    const log = await api.ok<AuditLog>('auditor', 'GET', '/audit/events?limit=1000');
    const seqs = log.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(log.events.length).toBe(await api.auditCount());
    const newest = log.events[0];
    expect(newest).toMatchObject({ entity: { type: expect.any(String), id: expect.any(String) }, hash: expect.stringMatching(/^[0-9a-f]{64}$/), digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(log.events[1]?.hash).toBe(newest?.prev_hash);
    const q = async (query: string) => (await api.ok<AuditLog>('grc', 'GET', `/audit/events?${query}`)).events;
    expect((await q(`incident=${w.inc2}`)).every((e) => e.incident === w.inc2)).toBe(true);
    expect((await q(`incident=${w.inc2}`)).map((e) => e.action).reverse()).toEqual(['incident.opened', 'incident.moved.triage', 'incident.moved.eradication', 'reportout.task_opened', 'weakness.added']);
    expect((await q('action=risk.')).map((e) => e.action).sort()).toEqual(['risk.approved', 'risk.requested', 'risk.requested']);
    // the prefix is literal: `_` and `%` match themselves only
    expect(await q('action=incident_')).toEqual([]);
    expect(await q('action=%25')).toEqual([]);
    expect((await q('actor=approver')).map((e) => e.action)).toEqual(['risk.approved']);
    expect((await q(`entity_type=remediation_item&entity_id=${w.item2}`)).map((e) => e.action)).toEqual(['remediation.opened']);
    const all = await q('limit=1000');
    const first = all[all.length - 1];
    expect((await q(`to=${encodeURIComponent(first?.at ?? '')}`)).length).toBeGreaterThanOrEqual(1);
    expect(await q('from=2030-01-01T00:00:00Z')).toEqual([]);
    const page1 = await api.ok<AuditLog>('lead', 'GET', '/audit/events?limit=3');
    expect(page1.events.map((e) => e.seq)).toEqual(seqs.slice(0, 3));
    const page2 = await api.ok<AuditLog>('lead', 'GET', `/audit/events?limit=3&before=${page1.next ?? 0}`);
    expect(page2.events.map((e) => e.seq)).toEqual(seqs.slice(3, 6));
    await api.fail('grc', 'GET', '/audit/events?from=yesterday', undefined, 400, 'CL_BAD_INPUT');
    for (const who of ['so', 'vm', 'approver', 'nobody']) await api.fail(who, 'GET', '/audit/events', undefined, 403, 'CL_FORBIDDEN');
  });

  it("gives an incident's timeline oldest first to its readers", async () => {
    const tl = await api.ok<Timeline>('so', 'GET', `/incidents/${w.inc1}/timeline`);
    expect(tl.incident).toBe(w.inc1);
    expect(tl.events[0]?.action).toBe('incident.opened');
    expect(tl.events.every((e) => e.incident === w.inc1)).toBe(true);
    const seqs = tl.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(tl.events.map((e) => e.action)).toEqual(expect.arrayContaining(['reportout.sent', 'remediation.opened', 'risk.approved', 'third_party_notice.sent']));
    const page = await api.ok<Timeline>('so', 'GET', `/incidents/${w.inc1}/timeline?limit=2`);
    expect(page.events.map((e) => e.seq)).toEqual(seqs.slice(0, 2));
    expect((await api.ok<Timeline>('so', 'GET', `/incidents/${w.inc1}/timeline?limit=2&after=${page.next ?? 0}`)).events.map((e) => e.seq)).toEqual(seqs.slice(2, 4));
    await api.fail('so', 'GET', '/incidents/INC-2026-9999/timeline', undefined, 404, 'CL_NOT_FOUND');
    await api.fail('nobody', 'GET', `/incidents/${w.inc1}/timeline`, undefined, 403, 'CL_FORBIDDEN');
  });

  it('serves the metrics to incident readers', async () => {
    const m = await api.ok<Metrics>('so', 'GET', '/metrics');
    expect(m.missing_reportout).toEqual({ count: 1, ids: [w.inc2] });
    expect(m.incidents_by_state).toMatchObject({ reported: 1, eradication: 2 });
    expect(m.ack_latency.map((a) => a.role)).toEqual(['vuln_mgmt_owner']);
    expect(m.remediation_aging.overdue).toBe(1);
    expect(m.risk_review).toMatchObject({ requested: { count: 1, ids: [w.requested] }, review_due: { count: 1, ids: [w.approved] } });
    await api.fail('so', 'GET', '/metrics?review_days=-1', undefined, 400, 'CL_BAD_INPUT');
    await api.fail('nobody', 'GET', '/metrics', undefined, 403, 'CL_FORBIDDEN');
  });

  it('shows the settings to admin, grc_contact and auditor, secrets by reference only, with the role matrix', async () => {
    const s = await api.ok<SettingsView>('admin', 'GET', '/settings');
    expect(s.control_card.recipient_roles).toContain('service_owner');
    expect(s.routing.roles.service_owner?.[0]).toMatchObject({ channel: expect.any(String), target: expect.any(String) });
    expect(s.gate.mode).toBe('hard');
    expect(s.people.count).toBe((await listPeopleRows(api.tc.ctx.store.db)).length);
    expect(s.people.count).toBeGreaterThanOrEqual(Object.keys(TEST_PEOPLE).length);
    expect(s.policy.actions['audit.read']).toEqual(['ir_lead', 'grc_contact', 'auditor']);
    expect(s.policy.roles).toEqual(expect.arrayContaining(['admin', 'ir_lead', 'auditor', 'risk_approver']));
    const text = JSON.stringify(s);
    expect(text).toContain('env:SIEM_SECRET');
    expect(text).toContain('https://hooks.example.org');
    expect(text).not.toContain('with-token-abc123');
    expect(text).not.toContain('sig=zzz');
    await api.ok('grc', 'GET', '/settings');
    await api.ok('auditor', 'GET', '/settings');
    for (const who of ['lead', 'so', 'approver']) await api.fail(who, 'GET', '/settings', undefined, 403, 'CL_FORBIDDEN');
  });

  it('documents the response schema of every read view', async () => {
    const doc = await api.ok<{ paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }>> }>('admin', 'GET', '/openapi.json');
    const props = (p: string) => Object.keys(doc.paths[`/api/v1${p}`]?.get?.responses['200']?.content?.['application/json']?.schema.properties ?? {});
    expect(props('/me/work')).toEqual(expect.arrayContaining(['acks', 'remediation', 'risk_decisions', 'vendor_chases', 'leading']));
    expect(props('/remediation')).toEqual(['items', 'next']);
    expect(props('/risk-acceptances')).toEqual(['risk_acceptances', 'next']);
    expect(props('/vendor-notices')).toEqual(['notices', 'next']);
    expect(props('/audit/events')).toEqual(['events', 'next']);
    expect(props('/incidents/{id}/timeline')).toEqual(['incident', 'events', 'next']);
    expect(props('/metrics')).toEqual(expect.arrayContaining(['missing_reportout', 'ack_latency', 'remediation_aging', 'risk_review', 'escalations_by_trigger', 'incidents_by_state']));
    expect(props('/settings')).toEqual(expect.arrayContaining(['control_card', 'routing', 'policy']));
  });
});
