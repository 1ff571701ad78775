/**
 * The Qualys importer (XML Asset Data Report and CSV exports) against DefectDojo's expectations
 * for the corpus reports; the harness (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, type Exception, type FieldMapper } from './corpus-harness.js';

/** Where closeloop deliberately differs from DefectDojo. Keyed by `file#Test.method`. */
const EXCEPTIONS: Record<string, Exception> = {
  'qualys/Qualys_Sample_Report.xml#TestQualysParser.parse_file_with_multiple_vuln_has_multiple_findings': {
    defectdojo: 301,
    closeloop: 92,
    reason:
      'Information gathered detections (TYPE Ig: DNS host name, traceroute, open services, detected OS; 209 of them) are host facts, not vulnerabilities: closeloop counts them as skipped. The 90 confirmed and 2 potential detections are findings.',
    checks: {
      '0:title': { reason: 'refers to QID 6 "DNS Host Name", an information gathered entry closeloop skips' },
      '0:severity': { reason: 'refers to QID 6 "DNS Host Name", an information gathered entry closeloop skips' },
    },
  },
  'qualys/Qualys_Sample_Report.csv#TestQualysParser.parse_file_with_multiple_vuln_has_multiple_findings_csv': {
    defectdojo: 3,
    closeloop: 6,
    reason:
      'DefectDojo merges the rows of one QID into one finding whatever the host (QID 105971 is on four hosts); closeloop keeps one finding per host and QID, so each host is tracked and resolved on its own.',
  },
};

/** DefectDojo titles Qualys findings `QID-<QID> | <title>`; closeloop keeps the QID and the title apart. */
const fields: FieldMapper = (_tool, field, expected, f) => {
  if (field !== 'title') return undefined;
  return { kind: 'equal', actual: `QID-${String(f.extra.qid)} | ${f.title ?? ''}`, expected };
};

corpusSuite('Qualys importer', {
  tools: { qualys: 'qualys' },
  exceptions: EXCEPTIONS,
  fields,
});
