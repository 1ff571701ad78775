/**
 * FIRST EPSS daily CSV importer. The file starts with a comment line
 * `#model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z`, then the header
 * `cve,epss,percentile`, then about 300,000 rows, so it is streamed row by row. The score date
 * travels with every item because an EPSS score is only meaningful for the day it was computed.
 */
import { ImportError } from '../errors.js';
import { batchParser, flatten } from './batches.js';
import { describe, readCsvRowBatches } from './record-fields.js';
import { splitFirstLine, withFirstLine } from './stream/peek.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/** The facts of the `#…` comment line; both null when the file has none. */
export interface EpssHeader {
  modelVersion: string | null;
  /** `score_date` as written (an RFC 3339 timestamp in current files). */
  scoreDate: string | null;
}

/** Reads `#model_version:…,score_date:…` (keys in any order; unknown keys ignored). */
export function parseEpssComment(line: string): EpssHeader {
  const out: EpssHeader = { modelVersion: null, scoreDate: null };
  for (const part of line.replace(/^#/, '').split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const key = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (key === 'model_version') out.modelVersion = value;
    else if (key === 'score_date') out.scoreDate = value;
  }
  return out;
}

/** The calendar day of a score date (`2026-09-29T12:00:22Z` → `2026-09-29`), or null. */
function scoreDay(scoreDate: string | null): string | null {
  if (scoreDate === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(scoreDate);
  return m?.[1] ?? null;
}

function probability(cell: string | undefined, ctx: ParseContext, line: number, field: string): number {
  if (cell === undefined) throw new ImportError(ctx.file, line, field, 'missing column');
  const n = cell.trim() === '' ? Number.NaN : Number(cell);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new ImportError(ctx.file, line, field, `expected a number from 0 to 1, got ${describe(cell)}`);
  }
  return n;
}

/**
 * Streams `{kind:'epss'}` items in batches. `date` is the day of `score_date` (YYYY-MM-DD) so it
 * compares with the EPSS API's `date`; `onHeader` receives the model version and full score date.
 */
export async function* parseEpssBatches(
  source: ByteSource,
  ctx: ParseContext,
  onHeader?: (header: EpssHeader) => void,
): AsyncGenerator<ImportItem[]> {
  const first = await splitFirstLine(source, 64 * 1024);
  let header: EpssHeader = { modelVersion: null, scoreDate: null };
  let body: ByteSource;
  let firstLine = 1;
  if (first.line.startsWith('#')) {
    header = parseEpssComment(first.line);
    body = first.rest;
    firstLine = 2;
  } else {
    body = withFirstLine(first);
  }
  onHeader?.(header);
  const date = scoreDay(header.scoreDate);
  let checked = false;
  for await (const rows of readCsvRowBatches(body, ctx, firstLine)) {
    const out: ImportItem[] = [];
    for (const { line, row } of rows) {
      if (!checked) {
        for (const column of ['cve', 'epss', 'percentile']) {
          if (!(column in row)) {
            throw new ImportError(ctx.file, firstLine, column, 'missing column: an EPSS CSV header is cve,epss,percentile');
          }
        }
        checked = true;
      }
      const cve = row.cve ?? '';
      if (cve.trim() === '') throw new ImportError(ctx.file, line, 'cve', 'missing: a CVE id is required');
      out.push({
        kind: 'epss',
        record: {
          cve: cve.trim(),
          score: probability(row.epss, ctx, line, 'epss'),
          percentile: probability(row.percentile, ctx, line, 'percentile'),
          date,
        },
      });
    }
    if (out.length > 0) yield out;
  }
}

/** `parseEpssBatches` one item at a time. */
export function parseEpssCsv(source: ByteSource, ctx: ParseContext, onHeader?: (header: EpssHeader) => void): AsyncGenerator<ImportItem> {
  return flatten(parseEpssBatches(source, ctx, onHeader));
}

/** `--format epss`: the FIRST EPSS daily CSV (plain; decompress `.csv.gz` before). */
export const epssParser: Parser = batchParser('epss', (source, ctx) => parseEpssBatches(source, ctx));
