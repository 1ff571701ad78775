/**
 * The OpenVAS importer against DefectDojo's expectations for the corpus reports (both of
 * DefectDojo's OpenVAS parsers, v1 and v2, are tested on the same files); the harness
 * (`corpus-harness.ts`) says how counts and fields are compared.
 */
import { corpusSuite, idsOf, type FieldMapper } from './corpus-harness.js';

/** DefectDojo fields the shared mapping does not know, read the OpenVAS way. */
const fields: FieldMapper = (_tool, field, expected, f, v) => {
  switch (field) {
    case 'title': {
      // DefectDojo's v1 XML parser appends `_<host>_<port>` to the NVT name; v2 and the CSV parsers do not.
      const text = String(expected);
      return text === f.title
        ? { kind: 'equal', actual: f.title, expected }
        : { kind: 'true', ok: f.title !== null && text.startsWith(`${f.title}_`), detail: `${JSON.stringify(text)} is ${JSON.stringify(f.title)} + "_<host>_<port>"` };
    }
    case 'vuln_id_from_tool':
      return { kind: 'true', ok: f.aliases.includes(`openvas:${String(expected)}`), detail: `openvas:${String(expected)} in ${JSON.stringify(f.aliases)}` };
    case 'unsaved_vulnerability_ids[1]':
      return { kind: 'true', ok: idsOf(f).includes(String(expected)), detail: `${String(expected)} in ${JSON.stringify(idsOf(f))}` };
    case 'epss_score':
      return { kind: 'equal', actual: v?.epss?.score ?? null, expected };
    case 'epss_percentile':
      return { kind: 'equal', actual: v?.epss?.percentile ?? null, expected };
    default:
      return undefined;
  }
};

corpusSuite('OpenVAS importer', { tools: { openvas: 'openvas' }, exceptions: {}, fields });
