import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRulesetPath, loadDefaultRuleset } from '../../src/config/ruleset-file.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('default ruleset', () => {
  it('lives at rules/default.yaml in the repository root', () => {
    expect(defaultRulesetPath()).toBe(path.join(repoRoot, 'rules', 'default.yaml'));
  });

  it('resolves the same root from dist/config (built layout)', () => {
    const built = new URL('../../rules/default.yaml', 'file:///repo/dist/config/ruleset-file.js');
    expect(fileURLToPath(built)).toBe(path.resolve('/repo/rules/default.yaml'));
  });

  it('loads, is versioned and holds the documented thresholds', () => {
    const r = loadDefaultRuleset();
    expect(r.version).toBe('2026.12.1');
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
