import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/chain.js';
import { DEMO_PEOPLE, runDemo } from '../../src/app/demo.js';
import { listDeliveries } from '../../src/app/deliveries.js';
import { listIncidents, openIncident } from '../../src/app/incidents.js';
import { INCIDENT_STATES } from '../../src/domain/incident.js';
import { isClError } from '../../src/errors.js';
import { activeRoles } from '../../src/store/repositories/people.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const admin = { actor: 'admin' };

describe.each(ENGINES)('closeloop demo on %s', (engine) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'demo' });
  });
  afterEach(async () => t.cleanup());

  it('fills an empty store with incidents in every state, follow-through and escalations, and keeps the audit chain valid', async () => {
    const started = Date.now();
    const lines: string[] = [];
    const r = await runDemo(t.ctx, admin, {}, { onProgress: (l) => lines.push(l) });
    const seconds = (Date.now() - started) / 1000;
    console.info(`demo on ${engine}: ${seconds.toFixed(1)} s`);

    expect(r.people.map((p) => p.name)).toEqual(DEMO_PEOPLE.map((p) => p.name));
    for (const role of ['ir_lead', 'responder', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact', 'third_party_manager', 'contract_owner', 'risk_approver', 'auditor']) {
      expect(r.people.some((p) => p.roles.includes(role))).toBe(true);
    }
    expect(r.people.filter((p) => p.roles.includes('risk_approver'))).toHaveLength(2);
    // the people directory in the store knows them now
    expect(await activeRoles(t.ctx.store.db, 'dana.whitfield')).toEqual(['ir_lead']);

    expect(r.incidents.total).toBeGreaterThanOrEqual(12);
    for (const state of INCIDENT_STATES) expect(r.incidents.by_state[state], state).toBeGreaterThan(0);
    const stored = (await listIncidents(t.ctx, admin, { limit: 1000 })).incidents;
    expect(stored).toHaveLength(r.incidents.total);
    // every incident was opened within the last 60 days, the newest today
    const now = t.ctx.now().getTime();
    for (const i of stored) expect(now - new Date(i.created_at).getTime()).toBeLessThanOrEqual(60 * 86_400_000);

    for (const type of ['technical', 'configuration', 'identity_access', 'detection_gap', 'operational', 'third_party']) expect(r.weaknesses.by_type[type], type).toBeGreaterThan(0);
    for (const status of ['open', 'in_progress', 'resolved', 'verified'] as const) expect(r.remediation.by_status[status], status).toBeGreaterThan(0);
    expect(r.remediation.overdue).toBeGreaterThanOrEqual(1);
    expect(r.risk_acceptances).toMatchObject({ approved: 1, expired: 1, requested: 1 });
    expect(r.acknowledgments.given).toBeGreaterThan(0);
    expect(r.acknowledgments.missing).toBeGreaterThan(0);
    expect(r.third_party_notices).toMatchObject({ total: 2, responded: 1, chased: 1 });

    expect(r.imports).toBe(9);
    expect(r.findings).toBeGreaterThanOrEqual(10);
    expect(r.triage.escalate).toBeGreaterThanOrEqual(2);
    expect(r.triage.stay).toBeGreaterThan(0);
    expect(r.triage.by_trigger.observed_exploitation).toBeGreaterThanOrEqual(1);
    expect(r.triage.by_trigger.dangerous_exposure).toBeGreaterThanOrEqual(1);
    expect(new Set(r.escalations.map((e) => e.incident)).size).toBeGreaterThanOrEqual(2);

    expect(r.deliveries.delivered).toBeGreaterThan(0);
    expect(r.deliveries.queued).toBeGreaterThan(0);
    expect((await listDeliveries(t.ctx, admin, { state: 'queued', limit: 1000 })).deliveries).toHaveLength(r.deliveries.queued);
    expect(lines.length).toBeGreaterThan(2);

    expect(await verifyChain(t.ctx.store.db)).toMatchObject({ ok: true });
  });

  it('refuses a store in use, naming what it holds, and changes nothing', async () => {
    await openIncident(t.ctx, { actor: 'lead' }, { title: 'Real work', severity: 'low' });
    const before = await verifyChain(t.ctx.store.db);
    const err = await runDemo(t.ctx, admin).catch((e: unknown) => e);
    expect(isClError(err) && err.code).toBe('CL_RULE_REFUSED');
    expect((err as Error).message).toMatch(/empty store only.*1 incident\(s\)/);
    expect(await verifyChain(t.ctx.store.db)).toEqual(before);
    expect((await listIncidents(t.ctx, admin, {})).incidents).toHaveLength(1);
    expect(await activeRoles(t.ctx.store.db, 'dana.whitfield')).toBeNull();
  });

  it('a second run is refused and leaves the store as the first left it', async () => {
    await runDemo(t.ctx, admin);
    const chain = await verifyChain(t.ctx.store.db);
    const incidents = (await listIncidents(t.ctx, admin, { limit: 1000 })).incidents;
    const err = await runDemo(t.ctx, admin).catch((e: unknown) => e);
    expect(isClError(err) && err.code).toBe('CL_RULE_REFUSED');
    expect(await verifyChain(t.ctx.store.db)).toEqual(chain);
    expect((await listIncidents(t.ctx, admin, { limit: 1000 })).incidents).toEqual(incidents);
  });

  it('only an admin may run it', async () => {
    const err = await runDemo(t.ctx, { actor: 'lead' }).catch((e: unknown) => e);
    expect(isClError(err) && err.code).toBe('CL_FORBIDDEN');
  });
});
