/**
 * Migration 0007 on a store that has data: a store migrated up to 0006 (the version before it) holding a finding and a
 * decision engine 1 made of it (its input digest as engine 1 computed it, from the fixture the
 * engine before the rulings wrote), then brought up to date. The decision replays as what it was;
 * a new verdict decides the finding with engine 2 and the current ruleset.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { explainFinding } from '../../src/app/explain-finding.js';
import { setFindingVerdict } from '../../src/app/finding-verdict.js';
import { loadDefaultRuleset } from '../../src/config/ruleset-file.js';
import { assetWithDefaults, canonicalJson, canonicalVulnerabilityFacts, findingWithDefaults, parseRuleset, rulesetDigest, vulnerabilityWithDefaults, type Decision } from '../../src/domain/escalation/index.js';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import { assetToRow, findingToRow, vulnerabilityToRow } from '../../src/store/records.js';
import type { Database, DecisionsTable, FindingsTable } from '../../src/store/schema.js';
import { ENGINES, makeTestContext, type TestContext, seedPeople, TEST_START } from '../helpers/context.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
interface Fixture { ruleset: string; cases: { name: string; finding: { id: string; validation?: 'not_affected'; reachability?: 'unreachable' }; digest: string; decision: Decision }[] }
const fixture = JSON.parse(readFileSync(path.join(here, '..', 'domain', 'escalation', 'fixtures', 'engine-1-decisions.json'), 'utf8')) as Fixture;
const shipped = readFileSync(path.join(here, '..', '..', 'rules', 'default.yaml'), 'utf8');
const oldRuleset = parseRuleset(shipped.replace(/^version: .*$/m, `version: "${fixture.ruleset}"`), 'old ruleset');

/** The tables as 0006 left them: findings without check_type / ruled_out_by / verdict_at, decisions without engine_version. */
type Db0005 = Omit<Database, 'findings' | 'decisions'> & {
  findings: Omit<FindingsTable, 'check_type' | 'ruled_out_by' | 'verdict_at'>;
  decisions: Omit<DecisionsTable, 'engine_version'>;
};

describe.each(ENGINES)('migration 0007 of a store with engine-1 decisions on %s', (engine) => {
  let store: Store | null = null;
  let t: TestContext | null = null;
  afterEach(async () => {
    await dropMigratedStore(store);
    store = null;
    await t?.cleanup();
    t = null;
  });

  const storeAt0005 = (): Promise<Store> => storeMigratedTo(engine, 'm0007', migrationsUpTo('0006-asset-aliases'));

  it('gives existing decisions engine 1, replays them verified as they were, and decides anew with engine 2', async () => {
    store = await storeAt0005();
    const db = store.db as unknown as Kysely<Db0005>;
    const at = '2026-11-20T10:00:00.000Z';
    const vulnerability = vulnerabilityWithDefaults({ id: 'CVE-2026-0001', vendor_advisory: true, cvss: { version: '3.1', base_score: 8.1, vector: null } });
    await db.insertInto('assets').values(assetToRow(assetWithDefaults({ id: 'web-1', exposure: 'internet', owner: 'web-team' }), at)).execute();
    await db.insertInto('vulnerabilities').values(vulnerabilityToRow(vulnerability, at)).execute();
    const digest = rulesetDigest(oldRuleset);
    await db.insertInto('rulesets').values({ digest, version: oldRuleset.version, body: canonicalJson(oldRuleset), first_used_at: at }).execute();
    await db.insertInto('counters').values({ name: 'id:TR', value: 1 }).execute();
    await db.insertInto('triage_runs').values({ id: 'TR-0001', source: 'triage', ruleset_digest: digest, ruleset_version: oldRuleset.version, import_id: null, actor: 'vm', at, evaluated: fixture.cases.length, counts: '{}' }).execute();
    for (const [i, c] of fixture.cases.entries()) {
      const finding = findingWithDefaults({ asset: 'web-1', vulnerability: 'CVE-2026-0001', component: 'nginx', version: '1.22', fingerprint: `fp-${c.finding.id}`, ...c.finding });
      const { check_type: _c, ruled_out_by: _r, verdict_at: _v, ...row0005 } = findingToRow(finding, { at, scanKey: null, importId: null });
      await db.insertInto('findings').values(row0005).execute();
      const d = c.decision;
      await db.insertInto('decisions').values({
        id: `TR-0001/000000${i + 1}`, finding_id: d.finding, asset_id: d.asset, vulnerability_id: d.vulnerability, outcome: d.outcome,
        triggers: JSON.stringify(d.triggers), stay_reasons: JSON.stringify(d.stay_reasons), flags: JSON.stringify(d.flags), next_actions: JSON.stringify(d.next_actions),
        ssvc: d.ssvc, evidence: JSON.stringify(d.evidence), ruleset_version: oldRuleset.version, input_hash: c.digest, snapshot: canonicalVulnerabilityFacts(vulnerability), incident_id: null, decided_at: at,
      }).execute();
    }

    await migrateToLatest(store);

    const decisions = await store.db.selectFrom('decisions').select(['id', 'engine_version']).orderBy('id').execute();
    expect(decisions.map((r) => [r.id, Number(r.engine_version)])).toEqual([['TR-0001/0000001', 1], ['TR-0001/0000002', 1]]);
    const findings = await store.db.selectFrom('findings').select(['id', 'validation', 'check_type', 'ruled_out_by', 'verdict_at']).orderBy('id').execute();
    expect(findings).toEqual([
      { id: 'F-1', validation: 'not_affected', check_type: null, ruled_out_by: null, verdict_at: null },
      { id: 'F-2', validation: 'unvalidated', check_type: null, ruled_out_by: null, verdict_at: null },
    ]);
    expect(await store.db.selectFrom('finding_verdicts').selectAll().execute()).toEqual([]);

    t = await makeTestContext(engine, { label: 'm0007' });
    // the upgraded store has its own (empty) people directory: give it the test's people
    await seedPeople(store, t.people, TEST_START);
    const ctx = { ...t.ctx, store };
    const vm = { actor: 'vm' };
    for (const c of fixture.cases) {
      const why = await explainFinding(ctx, vm, c.finding.id);
      expect(why.replay.verified).toBe(true);
      expect(why.replay.input_hash).toBe(c.digest);
      expect(why.engine).toBe(1);
      expect(why.stay_reasons).toEqual(c.decision.stay_reasons);
      // the very lines engine 1 wrote: no ruled_out / unreachable line in them
      expect(why.explanation).toEqual(c.decision.explanation);
    }

    const verdict = await setFindingVerdict(ctx, vm, { finding: 'F-1', validation: 'not_affected', note: 'nginx built without the affected module' });
    expect(verdict.decision).toMatchObject({ outcome: 'stay', stay_reasons: ['ruled_out'], ruleset: loadDefaultRuleset().version });
    const why = await explainFinding(ctx, vm, 'F-1');
    expect(why).toMatchObject({ engine: 2, ruleset: loadDefaultRuleset().version, stay_reasons: ['ruled_out'], replay: { verified: true } });
    expect(why.explanation.find((l) => l.rule === 'stay.ruled_out')?.facts).toEqual(['analyst vm ruled it not_affected (verdict on the finding)']);
    // the engine-1 decision of the other finding still replays as it was
    expect((await explainFinding(ctx, vm, 'F-2')).replay.verified).toBe(true);
    // until a fact it read changes: then the lines are today's facts under today's engine, and it says so
    await store.db.updateTable('assets').set({ owner: 'platform-team' }).where('id', '=', 'web-1').execute();
    const changed = await explainFinding(ctx, vm, 'F-2');
    expect(changed).toMatchObject({ engine: 1, stay_reasons: ['unvalidated_scanner_finding', 'vendor_advisory_only'], replay: { verified: false } });
    expect(changed.replay.message).toContain('engine 2 (the decision was made by engine 1)');
    expect(changed.explanation.find((l) => l.rule === 'stay.unreachable')).toMatchObject({ holds: true });
  });
});
