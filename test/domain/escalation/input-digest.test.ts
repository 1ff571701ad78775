import { describe, expect, it } from 'vitest';
import { signalWithDefaults } from '../../../src/domain/escalation/defaults.js';
import { canonicalJson, decisionInputDigest } from '../../../src/domain/escalation/input-digest.js';
import { loadDefaultRuleset, parseRuleset, defaultRulesetPath } from '../../../src/domain/escalation/ruleset.js';
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

  it('changes with the facts and with the ruleset', () => {
    expect(decisionInputDigest({ ...input, finding: { ...input.finding, validation: 'validated' } }, ruleset)).not.toBe(digest);
    const edited = parseRuleset(readFileSync(defaultRulesetPath(), 'utf8').replace('cvss_high_score: 7.0', 'cvss_high_score: 8.0'), 'x');
    expect(decisionInputDigest(input, edited)).not.toBe(digest);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
