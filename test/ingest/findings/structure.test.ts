import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../src/errors.js';
import { findingParsers, type FindingFormat } from '../../../src/ingest/findings/index.js';
import type { ImportItem } from '../../../src/ingest/types.js';

/** docs/importing.md: each scanner format's minimal structure, and Trivy's malformed targets and records. */
async function parse(format: FindingFormat, doc: unknown, hint?: string): Promise<ImportItem[]> {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const out: ImportItem[] = [];
  async function* source(): AsyncGenerator<Buffer> {
    yield Buffer.from(text);
  }
  for await (const item of findingParsers[format].parse(source(), hint === undefined ? { file: 'r.json' } : { file: 'r.json', hint })) out.push(item);
  return out;
}
const findings = async (format: FindingFormat, doc: unknown): Promise<ImportItem[]> => (await parse(format, doc)).filter((i) => i.kind === 'finding');
async function refused(format: FindingFormat, doc: unknown, hint?: string): Promise<string> {
  const err = await parse(format, doc, hint).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  return err instanceof Error ? err.message : '';
}

const vuln = (id: string | null) => ({ VulnerabilityID: id, PkgName: 'p', InstalledVersion: '1' });

describe('format structure', () => {
  it('accepts the minimal structure of each format, even with nothing in it', async () => {
    expect(await findings('grype', { matches: [] })).toEqual([]);
    expect(await findings('sarif', { version: '2.1.0', runs: [] })).toEqual([]);
    expect(await findings('osv-scanner', { results: [] })).toEqual([]);
    expect(await findings('cyclonedx', { bomFormat: 'CycloneDX', specVersion: '1.5' })).toEqual([]);
    expect(await findings('npm-audit', { auditReportVersion: 2, vulnerabilities: {} })).toEqual([]);
    expect(await findings('trivy', 'null')).toEqual([]);
    expect(await findings('trivy', [])).toEqual([]);
    expect(await findings('trivy', { SchemaVersion: 2, ArtifactName: 'a' })).toEqual([]);
  });

  it('refuses a document without it, naming what was expected and the hint', async () => {
    expect(await refused('grype', { runs: [] }, 'this looks like a SARIF log — try --format sarif')).toContain(
      'not a grype report: no top-level `matches` array; this looks like a SARIF log — try --format sarif',
    );
    expect(await refused('sarif', { matches: [] })).toContain('not a SARIF log: no top-level `runs` array');
    expect(await refused('trivy', { matches: [] })).toContain('not a Trivy report');
    expect(await refused('cyclonedx', { components: [] })).toContain('not a CycloneDX BOM');
    expect(await refused('npm-audit', {})).toContain('not an npm audit report');
  });

  it('refuses an anchor of the wrong type', async () => {
    expect(await refused('grype', { matches: {} })).toContain('`matches` is not an array');
    expect(await refused('npm-audit', { vulnerabilities: [] })).toContain('`vulnerabilities` is not an object');
  });
});

describe('malformed Trivy targets and records', () => {
  const v2 = (results: unknown) => ({ SchemaVersion: 2, ArtifactName: 'img:1', ArtifactType: 'container_image', Results: results });

  it('accepts a null list (nothing found) and refuses a list of another type', async () => {
    expect(await parse('trivy', v2([{ Target: 't', Vulnerabilities: null }]))).toHaveLength(1);
    expect(await refused('trivy', v2([{ Target: 't', Vulnerabilities: 'x' }]))).toContain('$.Results[0].Vulnerabilities: expected an array');
    expect(await refused('trivy', v2([{ Target: 't', Secrets: 3 }]))).toContain('$.Results[0].Secrets: expected an array');
    expect(await refused('trivy', v2([{ Target: 't', Vulnerabilities: { a: vuln('CVE-1') } }]))).toContain('Vulnerabilities must be an array');
  });

  it('refuses a target that is not an object, and Results of another type', async () => {
    expect(await refused('trivy', v2(['x']))).toContain('$.Results[0]: a result (target) must be an object');
    expect(await refused('trivy', v2([null]))).toContain('a result (target) must be an object, got null');
    expect(await refused('trivy', v2('x'))).toContain('$.Results');
    expect(await refused('trivy', [{ Target: 't', Vulnerabilities: 'x' }])).toContain('$[0].Vulnerabilities: expected an array');
  });

  it('refuses a record without its id, and an entry that is not an object', async () => {
    expect(await refused('trivy', v2([{ Target: 't', Vulnerabilities: [vuln('CVE-1'), vuln(null)] }]))).toContain('record $.Results[0].Vulnerabilities[1], field VulnerabilityID');
    expect(await refused('trivy', v2([{ Target: 't', Misconfigurations: [{ Status: 'FAIL' }] }]))).toContain('field ID');
    expect(await refused('trivy', v2([{ Target: 't', Secrets: [{ Title: 's' }] }]))).toContain('field RuleID');
    expect(await refused('trivy', v2([{ Target: 't', Vulnerabilities: ['x'] }]))).toContain('expected a JSON object');
  });

  it('ignores scalars that are not Trivy structure (header and metadata fields)', async () => {
    const doc = { ...v2([{ Target: 't', Vulnerabilities: [vuln('CVE-1')] }]), CreatedAt: '2026-01-01', Metadata: { Size: 3, OS: { Family: 'debian' } } };
    expect((await parse('trivy', doc)).filter((i) => i.kind === 'finding')).toHaveLength(1);
  });
});

describe('malformed records of the other scanner formats', () => {
  it('grype: refuses a match without its vulnerability id, vulnerability or artifact', async () => {
    const match = (m: object) => ({ matches: [m], source: { type: 'directory', target: '/src' } });
    const artifact = { name: 'p', version: '1' };
    expect(await findings('grype', match({ vulnerability: { id: 'CVE-1' }, artifact }))).toHaveLength(1);
    expect(await refused('grype', match({ vulnerability: { severity: 'High' }, artifact }))).toContain('record $.matches[0], field vulnerability.id');
    expect(await refused('grype', match({ artifact }))).toContain('record $.matches[0], field vulnerability');
    expect(await refused('grype', match({ vulnerability: { id: 'CVE-1' } }))).toContain('record $.matches[0], field artifact');
    // Matches before `source` (Grype's own order) wait in a queue: the record is still named.
    expect(await refused('grype', { matches: [{ vulnerability: { id: 'CVE-1' }, artifact }, { artifact }] })).toContain('record $.matches[1], field vulnerability');
  });

  it('sarif: refuses a result with neither a rule nor a message; a result without a rule is keyed by its message', async () => {
    const log = (results: unknown[], tool = true) => ({ version: '2.1.0', runs: [{ ...(tool ? { tool: { driver: { name: 't' } } } : {}), results }] });
    expect(await findings('sarif', log([{ message: { text: 'leak' } }]))).toHaveLength(1);
    expect(await findings('sarif', log([{ ruleId: 'R1' }]))).toHaveLength(1);
    expect(await findings('sarif', log([{ kind: 'pass' }]))).toEqual([]);
    expect(await refused('sarif', log([{ ruleId: 'R1' }, { level: 'error' }]))).toContain('record $.runs[0].results[1], field message');
    // A run without a tool: its results wait, and the record is still named.
    expect(await refused('sarif', log([{ level: 'error' }], false))).toContain('record $.runs[0].results[0], field message');
  });

  it('osv-scanner: refuses a vulnerability record without its id, or that is not an object', async () => {
    const report = (vulnerabilities: unknown[]) => ({
      results: [{ source: { path: '/src/package-lock.json', type: 'lockfile' }, packages: [{ package: { name: 'p', version: '1', ecosystem: 'npm' }, vulnerabilities }] }],
    });
    expect(await findings('osv-scanner', report([{ id: 'GHSA-1' }]))).toHaveLength(1);
    expect(await findings('osv-scanner', report([]))).toEqual([]);
    expect(await refused('osv-scanner', report([{ id: 'GHSA-1' }, { summary: 's' }]))).toContain('record $.results[0].packages[0].vulnerabilities[1], field id');
    expect(await refused('osv-scanner', report(['GHSA-1']))).toContain('record $.results[0].packages[0].vulnerabilities[0]: expected a JSON object');
    // Packages before their source wait in a queue: the record is still named.
    expect(await refused('osv-scanner', { results: [{ packages: [{ package: { name: 'p' }, vulnerabilities: [{}] }], source: { path: 'l' } }] })).toContain(
      'record $.results[0].packages[0].vulnerabilities[0], field id',
    );
  });

  it('cyclonedx: refuses a vulnerability without its id, or an affects entry without its ref (JSON and XML)', async () => {
    const bom = (vulnerabilities: unknown[]) => ({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ 'bom-ref': 'c1', name: 'p', version: '1' }], vulnerabilities });
    expect(await findings('cyclonedx', bom([{ id: 'CVE-1', affects: [{ ref: 'c1' }] }]))).toHaveLength(1);
    expect(await findings('cyclonedx', bom([{ id: 'CVE-1' }]))).toEqual([]);
    expect(await refused('cyclonedx', bom([{ id: 'CVE-1', affects: [{ ref: 'c1' }] }, { affects: [{ ref: 'c1' }] }]))).toContain('record $.vulnerabilities[1], field id');
    expect(await refused('cyclonedx', bom([{ id: 'CVE-1', affects: [{ ref: 'c1' }, {}] }]))).toContain('record $.vulnerabilities[0], field affects[1].ref');
    const xml = (v: string) =>
      `<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library" bom-ref="c1"><name>p</name><version>1</version></component></components><vulnerabilities>${v}</vulnerabilities></bom>`;
    expect(await findings('cyclonedx', xml('<vulnerability><id>CVE-1</id><affects><target><ref>c1</ref></target></affects></vulnerability>'))).toHaveLength(1);
    expect(await refused('cyclonedx', xml('<vulnerability><affects><target><ref>c1</ref></target></affects></vulnerability>'))).toContain('record vulnerability 1, field id');
  });

  it('npm-audit: refuses an advisory without its source, or a via entry that is neither an advisory nor a name', async () => {
    const report = (via: unknown[]) => ({ auditReportVersion: 2, vulnerabilities: { p: { name: 'p', via, nodes: ['node_modules/p'] } } });
    const advisory = { source: 1001, name: 'p', title: 't', severity: 'high', url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc' };
    expect(await findings('npm-audit', report([advisory, 'q']))).toHaveLength(1);
    expect(await findings('npm-audit', report(['q']))).toEqual([]);
    expect(await findings('npm-audit', report([{ ...advisory, url: null }]))).toHaveLength(1);
    expect(await refused('npm-audit', report([advisory, { name: 'p', title: 't' }]))).toContain('record $.vulnerabilities.p.via[1], field source');
    expect(await refused('npm-audit', report([null]))).toContain('record $.vulnerabilities.p.via[0]: expected a JSON object, got null');
  });

  it('dependency-check: refuses a vulnerability without its name; a dependency without vulnerabilities is no finding', async () => {
    const report = (deps: string) =>
      `<?xml version="1.0"?><analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd"><projectInfo><name>app</name></projectInfo><dependencies>${deps}</dependencies></analysis>`;
    const dep = (vulns: string) => `<dependency><fileName>a.jar</fileName><filePath>/a.jar</filePath>${vulns}</dependency>`;
    expect(await findings('dependency-check', report(dep('') + dep('<vulnerabilities><vulnerability source="NVD"><name>CVE-2020-1</name></vulnerability></vulnerabilities>')))).toHaveLength(1);
    expect(
      await refused('dependency-check', report(dep('') + dep('<vulnerabilities><vulnerability><name>CVE-2020-1</name></vulnerability><vulnerability><severity>HIGH</severity></vulnerability></vulnerabilities>'))),
    ).toContain('record /analysis/dependencies/dependency[2]/vulnerabilities/vulnerability[2], field name');
    expect(await refused('dependency-check', report(dep('<vulnerabilities><suppressedVulnerability/></vulnerabilities>')))).toContain(
      'record /analysis/dependencies/dependency[1]/vulnerabilities/suppressedVulnerability[1], field name',
    );
  });
});

