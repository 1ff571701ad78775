/**
 * Signed checkpoints for tests: the RFC 9162 root of every event in the store, signed over
 * `checkpointMessage` and inserted as a row of `audit_checkpoints`, as the product signs them.
 */
import { unzipSync, zipSync } from 'fflate';
import { MerkleTree } from '../../src/audit/merkle.js';
import { checkpointMessage, type Signer } from '../../src/audit/signing.js';
import type { AuditCheckpoint, Db } from '../../src/store/schema.js';

export async function signTestCheckpoint(db: Db, signer: Signer, at: string): Promise<AuditCheckpoint> {
  const rows = await db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq').execute();
  const tree = new MerkleTree(rows.map((r) => Buffer.from(r.hash, 'hex')));
  const root = tree.root().toString('hex');
  const row = { tree_size: tree.size, root_hash: root, at, key_id: signer.keyId, signature: signer.sign(checkpointMessage({ treeSize: tree.size, rootHash: root, at })) };
  await db.insertInto('audit_checkpoints').values(row).execute();
  return row;
}

/** The files of a zip, path → bytes, in the zip's order. */
export function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(bytes)));
}

/** A zip of `files` in their order. */
export function rezip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files));
}
