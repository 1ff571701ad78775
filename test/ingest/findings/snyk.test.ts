/**
 * The Snyk importer in detail: assets per project and image, ids and aliases, CVSS, EPSS, exploit
 * maturity, fix fields, skipped entries, bad input and detection, on corpus reports and built ones.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { snykParser } from '../../../src/ingest/findings/snyk.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusStream, errorOf, parseAll } from './helpers.js';

async function parseCorpus(name: string): Promise<ImportItem[]> {
  const file = `scanners/snyk/${name}`;
  return collect(snykParser.parse(corpusStream(file), { file }));
}

const findings = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const assets = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const vulns = (items: ImportItem[]): Map<string, VulnerabilityRecord> =>
  new Map(items.flatMap((i) => (i.kind === 'vulnerability' ? [[i.record.id, i.record] as const] : [])));
const skipped = (items: ImportItem[]): string[] => items.flatMap((i) => (i.kind === 'skipped' ? [i.record.reason] : []));

/** A minimal Snyk vulnerability entry. */
function vuln(id: string, pkg: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: `Issue in ${pkg}`,
    severity: 'high',
    packageName: pkg,
    version,
    from: ['app@1.0.0', `${pkg}@${version}`],
    upgradePath: [],
    isUpgradable: false,
    isPatchable: false,
    identifiers: { CVE: [], CWE: [] },
    ...extra,
  };
}

const project = (name: string, vulnerabilities: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  vulnerabilities,
  ok: vulnerabilities.length === 0,
  dependencyCount: 3,
  packageManager: 'npm',
  projectName: name,
  displayTargetFile: 'package-lock.json',
  path: '/src',
  ...extra,
});

const build = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

describe('snyk importer: corpus mapping', () => {
  it('single project: repo asset, CVE keyed with the Snyk id as alias, CVSS, fix and upgrade advice', async () => {
    const items = await parseCorpus('single_project_one_vuln.json');
    expect(assets(items)).toEqual([{ id: 'repo:com.test:myframework', name: 'com.test:myframework', components: [], target_type: 'repository' }]);
    const [f] = findings(items);
    expect(f).toMatchObject({
      vulnerability: 'CVE-2019-12400',
      aliases: ['SNYK-JAVA-ORGAPACHESANTUARIO-460281'],
      component: 'org.apache.santuario:xmlsec',
      version: '2.1.1',
      severity: 'medium',
      cwe: ['CWE-611'],
      file_path: 'com.test:myframework > org.apache.santuario:xmlsec',
      fixed_version: '2.1.4',
      check: null,
      source: 'snyk',
    });
    expect(f?.extra.upgrade).toEqual({ from: 'org.apache.santuario:xmlsec@2.1.1', to: 'org.apache.santuario:xmlsec@2.1.4' });
    expect(f?.extra.target_file).toBe('pom.xml');
    const v = vulns(items).get('CVE-2019-12400');
    expect(v?.cvss).toEqual({ version: '3.1', base_score: 6.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:L' });
    expect(v?.fix_available).toBe(true);
    expect(v?.public_poc).toBe(false);
    expect(items.filter((i) => i.kind === 'finding').every((i) => i.kind === 'finding' && i.scanKey === 'snyk|repo:com.test:myframework')).toBe(true);
  });

  it('--all-projects: one asset per project, findings on their own project, one per dependency path', async () => {
    const items = await parseCorpus('all_containers_target_output.json');
    expect(assets(items).map((a) => a.id)).toEqual(['repo:Mobile-Security-Framework-MobSF', 'repo:@dependencytrack/frontend', 'repo:cyberspect', 'repo:TestFiles']);
    const per = new Map<string, number>();
    for (const f of findings(items)) per.set(f.asset, (per.get(f.asset) ?? 0) + 1);
    expect(Object.fromEntries(per)).toEqual({ 'repo:Mobile-Security-Framework-MobSF': 9, 'repo:@dependencytrack/frontend': 6, 'repo:cyberspect': 25 });
    // The same vulnerable package reached through two paths is two findings with their own paths.
    const numpy = findings(items).filter((f) => f.aliases.includes('SNYK-PYTHON-NUMPY-2321966'));
    expect(numpy.length).toBeGreaterThan(0);
    expect(numpy[0]?.cwe).toEqual(['CWE-119', 'CWE-120']);
    const cyber = findings(items).filter((f) => f.asset === 'repo:cyberspect');
    expect(new Set(cyber.map((f) => `${f.vulnerability} ${JSON.stringify(f.extra.from)}`)).size).toBe(25);
    expect(new Set(cyber.map((f) => JSON.stringify(f.extra.from))).size).toBeLessThan(25);
    expect(new Set(cyber.map((f) => f.vulnerability)).size).toBe(6);
  });

  it('container test: the image is the asset, applications[] join it; EPSS and exploit maturity', async () => {
    const items = await parseCorpus('snykcontainer_issue_epss.json');
    expect(assets(items)).toEqual([{ id: 'image:sarim04/juiceshop', name: 'sarim04/juiceshop', components: [], target_type: 'container_image' }]);
    const all = findings(items);
    expect(all).toHaveLength(13);
    expect(all.every((f) => f.asset === 'image:sarim04/juiceshop')).toBe(true);
    expect(all.filter((f) => f.extra.application === 'juice-shop')).toHaveLength(12);
    expect(all.find((f) => f.vulnerability === 'CVE-2023-4039')?.extra.application).toBeNull();
    const v = vulns(items);
    expect(v.get('CVE-2023-4039')?.epss).toEqual({ score: 0.00046, percentile: 0.14414, date: null });
    expect(v.get('CVE-2023-4039')?.fix_available).toBe(false);
    // "Proof of Concept" and "Functional" are public exploits; "Not Defined" says nothing.
    expect(v.get('CVE-2015-9235')).toMatchObject({ public_poc: true, exploitation: 'poc' });
    expect(v.get('CVE-2015-9235')?.extra.exploit).toEqual({ source: 'scanner', snyk_exploit_maturity: 'Proof of Concept' });
    expect(v.get('CVE-2017-16016')).toMatchObject({ public_poc: true, exploitation: 'poc' });
    expect(v.get('CVE-2020-15084')).toMatchObject({ public_poc: false, exploitation: 'none' });
    // GHSA ids are aliases; the fixed version is the one the upgrade path moves the package to.
    const jwt = all.find((f) => f.vulnerability === 'CVE-2015-9235');
    expect(jwt?.aliases).toEqual(['npm:jsonwebtoken:20150331', 'nsp:17', 'GHSA-c7hr-j4mj-j2w6', 'SNYK-JS-JSONWEBTOKEN-10037']);
    expect(jwt?.fixed_version).toBe('5.0.0');
    // No CVE at all: keyed by the Snyk id.
    expect(all.some((f) => f.vulnerability === 'SNYK-JS-SANITIZEHTML-585892' && f.aliases.length === 0)).toBe(true);
  });

  it('no CVSS and no CVE: the Snyk id, the vendor advisory as alias, Snyk severity, no CVSS', async () => {
    const items = await parseCorpus('single_project_None_cvss.json');
    expect(assets(items).map((a) => a.id)).toEqual(['image:a_container-engine-tls']);
    const [f] = findings(items);
    expect(f).toMatchObject({ vulnerability: 'SNYK-SLES153-PERMISSIONS-2648113', aliases: ['SUSE-SU-2022:0141-1'], severity: 'low', fixed_version: '20181225-23.12.1' });
    expect(vulns(items).get('SNYK-SLES153-PERMISSIONS-2648113')?.cvss).toBeNull();
  });

  it('a clean project still names its asset (so a re-import resolves what it no longer lists)', async () => {
    const items = await parseCorpus('single_project_no_vulns.json');
    expect(findings(items)).toEqual([]);
    expect(assets(items).map((a) => a.id)).toEqual(['repo:com.test:maven-profiles']);
  });
});

describe('snyk importer: built reports', () => {
  it('a CVSS v4 vector in cvssDetails wins over CVSSv3', async () => {
    const v4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    const doc = project('p', [
      vuln('SNYK-JS-X-1', 'x', '1.0.0', {
        CVSSv3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        cvssScore: 9.8,
        cvssDetails: [{ assigner: 'Snyk', cvssV4Vector: v4, cvssV4BaseScore: 9.3 }],
        identifiers: { CVE: ['CVE-2024-0001'], CWE: ['CWE-94'], GHSA: ['GHSA-aaaa-bbbb-cccc'] },
      }),
    ]);
    const items = await parseAll(snykParser, chunked(build(doc), 7));
    expect(vulns(items).get('CVE-2024-0001')?.cvss).toEqual({ version: '4.0', base_score: 9.3, vector: v4 });
    expect(findings(items)[0]?.aliases).toEqual(['SNYK-JS-X-1', 'GHSA-aaaa-bbbb-cccc']);
  });

  it('license issues and policy-ignored issues are skipped and counted', async () => {
    const doc = project('p', [vuln('snyk:lic:npm:x:GPL-3.0', 'x', '1.0.0', { type: 'license' }), vuln('SNYK-JS-Y-1', 'y', '2.0.0')], {
      filtered: { ignore: [vuln('SNYK-JS-Z-1', 'z', '1.0.0'), vuln('SNYK-JS-Z-2', 'z', '1.0.0')], patch: [] },
    });
    const items = await parseAll(snykParser, chunked(build(doc)));
    expect(findings(items).map((f) => f.vulnerability)).toEqual(['SNYK-JS-Y-1']);
    expect(skipped(items).sort()).toEqual([
      'Snyk license issue (a licence policy, not a vulnerability)',
      'issue ignored by a Snyk policy (filtered.ignore)',
      'issue ignored by a Snyk policy (filtered.ignore)',
    ]);
  });

  it('a project without name or path falls back to the report file', async () => {
    const items = await parseAll(snykParser, chunked(build({ vulnerabilities: [vuln('SNYK-1', 'a', '1')] })), 'dir/out.json');
    expect(findings(items)[0]?.asset).toBe('report:out.json');
  });
});

describe('snyk importer: bad input', () => {
  const fails = async (doc: string, file = 'bad.json'): Promise<ImportError> => {
    const err = await errorOf(parseAll(snykParser, chunked(Buffer.from(doc), 5), file));
    expect(err).toBeInstanceOf(ImportError);
    if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
    expect(err.file).toBe(file);
    return err;
  };

  it('a vulnerability without its id names the record and the field', async () => {
    const err = await fails(JSON.stringify([project('a', []), project('b', [{ title: 'x', from: [] }])]));
    expect(err.record).toBe('$[1].vulnerabilities[0]');
    expect(err.field).toBe('id');
  });

  it('a vulnerability that is not an object', async () => {
    const err = await fails('{"vulnerabilities":[{"id":"SNYK-1"}, 3]}');
    expect(err.record).toBe('$.vulnerabilities[1]');
    expect(err.message).toContain('expected a JSON object');
  });

  it('a project of the array form that is not an object', async () => {
    const err = await fails(JSON.stringify([project('a', []), 'oops']));
    expect(err.record).toBe('$[1]');
    expect(err.message).toContain('a project must be an object');
  });

  it('vulnerabilities that are not a list', async () => {
    const err = await fails('{"projectName":"a","vulnerabilities":"none"}');
    expect(err.message).toContain('not a Snyk report');
    const nested = await fails('{"vulnerabilities":[],"applications":[{"vulnerabilities":5}]}');
    expect(nested.record).toBe('$.applications[0].vulnerabilities');
  });

  it('another report is refused as not a Snyk report', async () => {
    const err = await fails('{"matches":[]}');
    expect(err.record).toBeNull();
    expect(err.message).toContain('not a Snyk report');
  });

  it('truncated input', async () => {
    const err = await fails(JSON.stringify(project('a', [vuln('SNYK-1', 'a', '1')])).slice(0, 60));
    expect(err.record).not.toBeNull();
  });
});

describe('snyk importer: detection', () => {
  it('detects the object, array and container layouts', () => {
    const one = build(project('p', [vuln('SNYK-1', 'a', '1')]));
    expect(detectFindingFormat(one, 'snyk.json')).toBe('snyk');
    expect(detectFindingFormat(build([project('p', []), project('q', [])]), 'x.json')).toBe('snyk');
    const container = build(project('docker-image|nginx', [vuln('SNYK-DEBIAN12-X-1', 'x', '1')], { docker: {}, applications: [] }));
    expect(detectFindingFormat(container, 'x.json')).toBe('snyk');
    expect(detectFindingFormat(build({ vulnerabilities: [] }), 'x.json')).toBeNull();
  });
});

describe('snyk importer: property', () => {
  const entry = fc.record({
    n: fc.integer({ min: 1, max: 99999 }),
    cve: fc.option(fc.integer({ min: 1000, max: 99999 }), { nil: null }),
    pkg: fc.constantFrom('lodash', '@scope/pkg', 'django', 'org.x:y'),
    version: fc.constantFrom('1.0.0', '2.3.4-rc1', '0.0.1'),
    via: fc.constantFrom('a', 'b', 'c'),
  });
  const projects = fc.array(fc.array(entry, { maxLength: 8 }), { minLength: 1, maxLength: 4 });

  it('the array form yields one finding per distinct (vulnerability, dependency path) of each project, on its own asset, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(projects, fc.integer({ min: 1, max: 300 }), async (ps, size) => {
        const doc = ps.map((entries, i) =>
          project(
            `proj-${i}`,
            entries.map((e) =>
              vuln(`SNYK-JS-X-${e.n}`, e.pkg, e.version, {
                from: [`proj-${i}@1.0.0`, `${e.via}@1.0.0`, `${e.pkg}@${e.version}`],
                identifiers: { CVE: e.cve === null ? [] : [`CVE-2024-${e.cve}`], CWE: [] },
              }),
            ),
          ),
        );
        const items = await parseAll(snykParser, chunked(build(doc), size));
        const got = findings(items);
        const fps = new Set(got.map((f) => f.fingerprint));
        let expected = 0;
        ps.forEach((entries, i) => {
          // Two Snyk ids of one CVE on one path are one finding (findings are keyed by CVE).
          const keys = new Set(entries.map((e) => `${e.cve === null ? `snyk-${e.n}` : `cve-${e.cve}`}|${e.via}|${e.pkg}|${e.version}`));
          expected += keys.size;
          const mine = got.filter((f) => f.asset === `repo:proj-${i}`);
          expect(mine).toHaveLength(entries.length);
          for (const [k, e] of entries.entries()) {
            const f = mine[k];
            expect(f?.vulnerability).toBe(e.cve === null ? `SNYK-JS-X-${e.n}` : `CVE-2024-${e.cve}`);
            expect(f?.component).toBe(e.pkg);
            expect(f?.file_path).toBe(`proj-${i} > ${e.via} > ${e.pkg}`);
          }
        });
        expect(fps.size).toBe(expected);
        expect(assets(items).map((a) => a.id)).toEqual(ps.map((_, i) => `repo:proj-${i}`));
      }),
      { numRuns: 60 },
    );
  });
});
