/**
 * A compact set of string keys by 52-bit hash, for the bulk loader's "was this fingerprint already
 * written in this import?" check while the findings indexes are off. `add` answers whether the hash
 * was seen before: a `false` is certain (the key is new); a `true` means "maybe" (the same key, or
 * a hash collision, about one in 10^4 for a million keys), and the caller then asks the store.
 * Memory: 8 bytes per slot, at most half full (16 MiB for a million keys), never per-key strings.
 */
export class KeyHashSet {
  private slots: Float64Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1 << 16) {
    let size = 1;
    while (size < capacity * 2) size *= 2;
    this.slots = new Float64Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Two independent 32-bit FNV-1a style hashes folded into one positive 52-bit number (never 0). */
  static hash(key: string): number {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ key.length;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    const hi = (h2 >>> 0) & 0xfffff;
    return hi * 0x100000000 + (h1 >>> 0) + 1;
  }

  /** True when the key's hash is present (the key may have been added; false means it was not). */
  has(key: string): boolean {
    const h = KeyHashSet.hash(key);
    return this.slots[this.slot(h)] === h;
  }

  /** Adds the key's hash; true when that hash was already present. */
  add(key: string): boolean {
    const h = KeyHashSet.hash(key);
    const i = this.slot(h);
    if (this.slots[i] === h) return true;
    this.slots[i] = h;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.grow();
    return false;
  }

  /** Where hash `h` is, or the empty slot where it would go (linear probing; the table is never full). */
  private slot(h: number): number {
    let i = (h % (this.mask + 1)) | 0;
    for (let s = this.slots[i]; s !== 0 && s !== h; s = this.slots[i]) i = (i + 1) & this.mask;
    return i;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length - 1;
    for (const h of old) {
      if (h === 0) continue;
      this.slots[this.slot(h)] = h;
    }
  }
}
