/**
 * Two closeloop servers on one store, each listening on its own port with its own pool (two
 * processes' worth of state: `buildServer` on two AppContexts whose stores are separate handles on
 * one PostgreSQL schema or one SQLite file), driven over real HTTP at the same moment. Each pair of
 * conflicting requests must have one winner and one 409 naming the current state, the rows and
 * audit events must show no double outcome, and two dispatchers must deliver each message once.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/app/admin.js';
import { API_PREFIX, buildServer } from '../../src/api/server.js';
import { verifyChain } from '../../src/audit/chain.js';
import { openStore, type Store } from '../../src/store/db.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';

/** Concurrent pairs per race. */
const PAIRS = 20;

interface Answer {
  status: number;
  body: { id?: string; code?: string; details?: { current?: unknown } } & Record<string, unknown>;
}

describe.each(ENGINES)('two servers on one %s store, over HTTP', (engine) => {
  let t: TestContext;
  let other: Store;
  const servers: FastifyInstance[] = [];
  /** Base URLs of server A and server B. */
  let bases: [string, string];
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'twosrv', config: { people: { so2: ['service_owner'], approver2: ['risk_approver'] } } });
    const u = testPgUrl();
    u.searchParams.set('schema', t.ctx.store.schema ?? '');
    other = await openStore({ url: engine === 'sqlite' ? path.join(t.dir, 'closeloop.db') : u.toString(), migrate: false });
    for (const actor of Object.keys(t.people)) tokens[actor] = (await createToken(t.ctx, { actor: 'admin' }, { actor, label: 'test' })).token;
    const listening: string[] = [];
    for (const ctx of [t.ctx, { ...t.ctx, store: other }]) {
      const app = await buildServer(ctx, { logger: false });
      servers.push(app);
      listening.push(`${await app.listen({ host: '127.0.0.1', port: 0 })}${API_PREFIX}`);
    }
    bases = [listening[0] ?? '', listening[1] ?? ''];
  });
  afterEach(async () => {
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
    for (const app of servers.splice(0)) await app.close();
    await other.close();
    await t.cleanup();
  });

  async function call(server: 0 | 1, as: string, method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${bases[server]}${url}`, {
      method,
      headers: { authorization: `Bearer ${tokens[as] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  async function made(as: string, url: string, body: unknown): Promise<string> {
    const r = await call(0, as, 'POST', url, body);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    return r.body.id ?? '';
  }

  /** Each pair's two answers: one success (`ok`), one 409 naming the current state. */
  function oneWinnerEach(pairs: [Answer, Answer][], ok: number, current?: unknown): void {
    for (const [x, y] of pairs) {
      expect([x.status, y.status].sort()).toEqual([ok, 409].sort());
      const loser = x.status === 409 ? x : y;
      expect(loser.body.details).toHaveProperty('current');
      if (current !== undefined) expect(loser.body.details?.current).toEqual(current);
    }
  }

  async function actions(action: string, ids: readonly string[]): Promise<Map<string, number>> {
    const rows = await t.ctx.store.db.selectFrom('audit_events').select('entity_id').where('action', '=', action).where('entity_id', 'in', ids).execute();
    const n = new Map<string, number>();
    for (const r of rows) n.set(r.entity_id, (n.get(r.entity_id) ?? 0) + 1);
    return n;
  }

  const incident = (i: number) => ({ title: `two servers ${i}`, severity: 'moderate', assets: ['web-1'] });

  it('the same close on both servers: closed once, the other told 409 with the current state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < PAIRS; i++) ids.push(await made('lead', '/incidents', incident(i)));
    const close = (server: 0 | 1, id: string) => call(server, 'lead', 'POST', `/incidents/${id}/close`, { non_incident: true, rationale: 'benign scan' });
    oneWinnerEach(await Promise.all(ids.map((id) => Promise.all([close(0, id), close(1, id)]))), 200, 'closed_non_incident');
    const closed = await actions('incident.closed_non_incident', ids);
    for (const id of ids) expect(closed.get(id)).toBe(1);
  });

  it('two holders of one role acknowledging through different servers: one acknowledgment', async () => {
    const ids: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const id = await made('lead', '/incidents', incident(i));
      for (const state of ['triage', 'eradication']) await made('lead', `/incidents/${id}/move`, { state });
      await made('lead', `/incidents/${id}/weaknesses`, { type: 'identity_access', relation: 'enabled', assets: ['web-1'], notes: 'no MFA', action: 'enforce MFA' });
      await made('lead', `/incidents/${id}/reportout/send`, {});
      ids.push(id);
    }
    const ack = (server: 0 | 1, as: string, id: string) => call(server, as, 'POST', `/incidents/${id}/acks`, { role: 'service_owner' });
    const pairs = await Promise.all(ids.map((id) => Promise.all([ack(0, 'so', id), ack(1, 'so2', id)])));
    oneWinnerEach(pairs, 201);
    const rows = await t.ctx.store.db.selectFrom('acknowledgments').select(['incident_id']).where('incident_id', 'in', ids).where('role', '=', 'service_owner').execute();
    expect(rows).toHaveLength(PAIRS);
  });

  it('approve on one server and reject on the other: one decision per acceptance', async () => {
    const risks: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const id = await made('lead', '/incidents', incident(i));
      const weakness = await made('lead', `/incidents/${id}/weaknesses`, { type: 'identity_access', relation: 'enabled', assets: ['web-1'], notes: 'legacy VPN', action: 'replace VPN' });
      risks.push(await made('lead', `/weaknesses/${weakness}/risk-acceptances`, { rationale: 'legacy VPN', controls: 'IP allow-list', review_by: '2027-01-15' }));
    }
    const decide = (server: 0 | 1, as: string, id: string, verb: 'approve' | 'reject', body: object) => call(server, as, 'POST', `/risk-acceptances/${id}/${verb}`, body);
    oneWinnerEach(await Promise.all(risks.map((id) => Promise.all([decide(0, 'approver', id, 'approve', {}), decide(1, 'approver2', id, 'reject', { reason: 'compensating control too weak' })]))), 200);
    const approved = await actions('risk.approved', risks);
    const rejected = await actions('risk.rejected', risks);
    for (const id of risks) expect((approved.get(id) ?? 0) + (rejected.get(id) ?? 0)).toBe(1);
  });

  it('both servers draining the outbox at once: every message delivered once', async () => {
    for (let i = 0; i < PAIRS; i++) {
      const id = await made('lead', '/incidents', incident(i));
      for (const state of ['triage', 'eradication']) await made('lead', `/incidents/${id}/move`, { state });
      await made('lead', `/incidents/${id}/reportout/none`, { rationale: 'nothing found' });
      await made('lead', `/incidents/${id}/reportout/send`, {});
    }
    const queued = await t.ctx.store.db.selectFrom('notifications').select('id').where('status', '=', 'queued').execute();
    expect(queued.length).toBeGreaterThanOrEqual(PAIRS);
    const [a, b] = await Promise.all([call(0, 'lead', 'POST', '/delivery/run', {}), call(1, 'lead', 'POST', '/delivery/run', {})]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(Number(a.body.delivered) + Number(b.body.delivered)).toBe(queued.length);
    const attempts = await t.ctx.store.db.selectFrom('notification_attempts').select('notification_id').execute();
    expect(attempts).toHaveLength(queued.length);
    expect(new Set(attempts.map((r) => r.notification_id)).size).toBe(queued.length);
    const delivered = await actions('notification.delivered', queued.map((n) => n.id));
    for (const { id } of queued) expect(delivered.get(id)).toBe(1);
    // the file channel wrote one file per message (named by its idempotency key)
    const files = readdirSync(t.dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.txt') && f.includes('reportout'));
    expect(files).toHaveLength(queued.length);
  });
});
