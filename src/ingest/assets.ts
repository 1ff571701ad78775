/**
 * Asset inventory importer (FORMATS.md "assets"): a JSON array, NDJSON, or CSV with the same
 * column names. The inventory is what the escalation engine reads to decide reachability,
 * criticality and scope gaps, so defaults are the documented ones (exposure `internal`,
 * auth_required true, telemetry true, owner null = no owner) and anything else is an error naming
 * the file, the record and the field.
 */
import { EXPOSURES } from '../domain/records.js';
import type { AssetRecord, Component } from '../domain/records.js';
import { ImportError } from '../errors.js';
import {
  FieldReader,
  describe,
  isObject,
  readCsvRows,
  recordObject,
  setOwn,
} from './record-fields.js';
import type { JsonObject } from './record-fields.js';
import { streamJson } from './stream/json-stream.js';
import { firstSignificantByte, peekLayout } from './stream/peek.js';
import { batchParser, ndjsonItems } from './batches.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/** The three layouts an asset inventory may use. */
export type AssetFormat = 'assets-json' | 'assets-ndjson' | 'assets-csv';

/**
 * Chooses the layout from the first bytes (content wins: `[` is a JSON array, `{` is NDJSON) and
 * falls back to the file name for empty or ambiguous input, so `--format` is rarely needed.
 */
export function detectAssetFormat(firstBytes: Buffer, fileName: string): AssetFormat {
  const b = firstSignificantByte(firstBytes);
  if (b === 0x5b) return 'assets-json';
  if (b === 0x7b) return 'assets-ndjson';
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'assets-ndjson';
  if (lower.endsWith('.json')) return 'assets-json';
  return 'assets-csv';
}

const BOOLEAN_FIELDS: ReadonlySet<string> = new Set([
  'business_critical',
  'auth_required',
  'privileged',
  'customer_facing',
  'safety',
  'telemetry',
]);

function readComponents(r: FieldReader): Component[] {
  const v = r.raw('components');
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.fail('components', `expected an array of {product, version} objects, got ${describe(v)}`);
  }
  return v.map((item: unknown, i): Component => {
    const field = `components[${i}]`;
    if (!isObject(item)) r.fail(field, `expected an object {product, version}, got ${describe(item)}`);
    const c = new FieldReader(item, { ...r.place, prefix: `${field}.` });
    return { product: c.requiredString('product'), version: c.optionalString('version') };
  });
}

/**
 * Builds an AssetRecord from one JSON-shaped record (JSON array element, NDJSON line, or a CSV row
 * already converted to JSON types). Exported for tests and for importers that embed assets.
 */
export function assetFromObject(obj: JsonObject, ctx: ParseContext, record: string | number): AssetRecord {
  const r = new FieldReader(obj, { ctx, record });
  const id = r.requiredString('id');
  const asset: AssetRecord = {
    id,
    name: r.optionalString('name'),
    service: r.optionalString('service'),
    owner: r.optionalString('owner'),
    business_critical: r.boolean('business_critical', false),
    exposure: r.vocabulary('exposure', EXPOSURES, 'internal'),
    auth_required: r.boolean('auth_required', true),
    privileged: r.boolean('privileged', false),
    regulated: r.stringArray('regulated').map((s) => s.trim()).filter((s) => s !== ''),
    customer_facing: r.boolean('customer_facing', false),
    safety: r.boolean('safety', false),
    third_party: r.optionalString('third_party'),
    telemetry: r.boolean('telemetry', true),
    components: readComponents(r),
    extra: {},
  };
  // present (even empty) means the file gives this asset's aliases; absent keeps the stored ones
  if (r.raw('aliases') !== undefined) asset.aliases = r.stringArray('aliases').map((s) => s.trim()).filter((s) => s !== '');
  asset.extra = r.extra();
  return asset;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/** Parses a CSV boolean cell: true/false/1/0/yes/no, any case; empty means absent. */
function csvBoolean(cell: string, ctx: ParseContext, line: number, field: string): boolean | undefined {
  const v = cell.trim().toLowerCase();
  if (v === '') return undefined;
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new ImportError(ctx.file, line, field, `expected a boolean (true/false/1/0/yes/no), got ${describe(cell)}`);
}

/**
 * Parses `product@version;product@version` (CSV components). The version follows the last `@`
 * that is not the first character, so scoped npm names such as `@scope/pkg@1.2.3` work.
 */
export function parseComponentList(cell: string): Component[] {
  const out: Component[] = [];
  for (const part of cell.split(';')) {
    const s = part.trim();
    if (s === '') continue;
    const at = s.lastIndexOf('@');
    if (at > 0) {
      const version = s.slice(at + 1).trim();
      out.push({ product: s.slice(0, at).trim(), version: version === '' ? null : version });
    } else {
      out.push({ product: s, version: null });
    }
  }
  return out;
}

/** Converts one CSV row (all strings) into the JSON shape; empty cells count as absent. */
function csvRowToObject(row: Record<string, string>, ctx: ParseContext, line: number): JsonObject {
  const obj: JsonObject = {};
  for (const [key, cell] of Object.entries(row)) {
    if (BOOLEAN_FIELDS.has(key)) {
      const b = csvBoolean(cell, ctx, line, key);
      if (b !== undefined) setOwn(obj, key, b);
    } else if (key === 'regulated' || key === 'aliases') {
      setOwn(obj, key, cell.split(';').map((s) => s.trim()).filter((s) => s !== ''));
    } else if (key === 'components') {
      setOwn(obj, key, parseComponentList(cell));
    } else if (cell !== '') {
      setOwn(obj, key, cell);
    } else if (!['id', 'name', 'service', 'owner', 'exposure', 'third_party'].includes(key)) {
      // Unknown columns are kept verbatim, empty cells included.
      setOwn(obj, key, cell);
    }
  }
  return obj;
}

/** Streams assets from a JSON array (`[{…}, …]`), one record per element (record = index). */
export async function* parseAssetsJson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const peeked = await peekLayout(source);
  const b = firstSignificantByte(peeked.head);
  if (b !== 0x5b) {
    throw new ImportError(ctx.file, null, null, 'expected a JSON array of asset objects');
  }
  for await (const m of streamJson(peeked.source, [['*']], ctx)) {
    const index = m.path[0];
    if (typeof index !== 'number') continue;
    yield { kind: 'asset', record: assetFromObject(recordObject(m.value, ctx, index), ctx, index), place: index };
  }
}

/** Streams assets from NDJSON in batches, one object a line (record = line number). */
export function parseAssetsNdjsonBatches(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem[]> {
  return ndjsonItems(source, ctx, (obj, line) => ({ kind: 'asset', record: assetFromObject(obj, ctx, line), place: line }));
}

/** `--format assets-ndjson`. */
export const assetsNdjsonParser: Parser = batchParser('assets-ndjson', parseAssetsNdjsonBatches);

/** Streams assets from CSV with a header row of FORMATS.md column names (record = line number). */
export async function* parseAssetsCsv(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  for await (const { line, row } of readCsvRows(source, ctx)) {
    yield { kind: 'asset', record: assetFromObject(csvRowToObject(row, ctx, line), ctx, line), place: line };
  }
}

/** Any of the three layouts, chosen by `detectAssetFormat` from the first bytes and file name. */
export async function* parseAssets(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const peeked = await peekLayout(source);
  const format = detectAssetFormat(peeked.head, ctx.file);
  if (format === 'assets-json') yield* parseAssetsJson(peeked.source, ctx);
  else if (format === 'assets-ndjson') yield* assetsNdjsonParser.parse(peeked.source, ctx);
  else yield* parseAssetsCsv(peeked.source, ctx);
}

/** `--format assets-json`. */
export const assetsJsonParser: Parser = { format: 'assets-json', parse: parseAssetsJson };
/** `--format assets-csv`. */
export const assetsCsvParser: Parser = { format: 'assets-csv', parse: parseAssetsCsv };
/** `--format assets`: layout detected from content, then file name. */
export const assetsParser: Parser = { format: 'assets', parse: parseAssets };
