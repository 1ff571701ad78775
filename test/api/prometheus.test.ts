import { afterEach, describe, expect, it } from 'vitest';
import { addRemediation, decideRisk, requestRisk } from '../../src/app/followthrough.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from '../../src/app/reportout.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const lead = { actor: 'lead' };

/** Prometheus text exposition as `name{k="v",…}` (labels in the order given) → value, and the TYPE of each family. */
function parseExposition(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] !== undefined && type[2] !== undefined) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) throw new Error(`not a sample line: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  return { samples, types };
}

describe.each(ENGINES)('GET /metrics (Prometheus) on %s', (engine) => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** One report-out sent 3 h after its incident opened and acknowledged by vuln_mgmt_owner 1 h later; one owed and not sent, with a requested risk acceptance, an approved one expiring soon and an item 100 days old. */
  async function knownStore(a: Api): Promise<void> {
    const ctx = a.tc.ctx;
    const sent = (await openIncident(ctx, lead, { title: 'sent', severity: 'high' })).id;
    await moveIncident(ctx, lead, { id: sent, state: 'triage' });
    await moveIncident(ctx, lead, { id: sent, state: 'eradication' });
    a.tc.clock.advance({ hours: 3 });
    await markNoneIdentified(ctx, lead, { incident: sent, rationale: 'nothing found' });
    await sendReportOut(ctx, lead, { incident: sent });
    a.tc.clock.advance({ hours: 1 });
    await acknowledge(ctx, { actor: 'vm' }, { incident: sent, role: 'vuln_mgmt_owner' });
    const owed = (await openIncident(ctx, lead, { title: 'owed', severity: 'low' })).id;
    await moveIncident(ctx, lead, { id: owed, state: 'triage' });
    await moveIncident(ctx, lead, { id: owed, state: 'eradication' });
    const wk = (await addWeakness(ctx, lead, { incident: owed, type: 'configuration', relation: 'enabled', assets: ['web-01'], notes: 'n', action: 'fix' })).id;
    await addRemediation(ctx, lead, { weakness: wk, owner_role: 'service_owner', assignee: 'so', criteria: 'fixed' });
    await requestRisk(ctx, { actor: 'vm' }, { weakness: wk, rationale: 'r', controls: 'c', review_by: '2027-05-01' });
    // approved, its review 12 days after the scrape (day 100): expiring within 30 days
    const soon = await requestRisk(ctx, { actor: 'vm' }, { weakness: wk, rationale: 'r', controls: 'c', review_by: '2027-03-20' });
    await decideRisk(ctx, { actor: 'approver' }, { risk: soon.id, approve: true });
    a.tc.clock.advance({ days: 100 });
  }

  it('answers a token whose person may metrics.read with the figures, exactly; refuses no token (401) and a reader without metrics.read (403)', async () => {
    const a = (api = await makeApi(engine));
    await knownStore(a);
    const res = await a.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${a.tokens.auditor ?? ''}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(res.body);
    expect(Object.fromEntries([...samples].filter(([k]) => !k.startsWith('closeloop_incidents{') && !k.startsWith('closeloop_remediation_items{')))).toEqual({
      closeloop_incidents_missing_reportout: 1,
      'closeloop_reportout_latency_seconds{quantile="0.5"}': 10_800,
      'closeloop_reportout_latency_seconds{quantile="0.9"}': 10_800,
      'closeloop_reportout_latency_seconds{quantile="1"}': 10_800,
      closeloop_reportouts_sent: 1,
      'closeloop_ack_latency_seconds{role="vuln_mgmt_owner",quantile="0.5"}': 3600,
      'closeloop_ack_latency_seconds{role="vuln_mgmt_owner",quantile="0.9"}': 3600,
      'closeloop_ack_latency_seconds{role="vuln_mgmt_owner",quantile="1"}': 3600,
      'closeloop_acknowledgments{role="vuln_mgmt_owner"}': 1,
      closeloop_remediation_items_overdue: 1,
      closeloop_risk_acceptances_awaiting_decision: 1,
      'closeloop_risk_acceptances_expiring{within_days="30"}': 1,
      closeloop_risk_acceptances_past_review: 0,
      closeloop_stays_later_escalated: 0,
    });
    expect(samples.get('closeloop_incidents{state="eradication"}')).toBe(2);
    expect(samples.get('closeloop_incidents{state="closed"}')).toBe(0);
    expect(samples.get('closeloop_remediation_items{bucket=">90",status="open"}')).toBe(1);
    expect(samples.get('closeloop_remediation_items{bucket="0-7",status="open"}')).toBe(0);
    expect([...samples.keys()].filter((k) => k.startsWith('closeloop_remediation_items{'))).toHaveLength(12);
    expect(types.get('closeloop_reportout_latency_seconds')).toBe('gauge');
    // no default process metrics: the registry is the scrape's own
    expect([...samples.keys()].some((k) => k.startsWith('process_') || k.startsWith('nodejs_'))).toBe(false);

    const anonymous = await a.app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json<{ code: string }>().code).toBe('CL_UNAUTHENTICATED');
    const responder = await a.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${a.tokens.so ?? ''}` } });
    expect(responder.statusCode).toBe(403);
    for (const who of ['grc', 'lead', 'vm', 'admin']) {
      expect((await a.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${a.tokens[who] ?? ''}` } })).statusCode, who).toBe(200);
    }
  });

  it('answers without a token when server.metrics_public is set', async () => {
    const a = (api = await makeApi(engine, { config: { server: { metrics_public: true } } }));
    await knownStore(a);
    const res = await a.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode, res.body).toBe(200);
    const { samples } = parseExposition(res.body);
    expect(samples.get('closeloop_incidents_missing_reportout')).toBe(1);
    expect(samples.get('closeloop_reportouts_sent')).toBe(1);
    // the public route is still only the figures
    expect((await a.app.inject({ method: 'GET', url: '/api/v1/metrics' })).statusCode).toBe(401);
  });
});
