import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listIncidents, moveIncident, openIncident } from '../../src/app/incidents.js';
import { ClError } from '../../src/errors.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const lead = { actor: 'lead' };

describe.each(ENGINES)('incident list on %s', (engine) => {
  let t: TestContext;
  /** Ids in creation order: opened two at a time at the same instant, so a page boundary falls inside a tie. */
  let ids: string[];
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'inclist' });
    ids = [];
    for (let i = 0; i < 7; i++) {
      if (i % 2 === 0) t.clock.advance({ minutes: 1 });
      ids.push((await openIncident(t.ctx, lead, { title: `incident ${i}`, severity: 'low' })).id);
    }
  });
  afterEach(async () => t.cleanup());

  it('pages through every incident once, in creation order, and says when there is no more', async () => {
    const seen: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listIncidents(t.ctx, lead, { limit: 2, ...(after !== undefined ? { after } : {}) });
      seen.push(page.incidents.map((i) => i.id));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6), ids.slice(6)]);
    // the last full page knows there is more; an exact fit ends with next null
    const exact = await listIncidents(t.ctx, lead, { limit: 7 });
    expect(exact.incidents.map((i) => i.id)).toEqual(ids);
    expect(exact.next).toBeNull();
  });

  it('gives 100 by default, takes the limit as text (a query string), and filters by state page by page', async () => {
    expect((await listIncidents(t.ctx, lead, {})).incidents).toHaveLength(7);
    for (const id of [ids[1], ids[4], ids[5]]) await moveIncident(t.ctx, lead, { id: id as string, state: 'triage' });
    const first = await listIncidents(t.ctx, lead, { state: 'triage', limit: '2' });
    expect(first.incidents.map((i) => i.id)).toEqual([ids[1], ids[4]]);
    const second = await listIncidents(t.ctx, lead, { state: 'triage', limit: 2, after: first.next ?? '' });
    expect(second).toEqual({ incidents: [expect.objectContaining({ id: ids[5], state: 'triage' })], next: null });
  });

  it('does not shift a page already read when incidents are opened meanwhile', async () => {
    const first = await listIncidents(t.ctx, lead, { limit: 3 });
    t.clock.advance({ minutes: 1 });
    const late = (await openIncident(t.ctx, lead, { title: 'late', severity: 'low' })).id;
    const rest = await listIncidents(t.ctx, lead, { limit: 100, after: first.next ?? '' });
    expect(rest.incidents.map((i) => i.id)).toEqual([...ids.slice(3), late]);
  });

  it('refuses a cursor it did not give out, and a limit outside 1–1,000, naming the field', async () => {
    for (const [input, field] of [
      [{ after: 'not-a-cursor' }, 'after'],
      [{ after: Buffer.from('[1,2]').toString('base64url') }, 'after'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 1001 }, 'limit'],
      [{ limit: 2.5 }, 'limit'],
    ] as const) {
      const err = await listIncidents(t.ctx, lead, input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(ClError);
      expect((err as ClError).code).toBe('CL_BAD_INPUT');
      expect(JSON.stringify((err as ClError).details)).toContain(field);
    }
  });

  it('is for those who may read incidents', async () => {
    const err = await listIncidents(t.ctx, { actor: 'mallory' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClError);
    expect((err as ClError).code).not.toBe('CL_BAD_INPUT');
  });
});
