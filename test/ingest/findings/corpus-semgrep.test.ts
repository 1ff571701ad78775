/**
 * The Semgrep importer against DefectDojo's expectations for the corpus reports (the harness,
 * `corpus-harness.ts`, says how counts and fields are compared).
 */
import { corpusSuite, extraString, type Exception, type FieldMapper } from './corpus-harness.js';

const EXCEPTIONS: Record<string, Exception> = {
  'semgrep/sca-deployments-vulns.json#TestSemgrepParser.test_parse_sca_deployments_vulns': {
    defectdojo: 18,
    closeloop: 22,
    reason:
      'The supply-chain API lists 22 vulnerable dependencies in 22 repositories; DefectDojo merges entries with the same title, file name and line across repositories (requirements3.txt line 130 in three repositories, …). closeloop keeps each repository its own asset, so each entry is a finding.',
    checks: {
      '0:line': { reason: 'the API writes the line as a string ("222"); closeloop stores it as a number', own: 222 },
    },
  },
};

/** Semgrep's `mitigation` is the rule's suggested replacement (`extra.fix`). */
const fields: FieldMapper = (_tool, field, expected, f) =>
  field === 'mitigation' ? { kind: 'equal', actual: extraString(f, 'fix'), expected } : undefined;

corpusSuite('Semgrep importer', { tools: { semgrep: 'semgrep' }, exceptions: EXCEPTIONS, fields });
