import { describe, expect, it } from 'vitest';
import {
  detectVulnerabilityFormat,
  vulnerabilitiesJsonParser,
  vulnerabilitiesNdjsonParser,
  vulnerabilitiesParser,
} from '../../src/ingest/vulnerabilities.js';
import { assertRobust, bytes, collect, expectImportError, recordsOf } from './ingest-helpers.js';

const FULL = {
  id: 'CVE-2021-44228',
  cvss: { version: '3.1', base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
  exploitation: 'active',
  public_poc: true,
  vendor_advisory: true,
  fix_available: true,
  kev: { dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known' },
  epss: { score: 0.94358, percentile: 0.99957 },
  title: 'Log4Shell',
  references: ['https://logging.apache.org/log4j/2.x/security.html'],
  cwe: 'CWE-502',
};

describe('vulnerabilities parsers', () => {
  it('reads every field and keeps unknown ones in extra', async () => {
    const items = await collect(vulnerabilitiesJsonParser.parse(bytes(JSON.stringify([FULL]), 11), { file: 'v.json' }));
    expect(recordsOf(items, 'vulnerability')).toEqual([
      {
        id: 'CVE-2021-44228',
        cvss: { version: '3.1', base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
        exploitation: 'active',
        public_poc: true,
        vendor_advisory: true,
        fix_available: true,
        kev: { dateAdded: '2021-12-10', dueDate: '2021-12-24', knownRansomwareCampaignUse: true },
        epss: { score: 0.94358, percentile: 0.99957, date: null },
        title: 'Log4Shell',
        references: ['https://logging.apache.org/log4j/2.x/security.html'],
        extra: { cwe: 'CWE-502' },
      },
    ]);
  });

  it('applies defaults (exploitation none, fix_available unknown)', async () => {
    const items = await collect(
      vulnerabilitiesNdjsonParser.parse(bytes('{"id":"GHSA-xxxx-yyyy-zzzz","cvss":{"version":"4.0","base_score":6.9}}\n'), { file: 'v.ndjson' }),
    );
    expect(recordsOf(items, 'vulnerability')[0]).toEqual({
      id: 'GHSA-xxxx-yyyy-zzzz',
      cvss: { version: '4.0', base_score: 6.9, vector: null },
      exploitation: 'none',
      public_poc: false,
      vendor_advisory: false,
      fix_available: null,
      kev: null,
      epss: null,
      title: null,
      references: [],
      extra: {},
    });
  });

  it('accepts boolean knownRansomwareCampaignUse and an absent dueDate', async () => {
    const line = JSON.stringify({ id: 'CVE-1', kev: { dateAdded: '2024-01-02', knownRansomwareCampaignUse: false } });
    const items = await collect(vulnerabilitiesParser.parse(bytes(`${line}\n`), { file: 'v.ndjson' }));
    expect(recordsOf(items, 'vulnerability')[0]?.kev).toEqual({ dateAdded: '2024-01-02', dueDate: null, knownRansomwareCampaignUse: false });
  });

  it('detects the layout', async () => {
    expect(detectVulnerabilityFormat(Buffer.from('\n [ '), 'v.ndjson')).toBe('vulnerabilities-json');
    expect(detectVulnerabilityFormat(Buffer.from('{"id":"x"}'), 'v.json')).toBe('vulnerabilities-ndjson');
    expect(detectVulnerabilityFormat(Buffer.alloc(0), 'v.jsonl')).toBe('vulnerabilities-ndjson');
    expect(detectVulnerabilityFormat(Buffer.alloc(0), 'v.txt')).toBe('vulnerabilities-json');
    const items = await collect(vulnerabilitiesParser.parse(bytes(JSON.stringify([FULL]), 1), { file: 'v.json' }));
    expect(items).toHaveLength(1);
  });

  describe('bad input names file, record and field', () => {
    const p = vulnerabilitiesJsonParser;
    it('missing required fields', async () => {
      await expectImportError(p, '[{"cvss":null}]', { record: 0, field: 'id', message: /missing/ });
      await expectImportError(p, '[{"id":"a","cvss":{"base_score":5}}]', { record: 0, field: 'cvss.version' });
      await expectImportError(p, '[{"id":"a","cvss":{"version":"3.1"}}]', { record: 0, field: 'cvss.base_score' });
      await expectImportError(p, '[{"id":"a","kev":{"dueDate":"2024-01-01"}}]', { record: 0, field: 'kev.dateAdded' });
      await expectImportError(p, '[{"id":"a","epss":{"score":0.1}}]', { record: 0, field: 'epss.percentile' });
      await expectImportError(vulnerabilitiesNdjsonParser, '{"id":"a"}\n{}\n', { record: 2, field: 'id' });
    });

    it('wrong types and ranges', async () => {
      await expectImportError(p, '[{"id":"a","cvss":"9.8"}]', { record: 0, field: 'cvss', message: /expected an object/ });
      await expectImportError(p, '[{"id":"a","cvss":{"version":"3.1","base_score":"9.8"}}]', {
        record: 0,
        field: 'cvss.base_score',
        message: /expected a number/,
      });
      await expectImportError(p, '[{"id":"a","cvss":{"version":"3.1","base_score":11}}]', {
        record: 0,
        field: 'cvss.base_score',
        message: /from 0 to 10/,
      });
      await expectImportError(p, '[{"id":"a","public_poc":"true"}]', { record: 0, field: 'public_poc' });
      await expectImportError(p, '[{"id":"a","fix_available":1}]', { record: 0, field: 'fix_available' });
      await expectImportError(p, '[{"id":"a","kev":{"dateAdded":"12/10/2021"}}]', { record: 0, field: 'kev.dateAdded', message: /YYYY-MM-DD/ });
      await expectImportError(p, '[{"id":"a","kev":{"dateAdded":"2021-12-10","knownRansomwareCampaignUse":"yes"}}]', {
        record: 0,
        field: 'kev.knownRansomwareCampaignUse',
      });
      await expectImportError(p, '[{"id":"a","epss":{"score":2,"percentile":0.5}}]', { record: 0, field: 'epss.score' });
      await expectImportError(p, '[{"id":"a","references":"https://x"}]', { record: 0, field: 'references' });
    });

    it('bad vocabulary', async () => {
      await expectImportError(p, '[{"id":"a","exploitation":"weaponized"}]', {
        record: 0,
        field: 'exploitation',
        message: /none, poc, active/,
      });
    });

    it('malformed and truncated input', async () => {
      await expectImportError(p, '', { record: null, field: null, message: /JSON array/ });
      await expectImportError(vulnerabilitiesNdjsonParser, '{"id":"a"}\nnot json\n', { record: 2, field: null });
      await expectImportError(vulnerabilitiesNdjsonParser, '{"id":"a"}\n[1]\n', { record: 2, field: null, message: /JSON object/ });
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(vulnerabilitiesParser, [JSON.stringify([FULL, { id: 'b' }]), `${JSON.stringify(FULL)}\n`]);
  });
});
