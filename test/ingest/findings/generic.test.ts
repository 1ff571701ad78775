/**
 * The generic findings importer in detail: JSON and CSV, endpoints as assets, ids, validation,
 * skipped entries, bad input and detection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { genericParser } from '../../../src/ingest/findings/generic.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusBytes, corpusStream, errorOf, parseAll } from './helpers.js';

const DIR = 'scanners/generic';

const findings = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const vulns = (items: ImportItem[]): VulnerabilityRecord[] => items.flatMap((i) => (i.kind === 'vulnerability' ? [i.record] : []));
const assets = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const skipped = (items: ImportItem[]): string[] => items.flatMap((i) => (i.kind === 'skipped' ? [i.record.reason] : []));

async function corpus(name: string): Promise<ImportItem[]> {
  const file = `${DIR}/${name}`;
  return collect(genericParser.parse(corpusStream(file), { file }));
}

const json = (entries: unknown[]): Buffer => Buffer.from(JSON.stringify({ name: 'custom tool', findings: entries }, null, 2));
const parse = (doc: Buffer | string, chunk = 0): Promise<ImportItem[]> => parseAll(genericParser, chunked(Buffer.from(doc), chunk), 'report.json');

describe('generic importer: corpus reports', () => {
  it('JSON: CVE with the tool id as alias, CVSS scored, details in extra, the report as asset', async () => {
    const items = await corpus('generic_report1.json');
    expect(assets(items).map((a) => a.id)).toEqual(['report:generic_report1.json']);
    const [first, second] = findings(items);
    expect(first).toMatchObject({
      vulnerability: 'CVE-2020-36234',
      aliases: ['TEST1'],
      title: 'test title',
      severity: 'medium',
      cwe: ['CWE-261'],
      validation: 'unvalidated',
      check: null,
      extra: { unique_id_from_tool: '3287f2d0-554f-491b-8516-3c349ead8ee5', verified: true, impact: 'Some impact', tags: ['security', 'network'], first_seen: '2021-01-06' },
    });
    expect(second?.extra.verified).toBe(false);
    expect(vulns(items)[0]?.cvss).toEqual({ version: '3.1', base_score: 4.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N' });
  });

  it('JSON endpoints: one asset per host, URLs kept, explicit port and scheme; mitigated entries skipped', async () => {
    const items = await corpus('generic_report3.json');
    expect(assets(items).map((a) => a.id)).toEqual(['host:exemple.com', 'host:urlfiltering.paloaltonetworks.com']);
    const fs = findings(items);
    expect(fs.map((f) => [f.asset, f.file_path, f.line])).toEqual([
      ['host:exemple.com', 'src/first.cpp', 13],
      ['host:urlfiltering.paloaltonetworks.com', 'src/two.cpp', 135],
    ]);
    expect(fs[1]?.extra).toMatchObject({
      endpoints: ['http://urlfiltering.paloaltonetworks.com/test-command-and-control', 'https://urlfiltering.paloaltonetworks.com:2345/test-pest'],
      service: 'http',
    });
    expect(skipped(items)).toEqual(['mitigated: test title mitigated', 'mitigated: test title mitigated ISO']);
  });

  it('CSV: hosts from Url (bare host, IP with port), CVE or GHSA ids, else the title slug', async () => {
    const items = await corpus('generic_report4.csv');
    const fs = findings(items);
    expect(fs.map((f) => [f.asset, f.vulnerability, f.extra.port ?? null])).toEqual([
      ['host:www.example.com', 'CVE-2015-9235', null],
      ['host:localhost', 'GHSA-5mrr-rgp6-x4gr', null],
      ['host:127.0.0.1', 'generic:title3', 80],
      ['host:foo.bar', 'generic:title4', null],
    ]);
    expect(assets(items).find((a) => a.id === 'host:127.0.0.1')?.host?.ip).toBe('127.0.0.1');
    expect(fs[0]?.extra.first_seen).toBe('2021-02-28');
  });

  it('CSV: EPSS on the vulnerability, Active False → not_affected, month-first date', async () => {
    const items = await corpus('generic_csv_with_epss.csv');
    expect(vulns(items)[0]?.epss).toEqual({ score: 0.00042, percentile: 0.23474, date: null });
    expect(findings(items)[0]).toMatchObject({ asset: 'host:192.168.1.1', validation: 'not_affected', cwe: [], extra: { first_seen: '2018-01-30', service: 'https' } });
  });

  it('CSV rows that are the same finding on one host are one fingerprint', async () => {
    const fs = findings(await corpus('generic_report1.csv'));
    expect(fs).toHaveLength(5);
    expect(new Set(fs.map((f) => f.fingerprint)).size).toBe(1);
    expect(skipped(await corpus('generic_report3.csv'))).toHaveLength(2);
  });

  it('fix_version is the fixed version and fix_available the vulnerability’s', async () => {
    const items = await corpus('generic_report_fix_version.json');
    expect(findings(items).map((f) => [f.component, f.version, f.fixed_version])).toEqual([
      ['spring-core', '6.1.0', '2.1.3'],
      [null, null, null],
    ]);
    expect(vulns(items).map((v) => v.fix_available)).toEqual([true, false]);
  });
});

describe('generic importer: fields', () => {
  it('reads validation, ids, exploit facts, endpoint objects and advice text', async () => {
    const items = await parse(
      json([
        { title: 'A', severity: 'High', description: 'd', false_p: true, vulnerability_ids: ['GHSA-aaaa-bbbb-cccc', 'CVE-2023-9999'], known_exploited: true, kev_date: '2024-01-02', fix_version: 'upgrade the library', endpoints: [{ host: 'Web.Example.com', port: 8443, protocol: 'https', path: 'login' }] },
        { title: 'B', severity: 'weird', description: 'd', vuln_id_from_tool: 'RULE-7', line: 'N/A', cwes: ['CWE-79', 89], cvssv4: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', date: '28/02/2021' },
      ]),
    );
    const [a, b] = findings(items);
    expect(a).toMatchObject({
      vulnerability: 'CVE-2023-9999',
      aliases: ['GHSA-aaaa-bbbb-cccc'],
      asset: 'host:web.example.com',
      validation: 'false_positive',
      fixed_version: null,
      extra: { fix: 'upgrade the library', port: 8443, service: 'https', endpoints: ['https://Web.Example.com:8443/login'] },
    });
    const va = vulns(items)[0];
    expect([va?.exploitation, va?.public_poc]).toEqual(['active', true]);
    expect(va?.extra.exploit).toMatchObject({ known_exploited: true, kev_date: '2024-01-02' });
    expect(b).toMatchObject({ vulnerability: 'generic:RULE-7', asset: 'report:report.json', severity: null, line: null, cwe: ['CWE-79', 'CWE-89'], extra: { first_seen: '2021-02-28' } });
    expect(vulns(items)[1]?.cvss?.version).toBe('4.0');
  });

  it('a unique_id_from_tool makes findings of one vulnerability on one asset distinct', async () => {
    const fs = findings(await parse(json([{ title: 'X', severity: 'Low', description: '', unique_id_from_tool: 'u1' }, { title: 'X', severity: 'Low', description: '', unique_id_from_tool: 'u2' }])));
    expect(new Set(fs.map((f) => f.fingerprint)).size).toBe(2);
  });

  it('an empty findings array is an empty report', async () => {
    expect(findings(await parse('{"findings": []}'))).toEqual([]);
  });
});

describe('generic importer: bad input', () => {
  async function importError(doc: string, file = 'report.json'): Promise<ImportError> {
    const err = await errorOf(parseAll(genericParser, chunked(Buffer.from(doc), 3), file));
    expect(err).toBeInstanceOf(ImportError);
    if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
    expect(err.file).toBe(file);
    return err;
  }

  it('refuses JSON that is not a generic report', async () => {
    const err = await importError('{"results": []}');
    expect(err.record).toBeNull();
    expect(err.message).toMatch(/not a DefectDojo generic findings report/);
  });

  it('names the finding and the field', async () => {
    const noTitle = await importError('{"findings":[{"title":"ok","severity":"Low","description":""},{"severity":"Low"}]}');
    expect([noTitle.record, noTitle.field]).toEqual(['$.findings[1]', 'title']);
    const badDate = await importError('{"findings":[{"title":"t","date":"yesterday"}]}');
    expect([badDate.record, badDate.field]).toEqual(['$.findings[0]', 'date']);
    const badBool = await importError('{"findings":[{"title":"t","false_p":"maybe"}]}');
    expect([badBool.record, badBool.field]).toEqual(['$.findings[0]', 'falsep']);
    const badEndpoint = await importError('{"findings":[{"title":"t","endpoints":[{"port":80}]}]}');
    expect([badEndpoint.record, badEndpoint.field]).toEqual(['$.findings[0]', 'endpoints[0].host']);
    const notObject = await importError('{"findings":[5]}');
    expect(notObject.record).toBe('$.findings[0]');
    const title = await importError('{"findings":[{"title":["x"]}]}');
    expect(title.field).toBe('title');
  });

  it('names the CSV line and column', async () => {
    const noTitle = await importError('Date,Severity\n2021-01-01,Low\n', 'r.csv');
    expect([noTitle.record, noTitle.field]).toEqual([1, 'Title']);
    const badBool = await importError('Date,Title,Severity,Description,Active\n2021-01-01,a,Low,d,TRUE\n2021-01-01,b,Low,d,sometimes\n', 'r.csv');
    expect([badBool.record, badBool.field]).toEqual([3, 'active']);
    const badUrl = await importError('Title,Url\na,http://\n', 'r.csv');
    expect([badUrl.record, badUrl.field]).toEqual([2, 'endpoints[0]']);
  });
});

describe('generic importer: detection', () => {
  it('detects the JSON and CSV layouts and leaves native findings and the findings CSV alone', () => {
    for (const name of ['generic_report1.json', 'generic_report3.json', 'generic_report1.csv', 'generic_report4.csv', 'generic_csv_with_epss.csv']) {
      expect(detectFindingFormat(corpusBytes(`${DIR}/${name}`), name)).toBe('generic');
    }
    expect(detectFindingFormat(Buffer.from('{"findings": []}'), 'x.json')).toBe('generic');
    expect(detectFindingFormat(Buffer.from('Title,Description,Severity,Date\n'), 'x.txt')).toBe('generic');
    expect(detectFindingFormat(Buffer.from('[{"vulnerability":"CVE-2024-1","asset":"web-1","title":"t","severity":"high","description":"d"}]'), 'x.json')).toBe('native');
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,title,severity\nweb-1,CVE-2024-1,t,high\n'), 'x.csv')).toBe('csv');
  });
});

describe('generic importer: property', () => {
  const entry = fc.record({
    title: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}$/),
    host: fc.option(fc.stringMatching(/^[a-z]{1,10}\.(com|net)$/), { nil: null }),
    cve: fc.option(fc.integer({ min: 1000, max: 99999 }), { nil: null }),
    severity: fc.constantFrom('Critical', 'High', 'Medium', 'Low', 'Info'),
    falseP: fc.boolean(),
  });

  const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

  it('N entries read the same from JSON and from CSV, in any chunking: N findings with their ids, hosts and validation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 10 }), fc.integer({ min: 1, max: 200 }), async (entries, chunk) => {
        const doc = json(
          entries.map((e, i) => ({
            title: e.title,
            severity: e.severity,
            description: 'd',
            unique_id_from_tool: `u${i}`,
            false_p: e.falseP,
            ...(e.cve === null ? {} : { cve: `CVE-2024-${e.cve}` }),
            ...(e.host === null ? {} : { endpoints: [`https://${e.host}/x`] }),
          })),
        );
        const csv = [
          'Date,Title,Severity,Description,FalsePositive,CVE,Url,unique_id_from_tool',
          ...entries.map((e, i) => ['2024-01-01', e.title, e.severity, 'd', e.falseP ? 'TRUE' : 'FALSE', e.cve === null ? '' : `CVE-2024-${e.cve}`, e.host === null ? '' : `https://${e.host}/x`, `u${i}`].map(csvCell).join(',')),
        ].join('\n');
        const fromJson = findings(await parse(doc, chunk));
        const fromCsv = findings(await parseAll(genericParser, chunked(Buffer.from(csv), chunk), 'report.json'));
        expect(fromJson).toHaveLength(entries.length);
        expect(fromCsv.map((f) => f.fingerprint)).toEqual(fromJson.map((f) => f.fingerprint));
        entries.forEach((e, i) => {
          const f = fromJson[i];
          expect(f?.vulnerability).toBe(e.cve === null ? `generic:${e.title.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown'}` : `CVE-2024-${e.cve}`);
          expect(f?.asset).toBe(e.host === null ? 'report:report.json' : `host:${e.host}`);
          expect(f?.validation).toBe(e.falseP ? 'false_positive' : 'unvalidated');
          expect(f?.severity).toBe(e.severity.toLowerCase());
        });
      }),
      { numRuns: 80 },
    );
  });
});
