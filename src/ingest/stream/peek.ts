/**
 * Reading ahead in a byte stream: a parser looks at the first bytes to choose a layout (JSON
 * array, NDJSON, XML, CSV) and then reads the whole stream, those bytes included, without
 * reading the file twice or whole.
 */
import type { ByteSource } from '../types.js';
import { toBuffer } from './json-stream.js';

/** A source whose first bytes were read ahead: `head` plus a source that replays everything. */
export interface PeekedSource {
  head: Buffer;
  source: ByteSource;
}

/**
 * `prefix`, then the rest of `iterator` (unless it already ended). Stopping early closes the
 * underlying source, as stopping a plain `for await` over it would.
 */
async function* continueWith(
  prefix: Buffer,
  iterator: AsyncIterator<Buffer | string>,
  done: boolean,
): AsyncGenerator<Buffer> {
  if (prefix.length > 0) yield prefix;
  if (done) return;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield toBuffer(next.value);
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * Reads ahead at least `min` bytes, and then on until `until(head)` holds or `limit` bytes are read
 * (or the input ends), so a parser can choose a layout without reading the file whole. `head` is
 * every byte read (it may be more than `min`); the returned source replays them all from the start.
 */
export async function peekSource(
  source: ByteSource,
  min: number,
  until?: (head: Buffer) => boolean,
  limit = 1 << 20,
): Promise<PeekedSource> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const satisfied = (): boolean =>
    size >= min && (until === undefined || size >= limit || until(Buffer.concat(chunks)));
  while (!satisfied()) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    const buf = toBuffer(next.value);
    chunks.push(buf);
    size += buf.length;
  }
  const head = Buffer.concat(chunks, size);
  return { head, source: continueWith(head, iterator, done) };
}

/** `peekSource` until the first non-whitespace byte is known (for layout detection). */
export function peekLayout(source: ByteSource): Promise<PeekedSource> {
  return peekSource(source, 1, (head) => firstSignificantByte(head) !== -1, 64 * 1024);
}

/** The first byte that is not JSON whitespace (or a UTF-8 BOM), or -1 when there is none. */
export function firstSignificantByte(head: Buffer): number {
  let i = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  for (; i < head.length; i++) {
    const b = head[i];
    if (b === undefined) break;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return -1;
}

/**
 * Splits off the first line of a source (without its line break) and returns it with a source of
 * the rest. Used for the EPSS `#model_version…` comment line. The line is capped at `max` bytes so
 * a file with no line break is not read whole.
 */
export async function splitFirstLine(
  source: ByteSource,
  max: number,
): Promise<{ line: string; rest: ByteSource; complete: boolean }> {
  const iterator = source[Symbol.asyncIterator]();
  let buf = Buffer.alloc(0);
  let done = false;
  let nl = -1;
  while (nl < 0 && buf.length <= max) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    buf = Buffer.concat([buf, toBuffer(next.value)]);
    nl = buf.indexOf(0x0a);
  }
  const complete = nl >= 0;
  const end = complete ? nl : Math.min(buf.length, max);
  const line = buf.subarray(0, end).toString('utf8').replace(/\r$/, '').replace(/^\uFEFF/, '');
  const remainder = complete ? buf.subarray(nl + 1) : buf.subarray(end);
  return { line, rest: continueWith(remainder, iterator, done), complete };
}

/** The source `splitFirstLine` split, whole again: its first line (and its line break) before the rest. */
export async function* withFirstLine(first: { line: string; rest: ByteSource; complete: boolean }): AsyncGenerator<Buffer | string> {
  yield first.complete ? `${first.line}\n` : first.line;
  yield* first.rest;
}
