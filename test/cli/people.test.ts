/**
 * `closeloop people` and `closeloop token` as an operator runs them, on both engines: list, add,
 * roles, remove, token create/list/revoke, with --json and words, and refusals with their exit
 * codes; help that shows examples.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit, runCliBy } from '../helpers/cli.js';
import { testPgUrl } from '../helpers/context.js';

const engines = [
  { name: 'sqlite', url: (dir: string) => path.join(dir, 'closeloop.db') },
  { name: 'postgres', url: () => { const u = testPgUrl(); u.searchParams.set('schema', `clipeople_${process.pid}_${Date.now()}`); return u.toString(); } },
] as const;

describe.each(engines)('closeloop people and token on $name', ({ name, url }) => {
  let dir: string;
  let db: string;
  const cli = (args: string[], by?: string) => runCliBy(dir, db, args, by);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-people-'));
    db = url(dir);
    expectExit(await cli(['init'], 'alice'), 0);
  });
  afterAll(async () => {
    if (name === 'postgres') {
      const c = new pg.Client({ connectionString: testPgUrl().toString() });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${new URL(db).searchParams.get('schema') ?? ''}" CASCADE`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, lists, re-roles and removes people; refusals say what to do', async () => {
    const add = await cli(['people', 'add', 'bob', '--roles', 'ir_lead,service_owner', '--json'], 'alice');
    expectExit(add, 0);
    expect(add.json()).toMatchObject({ id: 'bob', name: 'bob', roles: ['ir_lead', 'service_owner'], removed_at: null });
    const twice = await cli(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice');
    expectExit(twice, 3);
    expect(twice.stderr).toContain('closeloop people roles bob');
    const typo = await cli(['people', 'add', 'carl', '--roles', 'ir_laed'], 'alice');
    expectExit(typo, 2);
    expect(typo.stderr).toContain('did you mean ir_lead?');
    expectExit(await cli(['people', 'add', 'carl', '--roles', 'auditor'], 'bob'), 3);

    const roles = await cli(['people', 'roles', 'bob', '--roles', 'ir_lead'], 'alice');
    expectExit(roles, 0);
    expect(roles.stdout).toBe('bob: ir_lead\n');
    const list = await cli(['people', 'list'], 'alice');
    expectExit(list, 0);
    expect(list.stdout).toMatch(/^NAME\s+ROLES/);
    expect(list.stdout).toMatch(/\nbob\s+ir_lead\s/);

    const self = await cli(['people', 'remove', 'alice'], 'alice');
    expectExit(self, 3);
    expect(self.stderr).toContain('cannot remove themselves');
    const removed = await cli(['people', 'remove', 'bob'], 'alice');
    expectExit(removed, 0);
    expect(removed.stdout).toContain('bob removed');
    expectExit(await cli(['incident', 'list'], 'bob'), 3);
    const all = await cli(['people', 'list', '--all', '--json'], 'alice');
    expect((all.json() as { people: { name: string; removed_at: string | null }[] }).people.find((p) => p.name === 'bob')?.removed_at).not.toBeNull();
  });

  it('creates, lists and revokes tokens; never prints a hash', async () => {
    expectExit(await cli(['people', 'add', 'dora', '--roles', 'ir_lead'], 'alice'), 0);
    const created = await cli(['token', 'create', '--actor', 'dora', '--label', 'laptop', '--expires', '30d'], 'alice');
    expectExit(created, 0);
    const [token, note] = created.stdout.split('\n');
    expect(token).toMatch(/^clt_/);
    expect(note).toMatch(/^\(token TK-\d{4} for dora, expires \d{4}-\d{2}-\d{2}T/);
    const id = /token (TK-\d{4})/.exec(note ?? '')?.[1] ?? '';
    const listed = await cli(['token', 'list', '--actor', 'dora', '--json'], 'alice');
    expectExit(listed, 0);
    expect((listed.json() as { tokens: { id: string; label: string }[] }).tokens).toEqual([expect.objectContaining({ id, actor: 'dora', label: 'laptop', last_used_at: null, revoked_at: null })]);
    expect(listed.stdout).not.toContain('token_hash');
    const words = await cli(['token', 'list'], 'alice');
    expect(words.stdout).toMatch(new RegExp(`${id}\\s+dora\\s+laptop`));
    expectExit(await cli(['token', 'revoke', id], 'alice'), 0);
    const again = await cli(['token', 'revoke', id], 'alice');
    expectExit(again, 3);
    expect(again.stderr).toContain('revoked already');
    const bad = await cli(['token', 'create', '--actor', 'dora', '--expires', 'tomorrow'], 'alice');
    expectExit(bad, 2);
    expect(bad.stderr).toContain('expires');
  });

  it('help teaches with examples', async () => {
    for (const args of [['people', '--help'], ['people', 'add', '--help'], ['people', 'roles', '--help'], ['people', 'remove', '--help'], ['token', '--help'], ['token', 'create', '--help']]) {
      const r = await cli(args);
      expectExit(r, 0);
      expect(r.stdout, args.join(' ')).toMatch(/Examples?:\n {2}closeloop (people|token) /);
    }
  });
});
