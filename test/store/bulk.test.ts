/**
 * The bulk write path (src/store/bulk) on both real engines: counts, idempotence, resolution,
 * analyst fields, the SQLite load mode (indexes dropped and rebuilt), COPY escaping, and rollback
 * of everything when a record or a row is bad.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { explainFinding } from '../../src/app/explain-finding.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { RunDigester, StoreFacts } from '../../src/app/decisions.js';
import { Knowledge } from '../../src/app/knowledge.js';
import { assetWithDefaults, decisionInputDigest, evaluate, rulesetDigest, vulnerabilityWithDefaults } from '../../src/domain/escalation/index.js';
import { assetFromRow, assetToRow, findingFromRow, signalToRow, vulnerabilityFromFactValues, vulnerabilityFromRow, vulnerabilityToRow } from '../../src/store/records.js';
import { DECISION_COLUMN, DECISION_COLUMNS, F, FINDING_COLUMNS, KEYED_COLUMNS, POSTGRES_CACHE_BOUNDS, SQLITE_CACHE_BOUNDS, VULNERABILITY_FACT_COLUMN, VULNERABILITY_FACT_COLUMNS, findingValues, withBulkTransaction, type BulkSession, type DecisionValues, type FindingValues } from '../../src/store/bulk/index.js';
import { KeyHashSet } from '../../src/store/bulk/key-set.js';
import { loadModeDue } from '../../src/store/bulk/sqlite.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { scenario } from '../domain/escalation/builders.js';

const vm = { actor: 'vm' };

interface Vuln {
  id: string;
  pkg: string;
  version: string;
  fixed?: string;
}

/** A Trivy v2 report of one image; scan key `trivy|image:registry.example.com/<app>`. */
function trivy(app: string, vulns: readonly Vuln[], note = ''): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: `registry.example.com/${app}:1.0`,
    ArtifactType: 'container_image',
    Note: note,
    Results: [
      {
        Target: `registry.example.com/${app}:1.0 (alpine 3.19.1)`,
        Class: 'os-pkgs',
        Type: 'alpine',
        Vulnerabilities: vulns.map((v) => ({
          VulnerabilityID: v.id,
          PkgName: v.pkg,
          InstalledVersion: v.version,
          ...(v.fixed ? { FixedVersion: v.fixed } : {}),
          Severity: 'HIGH',
          Title: `${v.pkg}: flaw\twith\ttabs\nand "quotes" \\ backslash é`,
        })),
      },
    ],
  });
}

const V1: Vuln[] = [
  { id: 'CVE-2024-0001', pkg: 'openssl', version: '3.0.1', fixed: '3.0.2' },
  { id: 'CVE-2024-0002', pkg: 'zlib', version: '1.2.11' },
  { id: 'CVE-2024-0003', pkg: 'curl', version: '8.0.0', fixed: '8.0.1' },
];

/** A stay decision row of `finding`. */
function decision(id: string, finding: string): DecisionValues {
  return [id, finding, 'host:a', 'CVE-1', 'stay', '[]', '[]', '[]', '[]', 'Track', '[]', 'v', 'sha256:x', 'null', null, 'now', 2];
}

function row(id: string, over: Partial<Record<(typeof FINDING_COLUMNS)[number], string | number | null>> = {}): FindingValues {
  return findingValues({
    id,
    fingerprint: id,
    vulnerability_id: 'CVE-2024-0001',
    asset_id: 'host:a',
    component: 'openssl',
    version: '3.0.1',
    source: 'test',
    validation: 'unvalidated',
    reachability: 'unknown',
    affected_version_known: 1,
    vendor_scope_known: 1,
    containment_needed: null,
    title: 'tab\there, newline\nthere, backslash \\ and \\N, unicode é ✓',
    severity: 'high',
    cwe: '[]',
    file_path: null,
    line: 7,
    fixed_version: null,
    aliases: '[]',
    extra: '{}',
    status: 'open',
    scan_key: 'test|host:a',
    last_import_id: 'IMP-X',
    first_seen: '2026-11-28T12:00:00.000Z',
    last_seen: '2026-11-28T12:00:00.000Z',
    check_type: null,
    ruled_out_by: null,
    verdict_at: null,
    target: 'host:a',
    ...over,
  } as Parameters<typeof findingValues>[0]);
}

describe('loadModeDue', () => {
  it('loads an empty table without indexes; a non-empty one only for a large share of it, and only when asked', () => {
    expect(loadModeDue(0, 0, false)).toBe(true);
    expect(loadModeDue(10, 1_000_000, false)).toBe(false);
    expect(loadModeDue(10, 49_999, true)).toBe(false);
    expect(loadModeDue(10, 50_000, true)).toBe(true);
    expect(loadModeDue(1_000_000, 124_999, true)).toBe(false);
    expect(loadModeDue(1_000_000, 125_000, true)).toBe(true);
  });
});

describe('KeyHashSet', () => {
  it('answers "new" for every first key and "maybe" for a repeat', () => {
    const s = new KeyHashSet(4);
    for (let i = 0; i < 50_000; i++) expect(s.add(`k${i}`)).toBe(false);
    expect(s.size).toBe(50_000);
    expect(s.add('k123')).toBe(true);
    expect(s.add('k49999')).toBe(true);
    expect(s.has('k123')).toBe(true);
    expect(s.has('k50000')).toBe(false);
    expect(s.size).toBe(50_000);
  });
});

describe.each(ENGINES)('bulk path on %s', (engine) => {
  let t: TestContext;
  let dir: string;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'bulk' });
    dir = mkdtempSync(path.join(tmpdir(), 'closeloop-bulk-'));
  });
  afterEach(async () => t.cleanup());

  const file = (name: string, text: string): string => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const findings = () => t.ctx.store.db.selectFrom('findings').selectAll().orderBy('id').execute();
  /** SQLite: how many indexes with stored SQL (not a primary key's) the table has, full (0) or partial (1). */
  const sqliteIndexes = (table: string, partial = 0) =>
    t.ctx.store.sqlite?.prepare("SELECT count(*) FROM sqlite_master m JOIN pragma_index_list(?) il ON il.name = m.name WHERE m.sql IS NOT NULL AND il.partial = ?").pluck().get(table, partial);

  it("escalation's lookup of a finding's open remediation item uses an index, not a scan", async () => {
    // one lookup per escalation: a scan made a run's escalations quadratic (10.7 s of 95.5 s for
    // the ~20,000 escalations of a million findings)
    if (engine === 'sqlite') {
      const plan = t.ctx.store.sqlite
        ?.prepare("EXPLAIN QUERY PLAN SELECT id FROM remediation_items WHERE finding_id = ? AND status IN ('open', 'in_progress')")
        .all('f1') as { detail: string }[];
      expect(plan.map((p) => p.detail).join('; ')).toContain('USING INDEX remediation_items_finding');
    } else {
      const r = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE tablename = 'remediation_items' AND indexname = 'remediation_items_finding' AND schemaname = current_schema()`.execute(t.ctx.store.db);
      expect(r.rows[0]?.indexdef).toMatch(/\(finding_id\) WHERE \(finding_id IS NOT NULL\)/);
    }
  });

  it('keyed column lists name every column of their tables, in table order', async () => {
    for (const table of ['assets', 'vulnerabilities', 'signals'] as const) {
      await t.ctx.store.db.insertInto('counters').values({ name: `probe-${table}`, value: 0 }).execute();
      const cols =
        engine === 'sqlite'
          ? (t.ctx.store.sqlite?.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).pluck().all() as string[])
          : (await t.ctx.store.pgPool?.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position', [table]))?.rows.map((r) => r.column_name);
      expect(cols).toEqual([...KEYED_COLUMNS[table]]);
    }
    // the named positions of the findings columns point at those columns
    for (const [name, i] of Object.entries(F)) expect(FINDING_COLUMNS[i]).toBe(name);
  });

  it('counts created, unchanged, updated and resolved findings across re-imports; analyst fields survive', async () => {
    const first = await importFile(t.ctx, vm, { kind: 'findings', file: file('r1.json', trivy('app', V1)) });
    expect(first).toMatchObject({ count: 3, created: 3, updated: 0, unchanged: 0, resolved: 0, assets_created: 1, vulnerabilities_created: 3 });
    const rows = await findings();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'open' && r.last_import_id === first.id && r.scan_key === 'trivy|image:registry.example.com/app')).toBe(true);
    expect(rows.find((r) => r.component === 'zlib')?.title).toBe('zlib: flaw\twith\ttabs\nand "quotes" \\ backslash é');

    // the same bytes again: recognised, nothing written
    const dup = await importFile(t.ctx, vm, { kind: 'findings', file: file('r1-again.json', trivy('app', V1)) });
    expect(dup.duplicate_of).toBe(first.id);
    // the same findings in a different file: every one unchanged
    const same = await importFile(t.ctx, vm, { kind: 'findings', file: file('r1b.json', trivy('app', V1, 'other bytes')) });
    expect(same).toMatchObject({ count: 3, created: 0, updated: 0, unchanged: 3, resolved: 0 });
    expect((await findings()).every((r) => r.last_import_id === same.id)).toBe(true);

    // an analyst validates one finding; a newer report drops curl, changes zlib's fix, adds one
    const zlib = rows.find((r) => r.component === 'zlib');
    await t.ctx.store.db.updateTable('findings').set({ validation: 'validated', reachability: 'reachable' }).where('id', '=', zlib?.id ?? '').execute();
    const v2: Vuln[] = [V1[0] as Vuln, { ...(V1[1] as Vuln), fixed: '1.2.12' }, { id: 'CVE-2024-0004', pkg: 'bash', version: '5.1' }];
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: file('r2.json', trivy('app', v2)) });
    expect(second).toMatchObject({ count: 3, created: 1, updated: 1, unchanged: 1, resolved: 1 });
    const after = await findings();
    expect(after).toHaveLength(4);
    const byComponent = new Map(after.map((r) => [r.component, r]));
    expect(byComponent.get('curl')?.status).toBe('resolved');
    expect(byComponent.get('zlib')).toMatchObject({ validation: 'validated', reachability: 'reachable', fixed_version: '1.2.12', status: 'open', first_seen: zlib?.first_seen });
    expect(byComponent.get('bash')?.status).toBe('open');

    // curl comes back: reopened (resolved_again), and the other scan key (another image) is untouched
    const other = await importFile(t.ctx, vm, { kind: 'findings', file: file('o.json', trivy('other', V1)) });
    expect(other).toMatchObject({ created: 3, resolved: 0 });
    const third = await importFile(t.ctx, vm, { kind: 'findings', file: file('r3.json', trivy('app', [...v2, V1[2] as Vuln])) });
    expect(third).toMatchObject({ created: 0, updated: 0, resolved_again: 1, unchanged: 3, resolved: 0 });
    expect(third.count).toBe(third.created + third.updated + third.unchanged + third.resolved_again + third.merged);
    expect((await findings()).filter((r) => r.status === 'open')).toHaveLength(7);
  });

  it('a fingerprint repeated in one file is one finding (the last wins), also while loading an empty table', async () => {
    // across write batches (5,000 findings) the repeat is found again: here while the empty table
    // loads without indexes on SQLite, so the repeat ends load mode and is looked up for real
    const many: Vuln[] = Array.from({ length: 5000 }, (_, i) => ({ id: `CVE-2025-${10000 + i}`, pkg: `p${i % 7}`, version: '1.0' }));
    const across = await importFile(t.ctx, vm, { kind: 'findings', file: file('dup2.json', trivy('big', [...many, { ...(many[0] as Vuln), fixed: '1.1' }])) });
    expect(across).toMatchObject({ count: 5001, created: 5000, updated: 0, merged: 1, unchanged: 0 });
    expect(await findings()).toHaveLength(5000);
    // within one write batch the repeat collapses
    const inBatch = await importFile(t.ctx, vm, { kind: 'findings', file: file('dup.json', trivy('app', [...V1, V1[0] as Vuln])) });
    expect(inBatch).toMatchObject({ count: 4, created: 3, unchanged: 0, updated: 0, merged: 1 });
    expect(await findings()).toHaveLength(5003);
    expect((await t.ctx.store.db.selectFrom('findings').select('fixed_version').where('vulnerability_id', '=', 'CVE-2025-10000').executeTakeFirst())?.fixed_version).toBe('1.1');
    if (engine === 'sqlite') {
      const ix = t.ctx.store.sqlite?.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' ORDER BY name").pluck().all();
      expect(ix).toEqual(['findings_asset', 'findings_fingerprint', 'findings_id', 'findings_scan']);
    }
  });

  it('loads empty findings and decisions tables in batches; on SQLite without their indexes until the session settles', async () => {
    // PostgreSQL keeps its indexes (COPY into an indexed table); SQLite rebuilds them once, by sorting
    // full indexes are dropped while loading; partial ones (fingerprint ≠ id, decisions with an incident) stay
    const indexes = (table: string, partial = 0) => (engine === 'sqlite' ? sqliteIndexes(table, partial) : 0);
    const partials = () => (engine === 'sqlite' ? [indexes('findings', 1), indexes('decisions', 1)] : [0, 0]);
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      for (const batch of [['f1', 'f2'], ['f3'], ['f4']]) {
        // what every import batch does: look up, update and touch (usually nothing), insert, decide
        expect((await bulk.findings.lookup(batch)).size).toBe(0);
        await bulk.findings.update([]);
        await bulk.findings.touch([], 'now', 'IMP-X');
        await bulk.findings.insert(batch.map((id) => row(id)));
        await bulk.insertDecisions(batch.map((id) => decision(`D-${id}`, id)));
        expect(indexes('findings')).toBe(0);
        expect(indexes('decisions')).toBe(0);
        if (engine === 'sqlite') expect(partials()).toEqual([1, 2]);
      }
      await bulk.settle();
      if (engine === 'sqlite') expect([indexes('findings'), indexes('decisions'), ...partials()]).toEqual([3, 1, 1, 2]);
    });
    if (engine === 'sqlite') expect([indexes('findings'), indexes('decisions'), ...partials()]).toEqual([3, 1, 1, 2]);
    expect(await findings()).toHaveLength(4);
    expect(await t.ctx.store.db.selectFrom('decisions').select('id').where('finding_id', '=', 'f3').execute()).toEqual([{ id: 'D-f3' }]);
  });

  it('drops the decisions index while a session appends a large share of a non-empty table, and builds it at settle', async () => {
    const fullIndexes = () => (engine === 'sqlite' ? sqliteIndexes('decisions') : 1);
    const run = (tr: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => decision(`${tr}/${String(from + i).padStart(7, '0')}`, `f${(from + i) % 977}`));
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => bulk.insertDecisions(run('TR-0001', 10)));
    expect(fullIndexes()).toBe(1);
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await bulk.insertDecisions(run('TR-0002', 30_000));
      expect(fullIndexes()).toBe(1); // fewer than 50,000 rows appended: indexes are kept up as rows come
      await bulk.insertDecisions(run('TR-0002', 30_000, 30_000));
      expect(fullIndexes()).toBe(engine === 'sqlite' ? 0 : 1);
      await bulk.settle();
      expect(fullIndexes()).toBe(1);
    });
    const rows = await t.ctx.store.db.selectFrom('decisions').select('id').where('finding_id', '=', 'f5').orderBy('id').execute();
    expect(rows).toHaveLength(1 + Math.floor((60_000 - 5 - 1) / 977) + 1);
  });

  it('a bad record anywhere in a file leaves nothing of it behind, and the store stays usable', async () => {
    const good = trivy('app', V1);
    const bad = `${good.slice(0, -3)},{"Target":"x","Vulnerabilities":[{"VulnerabilityID":"CVE-2024-9999"},42]}]}`;
    await expect(importFile(t.ctx, vm, { kind: 'findings', file: file('bad.json', bad) })).rejects.toMatchObject({ code: 'CL_IMPORT_INVALID' });
    expect(await findings()).toHaveLength(0);
    expect(await t.ctx.store.db.selectFrom('imports').selectAll().execute()).toHaveLength(0);
    expect(await t.ctx.store.db.selectFrom('assets').selectAll().execute()).toHaveLength(0);
    if (engine === 'sqlite') {
      const ix = t.ctx.store.sqlite?.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings'").pluck().get();
      expect(ix).toBe(4);
    }
    const ok = await importFile(t.ctx, vm, { kind: 'findings', file: file('good.json', good) });
    expect(ok).toMatchObject({ created: 3 });
  });

  it('rolls back every bulk write of the transaction when a row is bad', async () => {
    await expect(
      withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
        expect((await bulk.findings.lookup(['f1', 'f2'])).size).toBe(0);
        await bulk.findings.insert([row('f1'), row('f2')]);
        await bulk.insert('assets', [{ id: 'host:a', name: null, service: null, owner: null, business_critical: 0, exposure: 'internal' as const, auth_required: 1, privileged: 0, regulated: '[]', customer_facing: 0, safety: 0, third_party: null, telemetry: 1, components: '[]', extra: '{}', updated_at: 'now', not_in_inventory: 0 }]);
        // same id, another fingerprint: the unique id index refuses it (at once, or when load mode ends)
        await bulk.findings.insert([row('f1', { fingerprint: 'other' })]);
        await bulk.findings.resolveMissing(new Set(['test|host:a']), 'IMP-X');
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await findings()).toHaveLength(0);
    expect(await t.ctx.store.db.selectFrom('assets').selectAll().execute()).toHaveLength(0);
  });

  it('reads an escaped or raw U+0000 in a report as U+FFFD, the same on both engines (PostgreSQL cannot store it)', async () => {
    // JSON (the streaming reader), NDJSON and CSV; an escaped backslash before u0000 is text
    const json = trivy('nul', [{ id: 'CVE-2024-0001', pkg: 'open\u0000ssl', version: '3.0.1' }]).replace('flaw', 'fl\\u0000aw \\\\u0000 \\\\\\u0000');
    const ndjson = `${JSON.stringify({ id: 'n1', vulnerability: 'CVE-2024-0002', asset: 'host:nul', title: 'a\u0000b', component: 'lib\u0000c' })}\n`;
    const csv = 'id,vulnerability,asset,title\nc1,CVE-2024-0003,host:nul,x\u0000y\n';
    const r1 = await importFile(t.ctx, vm, { kind: 'findings', file: file('nul.json', json) });
    const r2 = await importFile(t.ctx, vm, { kind: 'findings', file: file('nul.ndjson', ndjson), format: 'native' });
    const r3 = await importFile(t.ctx, vm, { kind: 'findings', file: file('nul.csv', csv), format: 'csv' });
    expect([r1.created, r2.created, r3.created]).toEqual([1, 1, 1]);
    const rows = await findings();
    const byVuln = new Map(rows.map((r) => [r.vulnerability_id, r]));
    expect(byVuln.get('CVE-2024-0001')?.component).toBe('open\ufffdssl');
    expect(byVuln.get('CVE-2024-0001')?.title).toContain('fl\ufffdaw \\u0000 \\\ufffd');
    expect(byVuln.get('CVE-2024-0002')).toMatchObject({ title: 'a\ufffdb', component: 'lib\ufffdc' });
    expect(byVuln.get('CVE-2024-0003')?.title).toBe('x\ufffdy');
    for (const r of rows) expect(JSON.stringify(r)).not.toContain('\\u0000"');
  });

  it('reports the write that failed, not the statements that came after it', async () => {
    // PostgreSQL writes COPYs behind (src/store/bulk/postgres.ts): the failure of one must not be
    // reported as the "transaction is aborted" of the next statement
    await expect(
      withBulkTransaction(t.ctx.store, async (trx, bulk) => {
        await bulk.findings.insert([row('f1'), row('f2')]);
        await bulk.findings.insert([row('f1', { fingerprint: 'other' })]);
        await bulk.lookup('assets', ['host:a']);
        await trx.selectFrom('findings').select('id').execute();
        await bulk.settle();
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await findings()).toHaveLength(0);
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => bulk.findings.insert([row('f1')]));
    expect((await findings()).map((f) => f.id)).toEqual(['f1']);
  });

  it('finds keyed rows written earlier in the same session, also in a table that was empty when it began', async () => {
    const asset = (id: string, owner: string | null) => ({ id, name: null, service: null, owner, business_critical: 0, exposure: 'internal' as const, auth_required: 1, privileged: 0, regulated: '[]', customer_facing: 0, safety: 0, third_party: null, telemetry: 1, components: '[]', extra: '{}', updated_at: 'now', not_in_inventory: 0 });
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      expect((await bulk.lookup('assets', ['a1', 'a2'])).size).toBe(0);
      await bulk.insert('assets', [asset('a1', 'x'), asset('a2', null)]);
      const found = await bulk.lookup('assets', ['a1', 'a2', 'a3']);
      expect([...found.keys()].sort()).toEqual(['a1', 'a2']);
      expect(found.get('a1')?.owner).toBe('x');
      await bulk.update('assets', [asset('a2', 'y')]);
      expect((await bulk.lookup('assets', ['a2'])).get('a2')?.owner).toBe('y');
    });
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      expect([...(await bulk.lookup('assets', ['a1', 'a2', 'a3'])).keys()].sort()).toEqual(['a1', 'a2']);
    });
  });

  it('looks up a large batch of keyed rows by any id (quotes, backslashes, unicode, JSON-looking text), in one statement or many', async () => {
    const asset = (id: string) => ({ id, name: null, service: null, owner: id, business_critical: 0, exposure: 'internal' as const, auth_required: 1, privileged: 0, regulated: '[]', customer_facing: 0, safety: 0, third_party: null, telemetry: 1, components: '[]', extra: '{}', updated_at: 'now', not_in_inventory: 0 });
    const odd = ['host:"quoted"', 'back\\slash', 'tab\there', 'ünïcødé-⚙', '😀 emoji', '["json"]', '{"a":1}', "it's", 'null', ''];
    const stored = [...odd, ...Array.from({ length: 40 }, (_, i) => `host:${i}`)];
    const missing = ['host:"other"', 'Back\\slash', 'host:40', '😀'];
    // once into the table as it is empty (ids tracked by hash), once into a table that was not
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await bulk.insert('assets', stored.map(asset));
      const found = await bulk.lookup('assets', [...stored, ...missing]);
      expect([...found.keys()].sort()).toEqual([...stored].sort());
    });
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      const many = await bulk.lookup('assets', [...missing, ...stored]);
      expect([...many.keys()].sort()).toEqual([...stored].sort());
      for (const id of stored) expect(many.get(id)?.owner).toBe(id);
      // fewer ids than one statement is worth: looked up one by one, same answer
      const few = await bulk.lookup('assets', [...odd.slice(0, 5), ...missing]);
      expect([...few.keys()].sort()).toEqual(odd.slice(0, 5).sort());
    });
  });

  it("reads vulnerabilities' facts and assets' signals for a page, in one statement or many, rows of the same session included", async () => {
    const vuln = (i: number) => vulnerabilityToRow(
      { ...vulnerabilityWithDefaults({ id: `CVE-2026-${String(i).padStart(4, '0')}` }), cvss: i % 3 === 0 ? null : { version: '3.1', base_score: (i % 10) + 0.5, vector: i % 2 === 0 ? null : 'AV:N' }, kev: i % 4 === 0 ? { dateAdded: '2026-01-02', dueDate: null, knownRansomwareCampaignUse: i % 8 === 0 } : null, epss: i % 5 === 0 ? null : { score: i / 1000, percentile: 0.5, date: '2026-11-01' }, fix_available: i % 7 === 0 ? null : i % 2 === 0, title: `title ${i}`, references: ['https://example.org'], extra: { k: i } },
      'now',
    );
    const signal = (id: string, asset: string, time: string) => signalToRow({ id, time, asset, kind: 'exploit_attempt', vulnerability: null, component: null, source: 'edr', indicator: null, payload: null, alert: null, confidence: 'high', extra: {} });
    const stored = Array.from({ length: 40 }, (_, i) => vuln(i));
    const assets = Array.from({ length: 40 }, (_, i) => `host:${i}`);
    const check = async (bulk: BulkSession, ids: string[], signalAssets: string[]) => {
      const facts = await bulk.vulnerabilityFacts(ids);
      const want = stored.filter((r) => ids.includes(r.id));
      expect(facts.map((v) => v[0]).sort()).toEqual(want.map((r) => r.id).sort());
      for (const v of facts) {
        const row = stored.find((r) => r.id === v[0])!;
        expect(vulnerabilityFromFactValues(v)).toStrictEqual({ ...vulnerabilityFromRow(row), title: null, references: [], extra: {} });
      }
      const signals = await bulk.signalsOn(signalAssets);
      const wantSignals = signalAssets.filter((a) => assets.includes(a)).flatMap((a) => [`${a}/late`, `${a}/early`]);
      expect(signals.map((r) => r.id).sort()).toEqual(wantSignals.sort());
      // by time, then id, whichever way they were read
      const order = signals.map((r) => `${r.time}|${r.id}`);
      expect(order).toEqual([...order].sort());
    };
    const missing = ['CVE-1999-0001', 'host:"other"'];
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await bulk.insert('vulnerabilities', stored);
      await bulk.insert('signals', assets.flatMap((a, i) => [signal(`${a}/late`, a, `2026-11-0${(i % 9) + 1}T00:00:00Z`), signal(`${a}/early`, a, '2026-10-01T00:00:00Z')]));
      await check(bulk, [...stored.map((r) => r.id), ...missing], [...assets, 'host:none']);
    });
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await check(bulk, [...missing, ...stored.map((r) => r.id)], [...assets, 'host:none']);
      // fewer than one statement is worth: read one by one, same answer
      await check(bulk, [stored[3]!.id, stored[4]!.id, ...missing], [assets[3]!, 'host:none']);
    });
  });

  it("gives every finding of a page its stored facts whatever the cache bounds, and keeps a page's rows written by the import", async () => {
    const assetRow = (i: number) => assetToRow(assetWithDefaults({ id: `host:${i}`, owner: `team-${i}`, exposure: i % 2 === 0 ? 'internet' : 'internal' }), 'now');
    const vulnRow = (i: number, score: number) => vulnerabilityToRow({ ...vulnerabilityWithDefaults({ id: `CVE-2026-${1000 + i}` }), epss: { score, percentile: 0.9, date: '2026-11-01' }, title: `t${i}` }, 'now');
    const signal = (i: number) => signalToRow({ id: `S-${i}`, time: '2026-11-27T10:00:00Z', asset: `host:${i}`, kind: 'exploit_attempt', vulnerability: null, component: null, source: 'waf', indicator: null, payload: null, alert: null, confidence: 'high', extra: {} });
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await bulk.insert('assets', Array.from({ length: 9 }, (_, i) => assetRow(i)));
      await bulk.insert('vulnerabilities', Array.from({ length: 9 }, (_, i) => vulnRow(i, i / 100)));
      await bulk.insert('signals', [signal(1), signal(4), signal(7)]);
    });
    const pages = [0, 3, 6].map((p) => [0, 1, 2].map((j) => ({ asset: `host:${p + j}`, vulnerability: `CVE-2026-${1000 + p + j}` })));
    // the session's own bounds, and bounds so small that every cache starts over between pages
    for (const small of [false, true]) {
      await withBulkTransaction(t.ctx.store, async (trx, bulk) => {
        const facts = await StoreFacts.open(trx, bulk, small ? { assets: 1, vulnerabilities: 1 } : bulk.cacheBounds);
        for (const [n, page] of pages.entries()) {
          // as an import does before a page: the page's vulnerability rows written and primed (here with a score the store does not hold)
          const primed = vulnRow(n * 3 + 1, 0.5);
          facts.prime('vulnerabilities', new Map([[primed.id, primed]]));
          await facts.load(page);
          for (const [j, f] of page.entries()) {
            const i = n * 3 + j;
            const input = facts.inputFor({ ...scenario({}).finding, id: `f${i}`, asset: f.asset, vulnerability: f.vulnerability });
            expect(input.asset?.owner).toBe(`team-${i}`);
            expect(input.vulnerability?.epss?.score).toBe(j === 1 ? 0.5 : i / 100);
            expect(input.vulnerability?.title).toBeNull();
            expect(input.signals.map((x) => x.id)).toEqual(i % 3 === 1 ? [`S-${i}`] : []);
          }
        }
      });
    }
  });

  it('writes values exactly (tabs, newlines, backslashes, \\N, unicode, null) and updates, touches and looks up', async () => {
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      await bulk.findings.lookup(['f1', 'f2', 'n1']);
      await bulk.findings.insert([row('f1'), row('f2', { title: null, line: null }), row('n1', { fingerprint: 'fp-native' })]);
    });
    const stored = await findings();
    expect(stored.map((r) => findingValues(r))).toEqual([row('f1'), row('f2', { title: null, line: null }), row('n1', { fingerprint: 'fp-native' })]);
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => {
      const found = await bulk.findings.lookup(['f1', 'fp-native', 'missing']);
      expect([...found.keys()].sort()).toEqual(['f1', 'fp-native']);
      const changed = row('f1', { severity: 'low' });
      changed[F.last_import_id] = 'IMP-Y';
      await bulk.findings.update([changed]);
      await bulk.findings.touch(['f2'], '2026-12-01T00:00:00.000Z', 'IMP-Y');
      expect(await bulk.findings.resolveMissing(new Set(['test|host:a']), 'IMP-Y')).toBe(1);
    });
    const after = new Map((await findings()).map((r) => [r.id, r]));
    expect(after.get('f1')).toMatchObject({ severity: 'low', status: 'open' });
    expect(after.get('f2')).toMatchObject({ last_seen: '2026-12-01T00:00:00.000Z', last_import_id: 'IMP-Y', status: 'open' });
    expect(after.get('n1')?.status).toBe('resolved');
  });

  it('writes values larger than a write chunk, and rows across many chunks, exactly', async () => {
    // PostgreSQL's COPY text is written into 2 MiB buffers sent a MiB at a time: a value that does
    // not fit gets a buffer of its own, and multi-byte text takes up to 3 bytes a UTF-16 unit
    const big = 'é✓😀\t\\N\t'.repeat(300_000);
    const rows = [row('f-big', { title: big, extra: JSON.stringify({ note: big.slice(0, 5000) }) }), ...Array.from({ length: 3000 }, (_, i) => row(`f${i}`, { title: `${i} ✓\there` }))];
    await withBulkTransaction(t.ctx.store, async (_trx, bulk) => bulk.findings.insert(rows));
    const stored = new Map((await findings()).map((r) => [r.id, findingValues(r)]));
    expect(stored.size).toBe(rows.length);
    for (const r of rows) expect(stored.get(r[F.id])).toEqual(r);
    expect(Buffer.byteLength(big)).toBeGreaterThan(2 << 20);
  });

  it('stored triage writes one decision per open finding through the bulk path, with the domain input digest', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: file('r1.json', trivy('app', V1)) });
    const ruleset = await loadRuleset();
    const r = await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    expect(r.evaluated).toBe(3);
    const decisions = await t.ctx.store.db.selectFrom('decisions').selectAll().orderBy('id').execute();
    expect(decisions.map((d) => d.id)).toEqual([`${r.run}/0000001`, `${r.run}/0000002`, `${r.run}/0000003`]);
    expect(new Set(decisions.map((d) => d.finding_id))).toEqual(new Set((await findings()).map((f) => f.id)));
    // `why` replays the engine with the run's stored ruleset: exactly the engine's explanation, verified by digest
    const k = new Knowledge();
    for (const a of await t.ctx.store.db.selectFrom('assets').selectAll().execute()) k.assets.set(a.id, assetFromRow(a));
    for (const v of await t.ctx.store.db.selectFrom('vulnerabilities').selectAll().execute()) k.vulnerabilities.set(v.id, vulnerabilityFromRow(v));
    for (const f of await findings()) {
      const why = await explainFinding(t.ctx, vm, f.id);
      expect(why.explanation).toEqual(evaluate(k.inputFor(findingFromRow(f)), ruleset).explanation);
      expect(why.explanation.length).toBeGreaterThan(10);
      expect(why.replay).toMatchObject({ verified: true, input_hash: why.input_hash });
    }
    const run = await t.ctx.store.db.selectFrom('triage_runs').selectAll().where('id', '=', r.run).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ source: 'triage', ruleset_version: ruleset.version, ruleset_digest: rulesetDigest(ruleset), evaluated: 3, actor: 'vm' });
    const stored = await t.ctx.store.db.selectFrom('rulesets').selectAll().execute();
    expect(stored.map((x) => x.digest)).toEqual([rulesetDigest(ruleset)]);
    // a second run with the same ruleset stores it once
    await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    expect(await t.ctx.store.db.selectFrom('rulesets').selectAll().execute()).toHaveLength(1);
  });

  it('why says when the facts behind a decision have changed since, instead of passing today\'s lines off as the decision\'s', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: file('r1.json', trivy('app', V1)) });
    const ruleset = await loadRuleset();
    await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    const f = (await findings())[0];
    if (f === undefined) throw new Error('no finding');
    const before = await explainFinding(t.ctx, vm, f.id);
    expect(before.replay.verified).toBe(true);
    // the asset becomes internet-facing and business-critical after the decision
    const asset = await t.ctx.store.db.selectFrom('assets').selectAll().where('id', '=', f.asset_id).executeTakeFirstOrThrow();
    await t.ctx.store.db.updateTable('assets').set({ exposure: 'internet', business_critical: 1 }).where('id', '=', f.asset_id).execute();
    const after = await explainFinding(t.ctx, vm, f.id);
    expect(after.replay.verified).toBe(false);
    expect(after.replay.input_hash).not.toBe(after.input_hash);
    expect(after.replay.message).toMatch(/changed since/);
    expect(after.decision).toBe(before.decision);
    // a vulnerability refreshed since (EPSS) does not break the replay: the decision kept the facts it read
    await t.ctx.store.db.updateTable('assets').set({ exposure: asset.exposure, business_critical: asset.business_critical }).where('id', '=', f.asset_id).execute();
    await t.ctx.store.db.updateTable('vulnerabilities').set({ epss_score: 0.99, epss_percentile: 0.999, epss_date: '2026-12-01' }).where('id', '=', f.vulnerability_id).execute();
    const refreshed = await explainFinding(t.ctx, vm, f.id);
    expect(refreshed.replay.verified).toBe(true);
    expect(refreshed.explanation).toEqual(before.explanation);
  });

  it('why refuses a stored ruleset the store has corrupted, naming the run and the digest', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: file('r1.json', trivy('app', V1)) });
    const ruleset = await loadRuleset();
    const r = await triageStored(t.ctx, vm, { escalate: false }, ruleset);
    const f = (await findings())[0];
    if (f === undefined) throw new Error('no finding');
    const digest = rulesetDigest(ruleset);
    const { body } = await t.ctx.store.db.selectFrom('rulesets').select('body').where('digest', '=', digest).executeTakeFirstOrThrow();
    const corruptions = [
      // cut short: neither JSON nor YAML
      body.slice(0, body.length / 2),
      // well-formed, but not a ruleset
      JSON.stringify({ version: ruleset.version }),
      // a valid ruleset, but not the one with this digest
      body.replace(JSON.stringify(ruleset.version), JSON.stringify(`${ruleset.version}-edited`)),
    ];
    for (const corrupt of corruptions) {
      await t.ctx.store.db.updateTable('rulesets').set({ body: corrupt }).where('digest', '=', digest).execute();
      const refused = explainFinding(t.ctx, vm, f.id);
      await expect(refused).rejects.toMatchObject({ code: 'CL_INTERNAL', details: { run: r.run, digest } });
      await expect(refused).rejects.toThrow(`triage run ${r.run}: its stored ruleset ${digest} is corrupt`);
    }
    await t.ctx.store.db.updateTable('rulesets').set({ body }).where('digest', '=', digest).execute();
    expect((await explainFinding(t.ctx, vm, f.id)).replay.verified).toBe(true);
  });

  it("gives a triage run the engine's cache bounds", async () => {
    const bounds = await withBulkTransaction(t.ctx.store, async (_trx, bulk) => bulk.cacheBounds);
    expect(bounds).toEqual(engine === 'sqlite' ? SQLITE_CACHE_BOUNDS : POSTGRES_CACHE_BOUNDS);
  });
});

describe('column maps', () => {
  it('give every column its position in the column list', () => {
    for (const [columns, index] of [
      [DECISION_COLUMNS, DECISION_COLUMN],
      [FINDING_COLUMNS, F],
      [VULNERABILITY_FACT_COLUMNS, VULNERABILITY_FACT_COLUMN],
    ] as const) {
      expect(Object.entries(index)).toEqual(columns.map((c, i) => [c, i]));
    }
    expect(DECISION_COLUMN.input_hash).toBe(12);
  });
});

describe('RunDigester', () => {
  it('gives exactly decisionInputDigest for every finding of a run', async () => {
    const ruleset = await loadRuleset();
    const k = new Knowledge();
    k.add({ kind: 'asset', record: { id: 'web', name: 'Web', service: 's', owner: null, business_critical: true, exposure: 'internet', auth_required: false, privileged: false, regulated: ['pii'], customer_facing: true, safety: false, third_party: null, telemetry: true, components: [], extra: {} } });
    k.add({ kind: 'signal', record: { id: 'S-2', time: '2026-11-27T10:00:00Z', asset: 'web', kind: 'exploit_attempt', vulnerability: 'CVE-2024-0001', component: null, source: 'waf', indicator: null, payload: null, alert: null, confidence: 'high', extra: {} } });
    k.add({ kind: 'signal', record: { id: 'S-1', time: '2026-11-27T09:00:00Z', asset: 'web', kind: 'abnormal_auth', vulnerability: null, component: null, source: 'idp', indicator: null, payload: null, alert: null, confidence: null, extra: { x: [1, { b: 2, a: 1 }] } } });
    k.add({ kind: 'advisory', record: { vulnerability: 'CVE-2024-0002', product: 'zlib', status: 'not_affected', justification: 'vulnerable_code_not_present', statement: null, source: 'vendor' } });
    k.add({ kind: 'kev', record: { cve: 'CVE-2024-0001', dateAdded: '2024-05-01', dueDate: null, knownRansomwareCampaignUse: true, vendorProject: null, product: null, name: null } });
    // the engines' bounds, and bounds so small that every cache starts over between findings
    const digesters = [SQLITE_CACHE_BOUNDS, POSTGRES_CACHE_BOUNDS, { assets: 1, vulnerabilities: 1 }].map((b) => new RunDigester(rulesetDigest(ruleset), b));
    const base = { fingerprint: 'x', source: 'trivy', validation: 'unvalidated', reachability: 'unknown', affected_version_known: true, vendor_scope_known: true, containment_needed: false, check: null, ruled_out_by: null, verdict_at: null, title: null, severity: 'high', cwe: ['CWE-79'], file_path: null, line: null, fixed_version: null, aliases: [], extra: { b: 1, a: [2, 1] } } as const;
    for (const f of [
      { ...base, id: 'f1', vulnerability: 'CVE-2024-0001', asset: 'web', component: 'openssl', version: '3' },
      { ...base, id: 'f2', vulnerability: 'CVE-2024-0002', asset: 'web', component: 'zlib', version: '1' },
      { ...base, id: 'f3', vulnerability: 'CVE-2024-0001', asset: 'unknown-host', component: null, version: null, aliases: ['GHSA-x'] },
      { ...base, id: 'f4', vulnerability: 'CVE-2024-0001', asset: 'web', component: 'openssl', version: '4', validation: 'validated' as const },
      { ...base, id: 'f5', vulnerability: 'CVE-2024-0002', asset: 'unknown-host', component: 'zlib', version: '1' },
      { ...base, id: 'f6', vulnerability: 'CVE-2024-0001', asset: 'web', component: 'openssl', version: '3' },
    ]) {
      const input = k.inputFor({ ...f, cwe: [...f.cwe], aliases: [...f.aliases], extra: { ...f.extra } });
      for (const digester of digesters) expect(digester.digest(input).digest).toBe(decisionInputDigest(input, ruleset));
    }
  });
});
