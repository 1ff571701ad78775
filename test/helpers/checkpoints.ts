/**
 * Signed checkpoints for tests: the product's own `signCheckpoint` over every event in the store.
 */
import { unzipSync, zipSync } from 'fflate';
import { signCheckpoint } from '../../src/audit/checkpoints.js';
import type { Signer } from '../../src/audit/signing.js';
import type { AuditCheckpoint, Db } from '../../src/store/schema.js';

export function signTestCheckpoint(db: Db, signer: Signer, at: string): Promise<AuditCheckpoint> {
  return signCheckpoint(db, signer, at);
}

/** The files of a zip, path → bytes, in the zip's order. */
export function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(bytes)));
}

/** A zip of `files` in their order. */
export function rezip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files));
}
