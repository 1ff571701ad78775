import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ImportError } from '../../../src/errors.js';
import {
  formatJsonPath,
  readNdjson,
  streamJson,
  type JsonMatch,
  type PathPattern,
  type StreamJsonOptions,
} from '../../../src/ingest/stream/json-stream.js';
import type { ByteSource } from '../../../src/ingest/types.js';

const ctx = { file: 'test.json' };

async function* chunks(parts: readonly (Buffer | string)[]): AsyncGenerator<Buffer | string> {
  for (const p of parts) yield p;
}

/** Splits `bytes` at the given (unsorted, possibly repeated) positions. */
function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const sorted = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

async function collect(source: ByteSource, patterns: PathPattern[]): Promise<Omit<JsonMatch, 'offset'>[]> {
  const out: Omit<JsonMatch, 'offset'>[] = [];
  for await (const m of streamJson(source, patterns, ctx)) out.push({ pattern: m.pattern, path: m.path, value: m.value });
  return out;
}

async function collectFull(source: ByteSource, patterns: PathPattern[]): Promise<JsonMatch[]> {
  const out: JsonMatch[] = [];
  for await (const m of streamJson(source, patterns, ctx)) out.push(m);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The reference semantics: full JSON.parse, then a document-order walk, outermost match wins. */
const withoutNul = (s: string): string => s.replaceAll('\u0000', '\ufffd');

/** A parsed JSON value with U+0000 written as U+FFFD in every string and key. */
function deepWithoutNul(value: unknown): unknown {
  if (typeof value === 'string') return withoutNul(value);
  if (Array.isArray(value)) return value.map(deepWithoutNul);
  if (typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, withoutNul(k), { value: deepWithoutNul(v), enumerable: true, writable: true, configurable: true });
  return out;
}

function walk(value: unknown, patterns: readonly PathPattern[]): Omit<JsonMatch, 'offset'>[] {
  const out: Omit<JsonMatch, 'offset'>[] = [];
  const matches = (pat: PathPattern, path: readonly (string | number)[], n: number): boolean => {
    for (let k = 0; k < n; k++) {
      const el = pat[k];
      const seg = path[k];
      if (el !== '*' && !(typeof seg === 'string' && el === seg)) return false;
    }
    return true;
  };
  const visit = (v: unknown, path: (string | number)[]): void => {
    const hit = patterns.findIndex((p) => p.length === path.length && matches(p, path, p.length));
    if (hit >= 0) {
      out.push({ pattern: hit, path: [...path], value: v });
      return;
    }
    if (!patterns.some((p) => p.length > path.length && matches(p, path, path.length))) return;
    if (Array.isArray(v)) v.forEach((el, idx) => visit(el, [...path, idx]));
    else if (v !== null && typeof v === 'object') {
      for (const [k, el] of Object.entries(v)) visit(el, [...path, k]);
    }
  };
  visit(value, []);
  return out;
}

/** All paths in a value, to draw realistic patterns from. */
function pathsOf(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((el, i) => pathsOf(el, [...path, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, el] of Object.entries(value)) pathsOf(el, [...path, k], out);
  }
  return out;
}

const TRIVY_LIKE = JSON.stringify(
  {
    SchemaVersion: 2,
    ArtifactName: 'alpine:3.17',
    Metadata: { OS: { Family: 'alpine' }, Layers: [[1, 2], [3]] },
    Results: [
      {
        Target: 'alpine:3.17 (alpine 3.17.2)',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-1', PkgName: 'a\u00e9\u4e2d\ud83d\ude00', Title: 'quote " and \\ backslash \\"' },
          { VulnerabilityID: 'CVE-2', Refs: ['x', { y: [null, true, false, -1.5e3] }] },
        ],
      },
      { Target: 'app/package-lock.json', Vulnerabilities: null },
      { Target: 'empty', Vulnerabilities: [] },
    ],
  },
  null,
  1,
);

const TRIVY_PATTERNS: PathPattern[] = [
  ['Results', '*', 'Target'],
  ['Results', '*', 'Vulnerabilities', '*'],
];

describe('streamJson', () => {
  it('yields matched values with their paths, in document order', async () => {
    const got = await collect(chunks([TRIVY_LIKE]), TRIVY_PATTERNS);
    expect(got).toEqual(walk(JSON.parse(TRIVY_LIKE), TRIVY_PATTERNS));
    expect(got.map((m) => m.path)).toEqual([
      ['Results', 0, 'Target'],
      ['Results', 0, 'Vulnerabilities', 0],
      ['Results', 0, 'Vulnerabilities', 1],
      ['Results', 1, 'Target'],
      ['Results', 2, 'Target'],
    ]);
    expect(got[1]?.value).toMatchObject({ PkgName: 'a\u00e9\u4e2d\ud83d\ude00' });
  });

  it('reports byte offsets of the matched values', async () => {
    const bytes = Buffer.from(TRIVY_LIKE, 'utf8');
    const got = await collectFull(chunks([bytes]), TRIVY_PATTERNS);
    for (const m of got) {
      const text = bytes.subarray(m.offset).toString('utf8');
      expect(text.startsWith(JSON.stringify(m.value).slice(0, 1))).toBe(true);
    }
    expect(got[0]?.offset).toBe(bytes.indexOf('"alpine:3.17 (alpine'));
  });

  it('gives the same matches for a split at every byte position', async () => {
    const bytes = Buffer.from(TRIVY_LIKE, 'utf8');
    const expected = walk(JSON.parse(TRIVY_LIKE), TRIVY_PATTERNS);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await collect(chunks(splitAt(bytes, [cut])), TRIVY_PATTERNS)).toEqual(expected);
    }
  });

  it('gives the same matches when fed one byte at a time', async () => {
    const bytes = Buffer.from(TRIVY_LIKE, 'utf8');
    const ones = [...bytes].map((b) => Buffer.from([b]));
    expect(await collect(chunks(ones), TRIVY_PATTERNS)).toEqual(walk(JSON.parse(TRIVY_LIKE), TRIVY_PATTERNS));
  });

  it('handles escapes split across chunks: backslash runs before quotes', async () => {
    const doc = '{"k\\"ey\\\\":{"a":["\\\\","\\"","x\\\\\\"y",{"\\u0041":"\\ud83d\\ude00"}]},"b":"\\\\\\\\"}';
    const value: unknown = JSON.parse(doc);
    const bytes = Buffer.from(doc, 'utf8');
    const pats: PathPattern[][] = [[['k"ey\\', 'a', '*']], [['*']], [['k"ey\\', '*', '*', 'A']], [['b']], [[]]];
    for (const p of pats) {
      const expected = walk(value, p[0] === undefined ? [] : [p[0]]);
      expect(expected.length).toBeGreaterThan(0);
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b += 3) {
          expect(await collect(chunks(splitAt(bytes, [a, b])), p)).toEqual(expected);
        }
      }
    }
  });

  it('decodes multi-byte UTF-8 split inside a character', async () => {
    const doc = JSON.stringify({ items: ['\u00e9t\u00e9', '\u4e2d\u6587', '\ud83d\ude00\ud83d\ude01', { '\u00fc': '\u20ac' }] });
    const bytes = Buffer.from(doc, 'utf8');
    const pats: PathPattern[] = [['items', '*']];
    const expected = walk(JSON.parse(doc), pats);
    for (let a = 0; a <= bytes.length; a++) {
      expect(await collect(chunks(splitAt(bytes, [a, a + 1, a + 2])), pats)).toEqual(expected);
    }
  });

  it('accepts string chunks and a byte order mark, even a split one', async () => {
    const doc = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":[1,2]}')]);
    for (let cut = 0; cut <= doc.length; cut++) {
      expect(await collect(chunks(splitAt(doc, [cut])), [['a', '*']])).toEqual([
        { pattern: 0, path: ['a', 0], value: 1 },
        { pattern: 0, path: ['a', 1], value: 2 },
      ]);
    }
    expect(await collect(chunks(['{"a"', ':', '[1,', '2]}']), [['a']])).toEqual([{ pattern: 0, path: ['a'], value: [1, 2] }]);
  });

  it('matches deeply nested arrays and the root', async () => {
    const doc = '[[[1,[2]],[[3]]],[],[[[4]]]]';
    const value: unknown = JSON.parse(doc);
    for (const pats of [[['*', '*', '*']], [['*', '*']], [[]], [['*', '*', '*', '*', '*']], [['*', '*', '*', '*']]] satisfies PathPattern[][]) {
      for (let cut = 0; cut <= doc.length; cut++) {
        expect(await collect(chunks(splitAt(Buffer.from(doc), [cut])), pats)).toEqual(walk(value, pats));
      }
    }
  });

  it('lets the outermost match win and the lowest pattern index win among equals', async () => {
    const doc = '{"a":{"b":{"c":1}},"x":2}';
    expect(await collect(chunks([doc]), [['a', 'b', 'c'], ['a', 'b']])).toEqual([
      { pattern: 1, path: ['a', 'b'], value: { c: 1 } },
    ]);
    expect(await collect(chunks([doc]), [['*'], ['x']])).toEqual([
      { pattern: 0, path: ['a'], value: { b: { c: 1 } } },
      { pattern: 0, path: ['x'], value: 2 },
    ]);
  });

  it('reads top-level primitives, including a number at the end of input', async () => {
    expect(await collect(chunks(['12', '34']), [[]])).toEqual([{ pattern: 0, path: [], value: 1234 }]);
    expect(await collect(chunks([' "x" ']), [[]])).toEqual([{ pattern: 0, path: [], value: 'x' }]);
    expect(await collect(chunks(['null']), [['a']])).toEqual([]);
    expect(await collect(chunks(['{"a":true}']), [['a']])).toEqual([{ pattern: 0, path: ['a'], value: true }]);
  });

  it('string patterns match object keys only, never array indices', async () => {
    expect(await collect(chunks(['[["a"],{"0":"b"}]']), [['*', '0']])).toEqual([{ pattern: 0, path: [1, '0'], value: 'b' }]);
  });

  it('throws ImportError naming file, offset/line and path for malformed input', async () => {
    const bad = '{\n "Results": [\n  {"Target": "x", "Vulnerabilities": [ {"a": 1}, {"b": } ]}\n ]\n}';
    const err = await errorOf(collect(chunks([bad]), TRIVY_PATTERNS));
    expect(err).toBeInstanceOf(ImportError);
    if (!(err instanceof ImportError)) return;
    expect(err.file).toBe('test.json');
    expect(err.field).toBe('$.Results[0].Vulnerabilities[1]');
    expect(String(err.record)).toContain('line 3');
    expect(err.message).toContain('test.json');

    const err2 = await errorOf(collect(chunks(['{"Results": [1 2]}']), TRIVY_PATTERNS));
    expect(err2).toBeInstanceOf(ImportError);
    expect(err2 instanceof ImportError ? err2.field : null).toBe('$.Results[0]');
    expect(err2 instanceof ImportError ? err2.record : null).toBe('byte 15 (line 1, column 16)');
  });

  it('throws ImportError for truncated input at every cut of a document', async () => {
    const bytes = Buffer.from(TRIVY_LIKE, 'utf8');
    for (let cut = 0; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut);
      if (truncated.toString('utf8').trim() === '') continue;
      const err = await errorOf(collect(chunks(splitAt(truncated, [cut >> 1])), TRIVY_PATTERNS));
      expect(err, `cut at ${cut}`).toBeInstanceOf(ImportError);
    }
  });

  it('treats an empty document as an error unless allowEmpty', async () => {
    expect(await errorOf(collect(chunks([]), [['a']]))).toBeInstanceOf(ImportError);
    expect(await errorOf(collect(chunks(['  \n']), [['a']]))).toBeInstanceOf(ImportError);
    const got: JsonMatch[] = [];
    for await (const m of streamJson(chunks(['', ' ']), [['a']], ctx, { allowEmpty: true })) got.push(m);
    expect(got).toEqual([]);
  });

  it('rejects trailing data, mismatched brackets and bad tokens', async () => {
    for (const bad of ['{"a":1} x', '{"a":[1}', '{"a":{"b":[}]}', '[1,]', '{"a" 1}', '{a:1}', '[tru]', '{"a":1,}', '[01]', '{"a":"\\q"}', '{"b":"x"]']) {
      const pats: PathPattern[] = [['a'], ['*']];
      const err = await errorOf(collect(chunks([bad]), pats));
      expect(err, bad).toBeInstanceOf(ImportError);
    }
    // Matched values are checked by JSON.parse; skipped strings are only checked for termination.
    expect(await errorOf(collect(chunks(['"\\x"']), [[]]))).toBeInstanceOf(ImportError);
  });

  it('skips huge unmatched strings without holding them', async () => {
    const big = 'x'.repeat(1 << 20);
    const parts = ['{"skip":"', ...Array.from({ length: 64 }, () => big), '","keep":[1,2,3]}'];
    expect(await collect(chunks(parts), [['keep', '*']])).toHaveLength(3);
  });

  it('property: matches equal JSON.parse + walk for random values, patterns and chunkings', async () => {
    const arb = fc
      .jsonValue({ maxDepth: 4, stringUnit: 'binary' })
      .chain((value) => {
        const paths = pathsOf(value);
        const pattern = fc.constantFrom(...paths).chain((p) =>
          fc
            .array(fc.boolean(), { minLength: p.length, maxLength: p.length })
            .map((stars): PathPattern => p.map((seg, k) => (stars[k] === true || typeof seg === 'number' ? '*' : seg))),
        );
        return fc.record({
          value: fc.constant(value),
          patterns: fc.array(pattern, { minLength: 1, maxLength: 3 }),
          indent: fc.constantFrom(0, 1, 2),
          cuts: fc.array(fc.nat(), { maxLength: 8 }),
        });
      });
    await fc.assert(
      fc.asyncProperty(arb, async ({ value, patterns, indent, cuts }) => {
        const text = JSON.stringify(value, null, indent);
        const bytes = Buffer.from(text, 'utf8');
        // the reader gives U+0000 as U+FFFD (PostgreSQL cannot store it), in values and keys alike
        const pats = patterns.map((p): PathPattern => p.map((seg) => (typeof seg === 'string' ? withoutNul(seg) : seg)));
        const got = await collect(chunks(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)))), pats);
        expect(got).toEqual(walk(deepWithoutNul(JSON.parse(text)), pats));
      }),
      { numRuns: 400 },
    );
  });

  it('property: random garbage either yields or throws ImportError, and terminates', async () => {
    const alphabet = fc.constantFrom(...'{}[]":,\\ \n\t01-.eEtruefalsnl"ab\u00e9'.split(''));
    await fc.assert(
      fc.asyncProperty(fc.array(alphabet, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 4 }), async (cs, cuts) => {
        const bytes = Buffer.from(cs.join(''), 'utf8');
        const err = await errorOf(collect(chunks(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)))), [['a'], ['*', '*']]));
        if (err !== undefined) expect(err).toBeInstanceOf(ImportError);
      }),
      { numRuns: 2000 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), async (raw) => {
        const err = await errorOf(collect(chunks([Buffer.from(raw)]), [['*']]));
        if (err !== undefined) expect(err).toBeInstanceOf(ImportError);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a valid document with one byte mutated yields or throws ImportError', async () => {
    const bytes = Buffer.from(TRIVY_LIKE, 'utf8');
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(), async (at, b, cut) => {
        const copy = Buffer.from(bytes);
        copy[at] = b;
        const err = await errorOf(collect(chunks(splitAt(copy, [cut % copy.length])), TRIVY_PATTERNS));
        if (err !== undefined) expect(err).toBeInstanceOf(ImportError);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('streamJson with sequence', () => {
  async function seq(source: ByteSource, patterns: PathPattern[], options: StreamJsonOptions = {}): Promise<Omit<JsonMatch, 'offset'>[]> {
    const out: Omit<JsonMatch, 'offset'>[] = [];
    for await (const m of streamJson(source, patterns, ctx, { ...options, sequence: true })) out.push({ pattern: m.pattern, path: m.path, value: m.value });
    return out;
  }

  it('reads concatenated, pretty-printed and adjacent top-level values, indexed from 0', async () => {
    const text = '{\n  "a": {"x": 1}\n}\n{"b": 2}{"a": [3]}\n\n  7 "s" {"a": null}';
    expect(await seq(chunks([text]), [['*', 'a'], ['*', 'b']])).toEqual([
      { pattern: 0, path: [0, 'a'], value: { x: 1 } },
      { pattern: 1, path: [1, 'b'], value: 2 },
      { pattern: 0, path: [2, 'a'], value: [3] },
      { pattern: 0, path: [5, 'a'], value: null },
    ]);
    expect((await seq(chunks([text]), [['*']])).map((m) => m.path)).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  it('property: a sequence reads like the array of its values, whatever the chunking and separators', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom(' ', '\n', '\r\n', '\t', ''), { minLength: 6, maxLength: 6 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 6 }),
        async (values, seps, cuts) => {
          // Two adjacent numbers or literals need a separator to stay two values.
          const text = values.map((v, i) => `${JSON.stringify(v)}${seps[i] === '' ? ' ' : (seps[i] ?? ' ')}`).join('');
          const got = await seq(chunks(splitAt(Buffer.from(text), cuts)), [['*']]);
          const want = await collect(chunks([JSON.stringify(values)]), [['*']]);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checks anchors inside each value and refuses a sequence without one', async () => {
    const structure = { what: 'a test report', expected: 'top-level `finding` object', anchors: [{ path: ['finding'], type: 'object' as const }] };
    expect(await seq(chunks(['{"config":{}} {"finding":{"id":1}}']), [['*', 'finding']], { structure })).toEqual([
      { pattern: 0, path: [1, 'finding'], value: { id: 1 } },
    ]);
    const err = await errorOf(seq(chunks(['{"config":{}} {"other":1}']), [['*', 'finding']], { structure }));
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).message).toMatch(/not a test report: no top-level `finding` object/);
  });

  it('names the value index in errors and refuses a truncated last value', async () => {
    const bad = await errorOf(seq(chunks(['{"a":1}\n{"a":2,}']), [['*', 'a']]));
    expect(bad).toBeInstanceOf(ImportError);
    expect((bad as ImportError).field).toBe('$[1]');
    const cut = await errorOf(seq(chunks(['{"a":1}\n{"a":']), [['*', 'a']]));
    expect(cut).toBeInstanceOf(ImportError);
    expect((cut as ImportError).message).toMatch(/truncated/);
  });

  it('treats an empty input as an error unless allowEmpty', async () => {
    expect(await seq(chunks(['  \n']), [['*']], { allowEmpty: true })).toEqual([]);
    expect(await errorOf(seq(chunks(['  \n']), [['*']]))).toBeInstanceOf(ImportError);
  });
});

describe('formatJsonPath', () => {
  it('writes identifiers with dots and others bracketed', () => {
    expect(formatJsonPath([])).toBe('$');
    expect(formatJsonPath(['Results', 0, 'a b', 'x'])).toBe('$.Results[0]["a b"].x');
  });
});

describe('readNdjson', () => {
  it('yields one value per line with 1-based line numbers, skipping blank lines', async () => {
    const text = '{"a":1}\n\n  \r\n[2]\r\n"x"';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got: { line: number; value: unknown }[] = [];
      for await (const item of readNdjson(chunks(splitAt(bytes, [cut])), ctx)) got.push(item);
      expect(got).toEqual([
        { line: 1, value: { a: 1 } },
        { line: 4, value: [2] },
        { line: 5, value: 'x' },
      ]);
    }
  });

  it('throws ImportError naming the bad line', async () => {
    const err = await errorOf(
      (async () => {
        for await (const item of readNdjson(chunks(['{"a":1}\n{"a":\n']), ctx)) void item;
      })(),
    );
    expect(err).toBeInstanceOf(ImportError);
    expect(err instanceof ImportError ? err.record : null).toBe(2);
  });
});
