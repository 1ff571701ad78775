/**
 * Behaviour of the finding importers beyond DefectDojo's expectations: chunk-boundary invariance
 * on every corpus report, the bounded buffer for late headers, VEX and status mapping, asset ids,
 * fingerprints, CVSS scoring, and the native JSON/NDJSON/CSV findings with their errors.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { imageRepository, primaryId } from '../../../src/ingest/findings/common.js';
import { cvssBaseScore, cvssOf } from '../../../src/ingest/findings/cvss.js';
import { findingParsers } from '../../../src/ingest/findings/index.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { TOOL_DIRS, chunked, corpusBytes, corpusFiles, errorOf, parseAll } from './helpers.js';

const findings = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const vulns = (items: ImportItem[]): VulnerabilityRecord[] => items.flatMap((i) => (i.kind === 'vulnerability' ? [i.record] : []));
const assets = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const parse = (format: keyof typeof findingParsers, text: string | Buffer, chunk = 0, file = 'input'): Promise<ImportItem[]> =>
  parseAll(findingParsers[format], chunked(typeof text === 'string' ? Buffer.from(text) : text, chunk), file);

describe('chunk boundaries never change what a report yields', () => {
  for (const [tool, format] of Object.entries(TOOL_DIRS)) {
    for (const file of corpusFiles(tool)) {
      it(file, async () => {
        const bytes = corpusBytes(file);
        if (bytes.length === 0) return;
        const whole = await parse(format, bytes, 0, file);
        const sizes = bytes.length < 40_000 ? [1, 7, 1000] : [7, 1000, 65_536];
        for (const size of sizes) expect(await parse(format, bytes, size, file), `chunks of ${size}`).toEqual(whole);
      });
    }
  }
});

describe('reports whose target comes after their findings', () => {
  it('grype: thousands of matches before `source` are buffered (spilling to disk) and get the image asset', async () => {
    const match = (i: number): string =>
      JSON.stringify({
        vulnerability: { id: `CVE-2024-${10000 + i}`, severity: 'High', fix: { versions: [], state: 'not-fixed' }, cvss: [] },
        artifact: { name: `pkg-${i % 50}`, version: '1.0', locations: [{ path: `/lib/${i}` }] },
        relatedVulnerabilities: [],
      });
    const n = 2500;
    const doc = `{"matches":[${Array.from({ length: n }, (_, i) => match(i)).join(',')}],"source":{"type":"image","target":{"userInput":"registry.example.com/team/app:2.1@sha256:abc"}}}`;
    const before = readdirSync(tmpdir()).filter((d) => d.startsWith('closeloop-deferred-')).length;
    const items = await parse('grype', doc, 4096);
    const fs = findings(items);
    expect(fs).toHaveLength(n);
    expect(new Set(fs.map((f) => f.asset))).toEqual(new Set(['image:registry.example.com/team/app']));
    expect(assets(items)).toEqual([{ id: 'image:registry.example.com/team/app', name: 'registry.example.com/team/app:2.1@sha256:abc', components: [], target_type: 'container_image' }]);
    expect(fs.map((f) => f.vulnerability)).toEqual(Array.from({ length: n }, (_, i) => `CVE-2024-${10000 + i}`));
    const after = readdirSync(tmpdir()).filter((d) => d.startsWith('closeloop-deferred-')).length;
    expect(after).toBe(before);
  });

  it('sarif: results before the run`s tool wait for it', async () => {
    const doc = JSON.stringify({
      version: '2.1.0',
      runs: [{ results: [{ ruleId: 'R1', message: { text: 'bad' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.c' }, region: { startLine: 3 } } }] }], tool: { driver: { name: 'My Tool', rules: [{ id: 'R1', defaultConfiguration: { level: 'error' } }] } } }],
    });
    const [f] = findings(await parse('sarif', doc));
    expect(f?.source).toBe('my-tool');
    expect(f?.vulnerability).toBe('my-tool:R1');
    expect(f?.severity).toBe('high');
    expect(f?.line).toBe(3);
  });

  it('cyclonedx: vulnerabilities before components still resolve their component', async () => {
    const doc = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: { component: { type: 'container', name: 'ghcr.io/acme/api', version: '1.4.2' } },
      vulnerabilities: [{ id: 'CVE-2021-44228', affects: [{ ref: 'c1' }], ratings: [{ method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }] }],
      components: [{ 'bom-ref': 'c1', name: 'log4j-core', version: '2.14.1' }],
    });
    const items = await parse('cyclonedx', doc);
    const [f] = findings(items);
    expect(f?.component).toBe('log4j-core');
    expect(f?.version).toBe('2.14.1');
    expect(f?.asset).toBe('image:ghcr.io/acme/api');
    expect(f?.severity).toBe('critical');
    expect(vulns(items)[0]?.cvss).toEqual({ version: '3.1', base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' });
  });
});

describe('CycloneDX VEX analysis', () => {
  const bom = (state: string): string =>
    JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.4',
      components: [{ 'bom-ref': 'pkg:npm/lodash@4.17.20', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' }],
      vulnerabilities: [
        {
          id: 'GHSA-35jh-r3h4-6jhm',
          references: [{ id: 'CVE-2021-23337' }],
          affects: [{ ref: 'pkg:npm/lodash@4.17.20' }],
          analysis: { state, justification: 'code_not_reachable', response: ['will_not_fix'], detail: 'template() is never called' },
        },
      ],
    });
  const cases: [string, string][] = [
    ['not_affected', 'not_affected'],
    ['false_positive', 'false_positive'],
    ['exploitable', 'validated'],
    ['in_triage', 'unvalidated'],
    ['resolved', 'unvalidated'],
  ];
  for (const [state, validation] of cases) {
    it(`${state} → ${validation}, justification kept`, async () => {
      const [f] = findings(await parse('cyclonedx', bom(state)));
      expect(f?.validation).toBe(validation);
      expect(f?.vulnerability).toBe('CVE-2021-23337');
      expect(f?.aliases).toEqual(['GHSA-35jh-r3h4-6jhm']);
      expect(f?.extra).toMatchObject({ vex_state: state, vex_justification: 'code_not_reachable', vex_response: ['will_not_fix'], vex_detail: 'template() is never called' });
    });
  }

  it('the corpus VEX example (valid-vulnerability-1.4) is not_affected in JSON and XML alike', async () => {
    for (const file of ['scanners/cyclonedx/valid-vulnerability-1.4.json', 'scanners/cyclonedx/valid-vulnerability-1.4.xml']) {
      const [f] = findings(await parse('cyclonedx', corpusBytes(file), 0, file));
      expect(f?.validation, file).toBe('not_affected');
      expect(f?.extra.vex_justification, file).toBe('code_not_reachable');
      expect(f?.vulnerability, file).toBe('CVE-2018-7489');
    }
  });

  it('XML and JSON of the same BOM give the same findings', async () => {
    const strip = (fs: FindingRecord[]): unknown[] => fs.map((f) => ({ v: f.vulnerability, c: f.component, ver: f.version, s: f.severity, val: f.validation }));
    const j = findings(await parse('cyclonedx', corpusBytes('scanners/cyclonedx/log4j.json')));
    const x = findings(await parse('cyclonedx', corpusBytes('scanners/cyclonedx/log4j.xml')));
    expect(strip(x)).toEqual(strip(j));
  });
});

describe('Trivy specifics', () => {
  it('maps Status not_affected to validation and keeps the status', async () => {
    const fs = findings(await parse('trivy', corpusBytes('scanners/trivy/all_statuses.json')));
    expect(fs.map((f) => f.validation)).toEqual(['unvalidated', 'not_affected', 'unvalidated', 'unvalidated', 'unvalidated', 'unvalidated', 'unvalidated', 'unvalidated']);
    expect(fs.map((f) => f.extra.status)).toEqual(['unknown', 'not_affected', 'affected', 'fixed', 'under_investigation', 'will_not_fix', 'fix_deferred', 'end_of_life']);
  });

  it('keys misconfigurations and secrets by tool-local rule ids and skips passed checks and licenses', async () => {
    const doc = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: 'registry.example.com/app:1.2.3',
      ArtifactType: 'container_image',
      Results: [
        { Target: 'Dockerfile', Class: 'config', Misconfigurations: [{ ID: 'DS002', AVDID: 'AVD-DS-0002', Title: 'root', Severity: 'HIGH', Status: 'FAIL' }, { ID: 'DS001', Title: 'ok', Severity: 'LOW', Status: 'PASS' }] },
        { Target: 'app/.env', Class: 'secret', Secrets: [{ RuleID: 'aws-access-key-id', Title: 'AWS Access Key ID', Severity: 'CRITICAL', StartLine: 4 }] },
        { Target: 'OS Packages', Class: 'license', Licenses: [{ Name: 'GPL-3.0', Severity: 'HIGH' }] },
        { Target: 'app/package-lock.json', Class: 'lang-pkgs', Vulnerabilities: [{ VulnerabilityID: 'GHSA-xxxx-yyyy-zzzz', VendorIDs: ['CVE-2024-0001'], PkgName: 'x', InstalledVersion: '1', Severity: 'UNKNOWN' }] },
      ],
    });
    const items = await parse('trivy', doc);
    const fs = findings(items);
    expect(fs.map((f) => [f.vulnerability, f.aliases, f.severity, f.file_path, f.line])).toEqual([
      ['AVD-DS-0002', ['DS002'], 'high', 'Dockerfile', null],
      ['trivy:aws-access-key-id', [], 'critical', 'app/.env', 4],
      ['CVE-2024-0001', ['GHSA-xxxx-yyyy-zzzz'], 'info', 'app/package-lock.json', null],
    ]);
    expect(new Set(fs.map((f) => f.asset))).toEqual(new Set(['image:registry.example.com/app']));
    expect(items.filter((i) => i.kind === 'finding').map((i) => (i.kind === 'finding' ? i.scanKey : null))).toEqual(Array(3).fill('trivy|image:registry.example.com/app'));
  });

  it('legacy reports: each target is its own asset', async () => {
    const doc = JSON.stringify([
      { Target: 'alpine:3.9 (alpine 3.9.4)', Vulnerabilities: [{ VulnerabilityID: 'CVE-2019-1', PkgName: 'musl', InstalledVersion: '1.1', Severity: 'LOW' }] },
      { Target: 'app/Gemfile.lock', Vulnerabilities: [{ VulnerabilityID: 'CVE-2019-2', PkgName: 'rack', InstalledVersion: '2.0', Severity: 'HIGH' }] },
    ]);
    expect(findings(await parse('trivy', doc)).map((f) => f.asset)).toEqual(['image:alpine', 'manifest:app/Gemfile.lock']);
  });
});

describe('fingerprints', () => {
  it('are stable across imports and differ by location', async () => {
    const file = 'scanners/anchore_grype/same_cve_different_paths.json';
    const a = findings(await parse('grype', corpusBytes(file)));
    const b = findings(await parse('grype', corpusBytes(file), 13));
    expect(a.map((f) => f.fingerprint)).toEqual(b.map((f) => f.fingerprint));
    expect(a[0]?.fingerprint).not.toBe(a[1]?.fingerprint);
    expect(a.every((f) => f.id === f.fingerprint)).toBe(true);
  });
});

describe('ids, assets and CVSS', () => {
  it('keys by CVE: the tool id when it is one, else the lowest CVE alias', () => {
    expect(primaryId('CVE-2021-1', ['GHSA-a'])).toEqual({ id: 'CVE-2021-1', aliases: ['GHSA-a'] });
    expect(primaryId('GHSA-a', ['CVE-2023-29197', 'CVE-2022-24775'])).toEqual({ id: 'CVE-2022-24775', aliases: ['GHSA-a', 'CVE-2023-29197'] });
    expect(primaryId('MAL-2023-1', ['GHSA-b'])).toEqual({ id: 'MAL-2023-1', aliases: ['GHSA-b'] });
    expect(primaryId('cve-2020-1234', [])).toEqual({ id: 'CVE-2020-1234', aliases: [] });
  });

  it('drops tags and digests from image ids but keeps registry ports', () => {
    expect(imageRepository('nginx:1.25')).toBe('nginx');
    expect(imageRepository('localhost:5000/team/app:1.0@sha256:abcd')).toBe('localhost:5000/team/app');
    expect(imageRepository('localhost:5000/team/app')).toBe('localhost:5000/team/app');
  });

  it('computes CVSS v3 base scores equal to those the corpus reports give with their vectors', () => {
    const pairs = new Map<string, number>();
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (typeof x === 'object' && x !== null) {
        const o = Object.fromEntries(Object.entries(x));
        if (typeof o.V3Vector === 'string' && typeof o.V3Score === 'number') pairs.set(o.V3Vector, o.V3Score);
        if (typeof o.vector === 'string' && typeof o.score === 'number' && String(o.method).startsWith('CVSSv3')) pairs.set(o.vector, o.score);
        Object.values(o).forEach(walk);
      }
    };
    for (const file of [...corpusFiles('trivy'), ...corpusFiles('cyclonedx').filter((f) => f.endsWith('.json'))]) {
      const bytes = corpusBytes(file);
      if (bytes.length > 4) walk(JSON.parse(bytes.toString('utf8')));
    }
    expect(pairs.size).toBeGreaterThan(20);
    for (const [vector, score] of pairs) expect(cvssBaseScore(vector), vector).toBe(score);
  });

  it('builds CVSS records from vectors and scores', () => {
    expect(cvssOf('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', null)).toEqual({ version: '3.1', base_score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(cvssOf('AV:N/AC:M/Au:N/C:N/I:N/A:P', 4.3)).toEqual({ version: '2.0', base_score: 4.3, vector: 'AV:N/AC:M/Au:N/C:N/I:N/A:P' });
    // v2 and v4.0 scores are computed too (FIRST's calculators give 7.5 and 9.3)
    expect(cvssOf('AV:N/AC:L/Au:N/C:P/I:P/A:P', null)).toEqual({ version: '2.0', base_score: 7.5, vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' });
    expect(cvssOf('(AV:N/AC:L/Au:N/C:P/I:P/A:P)', null)?.base_score).toBe(7.5);
    expect(cvssOf('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', null)).toEqual({
      version: '4.0',
      base_score: 9.3,
      vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    });
    // incomplete, misspelt or mixed-version vectors give no score rather than a guess
    expect(cvssOf('CVSS:3.1/AV:X', null)).toBeNull();
    expect(cvssOf('CVSS:3.1/AV:N', null)).toBeNull();
    expect(cvssOf('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', null)).toBeNull();
    expect(cvssOf('CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', null)).toBeNull();
    expect(cvssOf('AV:N/AC:L/Au:N/C:P/I:P', null)).toBeNull();
    // a score the report gives wins over the computed one
    expect(cvssOf('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.0)?.base_score).toBe(9.0);
    // an incomplete vector beside a score is dropped; a score outside 0–10 is none
    expect(cvssOf('AV:N/PR:N/UI:N', 9.5)).toEqual({ version: '3.1', base_score: 9.5, vector: null });
    expect(cvssOf('AV:N/PR:N/UI:N', 95)).toBeNull();
    expect(cvssOf(null, -3)).toBeNull();
    expect(cvssOf('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 75)).toEqual({ version: '3.1', base_score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(cvssOf('CVSS:3.1/AV:N/AC:L/PR::L/UI:N/S:U/C:H/I:H/A:H', null)).toBeNull();
  });
});

describe('npm audit, Dependency-Check and OSV specifics', () => {
  it('refuses the npm 6 layout', async () => {
    const err = await errorOf(parse('npm-audit', '{"actions":[],"advisories":{"1":{}}}'));
    expect(err).toBeInstanceOf(ImportError);
  });

  it('Dependency-Check suppressed vulnerabilities are false positives with their notes', async () => {
    const fs = findings(await parse('dependency-check', corpusBytes('scanners/dependency_check/multiple_vulnerabilities_has_multiple_findings.xml')));
    const suppressed = fs.filter((f) => f.extra.suppressed === true);
    expect(suppressed.map((f) => [f.vulnerability, f.validation, f.extra.suppression_notes])).toEqual([
      ['CVE-2019-7238', 'false_positive', null],
      ['CVE-2017-1000487', 'false_positive', 'This is our reason for not to upgrade it.'],
    ]);
  });

  it('OSV: the fixed version is the one of the range holding the installed version', async () => {
    const fs = findings(await parse('osv-scanner', corpusBytes('scanners/osv_scanner/many_findings.json')));
    const guzzle = fs.find((f) => f.aliases.includes('GHSA-25mq-v84q-4j7r'));
    expect(guzzle?.component).toBe('guzzlehttp/guzzle');
    expect(guzzle?.version).toBe('6.3.3');
    expect(guzzle?.fixed_version).toBe('6.5.8');
    expect(guzzle?.vulnerability).toBe('CVE-2022-31090');
  });

  it('OSV: a CVE listed by two databases ends as one merged record (the last one the store keeps)', async () => {
    const fs = findings(await parse('osv-scanner', corpusBytes('scanners/osv_scanner/many_findings.json')));
    const urllib3 = fs.filter((f) => f.vulnerability === 'CVE-2023-45803');
    expect(urllib3).toHaveLength(2);
    expect(new Set(urllib3.map((f) => f.fingerprint)).size).toBe(1);
    const last = urllib3[urllib3.length - 1];
    expect(last?.aliases.sort()).toEqual(['GHSA-g4mx-q9vg-27p4', 'PYSEC-2023-212']);
    expect(last?.severity).toBe('medium');
    expect(last?.cwe).toEqual(['CWE-200']);
  });

  it('OSV: an empty file is an empty report', async () => {
    expect(await parse('osv-scanner', '')).toEqual([]);
  });
});

describe('native findings (JSON array, NDJSON) and the findings CSV', () => {
  const one = { vulnerability: 'CVE-2024-3094', asset: 'build-01', component: 'xz', version: '5.6.0', validation: 'validated', reachability: 'reachable', containment_needed: 'isolation', cwe: ['CWE-506'], line: 3, file_path: 'Dockerfile', ticket: 'SEC-1' };

  it('reads a JSON array with defaults and keeps unknown fields', async () => {
    const items = await parse('native', JSON.stringify([one, { vulnerability: 'CVE-2024-1', asset: 'a' }]), 5);
    const [f, g] = findings(items);
    expect(f).toMatchObject({ vulnerability: 'CVE-2024-3094', asset: 'build-01', component: 'xz', validation: 'validated', reachability: 'reachable', containment_needed: 'isolation', cwe: ['CWE-506'], line: 3, source: 'native', extra: { ticket: 'SEC-1' } });
    expect(f?.id).toBe(f?.fingerprint);
    expect(g).toMatchObject({ validation: 'unvalidated', reachability: 'unknown', affected_version_known: true, vendor_scope_known: true, containment_needed: false, severity: null, check: null, ruled_out_by: null, verdict_at: null });
    expect(items.filter((i) => i.kind === 'finding').every((i) => i.kind === 'finding' && i.scanKey === null)).toBe(true);
    expect(assets(items).map((a) => a.id)).toEqual(['build-01', 'a']);
  });

  it('reads NDJSON and the CSV into the same records', async () => {
    const ndjson = await parse('native', `${JSON.stringify(one)}\n\n`);
    const csv = await parse('csv', 'vulnerability,asset,component,version,validation,reachability,containment_needed,cwe,line,file_path,ticket\nCVE-2024-3094,build-01,xz,5.6.0,validated,reachable,isolation,CWE-506,3,Dockerfile,SEC-1\n');
    expect(findings(csv)).toEqual(findings(ndjson));
  });

  it('reads how the scanner checked (`check`: remote or local), never who ruled a finding out', async () => {
    const items = await parse('native', JSON.stringify([{ ...one, check: 'remote', ruled_out_by: 'mallory' }, { vulnerability: 'CVE-2024-1', asset: 'a', check: 'local' }]));
    const [f, g] = findings(items);
    expect(f).toMatchObject({ check: 'remote', ruled_out_by: null, extra: { ruled_out_by: 'mallory' } });
    expect(g?.check).toBe('local');
  });

  it('names the file, record and field of a bad finding', async () => {
    const cases: [keyof typeof findingParsers, string, string | number, string][] = [
      ['native', '[{"vulnerability":"CVE-1","asset":"a"},{"vulnerability":"CVE-2"}]', 1, 'asset'],
      ['native', '{"vulnerability":"CVE-1","asset":"a"}\n{"vulnerability":"CVE-2","asset":"b","validation":"maybe"}\n', 2, 'validation'],
      ['native', '[{"vulnerability":"CVE-1","asset":"a","cwe":["XSS"]}]', 0, 'cwe[0]'],
      ['csv', 'vulnerability,asset,vendor_scope_known\nCVE-1,a,true\nCVE-2,b,perhaps\n', 3, 'vendor_scope_known'],
      ['csv', 'vulnerability,asset,severity\nCVE-1,a,urgent\n', 2, 'severity'],
      ['csv', 'vulnerability,asset,check\nCVE-1,a,remote\nCVE-2,b,network\n', 3, 'check'],
    ];
    for (const [format, text, record, field] of cases) {
      const err = await errorOf(parse(format, text, 0, 'findings.in'));
      expect(err, text).toBeInstanceOf(ImportError);
      if (!(err instanceof ImportError)) continue;
      expect([err.file, err.record, err.field], text).toEqual(['findings.in', record, field]);
    }
  });
});

describe('bench/gen-trivy.mjs', () => {
  it('writes a deterministic Trivy report that the importer reads in full', async () => {
    const gen = fileURLToPath(new URL('../../../bench/gen-trivy.mjs', import.meta.url));
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-gen-'));
    try {
      const a = path.join(dir, 'a.json');
      const b = path.join(dir, 'b.json');
      execFileSync(process.execPath, [gen, '--findings', '1234', '--assets', '7', '--out', a]);
      execFileSync(process.execPath, [gen, '--findings', '1234', '--assets', '7', '--out', b]);
      const hash = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
      expect(hash(a)).toBe(hash(b));
      const items = await parse('trivy', readFileSync(a), 65_536, a);
      expect(findings(items)).toHaveLength(1234);
      expect(assets(items).map((x) => x.id)).toEqual(['image:bench-1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
