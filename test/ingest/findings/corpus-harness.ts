/**
 * The harness of the corpus tests: each finding importer against DefectDojo's expectations for the
 * real scanner reports in the shared corpus (`scanners/expected.json`): the number of findings and
 * every asserted field, mapped to closeloop's fields. Table-driven: a tool's test file names only
 * its exceptions, where closeloop deliberately counts or maps differently, each with its reason,
 * and the DefectDojo fields only that tool has (a `FieldMapper`).
 *
 * Counting: closeloop's finding count is the number of distinct fingerprints (the store dedups on
 * them). Check indices refer to DefectDojo's list: when DefectDojo merged exactly what closeloop
 * merges, that is closeloop's de-duplicated list; when DefectDojo kept every raw record, it is the
 * raw list of findings in document order (a tool may choose its own order with `order`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { findingParsers, type FindingFormat } from '../../../src/ingest/findings/index.js';
import type { ImportItem } from '../../../src/ingest/types.js';
import { corpusPath } from '../../helpers/corpus.js';
import { collect, corpusStream } from './helpers.js';

export interface Check {
  /** Position in DefectDojo's list, or the id of the finding when its test looks findings up by id. */
  index: number | string;
  field: string;
  equals: unknown;
}
export interface Entry {
  tool: string;
  file: string;
  findings: number | null;
  checks: Check[];
  source: string;
}

const allEntries = (JSON.parse(readFileSync(corpusPath('scanners/expected.json'), 'utf8')) as { entries: Entry[] }).entries;

/** `scanners/x.json#TestClass.test_method`: identifies one expected.json entry. */
export const keyOf = (e: Entry): string => `${e.file.replace(/^scanners\//, '')}#${(e.source.split('::')[1] ?? '').split(' ')[0] ?? ''}`;

export interface CheckOverride {
  reason: string;
  /** closeloop's own value for this check, asserted through the same field mapping; omit when the check has no counterpart. */
  own?: unknown;
}

export interface Exception {
  /** DefectDojo's count, repeated here so the table reads on its own. */
  defectdojo: number | null;
  /** closeloop's count (distinct fingerprints). */
  closeloop: number;
  reason: string;
  checks?: Record<string, CheckOverride>;
}

/** DefectDojo fields with no closeloop counterpart, and why. */
export const IGNORED_FIELDS: Record<string, string> = {
  verified: 'DefectDojo derives "verified" from the scanner vendor status; closeloop validation is a person confirming the finding',
  out_of_scope: 'no closeloop counterpart',
  static_finding: 'every scanner finding closeloop imports is static; there is no such field',
};

// ------------------------------------------------------------------------------------------------

export interface Parsed {
  raw: FindingRecord[];
  distinct: FindingRecord[];
  vulns: Map<string, VulnerabilityRecord>;
}

function split(items: ImportItem[]): Parsed {
  const raw: FindingRecord[] = [];
  const vulns = new Map<string, VulnerabilityRecord>();
  for (const item of items) {
    if (item.kind === 'finding') raw.push(item.record);
    if (item.kind === 'vulnerability' && !vulns.has(item.record.id)) vulns.set(item.record.id, item.record);
  }
  const seen = new Set<string>();
  const distinct = raw.filter((f) => (seen.has(f.fingerprint) ? false : (seen.add(f.fingerprint), true)));
  return { raw, distinct, vulns };
}

const stripCvssPrefix = (v: string): string => v.replace(/^CVSS:3\.[01]\//, '');

/** The ids a finding answers to: its vulnerability, its aliases, and a tool-local id without its `tool:` prefix. */
export function idsOf(f: FindingRecord): string[] {
  const ids = [f.vulnerability, ...f.aliases];
  const local = /^[a-z0-9-]+:(.+)$/.exec(f.vulnerability)?.[1];
  if (local !== undefined) ids.push(local);
  return ids;
}

export const extraString = (f: FindingRecord, key: string): string | null => {
  const v = f.extra[key];
  return typeof v === 'string' ? v : null;
};

/** An expected value as text: strings as they are, anything else as JSON. */
export function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export type Outcome = { kind: 'equal'; actual: unknown; expected: unknown } | { kind: 'true'; ok: boolean; detail: string } | { kind: 'ignored'; reason: string };

/** Maps one DefectDojo check to closeloop's fields (the fields every tool shares, and the SCA tools' own). */
function mapCheck(tool: string, field: string, expected: unknown, f: FindingRecord, v: VulnerabilityRecord | undefined, p: Parsed): Outcome {
  if (field in IGNORED_FIELDS) return { kind: 'ignored', reason: IGNORED_FIELDS[field] ?? '' };
  const cvss = v?.cvss ?? null;
  switch (field) {
    case 'severity':
      return { kind: 'equal', actual: f.severity, expected: typeof expected === 'string' ? expected.toLowerCase() : expected };
    case 'component_name':
      return { kind: 'equal', actual: f.component, expected };
    case 'component_version':
      return { kind: 'equal', actual: f.version, expected };
    case 'line':
      return { kind: 'equal', actual: f.line, expected };
    case 'cve':
    case 'vuln_id_from_tool':
    case 'unsaved_vulnerability_ids[0]':
      if (expected === null) return { kind: 'ignored', reason: 'DefectDojo asserts the id is absent (no CVE); closeloop always has a vulnerability id' };
      return { kind: 'true', ok: idsOf(f).includes(scalar(expected)), detail: `${scalar(expected)} in ${JSON.stringify(idsOf(f))}` };
    case 'unsaved_vulnerability_ids':
      return {
        kind: 'true',
        ok: Array.isArray(expected) && expected.every((id) => idsOf(f).includes(String(id))),
        detail: `${JSON.stringify(expected)} ⊆ ${JSON.stringify(idsOf(f))}`,
      };
    case 'cwe': {
      const n = typeof expected === 'number' ? expected : Number(String(expected).replace(/^CWE-/i, ''));
      if (n === 0) return { kind: 'equal', actual: f.cwe, expected: [] };
      return { kind: 'true', ok: f.cwe.includes(`CWE-${n}`), detail: `CWE-${n} in ${JSON.stringify(f.cwe)}` };
    }
    case 'file_path':
      if (tool === 'dependency_check') return { kind: 'equal', actual: extraString(f, 'file_name'), expected };
      return { kind: 'equal', actual: f.file_path, expected };
    case 'title': {
      if (tool === 'sarif' || tool === 'anchore_grype' || (tool === 'trivy' && (f.extra.kind === 'misconfiguration' || f.extra.kind === 'secret'))) {
        const text = String(expected);
        // DefectDojo shortens SARIF titles to 150 characters with textwrap.shorten(…, " [...]").
        if (text.endsWith(' [...]')) {
          return { kind: 'true', ok: (f.title ?? '').startsWith(text.slice(0, -6)), detail: `${JSON.stringify(f.title)} starts with ${text.slice(0, -6)}` };
        }
        return { kind: 'equal', actual: f.title, expected };
      }
      return { kind: 'ignored', reason: 'DefectDojo composes "<component>:<version> | <id>"-style titles; closeloop keeps the advisory title and has component/version/id as fields' };
    }
    case 'mitigation':
      switch (tool) {
        case 'trivy':
          return f.extra.kind === 'misconfiguration'
            ? { kind: 'equal', actual: extraString(f, 'resolution'), expected }
            : { kind: 'equal', actual: f.fixed_version, expected };
        case 'cyclonedx':
          return { kind: 'equal', actual: extraString(f, 'recommendation'), expected: String(expected).trim() };
        case 'sarif':
          return { kind: 'equal', actual: extraString(f, 'fix'), expected };
        case 'osv_scanner': {
          const fixed = [...String(expected).matchAll(/^\t\t- (.+)$/gm)].map((m) => m[1]);
          const ours = (f.fixed_version ?? '').split(', ');
          return { kind: 'true', ok: ours.length > 0 && ours.every((x) => fixed.includes(x)), detail: `${JSON.stringify(ours)} ⊆ ${JSON.stringify(fixed)}` };
        }
        case 'dependency_check': {
          const notes = extraString(f, 'suppression_notes');
          const text = String(expected);
          if (notes !== null) return { kind: 'true', ok: text.includes(notes), detail: `${JSON.stringify(text)} includes the suppression notes ${JSON.stringify(notes)}` };
          if (text.includes('suppressed')) return { kind: 'equal', actual: f.validation, expected: 'false_positive' };
          return { kind: 'ignored', reason: 'generic advice ("Update X to at least the version recommended in the description"), not a version' };
        }
        default:
          return { kind: 'ignored', reason: `no mitigation mapping for ${tool}` };
      }
    case 'fix_version':
      return { kind: 'equal', actual: f.fixed_version, expected };
    case 'fix_available':
      return expected === true
        ? { kind: 'equal', actual: v?.fix_available ?? null, expected: true }
        : { kind: 'true', ok: v?.fix_available !== true, detail: `fix_available ${String(v?.fix_available)} is not true` };
    case 'cvssv3':
      if (expected === null) return { kind: 'true', ok: cvss === null || !cvss.version.startsWith('3'), detail: `no v3 CVSS (got ${JSON.stringify(cvss)})` };
      return { kind: 'equal', actual: cvss?.vector === null || cvss === null ? null : stripCvssPrefix(cvss.vector), expected: stripCvssPrefix(scalar(expected)) };
    case 'cvssv3_score':
      if (expected === null) return { kind: 'true', ok: cvss === null || !cvss.version.startsWith('3'), detail: `no v3 CVSS (got ${JSON.stringify(cvss)})` };
      return { kind: 'equal', actual: cvss?.base_score ?? null, expected };
    case 'cvssv4':
      return { kind: 'equal', actual: cvss?.version === '4.0' ? cvss.vector : null, expected };
    case 'cvssv4_score':
      return { kind: 'equal', actual: cvss?.version === '4.0' ? cvss.base_score : null, expected };
    case 'active':
      return expected === false
        ? { kind: 'true', ok: f.validation === 'not_affected' || f.validation === 'false_positive', detail: `inactive ⇒ validation not_affected/false_positive (got ${f.validation})` }
        : { kind: 'true', ok: f.validation === 'unvalidated' || f.validation === 'validated', detail: `active ⇒ validation unvalidated/validated (got ${f.validation})` };
    case 'is_mitigated':
      return { kind: 'equal', actual: f.validation === 'not_affected' || f.validation === 'false_positive', expected };
    case 'false_p':
      return { kind: 'equal', actual: f.validation === 'false_positive', expected };
    case 'service': {
      const suffix = `/${String(expected).split(' / ').join('/')}`;
      return { kind: 'true', ok: f.asset.startsWith('k8s:') && f.asset.endsWith(suffix), detail: `${f.asset} ends with ${suffix}` };
    }
    case 'nb_occurences':
      return { kind: 'equal', actual: p.raw.filter((r) => r.fingerprint === f.fingerprint).length, expected };
    case 'unique_id_from_tool': {
      const fp = f.extra.fingerprints;
      const pfp = f.extra.partial_fingerprints;
      const candidates: string[] = [];
      const obj = (o: unknown): Record<string, unknown> => (typeof o === 'object' && o !== null ? Object.fromEntries(Object.entries(o)) : {});
      candidates.push(...Object.values(obj(fp)).map(String));
      const pfpObj = obj(pfp);
      candidates.push(
        Object.keys(pfpObj)
          .sort()
          .map((k) => `${k}:${String(pfpObj[k])}`)
          .join('|'),
      );
      return { kind: 'true', ok: candidates.includes(String(expected)), detail: `${String(expected)} in ${JSON.stringify(candidates)}` };
    }
    default:
      throw new Error(`no mapping for DefectDojo field ${field} (${tool}): add one or an ignore reason`);
  }
}

function assertOutcome(o: Outcome, label: string): void {
  if (o.kind === 'ignored') {
    expect(o.reason, label).not.toBe('');
    return;
  }
  if (o.kind === 'equal') expect(o.actual, label).toEqual(o.expected);
  else expect(o.ok, `${label}: ${o.detail}`).toBe(true);
}


/**
 * A tool's own reading of a DefectDojo field; undefined hands the field to the shared mapping.
 * `f` is the finding at the check's index, `v` its vulnerability.
 */
export type FieldMapper = (tool: string, field: string, expected: unknown, f: FindingRecord, v: VulnerabilityRecord | undefined, p: Parsed) => Outcome | undefined;

export interface CorpusSuite {
  /** expected.json tool name → closeloop format. */
  tools: Record<string, FindingFormat>;
  exceptions: Record<string, Exception>;
  fields?: FieldMapper;
  /** The findings a check index counts in, when neither DefectDojo's raw nor distinct list is its order. */
  order?: (tool: string, p: Parsed) => FindingRecord[] | undefined;
}

/** One test per expected.json entry of the suite's tools. */
export function corpusSuite(title: string, suite: CorpusSuite): void {
  const entries = allEntries.filter((e) => e.tool in suite.tools);
  describe(`${title} against DefectDojo expectations (scanners/expected.json)`, () => {
    it(`covers every entry of ${Object.keys(suite.tools).join(', ')}`, () => {
      for (const tool of Object.keys(suite.tools)) expect(entries.some((e) => e.tool === tool), `entries of ${tool}`).toBe(true);
      for (const key of Object.keys(suite.exceptions)) expect(entries.map(keyOf), `exception ${key} names an entry`).toContain(key);
    });

    for (const e of entries) {
      const key = keyOf(e);
      const exception = suite.exceptions[key];
      it(`${key}: ${exception === undefined ? `${String(e.findings)} findings` : `exception (${exception.closeloop} vs DefectDojo ${String(e.findings)})`}`, async () => {
        const format = suite.tools[e.tool];
        if (format === undefined) throw new Error(`no format for ${e.tool}`);
        const items = await collect(findingParsers[format].parse(corpusStream(e.file), { file: e.file }));
        const parsed = split(items);

        // Every finding is well formed and its asset and vulnerability were announced first.
        const announced = new Set<string>();
        for (const item of items) {
          if (item.kind === 'asset_ref') announced.add(`a:${item.record.id}`);
          if (item.kind === 'vulnerability') announced.add(`v:${item.record.id}`);
          if (item.kind !== 'finding') continue;
          expect(announced.has(`a:${item.record.asset}`), 'asset_ref before finding').toBe(true);
          expect(announced.has(`v:${item.record.vulnerability}`), 'vulnerability before finding').toBe(true);
          expect(item.record.fingerprint).toMatch(/^[0-9a-f]{64}$/);
          expect(item.scanKey).toBe(`${item.record.source ?? ''}|${item.record.asset}`);
        }

        if (exception !== undefined) {
          expect(exception.defectdojo).toBe(e.findings);
          expect(parsed.distinct.length, exception.reason).toBe(exception.closeloop);
        } else if (e.findings !== null) {
          expect(parsed.distinct.length).toBe(e.findings);
        }

        const list =
          suite.order?.(e.tool, parsed) ??
          (e.findings !== null && e.findings === parsed.raw.length && e.findings !== parsed.distinct.length ? parsed.raw : parsed.distinct);
        for (const c of e.checks) {
          const label = `${key} [${c.index}].${c.field}`;
          const override = exception?.checks?.[`${c.index}:${c.field}`];
          const f = typeof c.index === 'string' ? list.find((x) => idsOf(x).includes(String(c.index))) : list[c.index];
          if (override !== undefined && !('own' in override)) {
            expect(override.reason, label).not.toBe('');
            continue;
          }
          expect(f, `${label}: no finding at index ${c.index}`).toBeDefined();
          if (f === undefined) continue;
          const expected = override !== undefined ? override.own : c.equals;
          const v = parsed.vulns.get(f.vulnerability);
          assertOutcome(suite.fields?.(e.tool, c.field, expected, f, v, parsed) ?? mapCheck(e.tool, c.field, expected, f, v, parsed), label);
        }
      });
    }
  });
}
