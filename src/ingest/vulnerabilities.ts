/**
 * Native vulnerability importer (FORMATS.md "vulnerabilities"): advisory-level facts as a JSON
 * array or NDJSON. These facts feed "exploit pressure" in the escalation engine, so vocabularies
 * and types are checked here and every problem names the file, the record and the field.
 */
import { EXPLOITATIONS } from '../domain/records.js';
import type { Cvss, EpssFacts, KevFacts, VulnerabilityRecord } from '../domain/records.js';
import { ImportError } from '../errors.js';
import {
  FieldReader,
  describe,
  isIsoDate,
  recordObject,
} from './record-fields.js';
import { firstSignificantByte, peekLayout } from './stream/peek.js';
import type { JsonObject } from './record-fields.js';
import { readNdjson, streamJson } from './stream/json-stream.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/** The two layouts a native vulnerability file may use. */
export type VulnerabilityFormat = 'vulnerabilities-json' | 'vulnerabilities-ndjson';

/**
 * Chooses the layout from the first bytes (`[` = JSON array, `{` = NDJSON), falling back to the
 * file name (`.ndjson`/`.jsonl` = NDJSON, anything else = JSON array).
 */
export function detectVulnerabilityFormat(firstBytes: Buffer, fileName: string): VulnerabilityFormat {
  const b = firstSignificantByte(firstBytes);
  if (b === 0x5b) return 'vulnerabilities-json';
  if (b === 0x7b) return 'vulnerabilities-ndjson';
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'vulnerabilities-ndjson';
  return 'vulnerabilities-json';
}

function readCvss(r: FieldReader): Cvss | null {
  const c = r.optionalObject('cvss');
  if (c === null) return null;
  return {
    version: c.requiredString('version'),
    base_score: c.requiredNumber('base_score', 0, 10),
    vector: c.optionalString('vector'),
  };
}

function requiredDate(r: FieldReader, name: string): string {
  const v = r.requiredString(name);
  if (!isIsoDate(v)) r.fail(name, `expected a date YYYY-MM-DD, got ${describe(v)}`);
  return v;
}

function optionalDate(r: FieldReader, name: string): string | null {
  const v = r.optionalString(name);
  if (v !== null && !isIsoDate(v)) r.fail(name, `expected a date YYYY-MM-DD or null, got ${describe(v)}`);
  return v;
}

/**
 * KEV facts given inline. `knownRansomwareCampaignUse` may be a boolean or the catalog's own
 * words `Known`/`Unknown`, so a KEV entry can be pasted in as it is.
 */
function readKev(r: FieldReader): KevFacts | null {
  const k = r.optionalObject('kev');
  if (k === null) return null;
  const dateAdded = requiredDate(k, 'dateAdded');
  const dueDate = optionalDate(k, 'dueDate');
  const ransom = k.raw('knownRansomwareCampaignUse');
  let known = false;
  if (typeof ransom === 'boolean') known = ransom;
  else if (ransom === 'Known') known = true;
  else if (ransom !== undefined && ransom !== null && ransom !== 'Unknown') {
    k.fail('knownRansomwareCampaignUse', `expected true, false, "Known" or "Unknown", got ${describe(ransom)}`);
  }
  return { dateAdded, dueDate, knownRansomwareCampaignUse: known };
}

function readEpss(r: FieldReader): EpssFacts | null {
  const e = r.optionalObject('epss');
  if (e === null) return null;
  return {
    score: e.requiredNumber('score', 0, 1),
    percentile: e.requiredNumber('percentile', 0, 1),
    date: e.optionalString('date'),
  };
}

/**
 * Builds a VulnerabilityRecord from one JSON record. Exported so other importers that carry the
 * same native shape (and tests) reuse the exact validation.
 */
export function vulnerabilityFromObject(
  obj: JsonObject,
  ctx: ParseContext,
  record: string | number,
): VulnerabilityRecord {
  const r = new FieldReader(obj, { ctx, record });
  const vuln: VulnerabilityRecord = {
    id: r.requiredString('id'),
    cvss: readCvss(r),
    exploitation: r.vocabulary('exploitation', EXPLOITATIONS, 'none'),
    public_poc: r.boolean('public_poc', false),
    vendor_advisory: r.boolean('vendor_advisory', false),
    fix_available: r.optionalBoolean('fix_available'),
    kev: readKev(r),
    epss: readEpss(r),
    title: r.optionalString('title'),
    references: r.stringArray('references'),
    extra: {},
  };
  vuln.extra = r.extra();
  return vuln;
}

/** Streams vulnerabilities from a JSON array (record = index). */
export async function* parseVulnerabilitiesJson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const peeked = await peekLayout(source);
  if (firstSignificantByte(peeked.head) !== 0x5b) {
    throw new ImportError(ctx.file, null, null, 'expected a JSON array of vulnerability objects');
  }
  for await (const m of streamJson(peeked.source, [['*']], ctx)) {
    const index = m.path[0];
    if (typeof index !== 'number') continue;
    yield { kind: 'vulnerability', record: vulnerabilityFromObject(recordObject(m.value, ctx, index), ctx, index), place: index };
  }
}

/** Streams vulnerabilities from NDJSON (record = line number). */
export async function* parseVulnerabilitiesNdjson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  for await (const { line, value } of readNdjson(source, ctx)) {
    yield { kind: 'vulnerability', record: vulnerabilityFromObject(recordObject(value, ctx, line), ctx, line), place: line };
  }
}

/** Either layout, chosen by `detectVulnerabilityFormat`. */
export async function* parseVulnerabilities(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const peeked = await peekLayout(source);
  if (detectVulnerabilityFormat(peeked.head, ctx.file) === 'vulnerabilities-ndjson') {
    yield* parseVulnerabilitiesNdjson(peeked.source, ctx);
  } else {
    yield* parseVulnerabilitiesJson(peeked.source, ctx);
  }
}

/** `--format vulnerabilities-json`. */
export const vulnerabilitiesJsonParser: Parser = { format: 'vulnerabilities-json', parse: parseVulnerabilitiesJson };
/** `--format vulnerabilities-ndjson`. */
export const vulnerabilitiesNdjsonParser: Parser = {
  format: 'vulnerabilities-ndjson',
  parse: parseVulnerabilitiesNdjson,
};
/** `--format vulnerabilities`: layout detected from content, then file name. */
export const vulnerabilitiesParser: Parser = { format: 'vulnerabilities', parse: parseVulnerabilities };
