import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/admin.js';
import { createCheckpoint } from '../../src/app/audit-checkpoints.js';
import { auditMany, inTransaction, type AppContext } from '../../src/app/context.js';
import { eventHash } from '../../src/audit/chain.js';
import { eventTree, latestCheckpoint, listCheckpoints } from '../../src/audit/checkpoints.js';
import { CompactRange } from '../../src/audit/compact-range.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import { checkpointMessage, generateSigningKeyPair, signerFromPem, verifySignature, publicKeyFromPem } from '../../src/audit/signing.js';
import type { AuditEvent, Db } from '../../src/store/schema.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const contexts: TestContext[] = [];
afterEach(async () => {
  for (const t of contexts.splice(0)) await t.cleanup();
});

async function signed(engine: (typeof ENGINES)[number], audit: Record<string, unknown> = {}): Promise<TestContext> {
  const t = await makeTestContext(engine, { label: 'ckpt', signing: true, config: { audit: { checkpoint_every: 5, witness: { file: 'witness.jsonl' }, ...audit } } });
  contexts.push(t);
  return t;
}

/** Appends `n` events in one transaction (the chain signs them, and checkpoints on crossing). */
function append(ctx: AppContext, n: number, from = 0): Promise<void> {
  return inTransaction(ctx, (trx) => auditMany(trx, ctx, { actor: 'lead' }, Array.from({ length: n }, (_, i) => ({ action: 'test.event', entityType: 'test', entityId: `T-${from + i}`, incidentId: null, state: { i: from + i } }))));
}

async function events(db: Db): Promise<AuditEvent[]> {
  return (await db.selectFrom('audit_events').selectAll().orderBy('seq').execute()).map((e) => ({ ...e, seq: Number(e.seq) }));
}

/** Edits event `seq` and recomputes every later hash so the chain verifies again (what someone holding the database can do). */
async function rewriteFrom(db: Db, seq: number, edit: (e: AuditEvent) => AuditEvent): Promise<void> {
  let prev: string | null = null;
  for (const e of await events(db)) {
    if (e.seq < seq) {
      prev = e.hash;
      continue;
    }
    const changed = e.seq === seq ? edit(e) : e;
    const next = { ...changed, prev_hash: prev ?? changed.prev_hash };
    const hash = eventHash(next);
    await db.updateTable('audit_events').set({ ...next, hash }).where('seq', '=', e.seq).execute();
    prev = hash;
  }
}

const setCounter = (db: Db, value: number) => db.updateTable('counters').set({ value }).where('name', '=', 'audit_seq').execute();
const problems = async (ctx: AppContext, opts: { witnessFile?: string } = {}) => {
  const r = await verifyAudit(ctx, { actor: 'grc' }, opts);
  return { r, text: r.checkpoints.problems.map((p) => p.problem).join('\n') };
};

describe('compact range', () => {
  it('gives the RFC 9162 root of every size, also when continued from a stored right edge', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => Buffer.from(`event ${i}`));
    const tree = new MerkleTree(leaves);
    const range = CompactRange.empty();
    expect(range.root().equals(tree.root(0))).toBe(true);
    for (const [i, leaf] of leaves.entries()) {
      range.append(leaf);
      expect(range.root().toString('hex'), `size ${i + 1}`).toBe(tree.root(i + 1).toString('hex'));
      const again = CompactRange.fromHex(range.size, range.toHex());
      expect(again?.root().toString('hex')).toBe(tree.root(i + 1).toString('hex'));
    }
    expect(CompactRange.fromHex(3, [tree.root(2).toString('hex')])).toBeNull();
  });
});

describe.each(ENGINES)('signed checkpoints on %s', (engine) => {
  it('signs every event and a checkpoint each time the log crosses checkpoint_every, witnessed to the file after commit', async () => {
    const { ctx, dir } = await signed(engine);
    await append(ctx, 3);
    expect(await listCheckpoints(ctx.store.db)).toHaveLength(0);
    await append(ctx, 4, 3); // crosses 5: a checkpoint of 7
    await append(ctx, 2, 7); // 9: none
    await append(ctx, 12, 9); // crosses 10, 15, 20: one checkpoint of 21
    const cps = await listCheckpoints(ctx.store.db);
    expect(cps.map((c) => c.tree_size)).toEqual([7, 21]);
    const key = publicKeyFromPem(ctx.signer?.publicKeyPem ?? '');
    for (const c of cps) {
      expect(c.root_hash).toBe((await eventTree(ctx.store.db, c.tree_size)).root().toString('hex'));
      expect(verifySignature(key.key, checkpointMessage({ treeSize: c.tree_size, rootHash: c.root_hash, at: c.at }), c.signature)).toBe(true);
    }
    for (const e of await events(ctx.store.db)) expect(e.key_id === key.keyId && verifySignature(key.key, e.hash, e.signature ?? '')).toBe(true);
    const file = path.join(dir, 'witness.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tree_size: number; root_hash: string });
    expect(lines.map((l) => [l.tree_size, l.root_hash])).toEqual(cps.map((c) => [c.tree_size, c.root_hash]));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { r } = await problems(ctx);
    expect(r.checkpoints.ok, JSON.stringify(r.checkpoints.problems)).toBe(true);
    expect(r.checkpoints).toMatchObject({ checkpoints: 2, latest: { tree_size: 21 }, events_after_latest: 0, witness: { checkpoints: 2 } });
  });

  it('never witnesses a checkpoint whose transaction rolled back', async () => {
    const { ctx, dir } = await signed(engine);
    await expect(
      inTransaction(ctx, async (trx) => {
        await auditMany(trx, ctx, { actor: 'lead' }, Array.from({ length: 6 }, (_, i) => ({ action: 'test.event', entityType: 'test', entityId: `T-${i}`, incidentId: null, state: {} })));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await listCheckpoints(ctx.store.db)).toHaveLength(0);
    expect(() => readFileSync(path.join(dir, 'witness.jsonl'), 'utf8')).toThrow();
  });

  it('signs on demand, covering the request itself', async () => {
    const { ctx } = await signed(engine, { checkpoint_every: 1000 });
    await append(ctx, 3);
    const c = await createCheckpoint(ctx, { actor: 'auditor' });
    expect(c.tree_size).toBe(4);
    expect((await latestCheckpoint(ctx.store.db))?.root_hash).toBe(c.root_hash);
    await expect(createCheckpoint(ctx, { actor: 'vm' })).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
  });

  it('reports a tail deletion with the sequence counter lowered, naming the checkpoint', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 12);
    await ctx.store.db.deleteFrom('audit_events').where('seq', '>', 9).execute();
    await setCounter(ctx.store.db, 9);
    const { r, text } = await problems(ctx);
    expect(r.problem).toBeNull(); // the hash chain alone sees nothing
    expect(r.checkpoints.ok).toBe(false);
    expect(text).toMatch(/checkpoint 12 \(2026-11-28T12:00:00.000Z\): it covers 12 events but the log holds 9/);
  });

  it('reports every event deleted and the counter reset', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    await ctx.store.db.deleteFrom('audit_events').execute();
    await setCounter(ctx.store.db, 0);
    const { r, text } = await problems(ctx);
    expect(r.problem).toBeNull();
    expect(r.checkpoints.ok).toBe(false);
    expect(text).toMatch(/checkpoint 6 .*the log holds 0/);
  });

  it('reports every event and every checkpoint deleted: the witness holds them, and the configured key has no checkpoint', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    await ctx.store.db.deleteFrom('audit_events').execute();
    await ctx.store.db.deleteFrom('audit_checkpoints').execute();
    await setCounter(ctx.store.db, 0);
    const { r, text } = await problems(ctx);
    expect(r.checkpoints.ok).toBe(false);
    expect(text).toMatch(/witnessed checkpoint 6 .*missing from the store/);
    expect(text).toMatch(/witnessed checkpoint 6 .*the log holds 0/);
    expect(text).toMatch(/holds no checkpoint: checkpoints were deleted/);
  });

  it('reports an edit before the last checkpoint with every later hash recomputed', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 12);
    await rewriteFrom(ctx.store.db, 3, (e) => ({ ...e, actor: 'mallory' }));
    const { r, text } = await problems(ctx);
    expect(r.problem).toBeNull();
    expect(text).toMatch(/checkpoint 12 \(.*\): its root does not match events 1\.\.12/);
    expect(text).toMatch(/witnessed checkpoint 12 .*root does not match/);
  });

  it('reports an edit after the last checkpoint with every later hash recomputed', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    await append(ctx, 3, 6);
    await rewriteFrom(ctx.store.db, 8, (e) => ({ ...e, digest: 'f'.repeat(64) }));
    const { r, text } = await problems(ctx);
    expect(r.problem).toBeNull();
    expect(text).toMatch(/event 8 .*signature does not verify/);
    expect(text).toMatch(/event 9 .*signature does not verify/);
    expect(text).not.toMatch(/event 7 /);
  });

  it('reports a forged event appended with a correct hash chain', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    const [last] = (await events(ctx.store.db)).slice(-1);
    const base = { seq: 7, at: '2026-11-28T12:00:01.000Z', actor: 'mallory', action: 'risk.decided', entity_type: 'risk', entity_id: 'RA-0001', incident_id: null, digest: 'a'.repeat(64), prev_hash: last?.hash ?? '' };
    await ctx.store.db.insertInto('audit_events').values({ ...base, hash: eventHash(base), key_id: null, signature: null }).execute();
    await setCounter(ctx.store.db, 7);
    const { r, text } = await problems(ctx);
    expect(r.problem).toBeNull();
    expect(text).toMatch(/event 7 .*is not signed/);
  });

  it.each([
    ['tree_size', (c: Row) => ({ tree_size: c.tree_size - 1 })],
    ['root_hash', (_c: Row) => ({ root_hash: 'ab'.repeat(32) })],
    ['at', (c: Row) => ({ at: c.at.replace('12:00', '11:00') })],
    ['key_id', (_c: Row) => ({ key_id: '0123456789abcdef' })],
    ['signature', (c: Row) => ({ signature: Buffer.from(Buffer.from(c.signature, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') })],
  ] as const)('reports a checkpoint whose %s was changed', async (field, change) => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    await append(ctx, 6, 6);
    const [first] = await listCheckpoints(ctx.store.db);
    if (first === undefined) throw new Error('no checkpoint');
    await ctx.store.db.updateTable('audit_checkpoints').set(change(first)).where('tree_size', '=', first.tree_size).execute();
    const { r, text } = await problems(ctx);
    expect(r.checkpoints.ok, field).toBe(false);
    expect(text).toMatch(field === 'key_id' ? /signed by key 0123456789abcdef, which is not trusted/ : /checkpoint \d+ \(.*\): (its signature does not verify|it is not consistent|its root)/);
    expect(text).toMatch(/witnessed checkpoint 6 .*(missing from the store|different checkpoint)/);
  });

  it('reports a checkpoint signed with a key that is not trusted', async () => {
    const { ctx } = await signed(engine);
    await append(ctx, 6);
    const stranger = signerFromPem(generateSigningKeyPair().privateKeyPem);
    const [c] = await listCheckpoints(ctx.store.db);
    if (c === undefined) throw new Error('no checkpoint');
    const at = '2026-11-28T13:00:00.000Z';
    await ctx.store.db.insertInto('audit_checkpoints').values({ ...c, tree_size: 6, at, key_id: stranger.keyId, signature: stranger.sign(checkpointMessage({ treeSize: 6, rootHash: c.root_hash, at })) }).onConflict((oc) => oc.column('tree_size').doUpdateSet({ at, key_id: stranger.keyId, signature: stranger.sign(checkpointMessage({ treeSize: 6, rootHash: c.root_hash, at })) })).execute();
    const { text } = await problems(ctx);
    expect(text).toMatch(new RegExp(`checkpoint 6 \\(${at.replace(/\./g, '\\.')}\\): signed by key ${stranger.keyId}, which is not trusted`));
  });

  it('checks a witness file given with --witness against the store', async () => {
    const { ctx, dir } = await signed(engine, { witness: {} });
    await append(ctx, 6);
    const [c] = await listCheckpoints(ctx.store.db);
    const file = path.join(dir, 'elsewhere.jsonl');
    writeFileSync(file, `${JSON.stringify({ ...c, right_edge: undefined, root_hash: 'cd'.repeat(32) })}\n`);
    const { r, text } = await problems(ctx, { witnessFile: file });
    expect(r.checkpoints.witness).toEqual({ file, checkpoints: 1 });
    expect(text).toMatch(/witnessed checkpoint 6 .*signature does not verify/);
    await expect(verifyAudit(ctx, { actor: 'grc' }, { witnessFile: path.join(dir, 'none.jsonl') })).rejects.toMatchObject({ code: 'CL_BAD_INPUT' });
  });
});

type Row = { tree_size: number; at: string; signature: string };
