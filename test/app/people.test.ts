/**
 * The people directory and API tokens in the store, on both engines: every change audited, roles
 * checked against what the policy and the configuration know, conditional writes (no lost update,
 * never without an admin), and authorization that reads the store on every call, so a change made
 * through another connection counts at once.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { actorForToken, createToken, listTokens, revokeToken } from '../../src/app/admin.js';
import { authorize, rolesOf, type AppContext } from '../../src/app/context.js';
import { addPerson, knownRoles, listPeople, nearestRole, removePerson, setRoles } from '../../src/app/people.js';
import { ClError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/db.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';

const ADMIN = { actor: 'admin' };

async function refusal(p: Promise<unknown>): Promise<ClError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClError);
  return err as ClError;
}

/** A second connection to the same store, as another process (a CLI beside a server) has. */
async function sameStore(t: TestContext): Promise<Store> {
  if (t.ctx.store.engine === 'sqlite') return openStore({ url: path.join(t.dir, 'closeloop.db'), migrate: false });
  const u = testPgUrl();
  u.searchParams.set('schema', t.ctx.store.schema ?? '');
  return openStore({ url: u.toString(), migrate: false });
}

async function auditActions(ctx: AppContext, entityType: string): Promise<{ action: string; actor: string; entity_id: string }[]> {
  return ctx.store.db.selectFrom('audit_events').select(['action', 'actor', 'entity_id']).where('entity_type', '=', entityType).orderBy('seq').execute();
}

describe.each(ENGINES)('people and tokens on %s', (engine) => {
  let t: TestContext;
  let other: Store | null = null;
  afterEach(async () => {
    await other?.close();
    other = null;
    await t.cleanup();
  });

  it('adds, re-roles and removes people, each change audited; a removed person cannot act, keeps their name in the chain, and can be added back', async () => {
    t = await makeTestContext(engine, { label: 'people' });
    const bob = await addPerson(t.ctx, ADMIN, { name: 'bob', roles: ['ir_lead', 'ir_lead'] });
    expect(bob).toMatchObject({ name: 'bob', roles: ['ir_lead'], removed_at: null, has_password: false });
    await authorize(t.ctx, { actor: 'bob' }, 'incident.open');

    const again = await refusal(addPerson(t.ctx, ADMIN, { name: 'bob', roles: ['auditor'] }));
    expect(again.code).toBe('CL_CONFLICT');
    expect(again.message).toContain('closeloop people roles bob');

    expect((await setRoles(t.ctx, ADMIN, { name: 'bob', roles: ['auditor'] })).roles).toEqual(['auditor']);
    expect((await refusal(authorize(t.ctx, { actor: 'bob' }, 'incident.open'))).code).toBe('CL_FORBIDDEN');

    const removed = await removePerson(t.ctx, ADMIN, { name: 'bob' });
    expect(removed.removed_at).not.toBeNull();
    const gone = await refusal(authorize(t.ctx, { actor: 'bob' }, 'incident.read'));
    expect(gone.code).toBe('CL_FORBIDDEN');
    expect(gone.message).toContain('not in the people directory');
    expect(await rolesOf(t.ctx, 'bob')).toEqual([]);
    expect((await listPeople(t.ctx, ADMIN)).map((p) => p.name)).not.toContain('bob');
    expect((await listPeople(t.ctx, ADMIN, { include_removed: true })).find((p) => p.name === 'bob')?.removed_at).toBe(removed.removed_at);
    expect((await refusal(setRoles(t.ctx, ADMIN, { name: 'bob', roles: ['ir_lead'] }))).code).toBe('CL_NOT_FOUND');

    const back = await addPerson(t.ctx, ADMIN, { name: 'bob', roles: ['service_owner'] });
    expect(back).toMatchObject({ roles: ['service_owner'], removed_at: null });
    expect(await auditActions(t.ctx, 'person')).toEqual([
      { action: 'person.added', actor: 'admin', entity_id: 'bob' },
      { action: 'person.roles_set', actor: 'admin', entity_id: 'bob' },
      { action: 'person.removed', actor: 'admin', entity_id: 'bob' },
      { action: 'person.added', actor: 'admin', entity_id: 'bob' },
    ]);
  });

  it('refuses a misspelt role naming the field, the nearest role and the valid ones; knows the configured roles', async () => {
    t = await makeTestContext(engine, { label: 'people', config: { routing: { roles: { ciso: [{ channel: 'file', address: './outbox/ciso' }] } } } });
    const err = await refusal(addPerson(t.ctx, ADMIN, { name: 'bob', roles: ['ir_lead', 'ir_laed'] }));
    expect(err.code).toBe('CL_BAD_INPUT');
    expect(err.message).toContain('roles.1');
    expect(err.message).toContain('did you mean ir_lead?');
    expect(err.message).toContain('valid roles: admin,');
    expect(knownRoles(t.ctx.config)).toEqual(expect.arrayContaining(['admin', 'auditor', 'ciso', 'contract_owner', 'risk_approver', 'responder']));
    expect((await addPerson(t.ctx, ADMIN, { name: 'carol', roles: ['ciso'] })).roles).toEqual(['ciso']);
    expect(nearestRole('zzzzzz', knownRoles(t.ctx.config))).toBeNull();
    expect((await listPeople(t.ctx, ADMIN)).map((p) => p.name)).not.toContain('bob');
  });

  it('only admins manage people; grc and auditors read the directory; nobody removes themselves or the last admin', async () => {
    t = await makeTestContext(engine, { label: 'people' });
    expect((await refusal(addPerson(t.ctx, { actor: 'lead' }, { name: 'x', roles: ['ir_lead'] }))).code).toBe('CL_FORBIDDEN');
    expect((await refusal(listPeople(t.ctx, { actor: 'lead' }))).code).toBe('CL_FORBIDDEN');
    expect((await listPeople(t.ctx, { actor: 'auditor' })).length).toBeGreaterThan(5);
    expect((await listPeople(t.ctx, { actor: 'grc' })).find((p) => p.name === 'admin')?.roles).toEqual(['admin']);

    const self = await refusal(removePerson(t.ctx, ADMIN, { name: 'admin' }));
    expect(self.code).toBe('CL_RULE_REFUSED');
    expect(self.message).toContain('cannot remove themselves');
    const last = await refusal(setRoles(t.ctx, ADMIN, { name: 'admin', roles: ['ir_lead'] }));
    expect(last.code).toBe('CL_RULE_REFUSED');
    expect(last.message).toContain('last admin');

    await addPerson(t.ctx, ADMIN, { name: 'root', roles: ['admin'] });
    await setRoles(t.ctx, ADMIN, { name: 'admin', roles: ['ir_lead'] });
    expect((await refusal(removePerson(t.ctx, ADMIN, { name: 'root' }))).code).toBe('CL_FORBIDDEN');
    expect((await refusal(setRoles(t.ctx, { actor: 'root' }, { name: 'root', roles: ['auditor'] }))).message).toContain('last admin');
  });

  it('two processes adding the same person at once: one adds, the other is refused with CL_CONFLICT', async () => {
    t = await makeTestContext(engine, { label: 'people' });
    other = await sameStore(t);
    const second: AppContext = { ...t.ctx, store: other };
    const results = await Promise.allSettled([addPerson(t.ctx, ADMIN, { name: 'dana', roles: ['ir_lead'] }), addPerson(second, ADMIN, { name: 'dana', roles: ['auditor'] })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0]?.reason as ClError).code).toBe('CL_CONFLICT');
    expect((await auditActions(t.ctx, 'person')).filter((e) => e.entity_id === 'dana')).toHaveLength(1);
  });

  it('a change made through another connection counts at the next check', async () => {
    t = await makeTestContext(engine, { label: 'people' });
    other = await sameStore(t);
    const cli: AppContext = { ...t.ctx, store: other };
    expect((await refusal(authorize(t.ctx, { actor: 'erin' }, 'incident.open'))).code).toBe('CL_FORBIDDEN');
    await addPerson(cli, ADMIN, { name: 'erin', roles: ['ir_lead'] });
    await authorize(t.ctx, { actor: 'erin' }, 'incident.open');
    await setRoles(cli, ADMIN, { name: 'erin', roles: ['auditor'] });
    expect(await rolesOf(t.ctx, 'erin')).toEqual(['auditor']);
    await removePerson(cli, ADMIN, { name: 'erin' });
    expect((await refusal(authorize(t.ctx, { actor: 'erin' }, 'incident.read'))).code).toBe('CL_FORBIDDEN');
  });

  it('tokens: created for a person with an expiry, listed without hashes, revoked, expired or of a removed person refused with words; audited', async () => {
    t = await makeTestContext(engine, { label: 'tokens' });
    const a = await createToken(t.ctx, ADMIN, { actor: 'lead', label: 'laptop', expires: '90d' });
    expect(a.expires_at).toBe(new Date(t.clock.now().getTime() + 90 * 86_400_000).toISOString());
    const b = await createToken(t.ctx, ADMIN, { actor: 'so', expires: '2026-12-31' });
    expect(b.expires_at).toBe('2027-01-01T00:00:00.000Z');
    const c = await createToken(t.ctx, ADMIN, { actor: 'vm' });
    expect((await refusal(createToken(t.ctx, ADMIN, { actor: 'vm', expires: '2026-01-01' }))).message).toContain('in the past');
    expect((await refusal(createToken(t.ctx, ADMIN, { actor: 'vm', expires: 'soon' }))).message).toContain('expires');
    expect((await refusal(createToken(t.ctx, { actor: 'lead' }, { actor: 'lead' }))).code).toBe('CL_FORBIDDEN');
    expect((await refusal(listTokens(t.ctx, { actor: 'auditor' }))).code).toBe('CL_FORBIDDEN');

    const listed = await listTokens(t.ctx, ADMIN);
    expect(listed.map((x) => x.id)).toEqual([a.id, b.id, c.id]);
    expect(JSON.stringify(listed)).not.toMatch(/token_hash|clt_/);
    expect((await listTokens(t.ctx, ADMIN, { actor: 'so' })).map((x) => x.id)).toEqual([b.id]);

    expect(await actorForToken(t.ctx, a.token)).toBe('lead');
    expect(await actorForToken(t.ctx, b.token)).toBe('so');
    await revokeToken(t.ctx, ADMIN, { id: a.id });
    const revoked = await refusal(actorForToken(t.ctx, a.token));
    expect(revoked.code).toBe('CL_UNAUTHENTICATED');
    expect(revoked.message).toContain(`${a.id} was revoked`);
    expect((await refusal(revokeToken(t.ctx, ADMIN, { id: a.id }))).code).toBe('CL_CONFLICT');
    expect((await refusal(revokeToken(t.ctx, ADMIN, { id: 'TK-9999' }))).code).toBe('CL_NOT_FOUND');

    t.clock.set('2027-01-01T00:00:00Z');
    const expired = await refusal(actorForToken(t.ctx, b.token));
    expect(expired.message).toContain(`${b.id} expired on 2027-01-01`);

    expect(await actorForToken(t.ctx, c.token)).toBe('vm');
    await addPerson(t.ctx, ADMIN, { name: 'root', roles: ['admin'] });
    const r = await removePerson(t.ctx, ADMIN, { name: 'vm' });
    expect(r.tokens_revoked).toEqual([c.id]);
    expect((await refusal(actorForToken(t.ctx, c.token))).code).toBe('CL_UNAUTHENTICATED');
    expect((await refusal(actorForToken(t.ctx, 'clt_nothing'))).message).toContain('unknown');
    // the removal revokes vm's token with an event of its own
    expect((await auditActions(t.ctx, 'api_token')).map((e) => e.action)).toEqual(['token.created', 'token.created', 'token.created', 'token.revoked', 'token.revoked']);
  });

  it('records a token’s last use at most once a minute', async () => {
    t = await makeTestContext(engine, { label: 'tokens' });
    const a = await createToken(t.ctx, ADMIN, { actor: 'lead' });
    const lastUsed = async () => (await listTokens(t.ctx, ADMIN)).find((x) => x.id === a.id)?.last_used_at;
    expect(await lastUsed()).toBeNull();
    const first = t.clock.now().toISOString();
    await actorForToken(t.ctx, a.token);
    expect(await lastUsed()).toBe(first);
    t.clock.advance({ seconds: 30 });
    await actorForToken(t.ctx, a.token);
    expect(await lastUsed()).toBe(first);
    t.clock.advance({ seconds: 31 });
    await actorForToken(t.ctx, a.token);
    expect(await lastUsed()).toBe(t.clock.now().toISOString());
  });
});
