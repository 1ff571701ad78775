/**
 * The Snyk importer against DefectDojo's expectations for the corpus reports (the harness,
 * `corpus-harness.ts`, says how counts and fields are compared).
 */
import { corpusSuite, extraString, type Exception, type FieldMapper } from './corpus-harness.js';

const EXCEPTIONS: Record<string, Exception> = {
  'snyk/snykcontainer_issue_epss.json#TestSnykParser.test_snykcode_issue_9270_epss': {
    defectdojo: 1,
    closeloop: 13,
    reason:
      "`snyk container test` lists the image's OS packages in `vulnerabilities` (1) and the npm application it found in the image in `applications[].vulnerabilities` (12); DefectDojo reads only the first, closeloop imports both onto the image.",
  },
};

/** Snyk's fields DefectDojo asserts that the shared mapping does not know. */
const fields: FieldMapper = (_tool, field, expected, f, v) => {
  switch (field) {
    case 'title': {
      // DefectDojo composes "<first entry of the dependency path>: <advisory title>"; closeloop keeps both apart.
      const from = Array.isArray(f.extra.from) ? f.extra.from : [];
      return { kind: 'equal', actual: `${String(from[0])}: ${f.title ?? ''}`, expected };
    }
    case 'severity_justification': {
      // "Issue severity of: **Medium** from a base CVSS score of: **6.5**": the score is the vulnerability's CVSS.
      const score = /CVSS score of: \*\*([\d.]+)\*\*/.exec(String(expected))?.[1];
      return { kind: 'equal', actual: v?.cvss?.base_score ?? null, expected: score === undefined ? null : Number(score) };
    }
    case 'mitigation': {
      // DefectDojo writes the description's "## Remediation" section, then the upgrade advice.
      const text = String(expected);
      const remediation = extraString(f, 'remediation') ?? '';
      const upgrade = f.extra.upgrade;
      const advice = typeof upgrade === 'object' && upgrade !== null ? Object.values(upgrade).map(String) : [];
      const ok = remediation !== '' && text.startsWith(remediation) && advice.every((a) => text.includes(a)) && advice.length === 2;
      return { kind: 'true', ok, detail: `${JSON.stringify(text)} starts with ${JSON.stringify(remediation)} and names the upgrade ${JSON.stringify(advice)}` };
    }
    default:
      return undefined;
  }
};

corpusSuite('Snyk importer', { tools: { snyk: 'snyk' }, exceptions: EXCEPTIONS, fields });
