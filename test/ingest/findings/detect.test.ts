import { describe, expect, it } from 'vitest';
import { detectFindingFormat, findingParsers } from '../../../src/ingest/findings/index.js';
import { TOOL_DIRS, corpusBytes, corpusFiles } from './helpers.js';

describe('detectFindingFormat', () => {
  for (const [tool, format] of Object.entries(TOOL_DIRS)) {
    for (const file of corpusFiles(tool)) {
      const bytes = corpusBytes(file);
      // An empty file says nothing about its format; the caller must pass --format.
      const expected = bytes.length === 0 ? null : format;
      it(`${file} → ${String(expected)}`, () => {
        expect(detectFindingFormat(bytes.subarray(0, 64 * 1024), file)).toBe(expected);
      });
    }
  }

  it('every detected format has a parser', () => {
    for (const format of Object.values(TOOL_DIRS)) expect(findingParsers[format].format).toBe(format);
  });

  it('recognises native findings (JSON array and NDJSON) and the findings CSV', () => {
    expect(detectFindingFormat(Buffer.from('[{"vulnerability":"CVE-2024-1","asset":"web-1"}]'), 'x.json')).toBe('native');
    expect(detectFindingFormat(Buffer.from('{"asset":"web-1","vulnerability":"CVE-2024-1"}\n'), 'x.ndjson')).toBe('native');
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,component\nweb-1,CVE-2024-1,openssl\n'), 'x.txt')).toBe('csv');
    expect(detectFindingFormat(Buffer.from('a;b\n1;2\n'), 'findings.csv')).toBe('csv');
  });

  it('tells closeloop native findings from DefectDojo generic ones whatever they nest', () => {
    expect(detectFindingFormat(Buffer.from('[{"vulnerability":"CVE-2024-1","asset":"a","extra":{}}]'), 'x.json')).toBe('native');
    expect(detectFindingFormat(Buffer.from('{"extra":{"note":"x"},"vulnerability":"CVE-2024-1","asset":"a"}\n'), 'x.ndjson')).toBe('native');
    expect(
      detectFindingFormat(Buffer.from('[{"vulnerability":"CVE-2024-1","asset":"a","title":"t","severity":"high","extra":{"description":"x","findings":[]}}]'), 'x.json'),
    ).toBe('native');
    // a nested object with the two keys does not make a document native
    expect(detectFindingFormat(Buffer.from('{"findings":[{"title":"t","severity":"High","description":"d","extra":{"vulnerability":"v","asset":"a"}}]}'), 'x.json')).toBe('generic');
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,Title,Severity,Description,Date\na,CVE-2024-1,t,High,d,2024-01-01\n'), 'x.csv')).toBe('csv');
  });

  it('returns null for what it does not know', () => {
    expect(detectFindingFormat(Buffer.from(''), 'x.json')).toBeNull();
    expect(detectFindingFormat(Buffer.from('{"hello":"world"}'), 'x.json')).toBeNull();
    expect(detectFindingFormat(Buffer.from('<html><body/></html>'), 'x.xml')).toBeNull();
    expect(detectFindingFormat(Buffer.from('just text'), 'x.txt')).toBeNull();
  });
});
