/**
 * closeloop's native findings (FORMATS.md "findings"): a JSON array or NDJSON, one object per
 * finding. Required: `vulnerability`, `asset`; every other FORMATS.md field has its default; the
 * scanner-detail fields of FindingRecord (`title`, `severity`, `cwe`, `file_path`, `line`,
 * `fixed_version`, `aliases`) are read too; unknown fields are kept in `extra`. A missing or
 * mistyped field is an ImportError naming the file, the record (array index or line) and field.
 *
 * The fingerprint covers (source or `native`, asset, vulnerability, component, version,
 * file_path:line), so re-importing the same file changes nothing; `id` defaults to it. Native
 * findings are not scans, so their scan key is null (nothing is resolved by omission).
 */
import {
  FINDING_CHECKS,
  REACHABILITIES,
  FINDING_SEVERITIES,
  VALIDATIONS,
  type FindingRecord,
  type FindingSeverity,
} from '../../domain/records.js';
import { FieldReader, describe, recordObject } from '../record-fields.js';
import { readNdjson, streamJson } from '../stream/json-stream.js';
import { firstSignificantByte, peekLayout } from '../stream/peek.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { fileLocation, findingFingerprint } from '../../domain/escalation/defaults.js';
import { Emitter, cweId, makeVulnerability } from './common.js';

/** Reads one native finding; `r` reports problems with the file, record and field. */
export function readNativeFinding(r: FieldReader): FindingRecord {
  const vulnerability = r.requiredString('vulnerability');
  const asset = r.requiredString('asset');
  const component = r.optionalString('component');
  const version = r.optionalString('version');
  const source = r.optionalString('source');
  const validation = r.vocabulary('validation', VALIDATIONS, 'unvalidated');
  const reachability = r.vocabulary('reachability', REACHABILITIES, 'unknown');
  const check = r.optionalVocabulary('check', FINDING_CHECKS);
  const affectedVersionKnown = r.boolean('affected_version_known', true);
  const vendorScopeKnown = r.boolean('vendor_scope_known', true);
  const rawContainment = r.raw('containment_needed');
  let containment: boolean | string = false;
  if (typeof rawContainment === 'boolean') containment = rawContainment;
  else if (typeof rawContainment === 'string') containment = rawContainment.trim() === '' ? false : rawContainment;
  else if (rawContainment !== undefined && rawContainment !== null) {
    r.fail('containment_needed', `expected a boolean or a string naming the action, got ${describe(rawContainment)}`);
  }
  const title = r.optionalString('title');
  const severityWord = r.optionalString('severity');
  let severity: FindingSeverity | null = null;
  if (severityWord !== null) {
    const found = FINDING_SEVERITIES.find((s) => s === severityWord.toLowerCase());
    if (found === undefined) r.fail('severity', `expected one of ${FINDING_SEVERITIES.join(', ')}; got ${describe(severityWord)}`);
    severity = found;
  }
  const cwe = r.stringArray('cwe').map((c, i) => {
    const id = cweId(c);
    if (id === null) r.fail(`cwe[${i}]`, `expected a CWE id like "CWE-79", got ${describe(c)}`);
    return id;
  });
  const filePath = r.optionalString('file_path');
  const lineNumber = r.optionalNumber('line', 0, Number.MAX_SAFE_INTEGER);
  if (lineNumber !== null && !Number.isInteger(lineNumber)) r.fail('line', `expected a whole line number, got ${lineNumber}`);
  const fixedVersion = r.optionalString('fixed_version');
  const aliases = r.stringArray('aliases');
  const fingerprint = findingFingerprint({
    source: source ?? 'native',
    asset,
    vulnerability,
    component,
    version,
    location: fileLocation(filePath, lineNumber),
  });
  const id = r.optionalString('id') ?? fingerprint;
  r.known('fingerprint');
  return {
    id,
    fingerprint,
    vulnerability,
    asset,
    component,
    version,
    source: source ?? 'native',
    validation,
    reachability,
    affected_version_known: affectedVersionKnown,
    vendor_scope_known: vendorScopeKnown,
    containment_needed: containment,
    check,
    ruled_out_by: null,
    verdict_at: null,
    title,
    severity,
    cwe,
    file_path: filePath,
    line: lineNumber,
    fixed_version: fixedVersion,
    aliases,
    extra: r.extra(),
  };
}

/** Items for one native finding: its asset ref and vulnerability (once each), then the finding. */
export function nativeItems(f: FindingRecord, emit: Emitter, out: ImportItem[], place?: string | number): void {
  emit.asset(out, { id: f.asset, name: null, components: [], target_type: null });
  emit.vulnerability(out, f.vulnerability, () => makeVulnerability({ id: f.vulnerability }));
  // a finding without an id of its own is keyed by its fingerprint: a repeat of it merges
  out.push(place !== undefined && f.id !== f.fingerprint ? { kind: 'finding', record: f, scanKey: null, place } : { kind: 'finding', record: f, scanKey: null });
}

async function* parseArray(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter('native');
  const out: ImportItem[] = [];
  // The caller saw `[` first, so the root is an array and every match is one of its elements.
  for await (const m of streamJson(source, [['*']], ctx)) {
    const index = typeof m.path[0] === 'number' ? m.path[0] : 0;
    const obj = recordObject(m.value, ctx, index);
    nativeItems(readNativeFinding(new FieldReader(obj, { ctx, record: index })), emit, out, index);
    yield* out.splice(0, out.length);
  }
}

async function* parseNdjson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter('native');
  const out: ImportItem[] = [];
  for await (const { line, value } of readNdjson(source, ctx)) {
    const obj = recordObject(value, ctx, line);
    nativeItems(readNativeFinding(new FieldReader(obj, { ctx, record: line })), emit, out, line);
    yield* out.splice(0, out.length);
  }
}

/** Native findings: `[` starts a JSON array, anything else is read as NDJSON. */
export const nativeFindingsParser: Parser = {
  format: 'native',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const peeked = await peekLayout(source);
    if (firstSignificantByte(peeked.head) === 0x5b) yield* parseArray(peeked.source, ctx);
    else yield* parseNdjson(peeked.source, ctx);
  },
};
