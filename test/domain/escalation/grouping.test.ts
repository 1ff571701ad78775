import { describe, expect, it } from 'vitest';
import { canonicalVulnerability, groupingOf } from '../../../src/domain/escalation/grouping.js';
import type { Trigger } from '../../../src/domain/escalation/vocabulary.js';

const of = (triggers: Trigger[], aliases: string[] = [], vulnerability = 'CVE-2021-41773') => groupingOf({ asset: 'web-01', vulnerability, triggers }, aliases);

describe('grouping of an escalation (docs/decisions/incident-grouping.md)', () => {
  it.each<[Trigger[], 'asset' | 'vulnerability']>([
    [['observed_exploitation'], 'asset'],
    [['confirmed_compromise'], 'asset'],
    [['dangerous_exposure', 'confirmed_compromise'], 'asset'],
    [['observed_exploitation', 'dangerous_exposure', 'regulated_impact'], 'asset'],
    [['containment_needed'], 'asset'],
    [['dangerous_exposure', 'containment_needed'], 'asset'],
    [['regulated_impact'], 'asset'],
    [['confirmed_compromise', 'regulated_impact'], 'asset'],
    [['dangerous_exposure'], 'vulnerability'],
    [['scope_unknown'], 'vulnerability'],
    [['dangerous_exposure', 'regulated_impact'], 'vulnerability'],
    [['dangerous_exposure', 'scope_unknown', 'regulated_impact'], 'vulnerability'],
  ])('%j groups by %s', (triggers, kind) => {
    const g = of(triggers);
    expect(g.kind).toBe(kind);
    expect(g.key).toBe(kind === 'asset' ? 'asset:web-01' : 'vuln:CVE-2021-41773');
  });

  it('resolves aliases to the lowest CVE and matches by every id', () => {
    expect(canonicalVulnerability('GHSA-jfh8-c2jp-5v3q', ['cve-2021-45046', 'CVE-2021-44228'])).toBe('CVE-2021-44228');
    expect(canonicalVulnerability('GHSA-jfh8-c2jp-5v3q', [])).toBe('GHSA-jfh8-c2jp-5v3q');
    expect(canonicalVulnerability(' cve-2021-44228 ', [])).toBe('CVE-2021-44228');
    const g = of(['dangerous_exposure'], ['CVE-2021-44228', 'OSV-2021-1'], 'GHSA-jfh8-c2jp-5v3q');
    expect(g).toEqual({ kind: 'vulnerability', key: 'vuln:CVE-2021-44228', keys: ['vuln:CVE-2021-44228', 'vuln:GHSA-jfh8-c2jp-5v3q', 'vuln:OSV-2021-1'] });
    // an asset key ignores the vulnerability's ids
    expect(of(['confirmed_compromise'], ['CVE-2021-44228']).keys).toEqual(['asset:web-01']);
  });
});
