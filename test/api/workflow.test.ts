/**
 * The whole IR-6(2) loop over HTTP, once per engine: open → triage → eradication → weaknesses
 * (one third-party) → send → delivery → every role acknowledges → remediation, risk acceptance,
 * vendor notice → post_incident → close; then reopen and verify the audit chain.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentOut, WeaknessOut } from '../../src/api/presenters.js';
import type { IncidentView } from '../../src/app/incidents.js';
import type { DispatchSummary } from '../../src/app/run-delivery.js';
import type { VerifyResult } from '../../src/audit/chain.js';
import type { GateMissing } from '../../src/domain/gate.js';
import type { Acknowledgment, Notification, RemediationItem, RiskAcceptance, ThirdPartyNotice } from '../../src/store/schema.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

interface SendOut {
  incident: IncidentOut;
  revision: number;
  notifications: Notification[];
  notices_opened: string[];
}
interface GateOut {
  incident: string;
  state: string;
  ready: boolean;
  missing: GateMissing[];
}

const ROLE_HOLDERS: Record<string, string> = {
  ir_lead: 'lead',
  vuln_mgmt_owner: 'vm',
  service_owner: 'so',
  eng_ops_lead: 'ops',
  grc_contact: 'grc',
  third_party_manager: 'tpm',
  contract_owner: 'co',
};

describe.each(ENGINES)('API workflow on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { auditPeople: true });
  });
  afterAll(async () => {
    await api.close();
  });

  it('runs an incident from open to a gated close', async () => {
    const opened = await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Web shell on shop frontend', severity: 'high', assets: ['web-1', 'web-2'], service: 'shop', ir_lead: 'lead' }, 201);
    expect(opened).toMatchObject({ id: 'INC-2026-0001', state: 'reported', severity: 'high', opened_by: 'lead', gate_flags: [] });
    const id = opened.id;

    const listed = await api.ok<{ incidents: IncidentOut[] }>('auditor', 'GET', '/incidents?state=reported');
    expect(listed.incidents.map((i) => i.id)).toEqual([id]);

    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${id}/move`, { state: 'triage' });
    const erad = await api.ok<IncidentOut>('lead', 'POST', `/incidents/${id}/move`, { state: 'eradication' });
    expect(erad.state).toBe('eradication');
    expect(erad.reportout_opened_at).toBe('2026-11-28T12:00:00.000Z');

    const tech = await api.ok<WeaknessOut>('lead', 'POST', `/incidents/${id}/weaknesses`, {
      type: 'technical', relation: 'enabled', assets: ['web-1'], vulnerabilities: ['CVE-2025-0001'],
      notes: 'unpatched upload handler reachable from the internet', action: 'patch the upload handler and rescan',
    }, 201);
    expect(tech).toMatchObject({ id: 'WK-0001', incident_id: id, type: 'technical', assets: ['web-1'], vulnerabilities: ['CVE-2025-0001'] });
    const vendor = await api.ok<WeaknessOut>('lead', 'POST', `/incidents/${id}/weaknesses`, {
      type: 'third_party', relation: 'worsened_impact', assets: ['web-2'], vendor: 'Acme CDN',
      notes: 'CDN kept serving the shell for six hours', action: 'contractual purge SLA',
    }, 201);
    expect(vendor).toMatchObject({ id: 'WK-0002', type: 'third_party', vendor: 'Acme CDN' });

    api.tc.clock.advance({ hours: 1 });
    const sent = await api.ok<SendOut>('lead', 'POST', `/incidents/${id}/reportout/send`);
    expect(sent.revision).toBe(1);
    expect(sent.notifications.map((n) => n.role).sort()).toEqual(Object.keys(ROLE_HOLDERS).sort());
    expect(sent.notifications.every((n) => n.status === 'queued')).toBe(true);
    expect(sent.notices_opened).toEqual(['TP-0001']);
    expect(sent.incident.reportout_sent_at).toBe('2026-11-28T13:00:00.000Z');

    const beforeDelivery = await api.ok<GateOut>('lead', 'GET', `/incidents/${id}/gate`);
    expect(beforeDelivery.ready).toBe(false);
    expect(beforeDelivery.missing.filter((m) => m.item === 'roles_notified')).toHaveLength(7);

    const delivery = await api.ok<DispatchSummary>('lead', 'POST', '/delivery/run');
    expect(delivery).toEqual({ delivered: 7, failed: 0, retrying: 0, no_channel: 0 });
    for (const role of Object.keys(ROLE_HOLDERS)) {
      const box = path.join(api.tc.dir, 'outbox', role);
      const files = await readdir(box);
      expect(files, role).toHaveLength(1);
      const text = await readFile(path.join(box, files[0] ?? ''), 'utf8');
      expect(text).toContain(`To-Role: ${role}`);
      expect(text).toContain(id);
    }

    for (const [role, person] of Object.entries(ROLE_HOLDERS)) {
      const ack = await api.ok<Acknowledgment>(person, 'POST', `/incidents/${id}/acks`, { role, comment: `received by ${person}` }, 201);
      expect(ack).toMatchObject({ incident_id: id, role, actor: person });
      expect(ack.id).toMatch(/^AK-\d{4}$/);
    }

    const item = await api.ok<RemediationItem>('vm', 'POST', `/weaknesses/${tech.id}/remediation`, { owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'patched and a clean rescan', ticket: 'JIRA-1' }, 201);
    expect(item).toMatchObject({ id: 'RI-0001', weakness_id: tech.id, status: 'open', due: '2026-12-28' });
    const moved = await api.ok<RemediationItem>('so', 'POST', `/remediation/${item.id}/move`, { state: 'in_progress' });
    expect(moved.status).toBe('in_progress');

    const risk = await api.ok<RiskAcceptance>('vm', 'POST', `/weaknesses/${vendor.id}/risk-acceptances`, { rationale: 'vendor fix scheduled for Q1', controls: 'WAF rule blocks the upload path', review_by: '2027-03-01' }, 201);
    expect(risk).toMatchObject({ id: 'RA-0001', state: 'requested', requester: 'vm', approver: null });
    await api.fail('vm', 'POST', `/risk-acceptances/${risk.id}/approve`, undefined, 403, 'CL_FORBIDDEN');
    const approved = await api.ok<RiskAcceptance>('approver', 'POST', `/risk-acceptances/${risk.id}/approve`);
    expect(approved).toMatchObject({ state: 'approved', approver: 'approver' });

    // The reject route, on a second request that nobody should accept.
    const second = await api.ok<RiskAcceptance>('lead', 'POST', `/weaknesses/${tech.id}/risk-acceptances`, { rationale: 'too busy', controls: 'none', review_by: '2027-01-15' }, 201);
    const rejected = await api.ok<RiskAcceptance>('approver', 'POST', `/risk-acceptances/${second.id}/reject`, { reason: 'no compensating control' });
    expect(rejected).toMatchObject({ state: 'rejected', approver: 'approver', reason: 'no compensating control' });

    const notice = await api.ok<ThirdPartyNotice>('tpm', 'POST', `/weaknesses/${vendor.id}/vendor-notices`, { channel: 'contract portal', tracking_item: 'VEND-42' }, 201);
    expect(notice).toMatchObject({ id: 'TP-0001', weakness_id: vendor.id, vendor: 'Acme CDN', status: 'sent', channel: 'contract portal' });
    const chased = await api.ok<ThirdPartyNotice>('tpm', 'POST', `/vendor-notices/${notice.id}/chase`);
    expect(chased.chased_at).not.toBeNull();
    const answered = await api.ok<ThirdPartyNotice>('co', 'POST', `/vendor-notices/${notice.id}/response`, { text: 'RCA: purge API misconfigured; fixed on our side' });
    expect(answered).toMatchObject({ status: 'responded', response: 'RCA: purge API misconfigured; fixed on our side' });

    const gate = await api.ok<GateOut>('auditor', 'GET', `/incidents/${id}/gate`);
    expect(gate).toMatchObject({ incident: id, state: 'eradication', ready: true, missing: [] });

    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${id}/move`, { state: 'recovery' });
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${id}/move`, { state: 'post_incident' });
    api.tc.clock.advance({ days: 2 });
    const closed = await api.ok<{ incident: IncidentOut; flagged: GateMissing[] }>('lead', 'POST', `/incidents/${id}/close`, {});
    expect(closed.flagged).toEqual([]);
    expect(closed.incident).toMatchObject({ id, state: 'closed', determination: 'incident', closed_at: '2026-11-30T13:00:00.000Z' });

    const view = await api.ok<IncidentView>('auditor', 'GET', `/incidents/${id}`);
    expect(view.incident.state).toBe('closed');
    expect(view.assets).toEqual(['web-1', 'web-2']);
    expect(view.weaknesses.map((w) => w.id)).toEqual([tech.id, vendor.id]);
    expect(view.notifications.every((n) => n.status === 'delivered')).toBe(true);
    expect(view.acknowledgments).toHaveLength(7);
    expect(view.remediation[0]?.history.map((h) => h.status)).toEqual(['open', 'in_progress']);
    expect(view.risk_acceptances.map((r) => r.effective_state)).toEqual(['approved', 'rejected']);
    expect(view.third_party_notices[0]?.response).not.toBeNull();
    expect(view.gate).toEqual({ ready: true, missing: [] });

    const reopened = await api.ok<IncidentOut>('grc', 'POST', `/incidents/${id}/reopen`, { reason: 'post-closure review found a second host' });
    expect(reopened).toMatchObject({ state: 'post_incident', closed_at: null });
    const inPost = await api.ok<{ incidents: IncidentOut[] }>('lead', 'GET', '/incidents?state=post_incident');
    expect(inPost.incidents.map((i) => i.id)).toEqual([id]);

    const verified = await api.ok<VerifyResult>('auditor', 'GET', '/audit/verify');
    expect(verified).toMatchObject({ ok: true, firstBad: null });

    // The HTTP caller is the audited actor.
    const actors = await api.tc.ctx.store.db.selectFrom('audit_events').select(['action', 'actor']).where('incident_id', '=', id).orderBy('seq').execute();
    expect(actors).toContainEqual({ action: 'incident.opened', actor: 'lead' });
    expect(actors).toContainEqual({ action: 'risk.approved', actor: 'approver' });
    expect(actors).toContainEqual({ action: 'incident.closed', actor: 'lead' });
    expect(actors).toContainEqual({ action: 'incident.reopened', actor: 'grc' });
  });

  it('closes a non-incident from triage with its rationale, and records "none identified" on another', async () => {
    const a = await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Scanner noise', severity: 'low' }, 201);
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${a.id}/move`, { state: 'triage' });
    const closed = await api.ok<{ incident: IncidentOut }>('lead', 'POST', `/incidents/${a.id}/close`, { non_incident: true, rationale: 'authorised pen test traffic' });
    expect(closed.incident).toMatchObject({ state: 'closed_non_incident', determination: 'non_incident', determination_rationale: 'authorised pen test traffic' });

    const b = await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Phishing, no weakness', severity: 'moderate' }, 201);
    const none = await api.ok<IncidentOut>('lead', 'POST', `/incidents/${b.id}/reportout/none`, { rationale: 'user reported before clicking' });
    expect(none.none_identified_rationale).toBe('user reported before clicking');
  });

  it('pages the incident list with limit and after, and refuses a bad limit or cursor with 400 naming the field', async () => {
    for (const title of ['one', 'two', 'three']) await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title, severity: 'low' }, 201);
    type Page = { incidents: IncidentOut[]; next: string | null };
    const all = await api.ok<Page>('lead', 'GET', '/incidents?limit=1000');
    expect(all.next).toBeNull();
    expect(all.incidents.length).toBeGreaterThanOrEqual(3);
    const paged: string[] = [];
    let page = await api.ok<Page>('lead', 'GET', '/incidents?limit=2');
    for (;;) {
      expect(page.incidents.length).toBeLessThanOrEqual(2);
      paged.push(...page.incidents.map((i) => i.id));
      if (page.next === null) break;
      page = await api.ok<Page>('lead', 'GET', `/incidents?limit=2&after=${encodeURIComponent(page.next)}`);
    }
    expect(paged).toEqual(all.incidents.map((i) => i.id));
    for (const [query, field] of [['limit=0', 'limit'], ['limit=many', 'limit'], ['after=xyz', 'after']]) {
      const body = await api.fail('lead', 'GET', `/incidents?${query}`, undefined, 400, 'CL_BAD_INPUT');
      expect(body.details?.fields?.map((f) => f.field), query).toContain(field);
    }
  });
});

describe.each(ENGINES)('API close in soft gate mode on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { config: { gate: { mode: 'soft' } }, auditPeople: true });
  });
  afterAll(async () => {
    await api.close();
  });

  it('closes with the gaps flagged instead of refusing', async () => {
    expect(api.tc.ctx.config.gate.mode).toBe('soft');
    const { id } = await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Closed in a hurry', severity: 'low' }, 201);
    for (const state of ['triage', 'eradication', 'recovery', 'post_incident']) await api.ok('lead', 'POST', `/incidents/${id}/move`, { state });
    const closed = await api.ok<{ incident: IncidentOut; flagged: GateMissing[] }>('lead', 'POST', `/incidents/${id}/close`);
    expect(closed.incident.state).toBe('closed');
    expect(closed.flagged.map((m) => m.item)).toContain('reportout_complete');
    expect(closed.incident.gate_flags).toEqual(closed.flagged);
    const gate = await api.ok<{ ready: boolean; flags: GateMissing[] }>('auditor', 'GET', `/incidents/${id}/gate`);
    expect(gate.flags).toEqual(closed.flagged);
  });
});
