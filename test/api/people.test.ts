/**
 * The people directory and API tokens over HTTP, on both engines: admin-only routes (the directory
 * readable by grc and auditors), a token shown once, and a directory change made by another
 * process (the CLI, here a use case on a second connection to the same store) effective at the
 * server's next request.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { addPerson, removePerson, setRoles } from '../../src/app/people.js';
import { createToken } from '../../src/app/admin.js';
import { openStore, type Store } from '../../src/store/db.js';
import { ENGINES, testPgUrl } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const ADMIN = { actor: 'admin' };

async function sameStore(api: Api): Promise<Store> {
  const store = api.tc.ctx.store;
  if (store.engine === 'sqlite') return openStore({ url: path.join(api.tc.dir, 'closeloop.db'), migrate: false });
  const u = testPgUrl();
  u.searchParams.set('schema', store.schema ?? '');
  return openStore({ url: u.toString(), migrate: false });
}

describe.each(ENGINES)('people and tokens API on %s', (engine) => {
  let api: Api;
  let other: Store | null = null;
  afterEach(async () => {
    await other?.close();
    other = null;
    await api.close();
  });

  it('admins add, re-role and remove people and manage tokens; grc and auditors read the directory; others get 403', async () => {
    api = await makeApi(engine);
    const added = await api.ok<{ id: string; name: string; roles: string[] }>('admin', 'POST', '/people', { name: 'bob', roles: ['ir_lead'] }, 201);
    expect(added).toMatchObject({ id: 'bob', name: 'bob', roles: ['ir_lead'] });
    await api.fail('admin', 'POST', '/people', { name: 'bob', roles: ['ir_lead'] }, 409, 'CL_CONFLICT');
    const bad = await api.fail('admin', 'POST', '/people', { name: 'carl', roles: ['ir_laed'] }, 400, 'CL_BAD_INPUT');
    expect(bad.message).toContain('did you mean ir_lead?');
    await api.fail('lead', 'POST', '/people', { name: 'carl', roles: ['ir_lead'] }, 403, 'CL_FORBIDDEN');

    expect((await api.ok<{ roles: string[] }>('admin', 'POST', '/people/bob/roles', { roles: ['auditor', 'ir_lead'] })).roles).toEqual(['auditor', 'ir_lead']);
    const listed = await api.ok<{ people: { name: string; roles: string[] }[] }>('auditor', 'GET', '/people');
    expect(listed.people.find((p) => p.name === 'bob')?.roles).toEqual(['auditor', 'ir_lead']);
    expect(JSON.stringify(listed)).not.toContain('password_hash');
    await api.fail('lead', 'GET', '/people', undefined, 403, 'CL_FORBIDDEN');

    const created = await api.ok<{ id: string; token: string; actor: string; expires_at: string }>('admin', 'POST', '/tokens', { actor: 'bob', label: 'ci', expires: '30d' }, 201);
    expect(created.token).toMatch(/^clt_/);
    const tokens = await api.ok<{ tokens: { id: string; actor: string; label: string }[] }>('admin', 'GET', '/tokens?actor=bob');
    expect(tokens.tokens).toEqual([expect.objectContaining({ id: created.id, actor: 'bob', label: 'ci', expires_at: created.expires_at, revoked_at: null })]);
    expect(JSON.stringify(tokens)).not.toContain(created.token);
    await api.fail('auditor', 'GET', '/tokens', undefined, 403, 'CL_FORBIDDEN');

    const asBob = { authorization: `Bearer ${created.token}` };
    expect((await api.request(null, 'GET', '/incidents', undefined, asBob)).statusCode).toBe(200);
    await api.ok('admin', 'POST', `/tokens/${created.id}/revoke`, {});
    const revoked = await api.request(null, 'GET', '/incidents', undefined, asBob);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json<{ message: string }>().message).toContain('revoked');

    const removed = await api.ok<{ name: string; removed_at: string }>('admin', 'POST', '/people/bob/remove', {});
    expect(removed.removed_at).not.toBeNull();
    await api.fail('admin', 'POST', '/people/admin/remove', {}, 409, 'CL_RULE_REFUSED');
    await api.fail('admin', 'POST', '/people/nobody/roles', { roles: ['ir_lead'] }, 404, 'CL_NOT_FOUND');
  });

  it('a person added, re-roled or removed by another process counts at the next request; a removed person’s token stops working', async () => {
    api = await makeApi(engine);
    other = await sameStore(api);
    const cli: AppContext = { ...api.tc.ctx, store: other };
    await addPerson(cli, ADMIN, { name: 'fay', roles: ['auditor'] });
    const { token } = await createToken(cli, ADMIN, { actor: 'fay' });
    const asFay = { authorization: `Bearer ${token}` };
    const open = () => api.request(null, 'POST', '/incidents', { title: 'seen at once', severity: 'low' }, asFay);

    expect((await api.request(null, 'GET', '/incidents', undefined, asFay)).statusCode).toBe(200);
    expect((await open()).statusCode).toBe(403);
    await setRoles(cli, ADMIN, { name: 'fay', roles: ['ir_lead'] });
    expect((await open()).statusCode).toBe(201);

    const auditBefore = await api.auditCount();
    await removePerson(cli, ADMIN, { name: 'fay' });
    const gone = await api.request(null, 'GET', '/incidents', undefined, asFay);
    expect(gone.statusCode).toBe(401);
    expect(gone.json<{ message: string }>().message).toMatch(/revoked|removed/);
    // the removal, and the revocation of fay's token it made
    expect(await api.auditCount()).toBe(auditBefore + 2);
    const actors = await api.tc.ctx.store.db.selectFrom('audit_events').select('actor').where('action', '=', 'incident.opened').execute();
    expect(actors.map((a) => a.actor)).toContain('fay');
  });
});
