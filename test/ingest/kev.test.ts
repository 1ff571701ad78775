import { describe, expect, it } from 'vitest';
import { kevParser, parseKevCatalog } from '../../src/ingest/kev.js';
import type { KevCatalogInfo } from '../../src/ingest/kev.js';
import { assertRobust, bytes, collect, corpusSource, expectImportError, importError, recordsOf } from './ingest-helpers.js';

const KEV_2025 = 'kev/cisagov-kev-data_2025.08.25/known_exploited_vulnerabilities.json';
const KEV_2026 = 'kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json';

const entry = {
  cveID: 'CVE-2021-44228',
  vendorProject: 'Apache',
  product: 'Log4j2',
  vulnerabilityName: 'Apache Log4j2 Remote Code Execution Vulnerability',
  dateAdded: '2021-12-10',
  dueDate: '2021-12-24',
  knownRansomwareCampaignUse: 'Known',
  notes: '',
};
const catalog = (entries: unknown[]): string =>
  JSON.stringify({ title: 'CISA Catalog', catalogVersion: '2024.01.01', dateReleased: '2024-01-01T00:00:00Z', count: entries.length, vulnerabilities: entries });

describe('KEV parser', () => {
  for (const [file, count, ransomware, version] of [
    [KEV_2025, 1404, 293, '2025.08.25'],
    [KEV_2026, 1662, 338, '2026.08.07'],
  ] as const) {
    it(`streams the whole ${version} catalog`, async () => {
      let info: KevCatalogInfo | null = null;
      const items = await collect(parseKevCatalog(corpusSource(file), { file }, (i) => (info = i)));
      const kev = recordsOf(items, 'kev');
      expect(kev).toHaveLength(count);
      expect(kev.filter((k) => k.knownRansomwareCampaignUse)).toHaveLength(ransomware);
      expect(new Set(kev.map((k) => k.cve)).size).toBe(count);
      expect(info).toMatchObject({ catalogVersion: version, count, entries: count });
      expect(kev.find((k) => k.cve === 'CVE-2021-44228')).toEqual({
        cve: 'CVE-2021-44228',
        dateAdded: '2021-12-10',
        dueDate: '2021-12-24',
        knownRansomwareCampaignUse: true,
        vendorProject: 'Apache',
        product: 'Log4j2',
        name: 'Apache Log4j2 Remote Code Execution Vulnerability',
      });
      expect(kev.at(-1)).toMatchObject({ cve: 'CVE-2020-29583', dateAdded: '2021-11-03', knownRansomwareCampaignUse: false });
    });
  }

  it('the 2026 catalog is a superset of the 2025 one', async () => {
    const a = recordsOf(await collect(kevParser.parse(corpusSource(KEV_2025), { file: KEV_2025 })), 'kev');
    const b = new Set(recordsOf(await collect(kevParser.parse(corpusSource(KEV_2026), { file: KEV_2026 })), 'kev').map((k) => k.cve));
    expect(a.every((k) => b.has(k.cve))).toBe(true);
  });

  it('reads catalogVersion and dateReleased wherever they are, and an empty catalog', async () => {
    let info: KevCatalogInfo | null = null;
    const text = JSON.stringify({ vulnerabilities: [], dateReleased: '2024-02-02T00:00:00Z', catalogVersion: '2024.02.02' });
    expect(await collect(parseKevCatalog(bytes(text, 4), { file: 'k.json' }, (i) => (info = i)))).toEqual([]);
    expect(info).toEqual({ catalogVersion: '2024.02.02', dateReleased: '2024-02-02T00:00:00Z', count: null, entries: 0 });
  });

  describe('bad input names file, record and field', () => {
    it('each required field missing', async () => {
      for (const field of ['cveID', 'dateAdded'] as const) {
        const bad: Record<string, unknown> = { ...entry };
        delete bad[field];
        await expectImportError(kevParser, catalog([entry, bad]), { record: 'vulnerabilities[1]', field, message: /missing/ });
      }
    });

    it('wrong types and values', async () => {
      await expectImportError(kevParser, catalog([{ ...entry, cveID: 44228 }]), { record: 'vulnerabilities[0]', field: 'cveID' });
      await expectImportError(kevParser, catalog([{ ...entry, dateAdded: '10 Dec 2021' }]), {
        record: 'vulnerabilities[0]',
        field: 'dateAdded',
        message: /YYYY-MM-DD/,
      });
      await expectImportError(kevParser, catalog([{ ...entry, dueDate: 5 }]), { record: 'vulnerabilities[0]', field: 'dueDate' });
      await expectImportError(kevParser, catalog([{ ...entry, knownRansomwareCampaignUse: 'Maybe' }]), {
        record: 'vulnerabilities[0]',
        field: 'knownRansomwareCampaignUse',
        message: /"Known" or "Unknown"/,
      });
      await expectImportError(kevParser, catalog(['CVE-1']), { record: 'vulnerabilities[0]', field: null });
      await expectImportError(kevParser, JSON.stringify({ catalogVersion: 1, vulnerabilities: [] }), { record: null, field: 'catalogVersion' });
      await expectImportError(kevParser, JSON.stringify({ vulnerabilities: { a: entry } }), { record: null, field: 'vulnerabilities' });
    });

    it('not a catalog, malformed, truncated', async () => {
      await expectImportError(kevParser, '[]', { record: null, field: 'vulnerabilities', message: /not a CISA KEV catalog/ });
      await expectImportError(kevParser, '{"title":"x"}', { record: null, field: 'vulnerabilities' });
      const text = catalog([entry, entry]);
      const err = await importError(kevParser, text.slice(0, text.length - 30), 'k.json');
      expect(err.message).toMatch(/^file k\.json, record byte \d+ \(line 1, column \d+\), field \$\.vulnerabilities\[1\]/);
      expect(err.message).toMatch(/truncated/);
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(kevParser, [catalog([entry, { ...entry, cveID: 'CVE-2', knownRansomwareCampaignUse: 'Unknown' }])]);
  });
});
