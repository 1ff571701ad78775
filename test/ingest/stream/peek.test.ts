import { describe, expect, it } from 'vitest';
import { firstSignificantByte, peekLayout, peekSource, splitFirstLine } from '../../../src/ingest/stream/peek.js';
import type { ByteSource } from '../../../src/ingest/types.js';

async function* chunks(parts: readonly (Buffer | string)[]): AsyncGenerator<Buffer | string> {
  for (const p of parts) yield p;
}

async function text(source: ByteSource): Promise<string> {
  const all: Buffer[] = [];
  for await (const c of source) all.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(all).toString();
}

/** A source that records whether it was closed before its end. */
function closable(parts: readonly string[]): { source: ByteSource; closed: () => boolean } {
  let closed = false;
  async function* gen(): AsyncGenerator<string> {
    try {
      for (const p of parts) yield p;
    } finally {
      closed = true;
    }
  }
  return { source: gen(), closed: () => closed };
}

describe('peekSource', () => {
  it('reads at least `min` bytes and replays everything', async () => {
    const { head, source } = await peekSource(chunks(['abc', 'def', 'ghi']), 4);
    expect(head.toString()).toBe('abcdef');
    expect(await text(source)).toBe('abcdefghi');
  });

  it('reads on until `until` holds, or up to `limit`', async () => {
    const parts = ['{"a":', '1}\n', '{"b":2}\n'];
    expect((await peekSource(chunks(parts), 1, (h) => h.includes(0x0a))).head.toString()).toBe('{"a":1}\n');
    expect((await peekSource(chunks(parts), 1, () => false, 6)).head.toString()).toBe('{"a":1}\n');
  });

  it('works on short and empty sources', async () => {
    const short = await peekSource(chunks(['ab']), 10);
    expect(short.head.toString()).toBe('ab');
    expect(await text(short.source)).toBe('ab');
    const empty = await peekSource(chunks([]), 10);
    expect(empty.head.length).toBe(0);
    const all: (Buffer | string)[] = [];
    for await (const c of empty.source) all.push(c);
    expect(all).toEqual([]);
  });

  it('closes the underlying source when the reader stops early', async () => {
    const { source, closed } = closable(['a', 'b', 'c', 'd']);
    const peeked = await peekSource(source, 1);
    for await (const c of peeked.source) {
      if (c.toString() === 'b') break;
    }
    expect(closed()).toBe(true);
  });
});

describe('peekLayout', () => {
  it('reads past leading whitespace to the first significant byte', async () => {
    const { head, source } = await peekLayout(chunks(['  ', '\n\t', ' [1]', ',2']));
    expect(firstSignificantByte(head)).toBe(0x5b);
    expect(await text(source)).toBe('  \n\t [1],2');
  });
});

describe('firstSignificantByte', () => {
  it.each([
    ['', -1],
    [' \t\r\n', -1],
    ['  {', 0x7b],
    ['\ufeff [', 0x5b],
    ['\ufeff', -1],
    ['<bom>', 0x3c],
  ])('%j → %d', (input, byte) => {
    expect(firstSignificantByte(Buffer.from(input, 'utf8'))).toBe(byte);
  });
});

describe('splitFirstLine', () => {
  it('splits off the first line (no BOM, no CR) and replays the rest', async () => {
    const { line, rest, complete } = await splitFirstLine(chunks(['\ufeff#model', '_version:v1\r\ncve,epss\n', 'CVE-1,0.1\n']), 1024);
    expect({ line, complete }).toEqual({ line: '#model_version:v1', complete: true });
    expect(await text(rest)).toBe('cve,epss\nCVE-1,0.1\n');
  });

  it('caps a line with no break at `max` bytes', async () => {
    const { line, rest, complete } = await splitFirstLine(chunks(['abcdef', 'ghij']), 4);
    expect({ line, complete }).toEqual({ line: 'abcd', complete: false });
    expect(await text(rest)).toBe('efghij');
  });
});
