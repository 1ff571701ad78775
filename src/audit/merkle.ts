import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1, over the audit log: leaf i is the
 * hash of event i+1 (its 32 bytes). Leaf hashes are SHA-256(0x00 || data), interior nodes
 * SHA-256(0x01 || left || right), the empty tree's root SHA-256(""); inclusion and consistency proofs
 * and their verification follow §2.1.3 and §2.1.4 step by step. Pure: verifying a proof needs no
 * store, so an evidence bundle is checked offline with this file alone.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function leafHash(data: Buffer): Buffer {
  return sha256(LEAF, data);
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(NODE, left, right);
}

export const EMPTY_ROOT = sha256();

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * A tree over known leaves, answering any root, inclusion proof or consistency proof of a prefix of
 * them. The hashes of aligned perfect subtrees are kept level by level (2n hashes in all), so every
 * range RFC 9162's recursion asks for costs O(log n).
 */
export class MerkleTree {
  private readonly levels: Buffer[][];

  /** `leaves` are leaf data (an event's hash bytes), not leaf hashes. */
  constructor(leaves: readonly Buffer[]) {
    const level0 = leaves.map(leafHash);
    this.levels = [level0];
    for (let below = level0; below.length > 1; ) {
      const up: Buffer[] = [];
      for (let i = 0; i + 1 < below.length; i += 2) up.push(nodeHash(below[i] as Buffer, below[i + 1] as Buffer));
      this.levels.push(up);
      below = up;
    }
  }

  get size(): number {
    return this.levels[0]?.length ?? 0;
  }

  /** MTH(D[start:end]) for the ranges RFC 9162's recursion produces (start aligned to the largest power of two below end - start). */
  private range(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if (isPowerOfTwo(n) && start % n === 0) {
      const level = Math.log2(n);
      const h = this.levels[level]?.[start / n];
      if (h !== undefined) return h;
    }
    const k = split(n);
    return nodeHash(this.range(start, start + k), this.range(start + k, end));
  }

  /** The root of the first `size` leaves. */
  root(size: number = this.size): Buffer {
    this.check(size);
    return this.range(0, size);
  }

  /** PATH(index, D[0:size]): the audit path of leaf `index` (0-based) in the tree of the first `size` leaves. */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.check(size);
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
    const path = (m: number, start: number, end: number): Buffer[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = split(n);
      return m < k ? [...path(m, start, start + k), this.range(start + k, end)] : [...path(m - k, start + k, end), this.range(start, start + k)];
    };
    return path(index, 0, size);
  }

  /** PROOF(first, D[0:second]): that the tree of `second` leaves extends the tree of `first`. */
  consistencyProof(first: number, second: number = this.size): Buffer[] {
    this.check(second);
    if (!Number.isInteger(first) || first < 0 || first > second) throw new RangeError(`no consistency proof from ${first} to ${second}`);
    if (first === 0 || first === second) return [];
    const sub = (m: number, start: number, end: number, whole: boolean): Buffer[] => {
      const n = end - start;
      if (m === n) return whole ? [] : [this.range(start, end)];
      const k = split(n);
      return m <= k
        ? [...sub(m, start, start + k, whole), this.range(start + k, end)]
        : [...sub(m - k, start + k, end, false), this.range(start, start + k)];
    };
    return sub(first, 0, second, true);
  }

  private check(size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.size) throw new RangeError(`the tree holds ${this.size} leaves, not ${size}`);
  }
}

/** RFC 9162 §2.1.3.2: whether `path` proves leaf data `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(leaf: Buffer, index: number, size: number, path: readonly Buffer[], root: Buffer): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(leaf);
  for (const p of path) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: whether `path` proves the tree (`second`, `secondRoot`) extends (`first`, `firstRoot`). */
export function verifyConsistency(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, path: readonly Buffer[]): boolean {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 0 || first > second) return false;
  if (first === 0) return path.length === 0 && firstRoot.equals(EMPTY_ROOT);
  if (first === second) return path.length === 0 && firstRoot.equals(secondRoot);
  if (path.length === 0 || path.some((p) => p.length !== 32)) return false;
  const proof = isPowerOfTwo(first) ? [firstRoot, ...path] : [...path];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0] as Buffer;
  let sr = proof[0] as Buffer;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}
