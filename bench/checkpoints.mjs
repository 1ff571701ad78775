#!/usr/bin/env node
/**
 * `node bench/checkpoints.mjs [--events 100000] [--batch 100] [--pg] [--no-sqlite]`: the cost of
 * signing the audit log, on closeloop's own code (dist/). See docs/benchmarks.md.
 *
 * 1. Per event: appending `--events` events in transactions of `--batch` (as use cases do through
 *    `auditMany`), without a signing key and with one (every event's hash signed, Ed25519), no
 *    checkpoint in between; the difference per event is the signature's cost.
 * 2. Per checkpoint: with the log at that size, 1,000 more events, then `signCheckpoint` (which
 *    extends the stored right edge of the last checkpoint by the new events only) against
 *    rebuilding the whole tree (`eventTree`), which re-reads every event.
 * Other arguments (those of `npm run bench`) are ignored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
const { openStore } = await import(dist('store/db.js'));
const { auditMany, inTransaction } = await import(dist('app/context.js'));
const { signCheckpoint, eventTree } = await import(dist('audit/checkpoints.js'));
const { generateSigningKeyPair, signerFromPem } = await import(dist('audit/signing.js'));

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const EVENTS = arg('--events', 100_000);
const BATCH = arg('--batch', 100);
const PG_URL = process.env.CLOSELOOP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const engines = [...(argv.includes('--no-sqlite') ? [] : ['sqlite']), ...(argv.includes('--pg') ? ['postgres'] : [])];

const signer = signerFromPem(generateSigningKeyPair().privateKeyPem);
const config = { audit: { checkpoint_every: Number.MAX_SAFE_INTEGER, trusted_keys: [] } };

async function fresh(engine, label) {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-bench-ckpt-'));
    const store = await openStore({ url: path.join(dir, 'bench.db') });
    return { store, done: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const u = new URL(PG_URL);
  u.searchParams.set('schema', `bench_ckpt_${label}`);
  const store = await openStore({ url: u.toString() });
  return { store, done: async () => { await store.pgPool?.query(`DROP SCHEMA IF EXISTS "bench_ckpt_${label}" CASCADE`); await store.close(); } };
}

async function append(ctx, n, from) {
  for (let done = 0; done < n; done += BATCH) {
    const k = Math.min(BATCH, n - done);
    await inTransaction(ctx, (trx) => auditMany(trx, ctx, { actor: 'bench' }, Array.from({ length: k }, (_, i) => ({ action: 'bench.event', entityType: 'bench', entityId: `B-${from + done + i}`, incidentId: null, state: { i: from + done + i } }))));
  }
}

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

for (const engine of engines) {
  console.log(`\n-- ${engine}: ${EVENTS.toLocaleString('en')} events in transactions of ${BATCH}`);
  const rows = [];
  for (const signed of [false, true]) {
    const { store, done } = await fresh(engine, signed ? 'signed' : 'plain');
    try {
      const ctx = { store, config, configPath: '/nonexistent/closeloop.yaml', now: () => new Date('2026-12-01T00:00:00Z'), ...(signed ? { signer } : {}) };
      const t = process.hrtime.bigint();
      await append(ctx, EVENTS, 0);
      const total = ms(t);
      rows.push({ signed, total, perEvent: (total * 1000) / EVENTS });
      if (signed) {
        // the first checkpoint reads the whole log once; later ones only what was appended since
        let t0 = process.hrtime.bigint();
        await store.transaction((trx) => signCheckpoint(trx, signer, new Date().toISOString()));
        const first = ms(t0);
        await append(ctx, 1000, EVENTS);
        t0 = process.hrtime.bigint();
        const c = await store.transaction((trx) => signCheckpoint(trx, signer, new Date().toISOString()));
        const incremental = ms(t0);
        t0 = process.hrtime.bigint();
        const tree = await eventTree(store.db, c.tree_size);
        const rebuilt = tree.root().toString('hex');
        const full = ms(t0);
        if (rebuilt !== c.root_hash) throw new Error('incremental root differs from the rebuilt one');
        console.log(`checkpoint of ${c.tree_size.toLocaleString('en')} events: first (whole log) ${first.toFixed(0)} ms; next, 1,000 events later: ${incremental.toFixed(1)} ms; rebuilding the whole tree instead: ${full.toFixed(0)} ms`);
      }
    } finally {
      await done();
    }
  }
  const [plain, withKey] = rows;
  console.log(`append without key: ${plain.perEvent.toFixed(1)} µs/event; with key (signed): ${withKey.perEvent.toFixed(1)} µs/event; signing adds ${(withKey.perEvent - plain.perEvent).toFixed(1)} µs/event`);
}
