import { describe, expect, it } from 'vitest';
import { signalWithDefaults } from '../../../src/domain/escalation/defaults.js';
import fc from 'fast-check';
import { canonicalFindingFacts, canonicalJson, canonicalVulnerabilityFacts, decisionInputDigest, findingFacts, vulnerabilityFacts } from '../../../src/domain/escalation/input-digest.js';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { parseRuleset } from '../../../src/domain/escalation/ruleset.js';
import { defaultRulesetPath, loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import { readFileSync } from 'node:fs';
import { KEV, scenario } from './builders.js';

const ruleset = loadDefaultRuleset();

describe('decisionInputDigest', () => {
  const input = scenario({ vulnerability: KEV, signals: [{ kind: 'webshell' }, { kind: 'exploit_attempt' }] });
  const digest = decisionInputDigest(input, ruleset);

  it('is a sha256 and stable', () => {
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decisionInputDigest(input, ruleset)).toBe(digest);
  });

  it('ignores signal order and signals on other assets', () => {
    const other = signalWithDefaults({ id: 'x', time: '2026-01-01T00:00:00Z', asset: 'asset-9', kind: 'webshell' });
    expect(decisionInputDigest({ ...input, signals: [...input.signals].reverse() }, ruleset)).toBe(digest);
    expect(decisionInputDigest({ ...input, signals: [...input.signals, other] }, ruleset)).toBe(digest);
  });

  it('changes with the facts and with the ruleset, and only with what the engine reads', () => {
    expect(decisionInputDigest({ ...input, finding: { ...input.finding, validation: 'validated' } }, ruleset)).not.toBe(digest);
    expect(decisionInputDigest({ ...input, finding: { ...input.finding, aliases: ['GHSA-x'] } }, ruleset)).not.toBe(digest);
    expect(decisionInputDigest({ ...input, asset: input.asset && { ...input.asset, exposure: 'internet' } }, ruleset)).not.toBe(digest);
    expect(decisionInputDigest({ ...input, asset: input.asset && { ...input.asset, extra: { containment_needed: 'isolate' } } }, ruleset)).not.toBe(digest);
    // words the engine never reads: a retitled finding or a richer description is the same input
    const retitled: FindingRecord = { ...input.finding, title: 'new title', extra: { note: 'x' }, cwe: ['CWE-1'] };
    expect(decisionInputDigest({ ...input, finding: retitled }, ruleset)).toBe(digest);
    expect(decisionInputDigest({ ...input, asset: input.asset && { ...input.asset, service: 'other', components: [] } }, ruleset)).toBe(digest);
    expect(decisionInputDigest({ ...input, vulnerability: input.vulnerability && { ...input.vulnerability, title: 't', references: ['r'] } }, ruleset)).toBe(digest);
    const edited = parseRuleset(readFileSync(defaultRulesetPath(), 'utf8').replace('cvss_high_score: 7.0', 'cvss_high_score: 8.0'), 'x');
    expect(decisionInputDigest(input, edited)).not.toBe(digest);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

describe('the fast canonical serialisers behind the digest', () => {
  it('write exactly canonicalJson of the vulnerability facts and of the finding, whatever the values', () => {
    const text = fc.oneof(fc.constant(null), fc.string(), fc.constantFrom('CVE-2024-1', 'a"b\\c', 'é\n\u2028'));
    const vuln = fc.record({
      id: fc.string(),
      cvss: fc.option(fc.record({ version: fc.constantFrom('3.1', '2.0'), base_score: fc.double({ noNaN: true, noDefaultInfinity: true }), vector: text })),
      exploitation: fc.constantFrom('none', 'poc', 'active'),
      public_poc: fc.boolean(),
      vendor_advisory: fc.boolean(),
      fix_available: fc.option(fc.boolean()),
      kev: fc.option(fc.record({ dateAdded: fc.string(), dueDate: text, knownRansomwareCampaignUse: fc.boolean() })),
      epss: fc.option(fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }), percentile: fc.double({ min: 0, max: 1, noNaN: true }), date: text })),
      title: text,
      references: fc.array(fc.string()),
      extra: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(
      fc.property(vuln, (v) => {
        const record = v as unknown as VulnerabilityRecord;
        expect(canonicalVulnerabilityFacts(record)).toBe(canonicalJson(vulnerabilityFacts(record)));
        expect(JSON.parse(canonicalVulnerabilityFacts(record))).toEqual(JSON.parse(JSON.stringify(vulnerabilityFacts(record))));
      }),
      { numRuns: 300 },
    );
    expect(canonicalVulnerabilityFacts(null)).toBe('null');
    const f = scenario({}).finding;
    expect(canonicalFindingFacts(f)).toBe(canonicalJson(findingFacts(f)));
    for (const g of [{ ...f, aliases: ['GHSA-1', 'a"b'] }, { ...f, containment_needed: 'isolate host' }, { ...f, component: null, version: null }]) {
      expect(canonicalFindingFacts(g)).toBe(canonicalJson(findingFacts(g)));
    }
    // any strings (quotes, control characters, lone surrogates), any flag values, keys left undefined
    const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const finding = fc.record({
      affected_version_known: maybe(fc.boolean()),
      aliases: fc.array(fc.string({ unit: 'binary' })),
      asset: fc.string({ unit: 'binary' }),
      component: maybe(fc.option(fc.string({ unit: 'binary' }))),
      containment_needed: maybe(fc.oneof(fc.boolean(), fc.string({ unit: 'binary' }), fc.constant(null))),
      id: fc.string(),
      reachability: fc.string(),
      validation: fc.string(),
      vendor_scope_known: fc.boolean(),
      version: fc.option(fc.string({ unit: 'binary' })),
      vulnerability: fc.string({ unit: 'binary' }),
      title: fc.string(),
      extra: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(
      fc.property(finding, (g) => {
        const record = { ...f, ...g } as unknown as FindingRecord;
        expect(canonicalFindingFacts(record)).toBe(canonicalJson(findingFacts(record)));
      }),
      { numRuns: 500 },
    );
  });
});
