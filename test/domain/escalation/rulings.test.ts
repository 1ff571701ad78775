/**
 * The SPEC §2 rulings in the engine (engine 2), and engine 1 kept for replaying the decisions it
 * made: the fixture holds decisions and input digests written by the engine before the rulings.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import { assetWithDefaults, findingWithDefaults, signalWithDefaults, vulnerabilityWithDefaults } from '../../../src/domain/escalation/defaults.js';
import { evaluate, type Decision, type EvaluationInput } from '../../../src/domain/escalation/engine.js';
import { buildHandoffNote } from '../../../src/domain/escalation/handoff.js';
import { ENGINE_VERSION, engineVersionOf } from '../../../src/domain/escalation/engine-version.js';
import { decisionInputDigest } from '../../../src/domain/escalation/input-digest.js';
import { parseRuleset } from '../../../src/domain/escalation/ruleset.js';
import type { FindingInput } from '../../../src/domain/escalation/defaults.js';
import { KEV, scenario } from './builders.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ruleset = loadDefaultRuleset();
const line = (d: Decision, rule: string) => d.explanation.find((l) => l.rule === rule);

describe('ruling 1: exploitation poc', () => {
  it('is exploit pressure, and a public PoC for poc_without_environment_fit', () => {
    const escalates = evaluate(scenario({ asset: { exposure: 'internet', owner: 'o' }, vulnerability: { exploitation: 'poc' }, finding: { validation: 'validated' } }), ruleset);
    expect(escalates.triggers).toEqual(['dangerous_exposure']);
    const stays = evaluate(scenario({ vulnerability: { exploitation: 'poc', public_poc: false } }), ruleset);
    expect(stays.stay_reasons).toContain('poc_without_environment_fit');
  });
});

describe('ruling 2: a ruled-out finding has no vulnerable path', () => {
  it.each([
    ['exploit_attempt', 'not_affected', 'stay'],
    ['suspicious_payload', 'false_positive', 'stay'],
    ['abnormal_auth', 'not_affected', 'escalate'],
    ['post_exploit', 'false_positive', 'escalate'],
  ] as const)('%s tied to a %s finding → %s', (kind, validation, outcome) => {
    const d = evaluate(scenario({ finding: { validation }, signals: [{ kind, vulnerability: 'CVE-2026-0001' }] }), ruleset);
    expect(d.outcome).toBe(outcome);
    expect(d.triggers).toEqual(outcome === 'escalate' ? ['observed_exploitation'] : []);
  });

  it('still fires confirmed_compromise on the asset', () => {
    expect(evaluate(scenario({ finding: { validation: 'not_affected' }, signals: [{ kind: 'persistence' }] }), ruleset).triggers).toEqual(['confirmed_compromise']);
  });
});

describe('ruling 3: validate_urgently whatever the outcome', () => {
  const exposed = { asset: { exposure: 'internet' as const, owner: 'o' }, vulnerability: KEV };
  it.each([
    ['stays', {}, 'stay', true],
    ['escalates on reachability', { reachability: 'reachable' }, 'escalate', true],
    ['ruled out', { validation: 'not_affected' }, 'stay', false],
    ['unreachable', { reachability: 'unreachable' }, 'stay', false],
  ] as const)('unvalidated finding with pressure and critical reachability that %s', (_name, finding, outcome, flagged) => {
    const d = evaluate(scenario({ ...exposed, finding }), ruleset);
    expect(d.outcome).toBe(outcome);
    expect(d.flags.includes('validate_urgently')).toBe(flagged);
  });
});

describe('ruling 4: ruled_out and unreachable instead of vendor_advisory_only', () => {
  const advisory = { vulnerability: { vendor_advisory: true } };

  it('names the analyst whose verdict ruled the finding out, as a fact and as evidence', () => {
    const d = evaluate(scenario({ ...advisory, finding: { validation: 'not_affected', ruled_out_by: 'alice' } }), ruleset);
    expect(d.stay_reasons).toEqual(['ruled_out']);
    expect(d.evidence).toContain('ruled_out_by:alice');
    expect(line(d, 'stay.ruled_out')).toEqual({ rule: 'stay.ruled_out', holds: true, facts: ['analyst alice ruled it not_affected (verdict on the finding)'] });
    expect(line(d, 'stay.vendor_advisory_only')?.facts).toContain('local evidence (signal, validation or reachability) yes');
  });

  it('names the VEX/CSAF statement that ruled the finding out', () => {
    const d = evaluate(scenario({ ...advisory, advisories: [{ status: 'not_affected', source: 'csaf:RHSA-2026:0001', justification: 'component_not_present' }] }), ruleset);
    expect(d.stay_reasons).toEqual(['ruled_out']);
    expect(line(d, 'stay.ruled_out')?.facts).toEqual(['VEX/CSAF statement csaf:RHSA-2026:0001 (component_not_present) says not_affected']);
    expect(d.evidence).not.toContain('ruled_out_by:alice');
  });

  it('says when neither a person nor a statement is on record', () => {
    const d = evaluate(scenario({ ...advisory, finding: { validation: 'false_positive' } }), ruleset);
    expect(line(d, 'stay.ruled_out')?.facts[0]).toContain('the imported finding says false_positive');
  });

  it('gives unreachable for an unreachable finding', () => {
    const d = evaluate(scenario({ ...advisory, finding: { reachability: 'unreachable' } }), ruleset);
    expect(d.stay_reasons).toEqual(['unvalidated_scanner_finding', 'unreachable']);
  });

  it('keeps vendor_advisory_only for a finding with no local evidence', () => {
    expect(evaluate(scenario(advisory), ruleset).stay_reasons).toEqual(['unvalidated_scanner_finding', 'vendor_advisory_only']);
  });
});

describe('ruling 5: EPSS at the threshold is exploitability evidence', () => {
  it.each([
    [0.1, []],
    [0.0999, ['high_score_only']],
  ] as const)('EPSS %s on a 9.8 → %j', (score, reasons) => {
    const d = evaluate(scenario({ vulnerability: { cvss: { base_score: 9.8 }, epss: { score, percentile: 0.9 } }, finding: { validation: 'validated' } }), ruleset);
    expect(d.stay_reasons).toEqual(reasons);
  });
});

describe('ruling 6: a remote network check', () => {
  const exposed = { asset: { exposure: 'internet' as const, owner: 'o' }, vulnerability: KEV };

  it('makes an unknown reachability reachable, recorded as evidence and explained', () => {
    const d = evaluate(scenario({ ...exposed, finding: { check: 'remote' } }), ruleset);
    expect(d.triggers).toEqual(['dangerous_exposure']);
    expect(d.evidence).toContain('remote_check:finding-1');
    expect(line(d, 'applicability')?.facts.join(' ')).toContain('remote network check');
  });

  it('tells IR the path is reachable from the scanner, not that reachability is unknown', () => {
    const input = scenario({ ...exposed, finding: { check: 'remote' } });
    const note = buildHandoffNote({ ...input, decision: evaluate(input, ruleset), ruleset, now: new Date('2026-12-01T00:00:00Z') });
    const scope = note.json.known_uncertainty.filter((u) => u.kind === 'scope').map((u) => u.detail);
    expect(scope).toContain('reachable from the scanner (remote network check); reachability from elsewhere not assessed');
    expect(scope).not.toContain('reachability of the vulnerable path unknown');
  });

  it.each([
    ['an authenticated local check', { check: 'local' }],
    ['a remote check against an unreachable verdict', { check: 'remote', reachability: 'unreachable' }],
  ] as const)('does not fire for %s', (_name, finding: Partial<FindingInput>) => {
    const d = evaluate(scenario({ ...exposed, finding }), ruleset);
    expect(d.outcome).toBe('stay');
    expect(d.evidence.some((e) => e.startsWith('remote_check:'))).toBe(false);
  });
});

describe('engine versions', () => {
  interface Fixture { ruleset: string; cases: { name: string; finding: Partial<FindingInput> & { id: string }; digest: string; decision: Decision }[] }
  const fixture = JSON.parse(readFileSync(path.join(here, 'fixtures', 'engine-1-decisions.json'), 'utf8')) as Fixture;
  // the ruleset those decisions were made with: the shipped one before this version
  const oldRuleset = parseRuleset(readFileSync(path.join(here, '..', '..', '..', 'rules', 'default.yaml'), 'utf8').replace(/^version: .*$/m, `version: "${fixture.ruleset}"`), 'old ruleset');
  const inputOf = (finding: Partial<FindingInput> & { id: string }): EvaluationInput => ({
    finding: findingWithDefaults({ asset: 'web-1', vulnerability: 'CVE-2026-0001', component: 'nginx', version: '1.22', ...finding }),
    asset: assetWithDefaults({ id: 'web-1', exposure: 'internet', owner: 'web-team' }),
    vulnerability: vulnerabilityWithDefaults({ id: 'CVE-2026-0001', vendor_advisory: true, cvss: { version: '3.1', base_score: 8.1, vector: null } }),
    signals: [signalWithDefaults({ id: 'S-1', time: '2026-11-01T00:00:00Z', asset: 'web-2', kind: 'webshell' })],
    advisories: [],
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('engine 1 decides a %s finding exactly as before, with the same input digest', (_name, c) => {
    const input = inputOf(c.finding);
    expect(evaluate(input, oldRuleset, { engine: 1 })).toEqual(c.decision);
    expect(decisionInputDigest(input, oldRuleset, 1)).toBe(c.digest);
    // engine 2 reads the same facts differently, and says so in its digest
    expect(evaluate(input, oldRuleset).stay_reasons).not.toContain('vendor_advisory_only');
    expect(decisionInputDigest(input, oldRuleset)).not.toBe(c.digest);
  });

  it('engine 1 ignores a remote check; engine 2 reads it', () => {
    const input = scenario({ asset: { exposure: 'internet', owner: 'o' }, vulnerability: KEV, finding: { check: 'remote' } });
    expect(evaluate(input, ruleset, { engine: 1 }).outcome).toBe('stay');
    expect(evaluate(input, ruleset, { engine: 2 }).outcome).toBe('escalate');
  });

  it('the digest covers the engine version and the finding\'s check and ruled_out_by', () => {
    const a = scenario({ finding: { validation: 'not_affected', ruled_out_by: 'alice' } });
    const b = scenario({ finding: { validation: 'not_affected', ruled_out_by: 'bob' } });
    const c = scenario({ finding: { validation: 'not_affected', ruled_out_by: 'alice', check: 'local' } });
    expect(new Set([a, b, c].map((x) => decisionInputDigest(x, ruleset))).size).toBe(3);
    // engine 1 read neither field
    expect(new Set([a, b, c].map((x) => decisionInputDigest(x, ruleset, 1))).size).toBe(1);
  });

  it('reads a stored engine version, and no other', () => {
    expect(ENGINE_VERSION).toBe(2);
    expect([1, '2', 2n, 3, null, 'x'].map(engineVersionOf)).toEqual([1, 2, 2, null, null, null]);
  });
});
