import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectExit, runCliBy } from '../helpers/cli.js';

let dir: string;
/** `closeloop` in `dir` on its c.db, as nobody unless `by` is given. */
const cli = (args: string[], by?: string) => runCliBy(dir, path.join(dir, 'c.db'), args, by);
const configFile = () => path.join(dir, 'closeloop.yaml');
const editConfig = (fn: (c: Record<string, unknown>) => void) => {
  const c = parse(readFileSync(configFile(), 'utf8')) as Record<string, unknown>;
  fn(c);
  writeFileSync(configFile(), stringify(c));
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('init writes a valid control card and makes --by the first admin; a second init refuses', async () => {
    expectExit(await cli(['init'], 'alice'), 0);
    const c = parse(readFileSync(configFile(), 'utf8')) as { people?: unknown; control_card: Record<string, unknown>; gate: { mode: string } };
    expect(c.people).toBeUndefined();
    const people = await cli(['people', 'list', '--json'], 'alice');
    expectExit(people, 0);
    expect((people.json() as { people: { name: string; roles: string[] }[] }).people.map((p) => [p.name, p.roles])).toEqual([['alice', ['admin']]]);
    for (const key of ['objective', 'owner_role', 'triggers', 'recipient_roles', 'workflow_steps', 'exception_rules', 'evidence_location']) expect(c.control_card).toHaveProperty(key);
    expect(c.gate.mode).toBe('hard');
    const again = await cli(['init'], 'alice');
    expectExit(again, 3);
    expect(again.stderr).toContain('exists already');
  });

  it('token create prints a token once and stores only its hash; only an admin may create one', async () => {
    expectExit(await cli(['init'], 'alice'), 0);
    expectExit(await cli(['people', 'add', 'bob', '--roles', 'ir_lead'], 'alice'), 0);
    const r = await cli(['token', 'create', '--actor', 'bob', '--json'], 'alice');
    expectExit(r, 0);
    const { token, id } = JSON.parse(r.stdout) as { token: string; id: string };
    expect(token).toMatch(/^clt_/);
    expect(id).toMatch(/^TK-/);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dir, 'c.db'), { readonly: true });
    const rows = db.prepare('SELECT actor, token_hash FROM api_tokens').all() as { actor: string; token_hash: string }[];
    db.close();
    expect(rows).toEqual([{ actor: 'bob', token_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expectExit(await cli(['token', 'create', '--actor', 'bob'], 'bob'), 3);
    expectExit(await cli(['token', 'create', '--actor', 'nobody'], 'alice'), 2);
  });

  it('a command without configuration says how to create one', async () => {
    const r = await cli(['incident', 'list'], 'alice');
    expectExit(r, 2);
    expect(r.stderr).toContain('closeloop init');
  });

  const invalid: [string, (c: Record<string, unknown>) => void, string][] = [
    ['unknown gate mode', (c) => ((c.gate as Record<string, unknown>).mode = 'lenient'), 'gate.mode'],
    ['recipient role without a route', (c) => ((c.control_card as { recipient_roles: string[] }).recipient_roles.push('ciso')), 'routing.roles.ciso'],
    ['route with an unknown channel', (c) => ((c.routing as { roles: Record<string, unknown> }).roles.ir_lead = [{ channel: 'pigeon', address: 'x' }]), 'routing.roles.ir_lead[0].channel'],
    ['missing objective', (c) => delete (c.control_card as Record<string, unknown>).objective, 'control_card.objective'],
    ['people roles not a list', (c) => (c.people = { alice: 'admin' }), 'people.alice'],
  ];
  it.each(invalid)('an invalid file (%s) is refused at start, naming the key', async (_n, edit, key) => {
    expectExit(await cli(['init'], 'alice'), 0);
    editConfig(edit);
    const r = await cli(['incident', 'list'], 'alice');
    expectExit(r, 2);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toContain(key);
  });

  it('soft gate mode closes with the gaps flagged, and the incident shows them', async () => {
    expectExit(await cli(['init'], 'alice'), 0);
    editConfig((c) => ((c.gate as Record<string, unknown>).mode = 'soft'));
    expectExit(await cli(['people', 'add', 'lead', '--roles', 'ir_lead'], 'alice'), 0);
    const open = await cli(['incident', 'open', '--title', 't', '--severity', 'low', '--json'], 'lead');
    const id = (JSON.parse(open.stdout) as { id: string }).id;
    for (const s of ['triage', 'eradication', 'recovery', 'post_incident']) expectExit(await cli(['incident', 'move', id, s], 'lead'), 0);
    const r = await cli(['incident', 'close', id], 'lead');
    expectExit(r, 0);
    expect(r.stdout).toContain('gap(s) flagged for post-closure review');
    expect(r.stdout).toContain('is not marked "none identified"');
    const show = await cli(['incident', 'show', id], 'lead');
    expect(show.stdout).toContain('closed with');
  });
});
