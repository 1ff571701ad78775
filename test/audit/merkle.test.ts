import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, MerkleTree, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';

// The leaves and roots of the Certificate Transparency reference tests (RFC 6962 / RFC 9162 hashing).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const flip = (b: Buffer, i: number): Buffer => {
  const c = Buffer.from(b);
  c[i % c.length] = (c[i % c.length] as number) ^ 1;
  return c;
};

describe('RFC 9162 Merkle tree', () => {
  it('gives the reference roots for 1 to 8 leaves, and SHA-256("") for none', () => {
    const tree = new MerkleTree(LEAVES);
    expect(ROOTS.map((_, i) => tree.root(i + 1).toString('hex'))).toEqual(ROOTS);
    expect(tree.root(0).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_ROOT.equals(new MerkleTree([]).root())).toBe(true);
  });

  it('proves every leaf of every prefix, and rejects a proof with any byte, element, index or size changed', () => {
    const leaves = Array.from({ length: 37 }, (_, i) => Buffer.from(`event ${i}`));
    const tree = new MerkleTree(leaves);
    for (let size = 1; size <= leaves.length; size += 1) {
      const root = tree.root(size);
      for (let i = 0; i < size; i += 1) {
        const path = tree.inclusionProof(i, size);
        expect(verifyInclusion(leaves[i] as Buffer, i, size, path, root)).toBe(true);
        if (size > 1) expect(verifyInclusion(leaves[(i + 1) % size] as Buffer, i, size, path, root)).toBe(false);
        expect(verifyInclusion(leaves[i] as Buffer, i, size, path, flip(root, i))).toBe(false);
        for (let j = 0; j < path.length; j += 1) {
          expect(verifyInclusion(leaves[i] as Buffer, i, size, path.map((p, k) => (k === j ? flip(p, i + j) : p)), root)).toBe(false);
          expect(verifyInclusion(leaves[i] as Buffer, i, size, path.filter((_, k) => k !== j), root)).toBe(false);
        }
        expect(verifyInclusion(leaves[i] as Buffer, i, size, [...path, root], root)).toBe(false);
      }
    }
  });

  it('proves every prefix consistent with every larger one, and rejects any change to the proof or the roots', () => {
    const leaves = Array.from({ length: 21 }, (_, i) => Buffer.from(`e${i}`));
    const tree = new MerkleTree(leaves);
    for (let second = 1; second <= leaves.length; second += 1) {
      for (let first = 1; first <= second; first += 1) {
        const path = tree.consistencyProof(first, second);
        const r1 = tree.root(first);
        const r2 = tree.root(second);
        expect(verifyConsistency(first, second, r1, r2, path)).toBe(true);
        expect(verifyConsistency(first, second, flip(r1, first), r2, path)).toBe(false);
        expect(verifyConsistency(first, second, r1, flip(r2, second), path)).toBe(false);
        for (let j = 0; j < path.length; j += 1) {
          expect(verifyConsistency(first, second, r1, r2, path.map((p, k) => (k === j ? flip(p, j) : p)))).toBe(false);
          expect(verifyConsistency(first, second, r1, r2, path.filter((_, k) => k !== j))).toBe(false);
        }
        if (first < second) expect(verifyConsistency(first, second, r1, r2, [...path, r1])).toBe(false);
      }
    }
  });

  it('holds for random trees: a rewritten leaf breaks consistency with the earlier root', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const leaves = Array.from({ length: n }, (_, i) => Buffer.from(String(i)));
        const tree = new MerkleTree(leaves);
        const first = 1 + (a % (n - 1));
        const index = b % first;
        const forged = new MerkleTree(leaves.map((l, i) => (i === index ? Buffer.from('forged') : l)));
        expect(verifyConsistency(first, n, tree.root(first), tree.root(n), tree.consistencyProof(first, n))).toBe(true);
        expect(verifyConsistency(first, n, tree.root(first), forged.root(n), forged.consistencyProof(first, n))).toBe(false);
        expect(verifyInclusion(leaves[index] as Buffer, index, n, tree.inclusionProof(index, n), tree.root(n))).toBe(true);
      }),
    );
  });
});
