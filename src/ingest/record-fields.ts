/**
 * Field readers shared by the native-format parsers (assets, vulnerabilities, signals) and the
 * standard-format parsers (KEV, EPSS, CSAF, OpenVEX, OCSF). One place decides how a missing field,
 * a wrong type or a word outside a vocabulary is reported, so every importer names the file, the
 * record and the field the same way (FORMATS.md: "an error that names the file, the record and
 * the field").
 */
import { parse as parseCsv } from 'csv-parse';
import { ImportError } from '../errors.js';
import type { ByteSource, ParseContext } from './types.js';

/** A plain JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object; arrays and null are not objects here. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets an own, enumerable property. Plain assignment of a key named `__proto__` (which input data
 * may well contain) would change the object's prototype instead of storing the value.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Short, printable description of a value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'symbol':
    case 'undefined':
      return `${typeof value} ${String(value)}`;
    default:
      return typeof value;
  }
}

/** Where a record sits: its file, its record number (line, index or path) and a field prefix. */
export interface RecordPlace {
  ctx: ParseContext;
  record: string | number | null;
  /** Prefix for nested objects, e.g. `cvss.`; empty for top-level fields. */
  prefix?: string;
}

/**
 * Reads typed fields out of one input record, raising `ImportError` with the file, record and
 * field for anything missing or mistyped. Every field read is remembered so `extra()` can keep
 * the unknown ones verbatim (unknown fields are never an error).
 */
export class FieldReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly obj: JsonObject,
    readonly place: RecordPlace,
  ) {}

  /** Raises an ImportError about `field` (relative to this reader's prefix). */
  fail(field: string | null, problem: string): never {
    const prefix = this.place.prefix ?? '';
    throw new ImportError(
      this.place.ctx.file,
      this.place.record,
      field === null ? (prefix === '' ? null : prefix.replace(/\.$/, '')) : `${prefix}${field}`,
      problem,
    );
  }

  /** Marks fields as known so they stay out of `extra()`. */
  known(...names: string[]): void {
    for (const n of names) this.seen.add(n);
  }

  /** The raw value, or undefined when absent. null counts as present. */
  raw(name: string): unknown {
    this.seen.add(name);
    return Object.prototype.hasOwnProperty.call(this.obj, name) ? this.obj[name] : undefined;
  }

  /** A required, non-empty string. */
  requiredString(name: string): string {
    const v = this.raw(name);
    if (v === undefined || v === null) this.fail(name, 'missing: a non-empty string is required');
    if (typeof v !== 'string') this.fail(name, `expected a string, got ${describe(v)}`);
    if (v.trim() === '') this.fail(name, 'expected a non-empty string, got an empty string');
    return v;
  }

  /** An optional string; absent, null or empty gives null. */
  optionalString(name: string): string | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(name, `expected a string or null, got ${describe(v)}`);
    return v === '' ? null : v;
  }

  /** An optional boolean with a default when absent or null. */
  boolean(name: string, fallback: boolean): boolean {
    const v = this.optionalBoolean(name);
    return v === null ? fallback : v;
  }

  /** An optional boolean; absent or null gives null. */
  optionalBoolean(name: string): boolean | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') this.fail(name, `expected a boolean (true or false), got ${describe(v)}`);
    return v;
  }

  /** An optional finite number within [min, max]; absent or null gives null. */
  optionalNumber(name: string, min: number, max: number): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, `expected a number, got ${describe(v)}`);
    if (v < min || v > max) this.fail(name, `expected a number from ${min} to ${max}, got ${v}`);
    return v;
  }

  /** A required finite number within [min, max]. */
  requiredNumber(name: string, min: number, max: number): number {
    const v = this.optionalNumber(name, min, max);
    if (v === null) this.fail(name, `missing: a number from ${min} to ${max} is required`);
    return v;
  }

  /** A word from a closed vocabulary, with a default when absent or null. */
  vocabulary<T extends string>(name: string, words: readonly T[], fallback: T): T {
    const v = this.optionalVocabulary(name, words);
    return v === null ? fallback : v;
  }

  /** A word from a closed vocabulary; absent or null gives null. */
  optionalVocabulary<T extends string>(name: string, words: readonly T[]): T | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    const found = typeof v === 'string' ? words.find((w) => w === v) : undefined;
    if (found === undefined) this.fail(name, `expected one of ${words.join(', ')}; got ${describe(v)}`);
    return found;
  }

  /** An optional array of strings; absent or null gives []. */
  stringArray(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(name, `expected an array of strings, got ${describe(v)}`);
    return v.map((item: unknown, i) => {
      if (typeof item !== 'string') this.fail(`${name}[${i}]`, `expected a string, got ${describe(item)}`);
      return item;
    });
  }

  /** An optional nested object read with its own reader; absent or null gives null. */
  optionalObject(name: string): FieldReader | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (!isObject(v)) this.fail(name, `expected an object, got ${describe(v)}`);
    return new FieldReader(v, { ...this.place, prefix: `${this.place.prefix ?? ''}${name}.` });
  }

  /** The fields no reader asked for, kept verbatim. */
  extra(): JsonObject {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(this.obj)) {
      if (!this.seen.has(k)) setOwn(out, k, v);
    }
    return out;
  }
}

/** Requires a record to be a JSON object, naming the record when it is not. */
export function recordObject(value: unknown, ctx: ParseContext, record: string | number): JsonObject {
  if (!isObject(value)) {
    throw new ImportError(ctx.file, record, null, `expected a JSON object, got ${describe(value)}`);
  }
  return value;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * True for an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`). A timestamp without
 * an offset is ambiguous across time zones, so it is not accepted.
 */
export function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year === undefined || month === undefined || day === undefined) return false;
  if (hour === undefined || minute === undefined || second === undefined) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return false;
  }
  return true;
}

/** True for a calendar date `YYYY-MM-DD` that exists. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A CSV record with every U+0000 written as U+FFFD: PostgreSQL cannot store U+0000 in text, and a
 * file must read the same into either engine (JSON input does the same, src/ingest/stream).
 */
function withoutNul(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) setOwn(out, k.replaceAll('\u0000', '\ufffd'), typeof v === 'string' ? v.replaceAll('\u0000', '\ufffd') : v);
  return out;
}

/** The line a csv-parse error points at, when it says. */
function csvErrorLine(err: unknown): number | null {
  if (typeof err === 'object' && err !== null && 'lines' in err && typeof err.lines === 'number') {
    return err.lines;
  }
  return null;
}

/**
 * Streams CSV rows as header-keyed string records with the 1-based line each starts on (the header
 * is line `firstLine`). csv-parse errors (unclosed quote, ragged rows) become ImportErrors naming the line.
 */
export async function* readCsvRows(
  source: ByteSource,
  ctx: ParseContext,
  firstLine = 1,
): AsyncGenerator<{ line: number; row: Record<string, string> }> {
  for await (const batch of readCsvRowBatches(source, ctx, firstLine)) yield* batch;
}

/**
 * `readCsvRows`' rows, a batch per input chunk: csv-parse is fed one chunk at a time and its
 * records are taken synchronously, with no async step per row (an EPSS file has 300,000).
 */
export async function* readCsvRowBatches(
  source: ByteSource,
  ctx: ParseContext,
  firstLine = 1,
): AsyncGenerator<{ line: number; row: Record<string, string> }[]> {
  const parser = parseCsv({
    columns: (header: string[]) => header.map((h) => h.trim()),
    bom: true,
    skip_empty_lines: true,
    trim: true,
    info: true,
    raw: true,
  });
  // set by the parser's error event, which TypeScript's flow analysis does not see
  const parsing: { failure: Error | null } = { failure: null };
  parser.on('error', (err: Error) => {
    parsing.failure ??= err;
  });
  type Row = { record: Record<string, string>; raw: string; info: { lines: number } };
  // csv-parse counts a CRLF inside a quoted field as two lines: how many it has over-counted so far
  let quotedCrlf = 0;
  const located = (rec: Row): { line: number; row: Record<string, string> } => {
    // info.lines is where the record ends; step back over the line breaks inside it so the
    // line named is where a (multi-line, quoted) record starts.
    const inner = rec.raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '');
    const breaks = inner.match(/\r\n|\r|\n/g)?.length ?? 0;
    quotedCrlf += inner.match(/\r\n/g)?.length ?? 0;
    return { line: rec.info.lines - quotedCrlf - breaks + firstLine - 1, row: rec.raw.includes('\u0000') ? withoutNul(rec.record) : rec.record };
  };
  try {
    for await (const chunk of source) {
      parser.write(chunk);
      const batch: { line: number; row: Record<string, string> }[] = [];
      for (let rec = parser.read() as Row | null; rec !== null; rec = parser.read() as Row | null) batch.push(located(rec));
      if (parsing.failure !== null) throw parsing.failure;
      if (batch.length > 0) yield batch;
    }
    // the last record is pushed when the parser flushes; a flush error ends the iteration with it
    parser.end();
    const rest: { line: number; row: Record<string, string> }[] = [];
    for await (const rec of parser as AsyncIterable<Row>) rest.push(located(rec));
    if (parsing.failure !== null) throw parsing.failure;
    if (rest.length > 0) yield rest;
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const line = csvErrorLine(err);
    const message = err instanceof Error ? err.message : String(err);
    throw new ImportError(ctx.file, line === null ? null : line + firstLine - 1, null, `malformed CSV: ${message}`);
  } finally {
    parser.destroy();
  }
}
