import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { sendAckReminders } from '../../src/app/reminders.js';
import { acknowledge, addWeakness, sendReportOut } from '../../src/app/reportout.js';
import { REMINDERS, SystemCaller } from '../../src/app/system-caller.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };

describe.each(ENGINES)('acknowledgment reminders on %s', (engine) => {
  let t: TestContext;
  let incident: string;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'remind' });
    incident = (await openIncident(t.ctx, lead, { title: 'Phishing foothold', severity: 'moderate', assets: ['wks-7'] })).id;
    await moveIncident(t.ctx, lead, { id: incident, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: incident, state: 'eradication' });
    await addWeakness(t.ctx, lead, { incident, type: 'identity_access', relation: 'enabled', assets: ['wks-7'], notes: 'no MFA on VPN', action: 'enforce MFA' });
    await sendReportOut(t.ctx, lead, { incident });
    await acknowledge(t.ctx, lead, { incident, role: 'ir_lead' });
    await acknowledge(t.ctx, { actor: 'so' }, { incident, role: 'service_owner' });
  });
  afterEach(async () => t.cleanup());

  const reminders = () => t.ctx.store.db.selectFrom('notifications').select(['role', 'subject']).where('purpose', '=', 'reminder').orderBy('id').execute();

  it('sends nothing within the SLA', async () => {
    t.clock.advance({ hours: 47 });
    expect(await sendAckReminders(t.ctx, REMINDERS)).toEqual({ incidents: 0, reminders: 0, lead_notices: 0 });
    expect(await reminders()).toEqual([]);
  });

  it('past the SLA, reminds each role that has not acknowledged and tells the IR lead, once', async () => {
    t.clock.advance({ hours: 49 });
    const s = await sendAckReminders(t.ctx, REMINDERS);
    expect(s).toEqual({ incidents: 1, reminders: 3, lead_notices: 1 });
    const rows = await reminders();
    expect(rows.map((r) => r.role).sort()).toEqual(['eng_ops_lead', 'grc_contact', 'ir_lead', 'vuln_mgmt_owner']);
    expect(rows.find((r) => r.role === 'ir_lead')?.subject).toContain('3 role(s) past the acknowledgment SLA');
    expect(await sendAckReminders(t.ctx, REMINDERS)).toEqual({ incidents: 0, reminders: 0, lead_notices: 0 });
    expect(await reminders()).toHaveLength(4);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('stops once every role has acknowledged', async () => {
    for (const [actor, role] of [['vm', 'vuln_mgmt_owner'], ['ops', 'eng_ops_lead'], ['grc', 'grc_contact']] as const) {
      await acknowledge(t.ctx, { actor }, { incident, role });
    }
    t.clock.advance({ days: 5 });
    expect((await sendAckReminders(t.ctx, REMINDERS)).reminders).toBe(0);
  });

  it('queues as the reminder job when the server runs it, and as the person who runs it by hand', async () => {
    t.clock.advance({ hours: 49 });
    await sendAckReminders(t.ctx, REMINDERS);
    const actors = () => t.ctx.store.db.selectFrom('audit_events').select('actor').distinct().where('action', '=', 'notification.queued').where('entity_id', 'in', t.ctx.store.db.selectFrom('notifications').select('id').where('purpose', '=', 'reminder')).execute();
    expect(await actors()).toEqual([{ actor: 'system:reminders' }]);
    await sendReportOut(t.ctx, lead, { incident });
    t.clock.advance({ hours: 49 });
    expect((await sendAckReminders(t.ctx, lead)).reminders).toBe(3);
    expect((await actors()).map((a) => a.actor).sort()).toEqual(['lead', 'system:reminders']);
  });

  it('refuses a caller who may not run delivery, queuing nothing', async () => {
    t.clock.advance({ hours: 49 });
    const callers = [{ actor: 'so' }, { actor: 'mallory' }, { actor: 'system:reminders' }, new SystemCaller('reporter', ['incident.read'])];
    for (const caller of callers) {
      await expect(sendAckReminders(t.ctx, caller)).rejects.toMatchObject({ code: 'CL_FORBIDDEN', details: { actor: caller.actor, action: 'delivery.run' } });
    }
    expect(await reminders()).toEqual([]);
  });
});
