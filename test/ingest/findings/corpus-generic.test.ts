/**
 * The generic findings importer against DefectDojo's expectations for the corpus reports; the
 * harness (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, extraString, type Exception } from './corpus-harness.js';

const MITIGATED = 'the entry is mitigated: closeloop skips it (counted as skipped), so an earlier open finding is resolved';

const EXCEPTIONS: Record<string, Exception> = {
  'generic/generic_report3.json#TestGenericParser.test_parse_json3': {
    defectdojo: 4,
    closeloop: 2,
    reason: `the last two entries have is_mitigated true: ${MITIGATED}`,
    checks: {
      '2:title': { reason: MITIGATED },
      '2:active': { reason: MITIGATED },
      '2:is_mitigated': { reason: MITIGATED },
      '3:title': { reason: MITIGATED },
      '3:active': { reason: MITIGATED },
      '3:is_mitigated': { reason: MITIGATED },
    },
  },
  'generic/generic_report3.csv#TestGenericParser.test_mitigated_csv_findings': {
    defectdojo: 2,
    closeloop: 0,
    reason: `both rows have IsMitigated TRUE: ${MITIGATED}`,
    checks: {
      '0:title': { reason: MITIGATED },
      '0:is_mitigated': { reason: MITIGATED },
      '1:title': { reason: MITIGATED },
      '1:is_mitigated': { reason: MITIGATED },
    },
  },
};

corpusSuite('generic findings importer', {
  tools: { generic: 'generic' },
  exceptions: EXCEPTIONS,
  fields: (_tool, field, expected, f, v) => {
    switch (field) {
      case 'title':
        return { kind: 'equal', actual: f.title, expected };
      case 'unique_id_from_tool':
        return { kind: 'equal', actual: extraString(f, 'unique_id_from_tool'), expected };
      case 'mitigation':
        return { kind: 'equal', actual: extraString(f, 'mitigation'), expected };
      case 'epss_score':
        return { kind: 'equal', actual: v?.epss?.score ?? null, expected };
      case 'epss_percentile':
        return { kind: 'equal', actual: v?.epss?.percentile ?? null, expected };
      default:
        return undefined;
    }
  },
});
