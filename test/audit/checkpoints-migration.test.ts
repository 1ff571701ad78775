/**
 * Migration 0013 on a store with an audit log written before signing existed: the events are kept
 * (unsigned), the checkpoints table takes its new shape, and `keys init` then signs a first
 * checkpoint that covers every earlier event, which `audit verify` accepts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/app/admin.js';
import { loadSigner } from '../../src/app/audit-signing.js';
import type { AppContext } from '../../src/app/context.js';
import { initKeys } from '../../src/app/keys.js';
import { GENESIS_HASH, eventHash } from '../../src/audit/chain.js';
import { eventTree } from '../../src/audit/checkpoints.js';
import { defaultConfig, loadConfig, writeConfig } from '../../src/config/load.js';
import { migrations, type Store } from '../../src/store/db.js';
import { ENGINES, seedPeople, TEST_PEOPLE } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

describe.each(ENGINES)('migration 0013 on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
  });

  it('keeps an earlier log, and keys init covers it with a first checkpoint that verifies', async () => {
    const s = await storeMigratedTo(engine, 'm0013', migrationsUpTo('0012-people-and-sessions'));
    store = s;
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 7; seq++) {
      const base = { seq, at: `2026-11-0${seq}T10:00:00.000Z`, actor: 'lead', action: 'incident.opened', entity_type: 'incident', entity_id: `INC-2026-000${seq}`, incident_id: null, digest: 'ab'.repeat(32), prev_hash: prev };
      prev = eventHash(base);
      await s.db.insertInto('audit_events').values({ ...base, hash: prev }).execute();
    }
    await s.db.insertInto('counters').values({ name: 'audit_seq', value: 7 }).execute();

    const migrator = new Migrator({ db: s.db, provider: { getMigrations: async () => migrations }, ...(s.schema !== null ? { migrationTableSchema: s.schema } : {}) });
    const { error } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    const rows = await s.db.selectFrom('audit_events').select(['seq', 'key_id', 'signature', 'hash']).orderBy('seq').execute();
    // the 7 events kept as they were, then migration 0016's baselines of the 7 incidents they name (no rows: digests of null)
    expect(rows).toHaveLength(14);
    expect(rows.every((r) => r.key_id === null && r.signature === null)).toBe(true);

    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-m0013-'));
    const configPath = path.join(dir, 'closeloop.yaml');
    writeConfig(configPath, defaultConfig(path.join(dir, 'evidence')));
    await seedPeople(s, TEST_PEOPLE, '2026-11-28T12:00:00.000Z');
    const ctx: AppContext = { store: s, config: loadConfig(configPath), configPath, now: () => new Date('2026-11-28T12:00:00Z') };
    const k = await initKeys(ctx, { actor: 'admin' }, {});
    expect(k.checkpoint.tree_size).toBe(15);
    expect(k.checkpoint.root_hash).toBe((await eventTree(s.db, 15)).root().toString('hex'));
    const signedCtx: AppContext = { ...ctx, config: loadConfig(configPath), signer: loadSigner(loadConfig(configPath), configPath) };
    const v = await verifyAudit(signedCtx, { actor: 'grc' });
    // the people seeded here have no events of their own: this test is about the chain and its checkpoints
    expect(v.checkpoints.ok, JSON.stringify(v.checkpoints.problems)).toBe(true);
    expect(v.problem).toBeNull();
    expect(v.events).toBe(15);
  });
});
