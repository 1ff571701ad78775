/**
 * Generic findings CSV: a header row with FORMATS.md finding column names (`vulnerability` and
 * `asset` required; `id`, `component`, `version`, `source`, `validation`, `reachability`,
 * `affected_version_known`, `vendor_scope_known`, `containment_needed`, and the scanner-detail
 * columns `title`, `severity`, `cwe`, `file_path`, `line`, `fixed_version`, `aliases`).
 * Booleans are `true`/`false` (also `yes`/`no`, `1`/`0`); `cwe` and `aliases` are `;`-separated;
 * an empty cell is an absent value; unknown columns are kept in `extra`. Rows are checked exactly
 * like native JSON findings and errors name the CSV line and the column.
 */
import { FieldReader, readCsvRows } from '../record-fields.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { Emitter } from './common.js';
import { nativeItems, readNativeFinding } from './native.js';

const BOOLEAN_COLUMNS = new Set(['affected_version_known', 'vendor_scope_known']);
const LIST_COLUMNS = new Set(['cwe', 'aliases']);
const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

/** A CSV row (all strings) → the typed object a native finding reader expects. */
function typedRow(row: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(row)) {
    const v = raw.trim();
    if (v === '') continue;
    const lower = v.toLowerCase();
    if (BOOLEAN_COLUMNS.has(key) || key === 'containment_needed') {
      if (TRUE.has(lower)) out[key] = true;
      else if (FALSE.has(lower)) out[key] = false;
      else out[key] = v;
    } else if (LIST_COLUMNS.has(key)) {
      out[key] = v
        .split(';')
        .map((x) => x.trim())
        .filter((x) => x !== '');
    } else if (key === 'line') {
      out[key] = /^\d+$/.test(v) ? Number(v) : v;
    } else {
      out[key] = v;
    }
  }
  return out;
}

export const csvFindingsParser: Parser = {
  format: 'csv',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter('csv');
    const out: ImportItem[] = [];
    for await (const { line, row } of readCsvRows(source, ctx)) {
      nativeItems(readNativeFinding(new FieldReader(typedRow(row), { ctx, record: line })), emit, out, line);
      yield* out.splice(0, out.length);
    }
  },
};
