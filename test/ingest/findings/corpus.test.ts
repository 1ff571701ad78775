/**
 * The software-composition importers (Trivy, Grype, SARIF, OSV-Scanner, CycloneDX,
 * Dependency-Check, npm audit) against DefectDojo's expectations for the corpus reports; the
 * harness (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, type Exception } from './corpus-harness.js';
import { SCA_TOOL_DIRS } from './helpers.js';

/** Where closeloop deliberately differs from DefectDojo. Keyed by `file#Test.method`. */
const EXCEPTIONS: Record<string, Exception> = {
  'trivy/license_scheme.json#TestTrivyParser.test_license_scheme': {
    defectdojo: 19,
    closeloop: 0,
    reason: 'Trivy `Licenses[]` results are license-compliance facts, not vulnerabilities; closeloop does not import them as findings.',
    checks: {
      '0:severity': { reason: 'refers to a license finding' },
      '0:file_path': { reason: 'refers to a license finding' },
    },
  },
  'anchore_grype/same_cve_different_paths.json#TestAnchoreGrypeParser.test_default_mode_deduplicates_same_cve_different_paths': {
    defectdojo: 1,
    closeloop: 2,
    reason:
      "The package's location is part of the fingerprint: the same CVE in libc6 at two paths is two findings (what DefectDojo calls its 'detailed' mode, tested by the next entry).",
    checks: { '0:nb_occurences': { reason: 'each path is its own finding, seen once', own: 1 } },
  },
  'sarif/bash-report.sarif#TestSarifParser.test_example_report_scanlift_bash': {
    defectdojo: 27,
    closeloop: 12,
    reason:
      'The report repeats identical results (same rule, file, line, snippet and partial fingerprints: 27 results, 12 distinct); closeloop keeps one finding per rule and location.',
  },
  'sarif/gitleaks_7.5.0.sarif#TestSarifParser.test_gitleaks': {
    defectdojo: 8,
    closeloop: 4,
    reason:
      'gitleaks scanned the git history and reports the same secret at the same file and line once per commit; closeloop keeps one finding per secret location (the commit is kept in extra of the first).',
  },
  'osv_scanner/many_findings.json#TestOSVScannerParser.test_many_findings': {
    defectdojo: 66,
    closeloop: 37,
    reason:
      "osv-scanner lists one vulnerability once per database (e.g. GHSA-… and PYSEC-… of the same CVE); closeloop keys findings by CVE, so each osv-scanner `groups` entry is one finding (37 groups).",
  },
  'osv_scanner/some_findings.json#TestOSVScannerParser.test_some_findings': {
    defectdojo: 1,
    closeloop: 1,
    reason: 'count agrees; one check differs',
    checks: {
      '0:severity': {
        reason: 'the MAL record carries no severity; DefectDojo defaults to Low, closeloop leaves the severity unknown (null) rather than invent one',
        own: null,
      },
    },
  },
  'npm_audit_7_plus/one_vuln.json#TestNpmAudit7PlusParser.test_npm_audit_7_plus_parser_with_one_vuln_has_one_findings': {
    defectdojo: 1,
    closeloop: 2,
    reason: "The `debug` package has two advisories in `via`; closeloop makes one finding per advisory (DefectDojo one per package).",
    checks: {
      '0:severity': {
        reason: "DefectDojo uses the package's highest severity (high); closeloop uses the advisory's own (GHSA-gxpj-cx7g-858c: moderate)",
        own: 'Medium',
      },
    },
  },
  'npm_audit_7_plus/multiple_cwes_fabricated.json#TestNpmAudit7PlusParser.test_npm_audit_7_plus_parser_multiple_cwes_per_finding': {
    defectdojo: 1,
    closeloop: 1,
    reason: 'count agrees; one check differs',
    checks: {
      '0:severity': {
        reason: "DefectDojo uses the package's highest severity (high); closeloop uses the advisory's own (moderate)",
        own: 'Medium',
      },
    },
  },
  'npm_audit_7_plus/many_vulns.json#TestNpmAudit7PlusParser.test_npm_audit_7_plus_parser_with_many_vuln_has_many_findings': {
    defectdojo: 6,
    closeloop: 3,
    reason:
      'Three of the six package entries (@vercel/fun, @vercel/node, vercel) are only "vulnerable" through a dependency (their `via` names packages, not advisories); the advisories are findings on debug, semver and undici.',
    checks: {
      '0:severity': { reason: 'refers to the transitive entry @vercel/fun, which is not a finding' },
      '0:cwe': { reason: 'refers to the transitive entry @vercel/fun (DefectDojo falls back to CWE-1035)' },
      '0:title': { reason: 'refers to the transitive entry @vercel/fun' },
    },
  },
};

corpusSuite('software-composition importers', {
  tools: SCA_TOOL_DIRS,
  exceptions: EXCEPTIONS,
});
