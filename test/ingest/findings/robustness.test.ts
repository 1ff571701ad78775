/**
 * Hostile input for every finding parser: random bytes, random JSON values, and real corpus
 * reports with random mutations, in random chunkings. Each run must finish or throw an
 * ImportError naming the file — never another error type, never hang (a per-run timeout).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../src/errors.js';
import { findingParsers, type FindingFormat } from '../../../src/ingest/findings/index.js';
import { TOOL_DIRS, chunked, corpusBytes, corpusFiles, errorOf, finishesOrImportError, parseAll } from './helpers.js';
import { mutate, mutations } from '../ingest-helpers.js';

const RUN_MS = 10_000;

const SPICE = ['"', '{', '}', '[', ']', ',', ':', '\n', '\\', 'null', '1e999', '<', '>', '</', '&amp;', '<![CDATA[', ']]>', '\u00e9'];

const mutation = mutations(SPICE, 64);

const formats = Object.keys(findingParsers) as FindingFormat[];

/** Corpus seeds per format (the tool's own reports), small enough for many runs. */
function seedsFor(format: FindingFormat): Buffer[] {
  const tools = Object.entries(TOOL_DIRS).filter(([, f]) => f === format).map(([t]) => t);
  const files = tools.flatMap((t) => corpusFiles(t)).map(corpusBytes).filter((b) => b.length > 0 && b.length < 64 * 1024);
  if (format === 'native') return [Buffer.from('[{"vulnerability":"CVE-2024-1","asset":"a","cwe":["CWE-79"]}]'), Buffer.from('{"vulnerability":"CVE-2024-1","asset":"a"}\n')];
  if (format === 'csv') return [Buffer.from('asset,vulnerability,line,cwe\na,CVE-2024-1,3,CWE-79;CWE-89\n')];
  return files;
}

const chunk = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 8192 }));

describe('finding parsers on hostile input', () => {
  for (const format of formats) {
    const parser = findingParsers[format];

    it(`${format}: random bytes`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), chunk, async (data, c) => {
          await finishesOrImportError(parser, Buffer.from(data), c, RUN_MS);
        }),
        { numRuns: 150 },
      );
    });

    it(`${format}: random JSON documents`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), chunk, async (value, c) => {
          await finishesOrImportError(parser, Buffer.from(JSON.stringify(value)), c, RUN_MS);
        }),
        { numRuns: 150 },
      );
    });

    const seeds = seedsFor(format);
    it(`${format}: mutated real reports (${seeds.length} seeds)`, async () => {
      expect(seeds.length).toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 }), chunk, async (i, ms, c) => {
          await finishesOrImportError(parser, mutate(seeds[i] ?? Buffer.alloc(0), ms), c, RUN_MS);
        }),
        { numRuns: 250 },
      );
    });
  }

  // Shapes that are valid JSON but wrong for the format: wrong types where objects are expected.
  it('wrong-typed but valid JSON in the places each parser reads', async () => {
    const docs = [
      '{"SchemaVersion":2,"ArtifactName":5,"Results":[1,"x",{"Target":{},"Vulnerabilities":[null,{"VulnerabilityID":7,"CVSS":[]}]}]}',
      '[{"Target":"t","Vulnerabilities":[{"VulnerabilityID":"CVE-1","CweIDs":"x","References":{}}],"Misconfigurations":[{}],"Secrets":[{"RuleID":[]}]}]',
      '{"matches":[{"vulnerability":{"id":"CVE-1","fix":"x","cvss":[1]},"artifact":{"locations":"x"}},5],"source":[]}',
      '{"runs":[{"tool":5,"results":[{"ruleIndex":99,"message":{"id":"x"},"locations":[{"physicalLocation":{"region":{"startLine":"a"}}}]}]},3]}',
      '{"results":[{"source":7,"packages":[{"package":3,"vulnerabilities":[{"id":"X","affected":[{"ranges":[{"events":[{"fixed":1}]}]}]}],"groups":7}]}]}',
      '{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","ratings":[{"method":"CVSSv31","vector":"CVSS:3.1/AV:Z"}],"affects":[{"ref":5},{}]}],"components":[{"components":7}]}',
      '{"auditReportVersion":2,"vulnerabilities":{"x":{"via":[{"source":1,"cvss":5},"y",null],"fixAvailable":"maybe"}}}',
    ];
    for (const format of formats) {
      for (const doc of docs) {
        await finishesOrImportError(findingParsers[format], Buffer.from(doc), 0, RUN_MS);
      }
    }
  });
});

describe('truncated real reports', () => {
  const picks: [FindingFormat, string][] = [
    ['trivy', 'scanners/trivy/kubernetes.json'],
    ['grype', 'scanners/anchore_grype/check_all_fields.json'],
    ['sarif', 'scanners/sarif/flawfinder.sarif'],
    ['osv-scanner', 'scanners/osv_scanner/many_findings.json'],
    ['cyclonedx', 'scanners/cyclonedx/log4j.json'],
    ['cyclonedx', 'scanners/cyclonedx/log4j.xml'],
    ['dependency-check', 'scanners/dependency_check/multiple_vulnerabilities_has_multiple_findings.xml'],
    ['npm-audit', 'scanners/npm_audit_7_plus/many_vulns.json'],
    ['snyk', 'scanners/snyk/all_containers_target_output.json'],
    ['semgrep', 'scanners/semgrep/sca-deployments-vulns.json'],
    ['openvas', 'scanners/openvas/many_vuln.xml'],
    ['openvas', 'scanners/openvas/many_vuln.csv'],
    ['tenable', 'scanners/tenable/nessus/nessus_many_vuln.xml'],
    ['tenable', 'scanners/tenable/tenable_many_vuln.csv'],
    ['govulncheck', 'scanners/govulncheck/many_vulns_new_version.json'],
    ['generic', 'scanners/generic/generic_report3.json'],
    ['zap', 'scanners/zap/juicy2.xml'],
    ['zap', 'scanners/zap/zap_2.16.1_with_req_resp.xml'],
    ['qualys', 'scanners/qualys/Qualys_Sample_Report.xml'],
    ['qualys', 'scanners/qualys/Qualys_Sample_Report.csv'],
  ];
  for (const [format, file] of picks) {
    it(`${file} cut in half → ImportError naming the file`, async () => {
      const bytes = corpusBytes(file);
      const half = bytes.subarray(0, Math.floor(bytes.length / 2));
      const err = await errorOf(parseAll(findingParsers[format], chunked(half, 4096), file));
      expect(err).toBeInstanceOf(ImportError);
      if (!(err instanceof ImportError)) return;
      expect(err.file).toBe(file);
      expect(err.message).toContain(`file ${file}`);
      expect(err.record).not.toBeNull();
    });
  }
});
