/**
 * The govulncheck importer against DefectDojo's expectations for the corpus reports; the harness
 * (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, extraString, type CheckOverride, type Exception } from './corpus-harness.js';

const NO_SEVERITY: CheckOverride = {
  reason: 'the Go vulnerability database gives no severity; DefectDojo defaults to Info, closeloop leaves it unknown (null) rather than invent one',
  own: null,
};

const EXCEPTIONS: Record<string, Exception> = {
  'govulncheck/many_vulns.json#TestGovulncheckParser.test_parse_many_findings': {
    defectdojo: 3,
    closeloop: 3,
    reason: 'count agrees; the severity differs',
    checks: { '0:severity': NO_SEVERITY, '1:severity': NO_SEVERITY, '2:severity': NO_SEVERITY },
  },
  'govulncheck/many_vulns_new_version.json#TestGovulncheckParser.test_parse_new_version_many_findings': {
    defectdojo: 1,
    closeloop: 1,
    reason: 'count agrees; severity and file path differ',
    checks: {
      '0:severity': NO_SEVERITY,
      '0:file_path': {
        reason: "DefectDojo writes the vulnerable package (`runtime`, kept in extra.package) as the file; closeloop's file_path is the user's call site the trace ends at",
        own: '/tmp/testproject/main.go',
      },
    },
  },
  'govulncheck/many_vulns_new_version_custom_severity.json#TestGovulncheckParser.test_parse_new_version_many_findings_custom_severity': {
    defectdojo: 2,
    closeloop: 2,
    reason: 'count agrees; file path and fixed version differ',
    checks: {
      '0:file_path': {
        reason: "DefectDojo writes the vulnerable package (kept in extra.package) as the file; closeloop's file_path is the user's call site of the called symbol",
        own: 'govulncheck/vulnerable/main.go',
      },
      '1:file_path': {
        reason: 'the package is only imported (no symbol called, so no call site): closeloop has no file; the package is in extra.package',
        own: null,
      },
      '1:fix_version': {
        reason: "closeloop keeps govulncheck's own `fixed_version` for the module (`v`-prefixed like the version in use); DefectDojo takes the OSV range's `0.3.8`",
        own: 'v0.3.8',
      },
    },
  },
};

corpusSuite('govulncheck importer', {
  tools: { govulncheck: 'govulncheck' },
  exceptions: EXCEPTIONS,
  fields: (_tool, field, expected, f) => {
    if (field === 'unique_id_from_tool') return { kind: 'equal', actual: extraString(f, 'osv_id'), expected };
    if (field === 'title') return { kind: 'ignored', reason: 'DefectDojo composes "<GO id> - <module> - <package>"; closeloop keeps the OSV summary as the title and has the id, module and package as fields' };
    return undefined;
  },
});
