import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consistencyProblem, inclusionProblem } from '../../src/audit/proofs.js';
import { openStore } from '../../src/store/db.js';
import { expectExit, runCliBy } from '../helpers/cli.js';
import { ENGINES, testPgUrl } from '../helpers/context.js';

describe.each(ENGINES)('closeloop keys and audit checkpoints on %s', (engine) => {
  let dir: string;
  let db: string;
  let schema: string | null = null;
  const cli = (args: string[], by?: string) => runCliBy(dir, db, args, by);
  const yaml = () => parse(readFileSync(path.join(dir, 'closeloop.yaml'), 'utf8')) as { audit?: { signing_key?: string; trusted_keys?: string[] } };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-keys-'));
    if (engine === 'postgres') {
      schema = `t_keys_cli_${process.pid}_${Date.now()}`;
      const u = testPgUrl();
      u.searchParams.set('schema', schema);
      db = u.toString();
    } else {
      db = path.join(dir, 'closeloop.db');
    }
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (schema !== null) {
      const s = await openStore({ url: testPgUrl().toString(), migrate: false });
      await s.pgPool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await s.close();
      schema = null;
    }
  });

  it('init signs a new install; keys init refuses a second key, --rotate keeps the old one trusted; export prints the public key', async () => {
    expectExit(await cli(['init'], 'admin'), 0);
    const key = path.join(dir, 'keys', 'audit-signing.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(yaml().audit?.signing_key).toBe('keys/audit-signing.pem');
    const list = await cli(['audit', 'checkpoints', '--json'], 'admin');
    expectExit(list, 0);
    expect((list.json().checkpoints as unknown[]).length).toBe(1);

    const again = await cli(['keys', 'init'], 'admin');
    expectExit(again, 3);
    expect(again.stderr).toMatch(/a signing key is configured already.*--rotate/);

    writeFileSync(path.join(dir, 'closeloop.yaml'), `${readFileSync(path.join(dir, 'closeloop.yaml'), 'utf8')}# kept: an operator's note\n`);
    const exported = await cli(['keys', 'export']);
    expectExit(exported, 0);
    expect(exported.stdout).toBe(readFileSync(path.join(dir, 'keys', 'audit-signing.pub.pem'), 'utf8'));

    const rotated = await cli(['keys', 'init', '--rotate', '--json'], 'admin');
    expectExit(rotated, 0);
    const r = rotated.json() as { key_id: string; private_key_file: string; previous_key_id: string; checkpoint: { tree_size: number } };
    expect(r.private_key_file).toBe(path.join(dir, 'keys', `audit-signing-${r.key_id}.pem`));
    expect(statSync(r.private_key_file).mode & 0o777).toBe(0o600);
    expect(r.previous_key_id).not.toBe(r.key_id);
    expect(yaml().audit).toMatchObject({ signing_key: `keys/audit-signing-${r.key_id}.pem`, trusted_keys: ['keys/audit-signing.pub.pem'] });
    expect(readFileSync(path.join(dir, 'closeloop.yaml'), 'utf8')).toContain("# kept: an operator's note");
    expectExit(await cli(['keys', 'init', '--rotate'], 'lead'), 3);

    // both keys' checkpoints verify: the old one is trusted
    const verify = await cli(['audit', 'verify'], 'admin');
    expectExit(verify, 0);
    expect(verify.stdout).toMatch(/2 signed checkpoints, latest \d+/);
    const out = path.join(dir, 'pub.pem');
    expectExit(await cli(['keys', 'export', '-o', out]), 0);
    expect(readFileSync(out, 'utf8')).toContain('BEGIN PUBLIC KEY');

    // without the old key in trusted_keys its checkpoint is reported
    writeFileSync(path.join(dir, 'closeloop.yaml'), readFileSync(path.join(dir, 'closeloop.yaml'), 'utf8').replace(/trusted_keys:\n\s+- keys\/audit-signing.pub.pem\n/, 'trusted_keys: []\n'));
    const broken = await cli(['audit', 'verify'], 'admin');
    expectExit(broken, 1);
    expect(broken.stdout).toMatch(/PROBLEM: checkpoint \d+ \(.*\): signed by key \w+, which is not trusted/);
  });

  it('prints proofs a third party checks with the public key alone; any changed element fails', async () => {
    expectExit(await cli(['init'], 'admin'), 0);
    for (let i = 0; i < 5; i++) expectExit(await cli(['people', 'add', `p${i}`, '--roles', 'responder'], 'admin'), 0);
    const second = await cli(['audit', 'checkpoint', '--json'], 'admin');
    expectExit(second, 0);
    const size = second.json().tree_size as number;
    const pub = readFileSync(path.join(dir, 'keys', 'audit-signing.pub.pem'), 'utf8');
    const first = ((await cli(['audit', 'checkpoints', '--json'], 'admin')).json().checkpoints as { tree_size: number }[])[0]?.tree_size ?? 0;

    const prove = await cli(['audit', 'prove', '3', '--checkpoint', String(size), '--json'], 'admin');
    expectExit(prove, 0);
    const inclusion = prove.json();
    expect(inclusionProblem(inclusion, pub)).toBeNull();
    const path0 = inclusion.path as string[];
    expect(path0.length).toBeGreaterThan(1);
    const flip = (h: string) => `${h[0] === '0' ? '1' : '0'}${h.slice(1)}`;
    const checkpoint = inclusion.checkpoint as Record<string, string | number>;
    const mutated: [string, unknown][] = [
      ['seq', { ...inclusion, seq: 4 }],
      ['leaf', { ...inclusion, leaf: flip(inclusion.leaf as string) }],
      ['tree_size', { ...inclusion, tree_size: size - 1 }],
      ...path0.map((h, i): [string, unknown] => [`path[${i}]`, { ...inclusion, path: path0.map((x, j) => (j === i ? flip(h) : x)) }]),
      ['path dropped', { ...inclusion, path: path0.slice(1) }],
      ['path extended', { ...inclusion, path: [...path0, path0[0]] }],
      ...['tree_size', 'root_hash', 'at', 'key_id', 'signature'].map((f): [string, unknown] => [
        `checkpoint.${f}`,
        { ...inclusion, checkpoint: { ...checkpoint, [f]: f === 'tree_size' ? size + 1 : f === 'signature' ? `A${String(checkpoint[f]).slice(1)}` : flip(String(checkpoint[f])) } },
      ]),
    ];
    for (const [what, m] of mutated) expect(inclusionProblem(m, pub), what).not.toBeNull();

    const cons = await cli(['audit', 'consistency', String(first), String(size), '--json'], 'admin');
    expectExit(cons, 0);
    const proof = cons.json();
    expect(consistencyProblem(proof, pub)).toBeNull();
    const cpath = proof.path as string[];
    expect(cpath.length).toBeGreaterThan(0);
    const from = proof.from as Record<string, unknown>;
    const to = proof.to as Record<string, unknown>;
    const bad: [string, unknown][] = [
      ...cpath.map((h, i): [string, unknown] => [`path[${i}]`, { ...proof, path: cpath.map((x, j) => (j === i ? flip(h) : x)) }]),
      ['path dropped', { ...proof, path: cpath.slice(1) }],
      ['from.root_hash', { ...proof, from: { ...from, root_hash: flip(from.root_hash as string) } }],
      ['to.root_hash', { ...proof, to: { ...to, root_hash: flip(to.root_hash as string) } }],
      ['from.tree_size', { ...proof, from: { ...from, tree_size: (from.tree_size as number) + 1 } }],
      ['to.signature', { ...proof, to: { ...to, signature: `A${(to.signature as string).slice(1)}` } }],
    ];
    for (const [what, m] of bad) expect(consistencyProblem(m, pub), what).not.toBeNull();
    const stranger = (await cli(['keys', 'init', '--rotate', '--json'], 'admin')).json().public_key as string;
    expect(inclusionProblem(inclusion, stranger)).toMatch(/not by the key given/);

    const human = await cli(['audit', 'prove', '3'], 'admin');
    expectExit(human, 0);
    expect(human.stdout).toContain(inclusion.leaf as string);
    expectExit(await cli(['audit', 'prove', '999999'], 'admin'), 2);
  });

  it('a missing or foreign signing key file stops the command with exit 2, naming the file and the key', async () => {
    expectExit(await cli(['init'], 'admin'), 0);
    const key = path.join(dir, 'keys', 'audit-signing.pem');
    rmSync(key);
    const missing = await cli(['audit', 'verify'], 'admin');
    expectExit(missing, 2);
    expect(missing.stderr).toContain(`audit.signing_key: the key file ${key} does not exist`);
    writeFileSync(key, 'not a key');
    const foreign = await cli(['audit', 'verify'], 'admin');
    expectExit(foreign, 2);
    expect(foreign.stderr).toMatch(/audit\.signing_key: .*audit-signing\.pem is not a PEM private key/);
  });
});
