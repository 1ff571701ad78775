/**
 * The Tenable importer (.nessus XML, Web App Scanning XML, Nessus / Tenable.io / Tenable.sc CSV)
 * against DefectDojo's expectations for the corpus reports; the harness (`corpus-harness.ts`)
 * says how counts and fields are compared.
 */
import { corpusSuite, idsOf, scalar, type Exception, type FieldMapper } from './corpus-harness.js';

const INFORMATIONAL =
  'Informational plugins without a CVE (scan information, OS and device identification, open ports, certificate details) describe the host, not a weakness: closeloop counts them as skipped and uses plugin 19506 for the vantage point, where DefectDojo imports them as Info findings.';

/** Where closeloop deliberately differs from DefectDojo. Keyed by `file#Test.method`. */
const EXCEPTIONS: Record<string, Exception> = {
  'tenable/nessus/nessus_many_vuln.xml#TestTenableParser.test_parse_some_findings_nessus_legacy': {
    defectdojo: 6,
    closeloop: 0,
    reason: `Every ReportItem of this report is severity 0 without a CVE. ${INFORMATIONAL}`,
    checks: { '5:severity': { reason: 'refers to the informational "Nessus SYN scanner" result, which is not a finding' } },
  },
  'tenable/nessus_was/nessus_was_many_vuln.xml#TestTenableParser.test_parse_many_findings_xml_nessus_was_legacy': {
    defectdojo: 5,
    closeloop: 4,
    reason: `"SSL/TLS Certificate Information" (plugin 112491) is severity 0 without a CVE. ${INFORMATIONAL}`,
    checks: {
      '0:cwe': { reason: 'DefectDojo reads only a <cwe> element (its xref reading is commented out); closeloop reads the `CWE:79` cross reference', own: 79 },
    },
  },
  'tenable/nessus_was/nessus_was_one_vuln.xml#TestTenableParser.test_parse_one_findings_xml_nessus_was_legacy': {
    defectdojo: 1,
    closeloop: 1,
    reason: 'count agrees; one check differs',
    checks: {
      '0:cwe': { reason: 'DefectDojo reads only a <cwe> element (its xref reading is commented out); closeloop reads the `CWE:79` cross reference', own: 79 },
    },
  },
  'tenable/nessus/nessus-template.csv#TestTenableParser.test_parse_findings_all_nessus': {
    defectdojo: 5,
    closeloop: 5,
    reason: 'count agrees; one check differs',
    checks: {
      '1:cwe': { reason: 'DefectDojo does not read CWEs from XREF (commented out to keep its hash codes); closeloop reads `CWE:16;CWE:200`', own: 16 },
    },
  },
};

/**
 * Tenable's fields the shared mapping does not know: the plugin name is the title, EPSS is the
 * vulnerability's, and a second CVE of the plugin is one of the finding's ids (the lowest is its key).
 */
const fields: FieldMapper = (_tool, field, expected, f, v) => {
  if (field === 'title') return { kind: 'equal', actual: f.title, expected };
  if (/^unsaved_vulnerability_ids\[\d+\]$/.test(field)) return { kind: 'true', ok: idsOf(f).includes(scalar(expected)), detail: `${scalar(expected)} in ${JSON.stringify(idsOf(f))}` };
  if (field === 'epss_score') return { kind: 'equal', actual: v?.epss?.score ?? null, expected };
  return undefined;
};

corpusSuite('Tenable importer', { tools: { tenable: 'tenable' }, exceptions: EXCEPTIONS, fields });
