import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { durationMs, parseRuleset } from '../../../src/domain/escalation/ruleset.js';
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

describe('parseRuleset of an already-parsed value', () => {
  const raw: unknown = parseYaml(defaultText);

  it('gives the same ruleset as the YAML text it came from', () => {
    expect(parseRuleset(raw, 'stored run')).toEqual(parseRuleset(defaultText, 'rules/default.yaml'));
  });

  it('survives a JSON round trip (a ruleset stored beside a triage run)', () => {
    const stored: unknown = JSON.parse(JSON.stringify(parseRuleset(defaultText, 'rules/default.yaml')));
    expect(parseRuleset(stored, 'run 7').version).toBe('2026.12.1');
  });

  it('freezes its own copy, not the value passed in', () => {
    const r = parseRuleset(raw, 'stored run');
    expect(Object.isFrozen(r.thresholds)).toBe(true);
    expect(Object.isFrozen(raw)).toBe(false);
  });

  it('names the origin and the bad key', () => {
    const bad: unknown = parseYaml(defaultText.replace('cvss_high_score:', 'cvss_hi_score:'));
    expect(() => parseRuleset(bad, 'run 7')).toThrow(/^run 7: .*thresholds\.cvss_hi_score: unknown key/);
  });

  it('rejects a value that is not a ruleset at all', () => {
    expect(() => parseRuleset(null, 'run 7')).toThrow(/^run 7: \(top level\)/);
    expect(() => parseRuleset(42, 'run 7')).toThrow(/^run 7: \(top level\)/);
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
    ['numeric version', defaultText.replace('version: "2026.12.1"', 'version: 2026.11'), 'version'],
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
