/**
 * A hand-written streaming JSON reader for large scanner reports.
 *
 * Why by hand: on a large Trivy report it costs about half the CPU of @streamparser/json and a
 * quarter of stream-json's, with less memory, and its errors name byte, line, column and path
 * (docs/decisions/json-reader.md; bench/json-readers.mjs). This reader only tracks structure
 * (brackets, strings, keys) byte by byte, and only along the paths that can still lead to a wanted
 * value; a wanted value is sliced out of the input and given to `JSON.parse` whole, so the
 * per-element cost is about that of `JSON.parse` itself. Everything else is skipped by one tight
 * byte loop (strings, bracket counting, line counting).
 *
 * Semantics, pinned down by the tests:
 * - A value is *matched* when its path (object keys and array indices from the root) has the same
 *   length as a pattern and each element matches (`'*'` matches any key or index, a string matches
 *   that object key only). The lowest pattern index wins.
 * - The outermost match wins: a matched value is captured whole and nothing inside it is reported
 *   separately. Matches come in document order.
 * - Memory is bounded by the largest matched value plus the matches of one input chunk; nothing
 *   else is held. A single value (or key) over `MAX_VALUE_BYTES` is refused with an ImportError.
 * - Containers on a path that can still match are fully grammar-checked; skipped containers are
 *   only checked for string termination and bracket balance (checking them fully would cost the
 *   speed this reader exists for). Matched values are checked by `JSON.parse`.
 * - Bad or truncated input throws `ImportError(file, 'byte N (line L, column C)', path, problem)`.
 */
import { isAscii } from 'node:buffer';
import { ImportError } from '../../errors.js';
import type { ByteSource, ParseContext } from '../types.js';

/** A path pattern: object keys, where `'*'` stands for any key or array index. */
export type PathPattern = readonly string[];

export interface JsonMatch {
  /** Index of the pattern (in the array given to `streamJson`) that matched. */
  pattern: number;
  /** Path of the value from the root: object keys and array indices. */
  path: (string | number)[];
  value: unknown;
  /** Byte offset of the first byte of the value in the input. */
  offset: number;
}

export interface StreamJsonOptions {
  /** Treat an input that is empty or only whitespace as "no matches" instead of an error. */
  allowEmpty?: boolean;
  /**
   * What the document must minimally be: at least one anchor must be present with the right type,
   * or the input is refused as "not a <format> report" (a wrong `--format` must not read as an
   * empty report).
   */
  structure?: Structure;
  /**
   * Also report, as matches with `pattern: -1`, the values that sit where a wanted value could
   * still be inside but that are not containers (`"Vulnerabilities": "x"`): without this they are
   * skipped silently, and a malformed element reads as an absent one.
   */
  reportScalars?: boolean;
  /**
   * Read a sequence of top-level JSON values (concatenated, pretty-printed or one per line, as
   * `govulncheck -json` writes) instead of a single document. The values are read as though they
   * were the members of one array: paths start with the value's index (pattern `['*', 'finding']`
   * matches the `finding` key of any top-level value), and anchors are looked for inside each value.
   */
  sequence?: boolean;
}

/** One place a format's document is recognised by: an exact key path and the value's JSON type. */
export interface Anchor {
  path: readonly string[];
  type: 'array' | 'object' | 'null' | 'any';
}

/** The minimal structure of a format (see `StreamJsonOptions.structure`). */
export interface Structure {
  /** With its article: `a grype report`, `an npm audit report`, … */
  what: string;
  /** `a top-level \`matches\` array`: what the refusal says was expected. */
  expected: string;
  anchors: readonly Anchor[];
}

/** The value type a first byte starts, as an anchor names it. */
function anchorType(c: number): Anchor['type'] | 'value' {
  if (c === LBRACKET) return 'array';
  if (c === LBRACE) return 'object';
  if (c === 0x6e) return 'null';
  return 'value';
}

// Parser states.
const S_VALUE = 0; // expecting a value
const S_SCAN = 1; // inside a value being skipped or captured
const S_OBJ_FIRST = 2; // after `{`: a key or `}`
const S_OBJ_KEY = 3; // after `,` in an object: a key
const S_KEY = 4; // inside a key string
const S_COLON = 5; // after a key: `:`
const S_ARR_FIRST = 6; // after `[`: a value or `]`
const S_AFTER = 7; // after a value in a container: `,` or the closer
const S_END = 8; // after the root value: only whitespace

/** The largest single value (or key) the reader will hold; far above any real scanner element. */
export const MAX_VALUE_BYTES = 256 * (1 << 20);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NL = 0x0a;

/** First bytes a JSON number or literal can start with: `-`, digits, `t`, `f`, `n`. */
const isPrimStart = (c: number): boolean =>
  c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;

interface Decision {
  /** Pattern index captured at this position, or -1. */
  capture: number;
  /** Patterns longer than this position whose prefix still matches. */
  alive: readonly number[];
}

interface Frame {
  isArray: boolean;
  key: string;
  index: number;
  alive: readonly number[];
  /** Array children all share one decision (only `'*'` matches an index). */
  arrayDecision: Decision | null;
}

const NO_MATCH: Decision = { capture: -1, alive: [] };

export function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `$.Results[0].Vulnerabilities[3]`, the "field" of an ImportError. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let s = '$';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (IDENT.test(p)) s += `.${p}`;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * UTF-8 bytes of JSON text → string, with every escaped U+0000 (`\u0000`) written as an escaped
 * U+FFFD: PostgreSQL cannot store U+0000 in text, and a report must read the same into either
 * engine (a raw U+0000 is not valid JSON, so the escape is the only way in). Pure ASCII (most
 * scanner output) takes the latin1 path, several times faster than any UTF-8 decoder;
 * `TextDecoder` (simdutf) handles the rest, far faster than `Buffer#toString('utf8')` on non-ASCII
 * text in Node 20.
 */
function decodeUtf8(bytes: Buffer): string {
  const text = isAscii(bytes) ? bytes.toString('latin1') : decoder.decode(bytes);
  return text.includes('\\u0000') ? text.replace(ESCAPED_NUL, '$1\\ufffd') : text;
}

/** `\u0000` as an escape: preceded by an even number of backslashes (`\\u0000` is text). */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * The resumable byte scanner behind `streamJson`: `feed` chunks, then `end`.
 *
 * Raw newlines cannot occur inside valid JSON strings, so lines are counted only where the scanner
 * is outside strings; that keeps line numbers (for error messages) almost free.
 */
class JsonScanner {
  private readonly patterns: readonly PathPattern[];
  private readonly file: string;
  private readonly allowEmpty: boolean;
  private readonly structure: Structure | null;
  private anchorDepth: number;
  private anchorSeen: boolean;
  private readonly reportScalars: boolean;
  private readonly hint: string | null;
  /** Frames below the values of a document: 1 in sequence mode (the implicit array), else 0. */
  private readonly rootDepth: number;

  private st = S_VALUE;
  private readonly frames: Frame[] = [];
  private pending: Decision;

  /** Absolute offset of the current chunk; newlines seen so far and the offset of the last one. */
  private base = 0;
  private lines = 0;
  private lastNl = -1;
  private bomLeft = 3;
  private seenValue = false;

  // Value scan state (S_SCAN) and key scan state (S_KEY).
  private inStr = false;
  private esc = false;
  private isPrim = false;
  private depth = 0;
  private brackets = new Uint8Array(64);
  private capturing = -1;
  /** Start of the value or key in the current chunk (0 when it began in an earlier chunk). */
  private start = 0;
  private startAbs = 0;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private keyHasEscape = false;

  private buf: Buffer = Buffer.alloc(0);
  /** The path of a skipped non-container value that `reportScalars` reports. */
  private scalarAt: (string | number)[] | null = null;
  /** null for a JSON null, else what the value is (`a string`): all a reader needs to judge it. */
  private scalarKind: string | null = null;

  constructor(patterns: readonly PathPattern[], ctx: ParseContext, options: StreamJsonOptions) {
    this.patterns = patterns;
    this.file = ctx.file;
    this.hint = ctx.hint ?? null;
    this.allowEmpty = options.allowEmpty === true;
    this.structure = options.structure ?? null;
    this.anchorDepth = this.structure === null ? -1 : Math.max(...this.structure.anchors.map((a) => a.path.length));
    this.anchorSeen = this.structure === null;
    this.reportScalars = options.reportScalars === true;
    this.rootDepth = options.sequence === true ? 1 : 0;
    this.anchorDepth += this.rootDepth;
    this.pending = this.decideRoot();
    if (this.rootDepth === 1) {
      const sequence: Frame = { isArray: true, key: '', index: 0, alive: this.pending.alive, arrayDecision: null };
      this.frames.push(sequence);
      this.pending = this.arrayDecision(sequence);
    }
  }

  private decideRoot(): Decision {
    let capture = -1;
    const alive: number[] = [];
    this.patterns.forEach((p, i) => {
      if (p.length === 0) {
        if (capture < 0) capture = i;
      } else alive.push(i);
    });
    return { capture, alive };
  }

  private decide(k: number, alive: readonly number[], key: string | number): Decision {
    if (alive.length === 0) return NO_MATCH;
    let capture = -1;
    const next: number[] = [];
    for (const p of alive) {
      const pat = this.patterns[p];
      if (pat === undefined) continue;
      const el = pat[k];
      if (el === '*' || (typeof key === 'string' && el === key)) {
        if (pat.length === k + 1) {
          if (capture < 0) capture = p;
        } else next.push(p);
      }
    }
    if (capture < 0 && next.length === 0) return NO_MATCH;
    return { capture, alive: next };
  }

  private arrayDecision(f: Frame): Decision {
    if (f.arrayDecision === null) f.arrayDecision = this.decide(this.frames.length - 1, f.alive, 0);
    return f.arrayDecision;
  }

  private path(containerOnly: boolean): (string | number)[] {
    const n = containerOnly ? this.frames.length - 1 : this.frames.length;
    const out: (string | number)[] = [];
    for (let k = 0; k < n; k++) {
      const f = this.frames[k];
      if (f !== undefined) out.push(f.isArray ? f.index : f.key);
    }
    return out;
  }

  /** The path so far; while reading a key, the key is not part of it yet. */
  private errorPath(): string {
    const containerOnly =
      this.st === S_OBJ_FIRST || this.st === S_OBJ_KEY || this.st === S_KEY || this.st === S_ARR_FIRST;
    return formatJsonPath(this.path(containerOnly));
  }

  /** An error at absolute offset `abs`, where every newline before `abs` has been counted. */
  private fail(abs: number, problem: string): ImportError {
    return new ImportError(
      this.file,
      `byte ${abs} (line ${this.lines + 1}, column ${abs - this.lastNl})`,
      this.errorPath(),
      problem,
    );
  }

  /** A bad value or key that began at `startAbs` (maybe in an earlier chunk); `text` is all of it. */
  private failValue(text: string, problem: string): ImportError {
    let inText = 0;
    for (let p = text.indexOf('\n'); p !== -1; p = text.indexOf('\n', p + 1)) inText++;
    const where =
      inText === 0
        ? `byte ${this.startAbs} (line ${this.lines + 1}, column ${this.startAbs - this.lastNl})`
        : `byte ${this.startAbs} (line ${this.lines + 1 - inText})`;
    return new ImportError(this.file, where, this.errorPath(), problem);
  }

  private describe(c: number | undefined): string {
    if (c === undefined) return 'end of input';
    if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
    return `byte 0x${c.toString(16).padStart(2, '0')}`;
  }

  /** Marks the structure as seen when the value starting with `c` sits at an anchor of the right type. */
  private checkAnchor(c: number, i: number): void {
    const s = this.structure;
    if (s === null) return;
    const n = this.frames.length - this.rootDepth;
    let wrong: Anchor | null = null;
    for (const a of s.anchors) {
      if (a.path.length !== n) continue;
      let same = true;
      for (let k = 0; k < n && same; k++) {
        const f = this.frames[k + this.rootDepth];
        same = f !== undefined && !f.isArray && f.key === a.path[k];
      }
      if (!same) continue;
      if (a.type === 'any' || a.type === anchorType(c)) {
        this.anchorSeen = true;
        return;
      }
      wrong = a;
    }
    // the root's type alone decides nothing: an object root is checked at its keys
    if (wrong === null || n === 0) return;
    const type = wrong.type === 'array' ? 'an array' : wrong.type === 'object' ? 'an object' : wrong.type;
    throw this.structureError(this.base + i, `\`${wrong.path.join('.')}\` is not ${type}`);
  }

  private structureError(abs: number, problem: string): ImportError {
    const s = this.structure;
    const what = s === null ? 'a report' : s.what;
    const hint = this.hint === null ? '' : `; ${this.hint}`;
    return new ImportError(this.file, null, null, `not ${what}: ${problem}${hint} (at byte ${abs})`);
  }

  private pushBracket(c: number): void {
    if (this.depth >= this.brackets.length) {
      const grown = new Uint8Array(this.brackets.length * 2);
      grown.set(this.brackets);
      this.brackets = grown;
    }
    this.brackets[this.depth] = c;
    this.depth++;
  }

  /** Begins skipping or capturing the value whose first byte `c` is at `i`. */
  private startScan(i: number, c: number, capture: number): void {
    this.capturing = capture;
    this.start = i;
    this.startAbs = this.base + i;
    this.parts = [];
    this.partsLen = 0;
    this.depth = 0;
    this.inStr = false;
    this.esc = false;
    this.isPrim = false;
    this.seenValue = true;
    if (c === QUOTE) this.inStr = true;
    else if (c === LBRACE || c === LBRACKET) this.pushBracket(c);
    else if (isPrimStart(c)) this.isPrim = true;
    else throw this.fail(this.base + i, `unexpected ${this.describe(c)} where a value was expected`);
    this.st = S_SCAN;
  }

  /** The bytes from `start` (and earlier chunks) to `end` of the current chunk, decoded. */
  private slice(end: number): string {
    if (this.parts.length === 0) return decodeUtf8(this.buf.subarray(this.start, end));
    this.parts.push(this.buf.subarray(0, end));
    const all = Buffer.concat(this.parts, this.partsLen + end);
    this.parts = [];
    this.partsLen = 0;
    return decodeUtf8(all);
  }

  /** The scanned value ends just before `end` in the current chunk. */
  private finishValue(end: number, out: JsonMatch[]): void {
    if (this.capturing >= 0 || this.isPrim) {
      let text = '';
      let value: unknown;
      try {
        text = this.slice(end);
        value = JSON.parse(text);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw this.failValue(text, `invalid JSON value: ${why}`);
      }
      if (this.capturing >= 0) {
        out.push({ pattern: this.capturing, path: this.path(false), value, offset: this.startAbs });
      }
    }
    if (this.scalarAt !== null) {
      out.push({ pattern: -1, path: this.scalarAt, value: this.scalarKind, offset: this.startAbs });
      this.scalarAt = null;
    }
    this.capturing = -1;
    this.st = this.frames.length > this.rootDepth ? S_AFTER : S_END;
  }

  private finishKey(end: number): void {
    // `start` points at the opening quote (or 0 when the key began in an earlier chunk).
    let key: string;
    if (this.keyHasEscape || this.parts.length > 0) {
      const raw = this.slice(end);
      try {
        const parsed: unknown = JSON.parse(raw);
        key = typeof parsed === 'string' ? parsed : '';
      } catch {
        throw this.failValue(raw, 'invalid object key');
      }
    } else {
      key = this.buf.toString('utf8', this.start + 1, end - 1);
    }
    const f = this.frames[this.frames.length - 1];
    if (f !== undefined) f.key = key;
    this.st = S_COLON;
  }

  private openContainer(c: number, alive: readonly number[]): void {
    const isArray = c === LBRACKET;
    this.frames.push({ isArray, key: '', index: 0, alive, arrayDecision: null });
    this.seenValue = true;
    this.st = isArray ? S_ARR_FIRST : S_OBJ_FIRST;
  }

  private closeContainer(): void {
    this.frames.pop();
    this.st = this.frames.length > this.rootDepth ? S_AFTER : S_END;
  }

  /** Skips whitespace from `i` (counting lines); returns the index of the next byte or `len`. */
  private skipWs(buf: Buffer, i: number, len: number): number {
    while (i < len) {
      const c = buf[i];
      if (c === 0x20 || c === 0x09 || c === 0x0d) i++;
      else if (c === NL) {
        this.lines++;
        this.lastNl = this.base + i;
        i++;
      } else break;
    }
    return i;
  }

  feed(chunk: Buffer, out: JsonMatch[]): void {
    const buf = chunk;
    const len = buf.length;
    if (len === 0) return;
    this.buf = buf;
    let i = 0;
    if (this.bomLeft > 0) {
      // A UTF-8 byte order mark at the very start is allowed (it may be split across chunks).
      const bom = [0xef, 0xbb, 0xbf];
      while (this.bomLeft > 0 && i < len && buf[i] === bom[3 - this.bomLeft]) {
        this.bomLeft--;
        i++;
      }
      if (this.bomLeft > 0 && i < len) {
        if (this.bomLeft !== 3) throw this.fail(this.base + i, 'broken byte order mark');
        this.bomLeft = 0;
      }
    }
    if ((this.st === S_SCAN || this.st === S_KEY) && this.inStr && this.esc) {
      // The previous chunk ended inside an escape: this byte is the escaped character.
      this.esc = false;
      i++;
    }
    if ((this.st === S_SCAN && (this.capturing >= 0 || this.isPrim)) || this.st === S_KEY) this.start = 0;

    while (i < len) {
      switch (this.st) {
        case S_SCAN: {
          if (this.isPrim) {
            while (i < len) {
              const c = buf[i];
              if (c === 0x20 || c === NL || c === 0x0d || c === 0x09 || c === COMMA || c === RBRACE || c === RBRACKET) break;
              i++;
            }
            if (i < len) this.finishValue(i, out);
            break;
          }
          // The hot loop. Strings are walked byte by byte (short keys and values dominate real
          // reports, and a plain loop beats `indexOf` calls on them); brackets are counted and
          // matched; lines are counted here, outside strings, where raw newlines can only be.
          // (Measured: skipping indentation runs in an inner loop made this loop ~20% slower.)
          let depth = this.depth;
          let lines = this.lines;
          let lastNl = this.lastNl;
          let brackets = this.brackets;
          let done = false;
          let inStr = this.inStr;
          scan: for (;;) {
            if (inStr) {
              for (;;) {
                if (i >= len) break scan;
                const d = buf[i++];
                if (d === QUOTE) break;
                if (d === BACKSLASH) i++;
              }
              inStr = false;
              if (depth === 0) {
                done = true;
                break;
              }
            }
            if (i >= len) break;
            const c = buf[i++];
            if (c === QUOTE) inStr = true;
            else if (c === LBRACE || c === LBRACKET) {
              if (depth >= brackets.length) {
                this.depth = depth;
                this.pushBracket(c);
                brackets = this.brackets;
                depth = this.depth;
              } else brackets[depth++] = c;
            } else if (c === RBRACE || c === RBRACKET) {
              const open = brackets[depth - 1];
              if ((c === RBRACE && open !== LBRACE) || (c === RBRACKET && open !== LBRACKET)) {
                this.depth = depth;
                this.lines = lines;
                this.lastNl = lastNl;
                throw this.fail(this.base + i - 1, `unexpected ${this.describe(c)}: brackets do not match`);
              }
              if (--depth === 0) {
                done = true;
                break;
              }
            } else if (c === NL) {
              lines++;
              lastNl = this.base + i - 1;
            }
          }
          if (i > len) {
            // The chunk ended right after a backslash inside a string.
            this.esc = true;
            i = len;
          }
          this.inStr = inStr;
          this.depth = depth;
          this.lines = lines;
          this.lastNl = lastNl;
          if (done) this.finishValue(i, out);
          break;
        }

        case S_VALUE: {
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const c = buf[i] ?? 0;
          const d = this.pending;
          if (!this.anchorSeen && this.frames.length <= this.anchorDepth) this.checkAnchor(c, i);
          if (d.capture < 0 && d.alive.length > 0 && (c === LBRACE || c === LBRACKET)) {
            this.openContainer(c, d.alive);
          } else {
            if (this.reportScalars && d.capture < 0 && d.alive.length > 0 && c !== LBRACE && c !== LBRACKET) {
              this.scalarAt = this.path(false);
              this.scalarKind = c === 0x6e ? null : c === QUOTE ? 'a string' : 'a number or boolean';
            }
            this.startScan(i, c, d.capture);
          }
          i++;
          break;
        }

        case S_AFTER: {
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const c = buf[i];
          const f = this.frames[this.frames.length - 1];
          if (f === undefined) throw this.fail(this.base + i, 'internal: no open container');
          if (c === COMMA) {
            i++;
            if (f.isArray) {
              f.index++;
              this.pending = this.arrayDecision(f);
              this.st = S_VALUE;
            } else this.st = S_OBJ_KEY;
          } else if ((c === RBRACE && !f.isArray) || (c === RBRACKET && f.isArray)) {
            i++;
            this.closeContainer();
          } else {
            throw this.fail(this.base + i, `unexpected ${this.describe(c)}: expected ',' or '${f.isArray ? ']' : '}'}'`);
          }
          break;
        }

        case S_OBJ_FIRST:
        case S_OBJ_KEY: {
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const c = buf[i];
          if (c === QUOTE) {
            this.st = S_KEY;
            this.start = i;
            this.startAbs = this.base + i;
            this.parts = [];
            this.partsLen = 0;
            this.inStr = true;
            this.esc = false;
            this.keyHasEscape = false;
            i++;
          } else if (c === RBRACE && this.st === S_OBJ_FIRST) {
            i++;
            this.closeContainer();
          } else {
            throw this.fail(this.base + i, `unexpected ${this.describe(c)}: expected an object key`);
          }
          break;
        }

        case S_KEY: {
          let closed = false;
          while (i < len) {
            const d = buf[i++];
            if (d === QUOTE) {
              closed = true;
              break;
            }
            if (d === BACKSLASH) {
              this.keyHasEscape = true;
              i++;
            }
          }
          if (i > len) {
            this.esc = true;
            i = len;
          }
          if (closed) {
            this.inStr = false;
            this.finishKey(i);
          }
          break;
        }

        case S_COLON: {
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const c = buf[i];
          if (c !== COLON) throw this.fail(this.base + i, `unexpected ${this.describe(c)}: expected ':'`);
          i++;
          const f = this.frames[this.frames.length - 1];
          this.pending = f === undefined ? NO_MATCH : this.decide(this.frames.length - 1, f.alive, f.key);
          this.st = S_VALUE;
          break;
        }

        case S_ARR_FIRST: {
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const f = this.frames[this.frames.length - 1];
          if (f === undefined) throw this.fail(this.base + i, 'internal: no open container');
          if (buf[i] === RBRACKET) {
            i++;
            this.closeContainer();
          } else {
            f.index = 0;
            this.pending = this.arrayDecision(f);
            this.st = S_VALUE;
          }
          break;
        }

        default: {
          // S_END: only whitespace may follow the root value; in sequence mode, the next value.
          i = this.skipWs(buf, i, len);
          if (i >= len) break;
          const seq = this.rootDepth === 1 ? this.frames[0] : undefined;
          if (seq !== undefined) {
            seq.index++;
            this.pending = this.arrayDecision(seq);
            this.st = S_VALUE;
            break;
          }
          throw this.fail(this.base + i, `unexpected ${this.describe(buf[i])} after the end of the JSON document`);
        }
      }
    }

    // Keep the bytes of a value or key that continues in the next chunk.
    if ((this.st === S_SCAN && (this.capturing >= 0 || this.isPrim)) || this.st === S_KEY) {
      const tail = this.start === 0 ? buf : buf.subarray(this.start);
      this.parts.push(tail);
      this.partsLen += tail.length;
      if (this.partsLen > MAX_VALUE_BYTES) {
        throw new ImportError(
          this.file,
          `byte ${this.startAbs}`,
          this.errorPath(),
          `a single JSON value is larger than ${MAX_VALUE_BYTES / (1 << 20)} MiB; refusing to hold it in memory`,
        );
      }
    }
    this.base += len;
    this.buf = Buffer.alloc(0);
  }

  end(out: JsonMatch[]): void {
    if (this.st === S_SCAN && this.isPrim && this.frames.length === this.rootDepth) {
      // A top-level number or literal ends at the end of input.
      this.start = 0;
      this.finishValue(0, out);
    }
    if (this.st === S_END) {
      if (!this.anchorSeen && this.structure !== null) throw this.structureError(this.base, `no ${this.structure.expected}`);
      return;
    }
    if (this.st === S_VALUE && this.frames.length === this.rootDepth && !this.seenValue) {
      if (this.allowEmpty) return;
      throw this.fail(this.base, this.structure === null ? 'empty document: no JSON value' : `empty document: no JSON value (${this.structure.what} has a ${this.structure.expected})`);
    }
    throw this.fail(this.base, 'unexpected end of input: the JSON document is truncated');
  }
}

/**
 * The values at the given paths, a batch per input chunk (in document order): what `streamJson`
 * yields one by one. Batch consumers skip an async step per value, which at a million values is
 * most of the cost of a parser built on top.
 */
export async function* streamJsonBatches(
  source: ByteSource,
  patterns: PathPattern[],
  ctx: ParseContext,
  options: StreamJsonOptions = {},
): AsyncGenerator<JsonMatch[]> {
  const scanner = new JsonScanner(patterns, ctx, options);
  let out: JsonMatch[] = [];
  for await (const chunk of source) {
    scanner.feed(toBuffer(chunk), out);
    if (out.length > 0) {
      // A fresh array per batch, so the consumer may hold on to the one it was given.
      const batch = out;
      out = [];
      yield batch;
    }
  }
  scanner.end(out);
  if (out.length > 0) yield out;
}

/**
 * Streams the values at the given paths out of a JSON document, in document order, without
 * holding the document. See the module comment for the exact semantics.
 */
export async function* streamJson(
  source: ByteSource,
  patterns: PathPattern[],
  ctx: ParseContext,
  options: StreamJsonOptions = {},
): AsyncGenerator<JsonMatch> {
  for await (const batch of streamJsonBatches(source, patterns, ctx, options)) yield* batch;
}

/**
 * Reads NDJSON: one JSON value per line, blank lines skipped. `line` is 1-based; a bad line throws
 * an ImportError naming it. Memory is bounded by the longest line.
 */
export async function* readNdjson(
  source: ByteSource,
  ctx: ParseContext,
): AsyncGenerator<{ line: number; value: unknown }> {
  for await (const batch of readNdjsonBatches(source, ctx)) yield* batch;
}

/** `readNdjson`'s lines, a batch per input chunk (see `streamJsonBatches`). */
export async function* readNdjsonBatches(
  source: ByteSource,
  ctx: ParseContext,
): AsyncGenerator<{ line: number; value: unknown }[]> {
  let carry: Buffer[] = [];
  let carried = 0;
  let line = 0;
  const parseLine = (bytes: Buffer): { line: number; value: unknown } | null => {
    line++;
    let text = decodeUtf8(bytes);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return null;
    try {
      return { line, value: JSON.parse(text) };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ImportError(ctx.file, line, null, `invalid JSON: ${why}`);
    }
  };
  for await (const raw of source) {
    const buf = toBuffer(raw);
    const out: { line: number; value: unknown }[] = [];
    let from = 0;
    for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, from)) {
      const piece = buf.subarray(from, nl);
      const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      carried = 0;
      from = nl + 1;
      const item = parseLine(bytes);
      if (item !== null) out.push(item);
    }
    if (out.length > 0) yield out;
    if (from < buf.length) {
      carry.push(buf.subarray(from));
      carried += buf.length - from;
      if (carried > MAX_VALUE_BYTES) {
        throw new ImportError(ctx.file, line + 1, null, `line longer than ${MAX_VALUE_BYTES / (1 << 20)} MiB`);
      }
    }
  }
  if (carry.length > 0) {
    const item = parseLine(Buffer.concat(carry));
    if (item !== null) yield [item];
  }
}
