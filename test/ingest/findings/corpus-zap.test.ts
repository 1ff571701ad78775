/**
 * The ZAP importer against DefectDojo's expectations for the corpus reports; the harness
 * (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, type Exception } from './corpus-harness.js';

/** Where closeloop deliberately differs from DefectDojo. Keyed by `file#Test.method`. */
const EXCEPTIONS: Record<string, Exception> = {
  'zap/5_zap_sample_one.xml#TestZapParser.test_parse_some_findings_5': {
    defectdojo: 2,
    closeloop: 1,
    reason:
      'The report lists plugin 10011 twice for the same site (titles "zap1: …" and "zap2: …"); closeloop keeps one finding per (site, alert) with the instances of both.',
  },
  'zap/dvwa_baseline_dojo.xml#TestZapParser.test_parse_issue4360': {
    defectdojo: 19,
    closeloop: 18,
    reason:
      'ZAP lists plugin 10027 (Information Disclosure - Suspicious Comments) twice for the site, once per confidence (medium, low); closeloop keeps one finding per (site, alert) with the instances of both.',
  },
};

corpusSuite('ZAP importer', {
  tools: { zap: 'zap' },
  exceptions: EXCEPTIONS,
  fields: (_tool, field, expected, f) => {
    if (field === 'title') return { kind: 'equal', actual: f.title, expected };
    return undefined;
  },
});
