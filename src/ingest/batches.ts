/**
 * Batch plumbing shared by the readers and parsers: a parser that yields its items in batches
 * (no async step per item, which at a million items costs more than the parsing) also serves
 * callers that want items one by one.
 */
import { recordObject, type JsonObject } from './record-fields.js';
import { readNdjsonBatches } from './stream/json-stream.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/** The items of a batch stream, one by one, in order. */
export async function* flatten<T>(batches: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

/** A parser from its batch form: `parse` is `parseBatches` one item at a time. */
export function batchParser(format: string, parseBatches: (source: ByteSource, ctx: ParseContext) => AsyncGenerator<ImportItem[]>): Parser {
  return { format, parse: (source, ctx) => flatten(parseBatches(source, ctx)), parseBatches };
}

/** NDJSON records, one object a line (record = line number), turned into items a batch at a time. */
export async function* ndjsonItems(source: ByteSource, ctx: ParseContext, item: (obj: JsonObject, line: number) => ImportItem): AsyncGenerator<ImportItem[]> {
  for await (const lines of readNdjsonBatches(source, ctx)) yield lines.map(({ line, value }) => item(recordObject(value, ctx, line), line));
}
