import { describe, expect, it } from 'vitest';
import {
  assetWithDefaults,
  fileLocation,
  findingFingerprint,
  findingWithDefaults,
  signalWithDefaults,
  vulnerabilityWithDefaults,
} from '../../../src/domain/escalation/defaults.js';

describe('FORMATS.md defaults', () => {
  it('fills an asset', () => {
    expect(assetWithDefaults({ id: 'a1', components: [{ product: 'nginx' }] })).toEqual({
      id: 'a1',
      name: null,
      service: null,
      owner: null,
      business_critical: false,
      exposure: 'internal',
      auth_required: true,
      privileged: false,
      regulated: [],
      customer_facing: false,
      safety: false,
      third_party: null,
      telemetry: true,
      components: [{ product: 'nginx', version: null }],
      extra: {},
    });
  });

  it('keeps given asset values, false and null included', () => {
    const a = assetWithDefaults({ id: 'a1', auth_required: false, telemetry: false, exposure: 'internet', owner: 'ops' });
    expect(a).toMatchObject({ auth_required: false, telemetry: false, exposure: 'internet', owner: 'ops' });
  });

  it('fills a vulnerability and its partial KEV/EPSS/CVSS', () => {
    const v = vulnerabilityWithDefaults({
      id: 'CVE-2021-44228',
      kev: { dateAdded: '2021-12-10' },
      epss: { score: 0.94, percentile: 0.99 },
      cvss: { base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
    });
    expect(v).toEqual({
      id: 'CVE-2021-44228',
      cvss: { version: '3.1', base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
      exploitation: 'none',
      public_poc: false,
      vendor_advisory: false,
      fix_available: null,
      kev: { dateAdded: '2021-12-10', dueDate: null, knownRansomwareCampaignUse: false },
      epss: { score: 0.94, percentile: 0.99, date: null },
      title: null,
      references: [],
      extra: {},
    });
    expect(vulnerabilityWithDefaults({ id: 'X', cvss: { base_score: 5 } }).cvss?.version).toBe('unknown');
  });

  it('fills a finding; the id defaults to a stable fingerprint', () => {
    const f = findingWithDefaults({ vulnerability: 'CVE-1', asset: 'a1', component: 'openssl', version: '3.0.1', source: 'trivy' });
    expect(f).toMatchObject({
      validation: 'unvalidated',
      reachability: 'unknown',
      affected_version_known: true,
      vendor_scope_known: true,
      containment_needed: false,
      aliases: [],
      cwe: [],
    });
    expect(f.id).toBe(f.fingerprint);
    expect(f.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(findingWithDefaults({ vulnerability: 'CVE-1', asset: 'a1', component: 'openssl', version: '3.0.1', source: 'trivy' }).fingerprint).toBe(
      f.fingerprint,
    );
    expect(findingWithDefaults({ vulnerability: 'CVE-1', asset: 'a2', component: 'openssl', version: '3.0.1', source: 'trivy' }).fingerprint).not.toBe(
      f.fingerprint,
    );
  });

  it('fingerprints are stable: stored findings are matched on them when a report comes again', () => {
    expect(
      findingFingerprint({ source: 'trivy', asset: 'image:nginx', vulnerability: 'CVE-2021-44228', component: 'log4j-core', version: '2.14.1', location: null }),
    ).toBe('9af69d36dd2e62bc4903d3309f0ee0154175f8f8ba4148508e6bf2623835e943');
    expect(findingFingerprint({ source: 'native', asset: 'a1', vulnerability: 'CVE-1', component: null, version: null, location: 'src/app.js:12' })).toBe(
      '3ca6aaa160d0cb39df356b3f6ab9eadacf6bcfad4f4968ca6f26af4815374508',
    );
  });

  it('a finding filled with defaults has the fingerprint an importer gives the same finding', () => {
    const parts = { vulnerability: 'CVE-1', asset: 'a1', component: null, version: null, file_path: 'src/app.js', line: 12 };
    expect(findingWithDefaults({ ...parts, source: 'native' }).fingerprint).toBe(
      findingFingerprint({ source: 'native', asset: 'a1', vulnerability: 'CVE-1', component: null, version: null, location: 'src/app.js:12' }),
    );
    expect(fileLocation('src/app.js', null)).toBe('src/app.js:');
    expect(fileLocation(null, 12)).toBeNull();
  });

  it('fingerprints do not collide on field boundaries', () => {
    const base = { source: null, vulnerability: 'CVE-1', version: null, location: null };
    expect(findingFingerprint({ ...base, asset: 'a', component: 'bc' })).not.toBe(findingFingerprint({ ...base, asset: 'ab', component: 'c' }));
  });

  it('fills a signal', () => {
    expect(signalWithDefaults({ id: 's1', time: '2026-01-01T00:00:00Z', asset: 'a1', kind: 'webshell' })).toEqual({
      id: 's1',
      time: '2026-01-01T00:00:00Z',
      asset: 'a1',
      kind: 'webshell',
      vulnerability: null,
      component: null,
      source: null,
      indicator: null,
      payload: null,
      alert: null,
      confidence: null,
      extra: {},
    });
  });
});
