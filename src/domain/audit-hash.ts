import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** The `prev_hash` of the first event of the audit chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 of `data`, hex. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SHA-256 digest (hex) of a value's canonical JSON: what an audit event keeps of a state. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** The fields of an audit event its hash covers. */
export interface HashedEventFields {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  incident_id: string | null;
  digest: string;
  prev_hash: string;
}

/** The fields a hash covers, in a fixed shape, so verification recomputes exactly what was written. */
export function eventHash(e: HashedEventFields): string {
  return sha256Hex(
    canonicalJson({
      seq: e.seq,
      at: e.at,
      actor: e.actor,
      action: e.action,
      entity_type: e.entity_type,
      entity_id: e.entity_id,
      incident_id: e.incident_id,
      digest: e.digest,
      prev_hash: e.prev_hash,
    }),
  );
}

/** 2^256: a multiset digest is a sum of SHA-256 values modulo it. */
const MODULUS = 1n << 256n;

/**
 * An additive multiset hash: the sum of the SHA-256 of each member's canonical JSON modulo 2^256.
 * Adding or removing one member changes the sum by that member's hash alone, so the digest of a
 * table is kept up to date from the rows a change touched, and the order of the rows is irrelevant.
 */
export class MultisetHash {
  private sum = 0n;
  count = 0;

  constructor(hex?: string, count = 0) {
    if (hex !== undefined) this.sum = BigInt(`0x${hex}`);
    this.count = count;
  }

  private static of(member: unknown): bigint {
    return BigInt(`0x${digestOf(member)}`);
  }

  add(member: unknown): void {
    this.sum = (this.sum + MultisetHash.of(member)) % MODULUS;
    this.count += 1;
  }

  remove(member: unknown): void {
    this.sum = (this.sum - MultisetHash.of(member) + MODULUS) % MODULUS;
    this.count -= 1;
  }

  hex(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}
