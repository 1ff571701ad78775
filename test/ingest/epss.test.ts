import { describe, expect, it } from 'vitest';
import { epssParser, parseEpssComment, parseEpssCsv } from '../../src/ingest/epss.js';
import type { EpssHeader } from '../../src/ingest/epss.js';
import { kevParser } from '../../src/ingest/kev.js';
import { assertRobust, bytes, collect, corpusSource, expectImportError, recordsOf } from './ingest-helpers.js';

const EPSS = 'epss/epss_scores-2026-09-29.excerpt.csv';
const KEV_2026 = 'kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json';
const KEV_CVES = ['CVE-2021-41773', 'CVE-2021-42013', 'CVE-2021-42237', 'CVE-2022-20699', 'CVE-2022-20700', 'CVE-2022-20701', 'CVE-2022-20703', 'CVE-2022-20708'];

const SMALL = '#model_version:v2023.03.01,score_date:2024-01-02T00:00:00+0000\ncve,epss,percentile\nCVE-2024-0001,0.5,0.9\n';

describe('EPSS parser', () => {
  it('streams the corpus excerpt with the score date', async () => {
    let header: EpssHeader | null = null;
    const items = await collect(parseEpssCsv(corpusSource(EPSS), { file: EPSS }, (h) => (header = h)));
    const epss = recordsOf(items, 'epss');
    expect(header).toEqual({ modelVersion: 'v2026.06.15', scoreDate: '2026-09-29T12:00:22Z' });
    expect(epss).toHaveLength(188);
    expect(epss[0]).toEqual({ cve: 'CVE-1999-0001', score: 0.03351, percentile: 0.88255, date: '2026-09-29' });
    const byCve = new Map(epss.map((e) => [e.cve, e]));
    expect(byCve.get('CVE-2021-41773')).toEqual({ cve: 'CVE-2021-41773', score: 0.99992, percentile: 0.99986, date: '2026-09-29' });
    expect(byCve.get('CVE-2022-20699')?.score).toBe(0.72458);
    expect(byCve.get('CVE-1999-0030')?.percentile).toBe(0.6322);
    expect(epss.at(-1)?.cve).toBe('CVE-2022-20760');
    expect(epss.every((e) => e.score >= 0 && e.score <= 1 && e.percentile >= 0 && e.percentile <= 1)).toBe(true);
  });

  it('holds the 8 KEV CVEs named in the corpus README, and they are in the KEV catalog', async () => {
    const epss = new Set(recordsOf(await collect(epssParser.parse(corpusSource(EPSS), { file: EPSS })), 'epss').map((e) => e.cve));
    const kev = new Set(recordsOf(await collect(kevParser.parse(corpusSource(KEV_2026), { file: KEV_2026 })), 'kev').map((k) => k.cve));
    for (const cve of KEV_CVES) {
      expect(epss.has(cve)).toBe(true);
      expect(kev.has(cve)).toBe(true);
    }
  });

  it('reads the comment line in any key order, and files without it', async () => {
    expect(parseEpssComment('#score_date:2024-01-02,model_version:v1,extra:x')).toEqual({ modelVersion: 'v1', scoreDate: '2024-01-02' });
    const noComment = await collect(epssParser.parse(bytes('cve,epss,percentile\r\nCVE-1,0.1,0.2\r\n', 3), { file: 'e.csv' }));
    expect(recordsOf(noComment, 'epss')).toEqual([{ cve: 'CVE-1', score: 0.1, percentile: 0.2, date: null }]);
    const small = await collect(epssParser.parse(bytes(SMALL, 2), { file: 'e.csv' }));
    expect(recordsOf(small, 'epss')[0]?.date).toBe('2024-01-02');
    expect(await collect(epssParser.parse(bytes(''), { file: 'e.csv' }))).toEqual([]);
  });

  describe('bad input names file, line and field', () => {
    const head = '#model_version:v1,score_date:2024-01-02T00:00:00Z\ncve,epss,percentile\n';
    it('missing columns and values', async () => {
      await expectImportError(epssParser, '#x\ncve,epss\nCVE-1,0.1\n', { record: 2, field: 'percentile', message: /missing column/ });
      await expectImportError(epssParser, `${head}CVE-1,0.1,0.2\n,0.1,0.2\n`, { record: 4, field: 'cve' });
      await expectImportError(epssParser, `${head}CVE-1,,0.2\n`, { record: 3, field: 'epss' });
    });

    it('wrong types and ranges', async () => {
      await expectImportError(epssParser, `${head}CVE-1,high,0.2\n`, { record: 3, field: 'epss', message: /from 0 to 1/ });
      await expectImportError(epssParser, `${head}CVE-1,0.1,1.5\n`, { record: 3, field: 'percentile' });
    });

    it('malformed CSV', async () => {
      await expectImportError(epssParser, `${head}CVE-1,0.1,0.2,9\n`, { record: 3, field: null, message: /malformed CSV/ });
      await expectImportError(epssParser, `${head}"CVE-1,0.1,0.2\n`, { record: 3, field: null, message: /malformed CSV/ });
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(epssParser, [SMALL + 'CVE-2024-0002,0.00043,0.0991\n']);
  });
});
