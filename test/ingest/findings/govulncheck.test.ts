/**
 * The govulncheck importer in detail: the three layouts (message stream, message array, old
 * `Vulns` object), levels and reachability, assets, bad input and detection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { govulncheckParser } from '../../../src/ingest/findings/govulncheck.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusBytes, corpusStream, errorOf, parseAll } from './helpers.js';

const DIR = 'scanners/govulncheck';

const findings = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const vulns = (items: ImportItem[]): VulnerabilityRecord[] => items.flatMap((i) => (i.kind === 'vulnerability' ? [i.record] : []));
const assets = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));

async function corpus(name: string): Promise<ImportItem[]> {
  const file = `${DIR}/${name}`;
  return collect(govulncheckParser.parse(corpusStream(file), { file }));
}

/** The messages of an array-layout corpus file, written as govulncheck writes them: concatenated, pretty-printed. */
function asStream(name: string): Buffer {
  const messages = JSON.parse(corpusBytes(`${DIR}/${name}`).toString('utf8')) as unknown[];
  return Buffer.from(messages.map((m) => JSON.stringify(m, null, 2)).join('\n'));
}

const osv = (id: string, aliases: string[], module: string): Record<string, unknown> => ({
  osv: {
    id,
    aliases,
    summary: `summary of ${id}`,
    affected: [{ package: { name: module, ecosystem: 'Go' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.0' }] }] }],
    database_specific: { url: `https://pkg.go.dev/vuln/${id}` },
  },
});

type Level = 'module' | 'package' | 'symbol';

function finding(id: string, module: string, level: Level, fixed: string | null = 'v1.2.0'): Record<string, unknown> {
  const sink: Record<string, unknown> = { module, version: 'v1.0.0' };
  if (level !== 'module') sink.package = `${module}/pkg`;
  if (level === 'symbol') sink.function = 'Parse';
  const trace = level === 'symbol' ? [sink, { module: 'example.com/app', package: 'example.com/app', function: 'main', position: { filename: 'main.go', line: 7 } }] : [sink];
  return { finding: { osv: id, ...(fixed === null ? {} : { fixed_version: fixed }), trace } };
}

const config = (scanLevel: string): Record<string, unknown> => ({ config: { protocol_version: 'v1.0.0', scanner_name: 'govulncheck', scanner_version: 'v1.1.0', scan_level: scanLevel } });

const stream = (messages: unknown[]): Buffer => Buffer.from(messages.map((m) => JSON.stringify(m, null, 2)).join('\n'));

describe('govulncheck importer: corpus reports', () => {
  it('old layout: one finding per OSV id and module, the main module as asset, versions from Requires', async () => {
    const items = await corpus('many_vulns.json');
    expect(assets(items).map((a) => a.id)).toEqual(['repo:github.com/jharper-sec/evil-app']);
    const fs = findings(items);
    expect(fs.map((f) => [f.vulnerability, f.aliases, f.component, f.version, f.fixed_version])).toEqual([
      ['CVE-2022-41717', ['GO-2022-1144'], 'stdlib', 'v1.19.0', '1.19.4'],
      ['CVE-2022-41720', ['GO-2022-1143'], 'stdlib', 'v1.19.0', '1.19.4'],
      ['CVE-2022-27664', ['GO-2022-0969'], 'stdlib', 'v1.19.0', '1.19.1'],
    ]);
    for (const f of fs) {
      expect(f.reachability).toBe('reachable');
      expect(f.extra.called).toBe(true);
      expect(f.check).toBeNull();
      expect(f.severity).toBeNull();
    }
    expect(fs[1]?.extra.traces).toEqual([['net/http.Dir.Open'], ['net/http.fileHandler.ServeHTTP']]);
    expect(vulns(items)[0]?.references).toContain('https://pkg.go.dev/vuln/GO-2022-1144');
  });

  it('current layout: called symbol is reachable with the call site, an imported package is not', async () => {
    const items = await corpus('many_vulns_new_version_custom_severity.json');
    expect(assets(items).map((a) => a.id)).toEqual(['report:many_vulns_new_version_custom_severity.json']);
    const [called, imported] = findings(items);
    expect(called).toMatchObject({
      vulnerability: 'CVE-2021-38561',
      aliases: ['GO-2021-0113', 'GHSA-ppp9-7jff-5vj2'],
      component: 'golang.org/x/text',
      version: 'v0.3.5',
      severity: 'low',
      reachability: 'reachable',
      file_path: 'govulncheck/vulnerable/main.go',
      line: 12,
      fixed_version: 'v0.3.7',
      extra: { called: true, level: 'symbol', package: 'golang.org/x/text/language', osv_id: 'GO-2021-0113' },
    });
    expect(called?.extra.traces).toEqual([['golang.org/x/text/language.Parse', 'vuln.tutorial.main (govulncheck/vulnerable/main.go:12)']]);
    expect(imported).toMatchObject({ vulnerability: 'CVE-2022-32149', severity: 'high', reachability: 'unknown', file_path: null, extra: { called: false, level: 'package' } });
    expect(vulns(items).map((v) => [v.id, v.fix_available, v.title])).toEqual([
      ['CVE-2021-38561', true, 'Out-of-bounds read in golang.org/x/text/language'],
      ['CVE-2022-32149', true, 'Denial of service via crafted Accept-Language header in golang.org/x/text/language'],
    ]);
  });

  it('reports without vulnerabilities give the asset and no finding', async () => {
    expect(findings(await corpus('no_vulns.json'))).toEqual([]);
    expect(assets(await corpus('no_vulns.json')).map((a) => a.id)).toEqual(['repo:my_project']);
    expect(findings(await corpus('no_vulns_new_version.json'))).toEqual([]);
  });

  it('reads the concatenated stream govulncheck writes exactly like the array of its messages', async () => {
    for (const name of ['many_vulns_new_version.json', 'many_vulns_new_version_custom_severity.json', 'no_vulns_new_version.json']) {
      const fromArray = await parseAll(govulncheckParser, chunked(corpusBytes(`${DIR}/${name}`), 1000), name);
      const fromStream = await parseAll(govulncheckParser, chunked(asStream(name), 7), name);
      expect(fromStream).toEqual(fromArray);
    }
  });
});

describe('govulncheck importer: levels, assets and scan level', () => {
  it('merges the module, package and symbol findings of one OSV id and module at the highest level', async () => {
    const doc = stream([config('symbol'), osv('GO-2024-0001', ['CVE-2024-0001'], 'example.com/lib'), finding('GO-2024-0001', 'example.com/lib', 'module'), finding('GO-2024-0001', 'example.com/lib', 'package'), finding('GO-2024-0001', 'example.com/lib', 'symbol')]);
    const fs = findings(await parseAll(govulncheckParser, chunked(doc), 'x.json'));
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ vulnerability: 'CVE-2024-0001', reachability: 'reachable', file_path: 'main.go', line: 7, extra: { level: 'symbol', called: true } });
  });

  it('names the main module from the SBOM message; a package-level scan says nothing of calls', async () => {
    const doc = stream([config('package'), { SBOM: { go_version: 'go1.22', modules: [{ path: 'example.com/app' }, { path: 'example.com/lib', version: 'v1.0.0' }] } }, osv('GO-2024-0002', [], 'example.com/lib'), finding('GO-2024-0002', 'example.com/lib', 'package', null)]);
    const items = await parseAll(govulncheckParser, chunked(doc), 'x.json');
    expect(assets(items).map((a) => a.id)).toEqual(['repo:example.com/app']);
    expect(findings(items)[0]).toMatchObject({ vulnerability: 'GO-2024-0002', asset: 'repo:example.com/app', reachability: 'unknown', fixed_version: '1.2.0', extra: { called: null, level: 'package' } });
  });

  it('keys a finding whose OSV record is missing by its GO id', async () => {
    const fs = findings(await parseAll(govulncheckParser, chunked(stream([config('symbol'), finding('GO-2024-0003', 'example.com/lib', 'module')])), 'x.json'));
    expect(fs.map((f) => [f.vulnerability, f.reachability, f.extra.called])).toEqual([['GO-2024-0003', 'unknown', false]]);
  });
});

describe('govulncheck importer: bad input', () => {
  async function importError(doc: string): Promise<ImportError> {
    const err = await errorOf(parseAll(govulncheckParser, chunked(Buffer.from(doc), 5), 'bad.json'));
    expect(err).toBeInstanceOf(ImportError);
    if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
    expect(err.file).toBe('bad.json');
    return err;
  }

  it('refuses what is not a govulncheck report (SARIF included)', async () => {
    for (const doc of ['{"runs":[]}', '{"findings":[]}', '[]', '']) {
      const err = await importError(doc);
      expect(err.record).toBeNull();
      expect(err.message).toMatch(/not a govulncheck report/);
    }
  });

  it('names the message and the field of a malformed finding or OSV record', async () => {
    const noOsv = await importError('{"config":{}}\n{"finding":{"trace":[{"module":"m"}]}}');
    expect([noOsv.record, noOsv.field]).toEqual(['$[1].finding', 'osv']);
    const noTrace = await importError('[{"config":{}},{"finding":{"osv":"GO-1","trace":[]}}]');
    expect([noTrace.record, noTrace.field]).toEqual(['$[0][1].finding', 'trace']);
    const noModule = await importError('{"finding":{"osv":"GO-1","trace":[{"package":"p"}]}}');
    expect([noModule.record, noModule.field]).toEqual(['$[0].finding.trace[0]', 'module']);
    const noId = await importError('{"osv":{"aliases":[]}}');
    expect([noId.record, noId.field]).toEqual(['$[0].osv', 'id']);
    const oldNoOsv = await importError('{"Vulns":[{"ModPath":"m"}]}');
    expect([oldNoOsv.record, oldNoOsv.field]).toEqual(['$[0].Vulns[0]', 'OSV']);
    const scalar = await importError('{"config":{}}\n5');
    expect(scalar.record).toBe('$[1]');
    const wrongType = await importError('{"finding":"GO-1"}');
    expect(wrongType.record).toBe('$[0].finding');
  });

  it('refuses a truncated stream', async () => {
    const doc = asStream('many_vulns_new_version_custom_severity.json');
    const err = await importError(doc.subarray(0, Math.floor(doc.length * 0.7)).toString('utf8'));
    expect(err.message).toMatch(/truncated/);
  });
});

describe('govulncheck importer: detection', () => {
  it('detects the old layout, the message array and the message stream', () => {
    for (const name of ['many_vulns.json', 'no_vulns.json', 'many_vulns_new_version.json', 'no_vulns_new_version.json']) {
      expect(detectFindingFormat(corpusBytes(`${DIR}/${name}`), name)).toBe('govulncheck');
    }
    expect(detectFindingFormat(asStream('many_vulns_new_version_custom_severity.json'), 'out.json')).toBe('govulncheck');
    expect(detectFindingFormat(stream([osv('GO-1', [], 'm'), finding('GO-1', 'm', 'module')]), 'out.json')).toBe('govulncheck');
  });
});

describe('govulncheck importer: property', () => {
  const entry = fc.record({
    module: fc.stringMatching(/^[a-z]{1,8}\.(com|org)\/[a-z]{1,8}$/),
    level: fc.constantFrom<Level>('module', 'package', 'symbol'),
    cve: fc.boolean(),
  });

  it('N distinct (OSV id, module) findings in either layout and any chunking give N findings with their ids, modules and reachability', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(entry, { maxLength: 12, selector: (e) => e.module }), fc.boolean(), fc.integer({ min: 1, max: 300 }), async (entries, asArray, chunk) => {
        const messages: unknown[] = [config('symbol')];
        entries.forEach((e, i) => {
          const id = `GO-2024-${String(i).padStart(4, '0')}`;
          messages.push(osv(id, e.cve ? [`GHSA-x-${i}`, `CVE-2024-${1000 + i}`] : [`GHSA-x-${i}`], e.module));
          messages.push(finding(id, e.module, e.level));
        });
        const doc = asArray ? Buffer.from(JSON.stringify(messages, null, 1)) : stream(messages);
        const fs = findings(await parseAll(govulncheckParser, chunked(doc, chunk), 'prop.json'));
        expect(fs).toHaveLength(entries.length);
        entries.forEach((e, i) => {
          const f = fs[i];
          const id = `GO-2024-${String(i).padStart(4, '0')}`;
          expect(f?.vulnerability).toBe(e.cve ? `CVE-2024-${1000 + i}` : id);
          expect(f?.aliases).toContain(e.cve ? id : `GHSA-x-${i}`);
          expect(f?.component).toBe(e.module);
          expect(f?.reachability).toBe(e.level === 'symbol' ? 'reachable' : 'unknown');
          expect(f?.extra.level).toBe(e.level);
        });
      }),
      { numRuns: 60 },
    );
  });
});
