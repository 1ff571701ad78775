import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken, verifyAudit } from '../../src/app/admin.js';
import { runDemo } from '../../src/app/demo.js';
import { decideRisk } from '../../src/app/followthrough.js';
import { openIncident } from '../../src/app/incidents.js';
import { createPasswordLink, setPassword, usePasswordLink } from '../../src/app/passwords.js';
import { addPerson, removePerson, setRoles } from '../../src/app/people.js';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER, TIMERS } from '../../src/app/system-caller.js';
import { runTimers } from '../../src/app/timers.js';
import { verifyEntityStates, type EntityProblem } from '../../src/audit/entity-state.js';
import type { Db } from '../../src/store/schema.js';
import { expectExit, inProcessCli } from '../helpers/cli.js';
import { auditSeededPeople, ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const admin = { actor: 'admin' };

/** Thrown to roll a tampering transaction back once it has been verified. */
class Rollback extends Error {}

describe.each(ENGINES)('every record matches its latest audit event on %s', (engine) => {
  let t: TestContext;
  let token: string;
  let rejected: string;

  beforeAll(async () => {
    t = await makeTestContext(engine, { label: 'entities', auditPeople: true });
    await runDemo(t.ctx, admin);
    t.clock.advance({ days: 40 });
    await runTimers(t.ctx, TIMERS);
    // some messages delivered by the dispatcher, the rest wait for a channel this process lacks
    await runDelivery(t.ctx, DISPATCHER, { limit: 3 });
    await runDelivery(t.ctx, DISPATCHER, { channels: {} });
    token = (await createToken(t.ctx, admin, { actor: 'admin', label: 'ci' })).id;
    await revokeToken(t.ctx, admin, { id: token });
    const requested = await t.ctx.store.db.selectFrom('risk_acceptances').select('id').where('state', '=', 'requested').executeTakeFirstOrThrow();
    rejected = (await decideRisk(t.ctx, { actor: 'demo.approver' }, { risk: requested.id, approve: false, reason: 'compensating controls are not in place' }).catch(async () => {
      const approver = await t.ctx.store.db.selectFrom('people').select('name').where('roles', 'like', '%risk_approver%').executeTakeFirstOrThrow();
      return decideRisk(t.ctx, { actor: approver.name }, { risk: requested.id, approve: false, reason: 'compensating controls are not in place' });
    })).id;
  }, 300_000);
  afterAll(async () => t?.cleanup());

  /** The problems `verifyEntityStates` finds after `edit`, which is then rolled back. */
  async function afterEdit(edit: (trx: Db) => Promise<unknown>): Promise<EntityProblem[]> {
    let problems: EntityProblem[] = [];
    const err = await t.ctx.store
      .transaction(async (trx) => {
        await edit(trx);
        problems = (await verifyEntityStates(trx)).problems;
        throw new Rollback('rolled back');
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Rollback);
    return problems;
  }

  const firstId = async (table: 'incidents' | 'weaknesses' | 'notifications' | 'acknowledgments' | 'remediation_items' | 'third_party_notices' | 'findings' | 'assets' | 'decisions'): Promise<string> =>
    (await t.ctx.store.db.selectFrom(table).select('id').orderBy('id').executeTakeFirstOrThrow()).id;

  it('the demo, the dispatcher and the timers leave every record matching the chain', async () => {
    const r = await verifyAudit(t.ctx, admin);
    expect(r.entities.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.entities.checked).toBeGreaterThan(100);
    // the dispatcher's outcomes are audited: a delivered message's latest event is the dispatcher's
    const delivered = await t.ctx.store.db.selectFrom('notifications').select('id').where('status', '=', 'delivered').executeTakeFirstOrThrow();
    const last = await t.ctx.store.db.selectFrom('audit_events').select(['actor', 'action']).where('entity_type', '=', 'notification').where('entity_id', '=', delivered.id).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(last).toEqual({ actor: 'system:dispatcher', action: 'notification.delivered' });
  });

  it('the people and token writers leave every person and token matching the chain (removal revokes tokens, audited)', async () => {
    await addPerson(t.ctx, admin, { name: 'erin', roles: ['responder'] });
    await setRoles(t.ctx, admin, { name: 'erin', roles: ['responder', 'auditor'] });
    await setPassword(t.ctx, admin, { name: 'erin', password: 'a long enough passphrase 42' });
    const link = await createPasswordLink(t.ctx, admin, { name: 'erin' }, { fallbackBase: 'http://127.0.0.1' });
    await usePasswordLink(t.ctx, { token: new URL(link.url).searchParams.get('token') ?? '', password: 'another long passphrase 43' });
    const tokens = [(await createToken(t.ctx, admin, { actor: 'erin' })).id, (await createToken(t.ctx, admin, { actor: 'erin', label: 'ci' })).id];
    const removed = await removePerson(t.ctx, admin, { name: 'erin' });
    expect(removed.tokens_revoked.sort()).toEqual(tokens.sort());
    expect((await verifyEntityStates(t.ctx.store.db)).problems).toEqual([]);
  });

  it('reports an incident edited directly', async () => {
    const id = await firstId('incidents');
    const problems = await afterEdit((trx) => trx.updateTable('incidents').set({ severity: 'low', title: 'nothing to see' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'incident', entity_id: id, problem: expect.stringMatching(/edited outside closeloop/) })]);
  });

  it('reports a weakness edited directly', async () => {
    const id = await firstId('weaknesses');
    const problems = await afterEdit((trx) => trx.updateTable('weaknesses').set({ notes: 'rewritten' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'weakness', entity_id: id })]);
  });

  it('reports a notification edited directly (a queued one marked delivered)', async () => {
    const n = await t.ctx.store.db.selectFrom('notifications').select('id').where('status', '!=', 'delivered').orderBy('id').executeTakeFirstOrThrow();
    const problems = await afterEdit((trx) => trx.updateTable('notifications').set({ status: 'delivered', delivered_at: '2026-12-01T00:00:00.000Z' }).where('id', '=', n.id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'notification', entity_id: n.id })]);
  });

  it('does not report a notification claimed by a dispatcher (a lease, not a change of state)', async () => {
    const n = await t.ctx.store.db.selectFrom('notifications').select('id').where('status', '=', 'queued').orderBy('id').executeTakeFirstOrThrow();
    const problems = await afterEdit((trx) => trx.updateTable('notifications').set({ status: 'sending', next_attempt_at: '2030-01-01T00:00:00.000Z', last_error: 'no channel' }).where('id', '=', n.id).execute());
    expect(problems).toEqual([]);
  });

  it('reports an acknowledgment edited directly', async () => {
    const id = await firstId('acknowledgments');
    const problems = await afterEdit((trx) => trx.updateTable('acknowledgments').set({ actor: 'somebody.else' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'acknowledgment', entity_id: id })]);
  });

  it('reports a remediation item edited directly', async () => {
    const id = await firstId('remediation_items');
    const problems = await afterEdit((trx) => trx.updateTable('remediation_items').set({ criteria: 'nothing to do' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'remediation_item', entity_id: id })]);
  });

  it('reports a rejected risk acceptance changed to approved', async () => {
    const problems = await afterEdit((trx) => trx.updateTable('risk_acceptances').set({ state: 'approved', reason: null }).where('id', '=', rejected).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'risk_acceptance', entity_id: rejected })]);
  });

  it('reports a third-party notice edited directly', async () => {
    const id = await firstId('third_party_notices');
    const problems = await afterEdit((trx) => trx.updateTable('third_party_notices').set({ response: 'we are not affected' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'third_party_notice', entity_id: id })]);
  });

  it("reports a person's roles edited directly", async () => {
    const problems = await afterEdit((trx) => trx.updateTable('people').set({ roles: JSON.stringify(['admin']) }).where('name', '=', 'dana.whitfield').execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'person', entity_id: 'dana.whitfield' })]);
  });

  it("reports a token's hash replaced, and its revocation cleared", async () => {
    const hash = await afterEdit((trx) => trx.updateTable('api_tokens').set({ token_hash: 'f'.repeat(64) }).where('id', '=', token).execute());
    expect(hash).toEqual([expect.objectContaining({ entity_type: 'api_token', entity_id: token })]);
    const revocation = await afterEdit((trx) => trx.updateTable('api_tokens').set({ revoked_at: null }).where('id', '=', token).execute());
    expect(revocation).toEqual([expect.objectContaining({ entity_type: 'api_token', entity_id: token })]);
    // its last use is operational, not a change of the token
    expect(await afterEdit((trx) => trx.updateTable('api_tokens').set({ last_used_at: '2026-12-01T00:00:00.000Z' }).where('id', '=', token).execute())).toEqual([]);
  });

  /** The writer the set digest of `set` names now (an import, a triage run …). */
  const writerOf = async (set: string): Promise<string> => (await t.ctx.store.db.selectFrom('entity_set_digests').select('writer_id').where('entity_type', '=', set).executeTakeFirstOrThrow()).writer_id;

  it('reports a finding edited directly, naming the writer whose set digest it breaks', async () => {
    const id = await firstId('findings');
    const writer = await writerOf('finding');
    const problems = await afterEdit((trx) => trx.updateTable('findings').set({ status: 'resolved', validation: 'not_affected' }).where('id', '=', id).execute());
    expect(problems).toEqual([{ entity_type: 'finding', entity_id: writer, problem: expect.stringMatching(/^findings no longer match the set digest recorded by (import|triage_run|finding|asset) /) }]);
  });

  it('reports an asset edited directly', async () => {
    const id = await firstId('assets');
    const writer = await writerOf('asset');
    const problems = await afterEdit((trx) => trx.updateTable('assets').set({ owner: 'mallory' }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'asset', entity_id: writer })]);
  });

  it('reports a decision edited directly', async () => {
    const id = await firstId('decisions');
    const writer = await writerOf('decision');
    const problems = await afterEdit((trx) => trx.updateTable('decisions').set({ stay_reasons: JSON.stringify(['tampered']) }).where('id', '=', id).execute());
    expect(problems).toEqual([expect.objectContaining({ entity_type: 'decision', entity_id: writer })]);
  });

  it('reports a deleted row and a row inserted with no event', async () => {
    const id = await firstId('weaknesses');
    const deleted = await afterEdit(async (trx) => {
      await trx.deleteFrom('risk_acceptances').where('weakness_id', '=', id).execute();
      await trx.deleteFrom('third_party_notices').where('weakness_id', '=', id).execute();
      await trx.updateTable('remediation_items').set({ weakness_id: null }).where('weakness_id', '=', id).execute();
      await trx.deleteFrom('weaknesses').where('id', '=', id).execute();
    });
    expect(deleted).toContainEqual({ entity_type: 'weakness', entity_id: id, problem: expect.stringMatching(/is missing .* deleted outside closeloop/) });
    const inserted = await afterEdit((trx) =>
      trx.insertInto('people').values({ name: 'mallory', roles: JSON.stringify(['admin']), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: '2026-12-01T00:00:00.000Z', updated_at: '2026-12-01T00:00:00.000Z', removed_at: null }).execute(),
    );
    expect(inserted).toEqual([{ entity_type: 'person', entity_id: 'mallory', problem: expect.stringMatching(/no audit event: it was inserted outside closeloop/) }]);
    const dec = await firstId('decisions');
    const decision = await afterEdit((trx) => trx.deleteFrom('decisions').where('id', '=', dec).execute());
    expect(decision.map((p) => p.entity_type)).toEqual(['decision']);
  });
});

describe('closeloop audit verify', () => {
  it('exits 1 naming each record edited outside closeloop, and 0 when every record matches', async () => {
    const t = await makeTestContext('sqlite', { label: 'verify_cli' });
    try {
      const cli = (args: string[]) => inProcessCli(t.dir, [...args, '--by', 'auditor'], { CLOSELOOP_DB: path.join(t.dir, 'closeloop.db'), CLOSELOOP_ACTOR: '' });
      // the fixture's people were written without events: verify names them
      const unaudited = await cli(['audit', 'verify']);
      expectExit(unaudited, 1);
      expect(unaudited.stdout).toMatch(/person auditor: people row auditor has no audit event/);
      await auditSeededPeople(t.ctx.store, t.people, t.ctx.now().toISOString());
      const inc = await openIncident(t.ctx, { actor: 'lead' }, { title: 'Leaked key', severity: 'high' });
      const ok = await cli(['audit', 'verify']);
      expectExit(ok, 0);
      expect(ok.stdout).toMatch(/records match the audit chain: \d+ checked/);
      await t.ctx.store.db.updateTable('incidents').set({ severity: 'low' }).where('id', '=', inc.id).execute();
      const edited = await cli(['audit', 'verify']);
      expectExit(edited, 1);
      expect(edited.stdout).toContain('audit chain intact');
      expect(edited.stdout).toContain(`incident ${inc.id}: incidents row ${inc.id} differs from the state its latest audit event`);
      const json = (await cli(['audit', 'verify', '--json'])).json() as { ok: boolean; entities: { problems: unknown[] } };
      expect(json.ok).toBe(false);
      expect(json.entities.problems).toEqual([expect.objectContaining({ entity_type: 'incident', entity_id: inc.id })]);
    } finally {
      await t.cleanup();
    }
  });
});
