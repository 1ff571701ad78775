/**
 * The background loop on real engines: it runs reminders and delivery as the system callers, logs
 * through the small logger interface, survives a failing pass, and stops cleanly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDispatchLoop, type LoopLogger } from '../../src/app/dispatch-loop.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { markNoneIdentified, sendReportOut } from '../../src/app/reportout.js';
import type { DispatchSummary } from '../../src/app/run-delivery.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };

interface Logged {
  level: 'info' | 'error';
  obj: object;
  msg: string;
}

function memoryLogger(): LoopLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(ENGINES)('the dispatch loop on %s', (engine) => {
  let t: TestContext;
  afterEach(async () => t.cleanup());

  it('queues due reminders and delivers them in the same pass, as the system, then stops', async () => {
    t = await makeTestContext(engine, { label: 'loop' });
    const { id } = await openIncident(t.ctx, lead, { title: 'Lost laptop', severity: 'low' });
    for (const state of ['triage', 'eradication'] as const) await moveIncident(t.ctx, lead, { id, state });
    await markNoneIdentified(t.ctx, lead, { incident: id, rationale: 'no weakness found' });
    await sendReportOut(t.ctx, lead, { incident: id });
    t.clock.advance({ hours: 49 });

    const log = memoryLogger();
    const passes: DispatchSummary[] = [];
    const loop = startDispatchLoop(t.ctx, log, 20, (s) => passes.push(s));
    try {
      await waitFor(() => passes.length >= 2);
    } finally {
      await loop.stop();
    }
    const after = passes.length;

    // The first pass delivered the report-out and the reminders it had just queued; later ones had nothing to do.
    const rows = await t.ctx.store.db.selectFrom('notifications').select(['purpose', 'status']).where('incident_id', '=', id).execute();
    const reminders = rows.filter((r) => r.purpose === 'reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    expect(passes[0]).toEqual({ delivered: rows.length, failed: 0, retrying: 0, no_channel: 0 });
    expect(passes.slice(1).every((s) => s.delivered === 0)).toBe(true);
    expect(log.lines).toEqual([{ level: 'info', obj: { outbox: passes[0] }, msg: 'outbox pass' }]);

    const actors = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).distinct().where('action', 'in', ['notification.queued', 'notification.delivered']).orderBy('actor').orderBy('action').execute();
    expect(actors).toEqual([
      { actor: 'lead', action: 'notification.queued' },
      { actor: 'system:dispatcher', action: 'notification.delivered' },
      { actor: 'system:reminders', action: 'notification.queued' },
    ]);

    // Stopped: no pass runs any more.
    await new Promise((r) => setTimeout(r, 100));
    expect(passes).toHaveLength(after);
  });

  it('logs a failing pass and tries again on the next tick', async () => {
    t = await makeTestContext(engine, { label: 'loop' });
    const broken = {
      ...t.ctx,
      now: (): Date => {
        throw new Error('clock unavailable');
      },
    };
    const log = memoryLogger();
    const loop = startDispatchLoop(broken, log, 10);
    try {
      await waitFor(() => log.lines.length >= 2);
    } finally {
      await loop.stop();
    }
    for (const line of log.lines) {
      expect(line).toMatchObject({ level: 'error', msg: 'outbox pass failed', obj: { err: expect.objectContaining({ message: 'clock unavailable' }) } });
    }
  });
});
