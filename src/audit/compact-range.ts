import { EMPTY_ROOT, leafHash, nodeHash } from './merkle.js';

/**
 * The right edge of an RFC 9162 tree: the roots of its perfect subtrees, largest first, one per set
 * bit of the tree's size (a "compact range" over [0, size)). Appending a leaf merges equal-sized
 * subtrees as a binary counter carries, and the root folds them from the right, so extending a
 * signed tree by k leaves costs O(k + log n) without reading the leaves already covered.
 */
export class CompactRange {
  private constructor(
    private size_: number,
    /** Subtree roots, largest (leftmost) first; subtree i covers 2^(bit i of size) leaves. */
    private readonly nodes: Buffer[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** The range of a tree of `size` leaves from its subtree roots (hex, largest first); null when they do not fit the size. */
  static fromHex(size: number, nodes: readonly string[]): CompactRange | null {
    if (!Number.isInteger(size) || size < 0 || popCount(size) !== nodes.length || nodes.some((n) => !/^[0-9a-f]{64}$/.test(n))) return null;
    return new CompactRange(size, nodes.map((n) => Buffer.from(n, 'hex')));
  }

  get size(): number {
    return this.size_;
  }

  /** Appends leaf data (an event's hash bytes). */
  append(leaf: Buffer): void {
    let node = leafHash(leaf);
    // each trailing 1 bit of the old size is a subtree of the new leaf's size to merge with
    for (let s = this.size_; s % 2 === 1; s = Math.floor(s / 2)) node = nodeHash(this.nodes.pop() as Buffer, node);
    this.nodes.push(node);
    this.size_ += 1;
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let r = this.nodes[this.nodes.length - 1] as Buffer;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = nodeHash(this.nodes[i] as Buffer, r);
    return r;
  }

  toHex(): string[] {
    return this.nodes.map((n) => n.toString('hex'));
  }
}

function popCount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}
