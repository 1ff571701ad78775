/**
 * Helpers for parser tests: byte sources cut into small chunks (to exercise chunk boundaries),
 * item collection, typed record extraction, ImportError assertions and the shared fast-check
 * robustness property (random or mutated bytes → finishes or throws ImportError, never another
 * error, never hangs).
 */
import fc from 'fast-check';
import { createReadStream } from 'node:fs';
import { expect } from 'vitest';
import { ImportError } from '../../src/errors.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from '../../src/ingest/types.js';
import { corpusPath } from '../helpers/corpus.js';

/** A source yielding `text` in chunks of `chunk` bytes (default: one chunk). */
export function bytes(text: string | Buffer, chunk = 0): ByteSource {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return (async function* () {
    if (chunk <= 0) {
      if (buf.length > 0) yield buf;
      return;
    }
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  })();
}

/** A streaming source over a corpus file. */
export function corpusSource(rel: string): ByteSource {
  return createReadStream(corpusPath(rel), { highWaterMark: 16 * 1024 });
}

/** Every item a parser yields. */
export async function collect(gen: AsyncGenerator<ImportItem>): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

/** Record type per item kind. */
type RecordOf = { [I in ImportItem as I['kind']]: I['record'] };

/** The records of one kind (the cast is safe: `kind` was just compared). */
export function recordsOf<K extends keyof RecordOf>(items: ImportItem[], kind: K): RecordOf[K][] {
  const out: RecordOf[K][] = [];
  for (const item of items) if (item.kind === kind) out.push(item.record as RecordOf[K]);
  return out;
}

/** Parses `text` and returns the ImportError it must throw. */
export async function importError(parser: Parser, text: string, file = 'input.txt'): Promise<ImportError> {
  try {
    await collect(parser.parse(bytes(text), { file }));
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    if (err instanceof ImportError) return err;
  }
  throw new Error('expected an ImportError, but the input parsed');
}

/** Asserts an ImportError names the file, record and field (and optionally a message part). */
export async function expectImportError(
  parser: Parser,
  text: string,
  where: { record: string | number | null; field: string | null; message?: RegExp },
  file = 'input.txt',
): Promise<void> {
  const err = await importError(parser, text, file);
  expect(err.file).toBe(file);
  expect(err.record).toEqual(where.record);
  expect(err.field).toEqual(where.field);
  expect(err.message).toContain(`file ${file}`);
  if (where.record !== null) expect(err.message).toContain(`record ${String(where.record)}`);
  if (where.field !== null) expect(err.message).toContain(`field ${where.field}`);
  if (where.message !== undefined) expect(err.message).toMatch(where.message);
}

/** Runs a parser to the end; resolves when it finished or threw an ImportError. */
async function finishesOrImportError(parser: Parser, input: Buffer, chunk: number): Promise<void> {
  const ctx: ParseContext = { file: 'fuzz.bin' };
  try {
    await collect(parser.parse(bytes(input, chunk), ctx));
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
  }
}

/** One edit of a seed document (positions are taken modulo its length). */
export type Mutation =
  | { op: 'set'; at: number; byte: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; data: Uint8Array }
  | { op: 'truncate'; at: number };

/** Random edits: set a byte, delete up to `maxDelete` bytes, insert random bytes or one of `spice`, truncate. */
export function mutations(spice: readonly string[], maxDelete: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: maxDelete }) }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      data: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...spice.map((s) => new Uint8Array(Buffer.from(s))))),
    }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  );
}

const mutation = mutations(['"', '{', '}', '[', ']', ',', ':', '\n', '\\', 'null', '1e999', '\r\n'], 16);

/** The seed with the edits applied in order. */
export function mutate(seed: Buffer, edits: Mutation[]): Buffer {
  let buf = Buffer.from(seed);
  for (const m of edits) {
    const at = buf.length === 0 ? 0 : m.at % (buf.length + 1);
    if (m.op === 'set' && buf.length > 0) buf[at % buf.length] = m.byte;
    else if (m.op === 'delete') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
    else if (m.op === 'insert') buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.data), buf.subarray(at)]);
    else if (m.op === 'truncate') buf = buf.subarray(0, at);
  }
  return buf;
}

/**
 * The robustness property for one parser: random bytes, and valid seeds with random mutations,
 * fed in random chunk sizes, must finish or throw ImportError — never another error type — and
 * each run must finish within a second.
 */
export async function assertRobust(parser: Parser, seeds: string[], numRuns = 150): Promise<void> {
  const chunk = fc.integer({ min: 0, max: 64 });
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), chunk, async (data, c) => {
      await finishesOrImportError(parser, Buffer.from(data), c);
    }),
    { numRuns, timeout: 1000 },
  );
  const seedBuffers = seeds.map((s) => Buffer.from(s, 'utf8'));
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: seedBuffers.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      chunk,
      async (i, mutations, c) => {
        const seed = seedBuffers[i] ?? Buffer.alloc(0);
        await finishesOrImportError(parser, mutate(seed, mutations), c);
      },
    ),
    { numRuns: numRuns * 2, timeout: 1000 },
  );
}
