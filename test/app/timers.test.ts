import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addRemediation, decideRisk, requestRisk } from '../../src/app/followthrough.js';
import { importFile } from '../../src/app/importer.js';
import { gateFor, moveIncident, openIncident } from '../../src/app/incidents.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { SystemCaller, TIMERS } from '../../src/app/system-caller.js';
import { runTimers, type TimerSummary } from '../../src/app/timers.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ENGINES, makeTestContext, type TestContext, type TestContextOptions } from '../helpers/context.js';

const lead = { actor: 'lead' };
const NOTHING: TimerSummary = { incidents: 0, reminders: 0, escalations: 0, items_overdue: 0, risk_warnings: 0, risks_expired: 0 };

describe.each(ENGINES)('timers on %s', (engine) => {
  let t: TestContext;
  let incident: string;
  let weakness: string;

  /** An incident whose report-out went to every recipient role; the IR lead and the service owner have acknowledged. */
  async function setUp(config?: TestContextOptions['config']): Promise<void> {
    t = await makeTestContext(engine, { label: 'timers', ...(config === undefined ? {} : { config }) });
    incident = (await openIncident(t.ctx, lead, { title: 'Phishing foothold', severity: 'moderate', assets: ['wks-7'] })).id;
    await moveIncident(t.ctx, lead, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: incident, state: 'eradication' });
    weakness = (await addWeakness(t.ctx, lead, { incident, type: 'identity_access', relation: 'enabled', assets: ['wks-7'], notes: 'no MFA on VPN', action: 'enforce MFA' })).id;
    await sendReportOut(t.ctx, lead, { incident });
    await acknowledge(t.ctx, lead, { incident, role: 'ir_lead' });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
  }
  afterEach(async () => {
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
    await t.cleanup();
  });

  const messages = (purpose: 'reminder' | 'sla' = 'reminder') => t.ctx.store.db.selectFrom('notifications').select(['role', 'subject', 'body']).where('purpose', '=', purpose).orderBy('id').execute();
  const pass = () => runTimers(t.ctx, TIMERS);

  describe('acknowledgment SLA, default ladder (one level at ack_sla_hours)', () => {
    it('sends nothing within the SLA', async () => {
      await setUp();
      t.clock.advance({ hours: 47 });
      expect(await pass()).toEqual(NOTHING);
      expect(await messages()).toEqual([]);
    });

    it('past the SLA, reminds each role that has not acknowledged and tells the IR lead, once', async () => {
      await setUp();
      t.clock.advance({ hours: 49 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, reminders: 3, escalations: 1 });
      const rows = await messages();
      expect(rows.map((r) => r.role).sort()).toEqual(['eng_ops_lead', 'grc_contact', 'ir_lead', 'vuln_mgmt_owner']);
      expect(rows.find((r) => r.role === 'ir_lead')?.subject).toContain('3 role(s) past the acknowledgment SLA');
      expect(await pass()).toEqual(NOTHING);
      t.clock.advance({ days: 10 });
      expect(await pass()).toEqual(NOTHING);
      expect(await messages()).toHaveLength(4);
    });

    it('reminds over a role\'s message routes, never by opening a ticket in its ticket system', async () => {
      await setUp({
        routing: { roles: { vuln_mgmt_owner: [{ channel: 'file', address: './outbox/vuln_mgmt_owner' }, { channel: 'jira', address: 'SEC' }] } },
        delivery: { jira: { url: 'https://example.atlassian.net', email: 'bot@example.org', api_token: 'env:JIRA_TOKEN' } },
      });
      t.clock.advance({ hours: 49 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, reminders: 3, escalations: 1 });
      const channels = await t.ctx.store.db.selectFrom('notifications').select('channel').where('purpose', '=', 'reminder').where('role', '=', 'vuln_mgmt_owner').execute();
      expect(channels).toEqual([{ channel: 'file' }]);
    });

    it('stops once every role has acknowledged', async () => {
      await setUp();
      for (const [actor, role] of [['vm', 'vuln_mgmt_owner'], ['ops', 'eng_ops_lead'], ['grc', 'grc_contact']] as const) {
        await acknowledge(t.ctx, { actor }, { incident, role });
      }
      t.clock.advance({ days: 5 });
      expect(await pass()).toEqual(NOTHING);
    });

    it('queues as the timers when the server runs them, and as the person who runs them by hand; a re-sent report-out starts the clock again', async () => {
      await setUp();
      t.clock.advance({ hours: 49 });
      await pass();
      const actors = () => t.ctx.store.db.selectFrom('audit_events').select('actor').distinct().where('action', '=', 'notification.queued').where('entity_id', 'in', t.ctx.store.db.selectFrom('notifications').select('id').where('purpose', '=', 'reminder')).execute();
      expect(await actors()).toEqual([{ actor: 'system:reminders' }]);
      await sendReportOut(t.ctx, lead, { incident });
      t.clock.advance({ hours: 47 });
      expect((await runTimers(t.ctx, lead)).reminders).toBe(0);
      t.clock.advance({ hours: 2 });
      expect((await runTimers(t.ctx, lead)).reminders).toBe(3);
      expect((await actors()).map((a) => a.actor).sort()).toEqual(['lead', 'system:reminders']);
    });

    it('refuses a caller who may not run delivery, queuing nothing', async () => {
      await setUp();
      t.clock.advance({ hours: 49 });
      for (const caller of [{ actor: 'so' }, { actor: 'mallory' }, { actor: 'system:reminders' }, new SystemCaller('reporter', ['incident.read'])]) {
        await expect(runTimers(t.ctx, caller)).rejects.toMatchObject({ code: 'CL_FORBIDDEN', details: { actor: caller.actor, action: 'delivery.run' } });
      }
      expect(await messages()).toEqual([]);
    });
  });

  describe('acknowledgment SLA, an escalation ladder', () => {
    const ladder = {
      control_card: { owner_role: 'grc_contact' },
      workflow: {
        ack_escalation: {
          levels: [
            { after_hours: 24, notify: ['role'] },
            { after_hours: 48, notify: ['ir_lead'] },
            { after_hours: 72, notify: ['control_owner'] },
          ],
          roles: { grc_contact: [{ after_hours: 12, notify: ['role', 'ir_lead'] }] },
        },
      },
    };

    it('reminds the role at 24 h, tells the IR lead at 48 h and the control owner at 72 h, each once; an acknowledgment stops the rest', async () => {
      await setUp(ladder);
      t.clock.advance({ hours: 13 });
      // grc_contact's own ladder: one level at 12 h, reminder and IR lead
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, reminders: 1, escalations: 1 });
      t.clock.advance({ hours: 12 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, reminders: 2 });
      expect((await messages()).map((m) => m.role).sort()).toEqual(['eng_ops_lead', 'grc_contact', 'ir_lead', 'vuln_mgmt_owner']);
      await acknowledge(t.ctx, { actor: 'vm' }, { incident, role: 'vuln_mgmt_owner' });
      t.clock.advance({ hours: 24 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, escalations: 1 });
      const toLead = (await messages()).filter((m) => m.role === 'ir_lead');
      expect(toLead.at(-1)?.body).toMatch(/within 48 h \(escalation level 2\): eng_ops_lead\./);
      t.clock.advance({ hours: 24 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, escalations: 1 });
      const toOwner = (await messages()).filter((m) => m.role === 'grc_contact');
      expect(toOwner.at(-1)?.subject).toContain('1 role(s) past the acknowledgment SLA');
      expect(toOwner.at(-1)?.body).toContain('escalation level 3): eng_ops_lead.');
      t.clock.advance({ days: 30 });
      expect(await pass()).toEqual(NOTHING);
      expect(await messages()).toHaveLength(6);
    });

    it('a server down for three days fires every level that came due, once each', async () => {
      await setUp(ladder);
      t.clock.advance({ hours: 80 });
      expect(await pass()).toEqual({ ...NOTHING, incidents: 1, reminders: 3, escalations: 3 });
      expect(await pass()).toEqual(NOTHING);
    });
  });

  describe('remediation due dates', () => {
    it('flags an item past its due date and tells its owner role once; the flag stays', async () => {
      await setUp();
      const item = await addRemediation(t.ctx, lead, { weakness, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'MFA enforced on the VPN', due: '2026-11-30' });
      t.clock.set('2026-11-30T23:00:00Z');
      expect((await pass()).items_overdue).toBe(0);
      t.clock.set('2026-12-01T00:30:00Z');
      expect((await pass()).items_overdue).toBe(1);
      const row = await t.ctx.store.db.selectFrom('remediation_items').select(['overdue_since', 'status']).where('id', '=', item.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ overdue_since: '2026-12-01T00:30:00.000Z', status: 'open' });
      const told = (await messages('sla')).filter((m) => m.subject.includes(item.id));
      expect(told.map((m) => m.role)).toEqual(['eng_ops_lead']);
      expect(told[0]?.subject).toBe(`[closeloop] ${item.id} is overdue (due 2026-11-30)`);
      t.clock.advance({ days: 3 });
      expect((await pass()).items_overdue).toBe(0);
      const events = await t.ctx.store.db.selectFrom('audit_events').select('actor').where('action', '=', 'remediation.overdue').where('entity_id', '=', item.id).execute();
      expect(events).toEqual([{ actor: 'system:reminders' }]);
    });

    it('takes the KEV due date when it is earlier than the severity policy', async () => {
      t = await makeTestContext(engine, { label: 'timers' });
      const file = path.join(t.dir, 'kev.json');
      writeFileSync(file, JSON.stringify({ vulnerabilities: [{ cveID: 'CVE-2026-0001', dateAdded: '2026-11-20', dueDate: '2026-12-11', knownRansomwareCampaignUse: 'Unknown' }] }));
      await importFile(t.ctx, { actor: 'vm' }, { kind: 'kev', file });
      const inc = (await openIncident(t.ctx, lead, { title: 'VPN appliance', severity: 'moderate', assets: ['vpn-1'] })).id;
      const w = await addWeakness(t.ctx, lead, { incident: inc, type: 'technical', relation: 'enabled', assets: ['vpn-1'], vulnerabilities: ['CVE-2026-0001'], notes: 'exploited', action: 'patch' });
      const item = await addRemediation(t.ctx, lead, { weakness: w.id, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'patched' });
      // moderate: 60 days from 2026-11-28 is 2027-01-27; KEV says 2026-12-11
      expect(item.due).toBe('2026-12-11');
      const other = await addWeakness(t.ctx, lead, { incident: inc, type: 'identity_access', relation: 'enabled', assets: ['vpn-1'], notes: 'shared admin account', action: 'named accounts' });
      expect((await addRemediation(t.ctx, lead, { weakness: other.id, owner_role: 'eng_ops_lead', assignee: 'ops', criteria: 'named accounts' })).due).toBe('2027-01-27');
    });
  });

  describe('risk acceptances', () => {
    it('warns owner and approver before the review date, then expires the acceptance on it: the weakness is back in the gate', async () => {
      await setUp({ routing: { roles: { risk_approver: [{ channel: 'file', address: './outbox/risk_approver' }] } } });
      const risk = await requestRisk(t.ctx, lead, { weakness, rationale: 'legacy VPN until replacement', controls: 'IP allow-list', review_by: '2026-12-28' });
      await decideRisk(t.ctx, { actor: 'approver' }, { risk: risk.id, approve: true });
      const inc = await t.ctx.store.db.selectFrom('incidents').selectAll().where('id', '=', incident).executeTakeFirstOrThrow();
      expect(await gateFor(t.ctx.store.db, t.ctx, inc)).not.toContainEqual(expect.objectContaining({ subject: weakness }));
      t.clock.set('2026-12-13T12:00:00Z');
      expect((await pass()).risk_warnings).toBe(0);
      t.clock.set('2026-12-14T12:00:00Z');
      expect(await pass()).toMatchObject({ risk_warnings: 1, risks_expired: 0 });
      expect(await pass()).toMatchObject({ risk_warnings: 0, risks_expired: 0 });
      const warned = (await messages('sla')).filter((m) => m.subject.includes(risk.id));
      expect(warned.map((m) => m.role).sort()).toEqual(['ir_lead', 'risk_approver']);
      expect(warned[0]?.subject).toContain('is due for review on 2026-12-28');
      t.clock.set('2026-12-28T00:05:00Z');
      expect(await pass()).toMatchObject({ risk_warnings: 0, risks_expired: 1 });
      expect(await pass()).toMatchObject({ risks_expired: 0 });
      const stored = await t.ctx.store.db.selectFrom('risk_acceptances').select('state').where('id', '=', risk.id).executeTakeFirstOrThrow();
      expect(stored.state).toBe('expired');
      const expired = (await messages('sla')).filter((m) => m.subject.includes(`${risk.id} expired`));
      expect(expired.map((m) => m.role).sort()).toEqual(['ir_lead', 'risk_approver']);
      const missing = await gateFor(t.ctx.store.db, t.ctx, inc);
      expect(missing.find((m) => m.subject === weakness)?.message).toContain('has expired');
    });
  });
});
