/**
 * Migration 0006 on a store that has data: a store migrated up to 0005, holding an inventory asset,
 * an asset a scanner report made for its target, and findings on both, then brought up to date.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Migrator, type Kysely, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.js';
import * as m0001 from '../../src/store/migrations/0001-initial.js';
import * as m0002 from '../../src/store/migrations/0002-replayable-decisions.js';
import * as m0003 from '../../src/store/migrations/0003-remediation-by-finding.js';
import * as m0004 from '../../src/store/migrations/0004-incidents-by-creation.js';
import * as m0005 from '../../src/store/migrations/0005-one-acknowledgment-per-role.js';
import type { AssetsTable } from '../../src/store/tables/assets.table.js';
import type { FindingsTable } from '../../src/store/tables/findings.table.js';
import { ENGINES, testPgUrl } from '../helpers/context.js';

const UP_TO_0005: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-replayable-decisions': m0002,
  '0003-remediation-by-finding': m0003,
  '0004-incidents-by-creation': m0004,
  '0005-one-acknowledgment-per-role': m0005,
};

describe.each(ENGINES)('migration 0006 of a store with data on %s', (engine) => {
  let store: Store | null = null;
  afterEach(async () => {
    if (store?.schema) await store.pgPool?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    await store?.close();
    store = null;
  });

  async function storeAt0005(): Promise<Store> {
    let url: string;
    if (engine === 'sqlite') url = path.join(mkdtempSync(path.join(tmpdir(), 'closeloop-m0006-')), 'closeloop.db');
    else {
      const u = testPgUrl();
      u.searchParams.set('schema', `t_m0006_${process.pid}_${Date.now()}`);
      url = u.toString();
    }
    const s = await openStore({ url, migrate: false });
    const migrator = new Migrator({ db: s.db, provider: { getMigrations: async () => UP_TO_0005 }, ...(s.schema !== null ? { migrationTableSchema: s.schema } : {}) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw new Error(`migrating to 0005 failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
    return s;
  }

  const asset = (id: string, extra: string) => ({
    id, name: id, service: null, owner: null, business_critical: 0, exposure: 'internal' as const, auth_required: 1, privileged: 0, regulated: '[]',
    customer_facing: 0, safety: 0, third_party: null, telemetry: 1, components: '[]', extra, updated_at: '2026-11-01T00:00:00.000Z',
  });
  const finding = (id: string, assetId: string) => ({
    id, fingerprint: id, vulnerability_id: 'CVE-2024-0001', asset_id: assetId, component: 'openssl', version: '3.0.1', source: 'trivy', validation: 'unvalidated' as const,
    reachability: 'unknown' as const, affected_version_known: 1, vendor_scope_known: 1, containment_needed: null, title: null, severity: null, cwe: '[]', file_path: null,
    line: null, fixed_version: null, aliases: '[]', extra: '{}', status: 'open' as const, scan_key: `trivy|${assetId}`, last_import_id: 'IMP-0001',
    first_seen: '2026-11-01T00:00:00.000Z', last_seen: '2026-11-01T00:00:00.000Z',
  });

  it("gives every finding its own target, marks report-made assets provisional with exposure unknown, and adds the alias table", async () => {
    store = await storeAt0005();
    // the tables as 0005 left them: no target, no not_in_inventory
    const db = store.db as unknown as Kysely<{ assets: Omit<AssetsTable, 'not_in_inventory'>; findings: Omit<FindingsTable, 'target'> }>;
    await db.insertInto('assets').values([asset('web01', '{"rack":"b2"}'), asset('image:acme/app', '{"target_type":"container_image"}')]).execute();
    await db.insertInto('findings').values([finding('f1', 'web01'), finding('f2', 'image:acme/app')]).execute();

    await migrateToLatest(store);

    const assets = await store.db.selectFrom('assets').select(['id', 'exposure', 'not_in_inventory']).orderBy('id').execute();
    expect(assets.map((a) => ({ ...a, not_in_inventory: Number(a.not_in_inventory) }))).toEqual([
      { id: 'image:acme/app', exposure: 'unknown', not_in_inventory: 1 },
      { id: 'web01', exposure: 'internal', not_in_inventory: 0 },
    ]);
    const findings = await store.db.selectFrom('findings').select(['id', 'asset_id', 'target', 'scan_key']).orderBy('id').execute();
    expect(findings).toEqual([
      { id: 'f1', asset_id: 'web01', target: 'web01', scan_key: 'trivy|web01' },
      { id: 'f2', asset_id: 'image:acme/app', target: 'image:acme/app', scan_key: 'trivy|image:acme/app' },
    ]);
    await store.db.insertInto('asset_aliases').values({ kind: 'host', value: 'web01.corp.example.com', asset_id: 'web01', name_key: 'host:web01', origin: 'inventory', created_at: 'now' }).execute();
    // (kind, value) names one asset
    await expect(
      store.db.insertInto('asset_aliases').values({ kind: 'host', value: 'web01.corp.example.com', asset_id: 'image:acme/app', name_key: 'host:web01', origin: 'merge', created_at: 'now' }).execute(),
    ).rejects.toThrow(/unique|UNIQUE|duplicate/);
  });
});
