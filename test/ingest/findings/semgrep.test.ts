/**
 * The Semgrep importer in detail: code findings, Supply Chain findings of `semgrep --json` and of
 * the supply-chain API, severities, ignored results, errors, bad input and detection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { semgrepParser } from '../../../src/ingest/findings/semgrep.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusStream, errorOf, parseAll } from './helpers.js';

async function parseCorpus(name: string): Promise<ImportItem[]> {
  const file = `scanners/semgrep/${name}`;
  return collect(semgrepParser.parse(corpusStream(file), { file }));
}

const findings = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const assets = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const vulns = (items: ImportItem[]): Map<string, VulnerabilityRecord> =>
  new Map(items.flatMap((i) => (i.kind === 'vulnerability' ? [[i.record.id, i.record] as const] : [])));
const skipped = (items: ImportItem[]): string[] => items.flatMap((i) => (i.kind === 'skipped' ? [i.record.reason] : []));

function result(checkId: string, path: string, line: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    check_id: checkId,
    path,
    start: { line, col: 1, offset: 0 },
    end: { line, col: 9, offset: 8 },
    extra: { message: `rule ${checkId}`, severity: 'WARNING', metadata: {}, lines: 'code()', ...extra },
  };
}

const build = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

/** A Semgrep Supply Chain result as `semgrep ci --json` writes it. */
const scaResult = (reachable: boolean): Record<string, unknown> =>
  result('ssc-1234', 'src/app.py', 40, {
    severity: 'ERROR',
    metadata: {
      'sca-vuln-database-identifier': 'CVE-2023-1428',
      references: ['https://github.com/advisories/GHSA-6628-q6j9-w8vg'],
      'sca-fix-versions': [{ grpc: '1.53.0' }, { grpcio: '1.53.0' }],
      'sca-severity': 'HIGH',
      cwe: ['CWE-617: Reachable Assertion'],
    },
    sca_info: {
      reachable,
      reachability_rule: true,
      sca_finding_schema: 20220913,
      dependency_match: {
        dependency_pattern: { ecosystem: 'pypi', package: 'grpcio', semver_range: '< 1.53.0' },
        found_dependency: { package: 'grpcio', version: '1.47.0', ecosystem: 'pypi', transitivity: 'direct', line_number: 12, lockfile_path: 'requirements.txt' },
        lockfile: 'requirements.txt',
      },
    },
  });

describe('semgrep importer: semgrep --json code findings', () => {
  it('one finding: report asset, rule id, file and line, CWE, severity, fix text', async () => {
    const items = await parseCorpus('one_finding.json');
    expect(assets(items)).toEqual([{ id: 'report:one_finding.json', name: 'one_finding.json', components: [], target_type: 'report' }]);
    const [f] = findings(items);
    expect(f).toMatchObject({
      vulnerability: 'semgrep:java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle',
      file_path: 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java',
      line: 64,
      cwe: ['CWE-696'],
      severity: 'medium',
      fixed_version: null,
      check: null,
      component: null,
      reachability: 'unknown',
      validation: 'unvalidated',
    });
    expect(f?.extra.fix).toBe('javax crypto Cipher.getInstance("AES/GCM/NoPadding");');
    expect(f?.extra.owasp).toEqual(['A3: Sensitive Data Exposure']);
    const v = vulns(items).get('semgrep:java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle');
    expect(v?.references).toEqual(['https://capec.mitre.org/data/definitions/463.html']);
    expect(v?.cvss).toBeNull();
  });

  it('regex fixes, ignored flags, Semgrep fingerprints and a CWE list are kept', async () => {
    const items = await parseCorpus('many_vulns.json');
    const all = findings(items);
    expect(all).toHaveLength(48);
    expect(all.filter((f) => f.extra.fix_regex !== null).length).toBe(11);
    expect(all.every((f) => f.extra.ignored === false)).toBe(true);
    const list = findings(await parseCorpus('cwe_list.json'));
    expect(list[0]?.cwe).toEqual(['CWE-352']);
    expect(list[0]?.extra.fingerprint).toBe('143cb0c62f3740d62180cbde3ffa976e');
  });

  it('the same rule on the same line twice is one finding; another line is another', async () => {
    const doc = { results: [result('r.a', 'x.py', 3), result('r.a', 'x.py', 3, { lines: 'other()' }), result('r.a', 'x.py', 4), result('r.b', 'x.py', 3)], errors: [] };
    const all = findings(await parseAll(semgrepParser, chunked(build(doc), 11)));
    expect(new Set(all.map((f) => f.fingerprint)).size).toBe(3);
  });

  it('severities: ERROR/WARNING/INFO as DefectDojo reads them, the newer words as they are, others unknown', async () => {
    const words = ['ERROR', 'WARNING', 'INFO', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'EXPERIMENT'];
    const doc = { results: words.map((w, i) => result('r', 'f.js', i + 1, { severity: w })) };
    const all = findings(await parseAll(semgrepParser, chunked(build(doc))));
    expect(all.map((f) => f.severity)).toEqual(['high', 'medium', 'low', 'critical', 'high', 'medium', 'low', null]);
  });

  it('a nosemgrep result is kept, marked ignored, validation unchanged', async () => {
    const doc = { results: [result('r', 'a.go', 7, { is_ignored: true, fingerprint: 'requires login' })] };
    const [f] = findings(await parseAll(semgrepParser, chunked(build(doc))));
    expect(f?.validation).toBe('unvalidated');
    expect(f?.extra.ignored).toBe(true);
    expect(f?.extra.fingerprint).toBeNull();
  });

  it('errors[] entries are skipped and counted; an empty scan still names its asset', async () => {
    const items = await parseAll(semgrepParser, chunked(build({ results: [], errors: [{ type: 'Syntax error', path: 'a.py' }, { type: 'Timeout' }] })), 'scan.json');
    expect(skipped(items)).toEqual(['Semgrep error entry (a file or rule it could not process)', 'Semgrep error entry (a file or rule it could not process)']);
    expect(assets(items).map((a) => a.id)).toEqual(['report:scan.json']);
    expect(findings(items)).toEqual([]);
  });
});

describe('semgrep importer: supply chain', () => {
  it('semgrep --json: the CVE with GHSA and rule aliases, the dependency, its lockfile line, the fix version; reachability kept aside', async () => {
    const items = await parseAll(semgrepParser, chunked(build({ results: [scaResult(true)], errors: [] }), 9), 'ci.json');
    const [f] = findings(items);
    expect(f).toMatchObject({
      asset: 'report:ci.json',
      vulnerability: 'CVE-2023-1428',
      aliases: ['GHSA-6628-q6j9-w8vg', 'semgrep:ssc-1234'],
      component: 'grpcio',
      version: '1.47.0',
      file_path: 'requirements.txt',
      line: 12,
      fixed_version: '1.53.0',
      severity: 'high',
      cwe: ['CWE-617'],
      reachability: 'unknown',
    });
    expect(f?.extra).toMatchObject({ reachable: true, usage: 'src/app.py:40', ecosystem: 'pypi', vulnerable_range: '< 1.53.0', transitivity: 'direct' });
    expect(vulns(items).get('CVE-2023-1428')?.fix_available).toBe(true);
  });

  it('an unreachable match is still a finding, with reachability unknown and no usage', async () => {
    const [f] = findings(await parseAll(semgrepParser, chunked(build({ results: [scaResult(false)] }))));
    expect(f?.reachability).toBe('unknown');
    expect(f?.extra.reachable).toBe(false);
    expect(f?.extra.usage).toBeNull();
  });

  it('the supply-chain API: one repo asset per repository, CVE keyed, dependency, file line, first seen, triage kept', async () => {
    const items = await parseCorpus('sca-deployments-vulns.json');
    expect(assets(items)).toHaveLength(22);
    expect(assets(items)[0]).toEqual({ id: 'repo:example/rfv', name: 'example/rfv', components: [], target_type: 'repository' });
    const all = findings(items);
    expect(all).toHaveLength(22);
    expect(all[0]).toMatchObject({
      asset: 'repo:example/rfv',
      vulnerability: 'CVE-2023-1428',
      aliases: ['GHSA-6628-q6j9-w8vg', 'semgrep:ssc-82207871-bbda-49be-b1af-49fd927a2f93'],
      component: 'grpcio',
      version: '1.47.0',
      file_path: 'requirements3.txt',
      line: 222,
      fixed_version: '1.53.0',
      severity: 'high',
      reachability: 'unknown',
      validation: 'unvalidated',
    });
    expect(all[0]?.extra).toMatchObject({ first_seen: '2023-07-15T12:51:53Z', exposure: 'REACHABLE', reachability_kind: 'MANUAL_REVIEW_REACHABLE', triage: { status: 'NEW', dismiss_reason: 'UNKNOWN_REASON' } });
    const closed = all.find((f) => f.asset === 'repo:example/frontend');
    expect(closed).toMatchObject({ vulnerability: 'CVE-2022-0686', severity: 'critical', validation: 'unvalidated' });
    expect(closed?.extra.triage).toEqual({ status: 'CLOSED', dismiss_reason: 'UNKNOWN_REASON' });
    expect(all.every((f) => f.check === null)).toBe(true);
    expect(items.every((i) => i.kind !== 'finding' || i.scanKey === `semgrep|${i.record.asset}`)).toBe(true);
  });
});

describe('semgrep importer: bad input', () => {
  const fails = async (doc: string, file = 'bad.json'): Promise<ImportError> => {
    const err = await errorOf(parseAll(semgrepParser, chunked(Buffer.from(doc), 3), file));
    expect(err).toBeInstanceOf(ImportError);
    if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
    expect(err.file).toBe(file);
    return err;
  };

  it('a result without check_id or path names the record and the field', async () => {
    const noId = await fails(JSON.stringify({ results: [result('r', 'a', 1), { path: 'b', start: { line: 1 }, extra: {} }] }));
    expect([noId.record, noId.field]).toEqual(['$.results[1]', 'check_id']);
    const noPath = await fails(JSON.stringify({ results: [{ check_id: 'r', extra: {} }] }));
    expect([noPath.record, noPath.field]).toEqual(['$.results[0]', 'path']);
  });

  it('a result that is not an object', async () => {
    const err = await fails('{"results":["x"]}');
    expect(err.record).toBe('$.results[0]');
  });

  it('a supply-chain entry without its advisory, or without any id', async () => {
    const noAdvisory = await fails('{"vulns":[{"title":"x"}]}');
    expect([noAdvisory.record, noAdvisory.field]).toEqual(['$.vulns[0]', 'advisory']);
    const noId = await fails('{"vulns":[{"advisory":{"references":{}}}]}');
    expect([noId.record, noId.field]).toEqual(['$.vulns[0]', 'advisory.ruleId']);
  });

  it('a supply-chain result without its package', async () => {
    const err = await fails(JSON.stringify({ results: [result('ssc-1', 'a', 1, { sca_info: { dependency_match: {} } })] }));
    expect(err.field).toBe('extra.sca_info.dependency_match.found_dependency.package');
  });

  it('results that are not a list, or another report', async () => {
    expect((await fails('{"results":3}')).message).toContain('not a Semgrep report');
    const other = await fails('{"runs":[]}');
    expect(other.record).toBeNull();
    expect(other.message).toContain('not a Semgrep report');
  });

  it('truncated input', async () => {
    const err = await fails(JSON.stringify({ results: [result('r', 'a', 1)] }).slice(0, 50));
    expect(err.record).not.toBeNull();
  });
});

describe('semgrep importer: detection', () => {
  it('detects code results, a clean scan, supply-chain results and the supply-chain API', () => {
    expect(detectFindingFormat(build({ results: [result('r', 'a', 1)], errors: [] }), 'x.json')).toBe('semgrep');
    expect(detectFindingFormat(Buffer.from('{"results": [], "errors": [], "paths": {"scanned": []}}'), 'x.json')).toBe('semgrep');
    expect(detectFindingFormat(build({ results: [scaResult(true)] }), 'x.json')).toBe('semgrep');
    const api = { vulns: [{ title: 't', advisory: { ruleId: 'ssc-1' }, exposureType: 'REACHABLE', repositoryId: '1' }], hasMore: false };
    expect(detectFindingFormat(build(api), 'x.json')).toBe('semgrep');
    expect(detectFindingFormat(Buffer.from('{"results": []}'), 'x.json')).toBeNull();
  });
});

describe('semgrep importer: property', () => {
  const entry = fc.record({
    rule: fc.constantFrom('py.a', 'py.b', 'js.c.d'),
    path: fc.constantFrom('a.py', 'src/b.js', 'dir with space/c.go'),
    line: fc.integer({ min: 1, max: 5 }),
    severity: fc.constantFrom('ERROR', 'WARNING', 'INFO'),
  });

  it('one finding per distinct (rule, file, line) and one vulnerability per rule, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 25 }), fc.integer({ min: 1, max: 200 }), async (entries, size) => {
        const doc = { results: entries.map((e) => result(e.rule, e.path, e.line, { severity: e.severity })), errors: [], paths: { scanned: [] } };
        const items = await parseAll(semgrepParser, chunked(build(doc), size));
        const got = findings(items);
        expect(got).toHaveLength(entries.length);
        expect(new Set(got.map((f) => f.fingerprint)).size).toBe(new Set(entries.map((e) => `${e.rule}|${e.path}|${e.line}`)).size);
        expect([...vulns(items).keys()].sort()).toEqual([...new Set(entries.map((e) => `semgrep:${e.rule}`))].sort());
        got.forEach((f, i) => {
          expect(f.file_path).toBe(entries[i]?.path);
          expect(f.line).toBe(entries[i]?.line);
        });
      }),
      { numRuns: 60 },
    );
  });
});
