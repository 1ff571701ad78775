import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  defaultRulesetPath,
  durationMs,
  loadDefaultRuleset,
  parseRuleset,
} from '../../../src/domain/escalation/ruleset.js';
import { isClError } from '../../../src/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const defaultText = readFileSync(path.join(repoRoot, 'rules', 'default.yaml'), 'utf8');

function configError(text: string): string {
  try {
    parseRuleset(text, 'policy.yaml');
  } catch (err) {
    if (isClError(err) && err.code === 'CL_CONFIG_INVALID') return err.message;
    throw err;
  }
  throw new Error('expected CL_CONFIG_INVALID');
}

describe('default ruleset', () => {
  it('lives at rules/default.yaml in the repository root', () => {
    expect(defaultRulesetPath()).toBe(path.join(repoRoot, 'rules', 'default.yaml'));
  });

  it('resolves the same root from dist/domain/escalation (built layout)', () => {
    const built = new URL('../../../rules/default.yaml', 'file:///repo/dist/domain/escalation/ruleset.js');
    expect(fileURLToPath(built)).toBe(path.resolve('/repo/rules/default.yaml'));
  });

  it('loads, is versioned and holds the documented thresholds', () => {
    const r = loadDefaultRuleset();
    expect(r.version).toBe('2026.11.1');
    expect(r.thresholds).toEqual({ cvss_high_score: 7, epss_exploit_pressure: null, epss_exploitability_evidence: 0.1 });
    expect(r.exploit_pressure).toEqual({ kev: true, ransomware: true, exploitation: ['active', 'poc'], public_poc: true });
    expect(r.critical_reachability).toEqual({ exposure: ['internet'], unauthenticated: true, privileged: true, business_critical: true });
    expect(r.severity.response_time).toEqual({ critical: '1h', high: '4h', moderate: '24h', low: '72h' });
  });

  it('is deeply frozen', () => {
    const r = loadDefaultRuleset();
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.thresholds)).toBe(true);
    expect(Object.isFrozen(r.signals.confirmed_compromise)).toBe(true);
  });
});

describe('parseRuleset errors name the key', () => {
  const rows: Array<[string, string, string]> = [
    ['misspelt key', defaultText.replace('cvss_high_score:', 'cvss_hi_score:'), 'thresholds.cvss_hi_score: unknown key'],
    ['missing key', defaultText.replace(/^\s+cvss_high_score: 7\.0\n/m, ''), 'thresholds.cvss_high_score: required key is missing (expected number)'],
    ['wrong type', defaultText.replace('cvss_high_score: 7.0', 'cvss_high_score: high'), 'thresholds.cvss_high_score'],
    ['out of range', defaultText.replace('epss_exploitability_evidence: 0.1', 'epss_exploitability_evidence: 5'), 'thresholds.epss_exploitability_evidence'],
    ['unknown signal kind', defaultText.replace('[exploit_attempt, suspicious_payload, abnormal_auth, post_exploit]', '[exploit_attempt, port_scan]'), 'signals.observed_exploitation[1]'],
    ['bad duration', defaultText.replace('critical: 1h', 'critical: soon'), 'severity.response_time.critical: expected a duration'],
    ['unknown severity', defaultText.replace('scope_unknown: moderate', 'scope_unknown: urgent'), 'severity.by_trigger.scope_unknown'],
    ['numeric version', defaultText.replace('version: "2026.11.1"', 'version: 2026.11'), 'version'],
    ['critical slower than high', defaultText.replace('critical: 1h', 'critical: 5h'), 'severity.response_time.critical: 5h is longer than high (4h)'],
    ['alias shared by two actions', defaultText.replace('[waf_rule, waf, virtual_patch]', '[waf_rule, waf, isolate]'), 'containment.actions.emergency_waf_rule: "isolate" is already a name of isolation'],
  ];
  it.each(rows)('%s', (_name, text, fragment) => {
    const message = configError(text);
    expect(message.startsWith('policy.yaml: ')).toBe(true);
    expect(message).toContain(fragment);
  });

  it('reports YAML syntax errors with the source', () => {
    expect(configError('version: [')).toMatch(/^policy\.yaml: not valid YAML/);
  });

  it('rejects an empty document', () => {
    expect(configError('')).toContain('policy.yaml: (top level)');
  });
});

describe('durationMs', () => {
  it.each([
    ['30m', 1_800_000],
    ['4h', 14_400_000],
    ['3d', 259_200_000],
  ])('%s → %d ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});
