/**
 * The proofs `closeloop audit prove` and `audit consistency` print, and their check by a third
 * party: pure, with no store (this file, merkle.ts and signing.ts are all a checker needs). Hashes
 * are lowercase hex; a checkpoint carries its Ed25519 signature, checked with the public key the
 * checker holds (`closeloop keys export`), never one the proof names.
 */
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { checkpointMessage, publicKeyFromPem, verifySignature } from './signing.js';

export interface SignedCheckpoint {
  tree_size: number;
  root_hash: string;
  at: string;
  key_id: string;
  signature: string;
}

/** That event `seq` (its hash `leaf`) is leaf seq-1 of the checkpoint's tree. */
export interface InclusionProof {
  seq: number;
  leaf: string;
  tree_size: number;
  path: string[];
  checkpoint: SignedCheckpoint;
}

/** That checkpoint `to`'s tree extends checkpoint `from`'s. */
export interface ConsistencyProof {
  from: SignedCheckpoint;
  to: SignedCheckpoint;
  path: string[];
}

const HASH = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hashes(v: unknown): Buffer[] | null {
  if (!Array.isArray(v) || !v.every((h) => typeof h === 'string' && HASH.test(h))) return null;
  return v.map((h: string) => Buffer.from(h, 'hex'));
}

/** The problem with a checkpoint's shape or signature (by `publicKeyPem`), or null when it holds. */
function checkpointProblem(c: unknown, publicKeyPem: string, name: string): string | null {
  if (!isObject(c)) return `${name}: not a checkpoint`;
  const { tree_size, root_hash, at, key_id, signature } = c;
  if (typeof tree_size !== 'number' || !Number.isInteger(tree_size) || tree_size < 0) return `${name}: tree_size is not a size`;
  if (typeof root_hash !== 'string' || !HASH.test(root_hash)) return `${name}: root_hash is not a hex SHA-256`;
  if (typeof at !== 'string' || typeof key_id !== 'string' || typeof signature !== 'string') return `${name}: at, key_id and signature must be text`;
  const key = publicKeyFromPem(publicKeyPem);
  if (key.keyId !== key_id) return `${name}: signed by key ${key_id}, not by the key given (${key.keyId})`;
  if (!verifySignature(key.key, checkpointMessage({ treeSize: tree_size, rootHash: root_hash, at }), signature)) return `${name}: the signature does not verify`;
  return null;
}

/** Checks an inclusion proof and its checkpoint's signature; the problem, or null when it holds. */
export function inclusionProblem(proof: unknown, publicKeyPem: string): string | null {
  if (!isObject(proof)) return 'not an inclusion proof';
  const bad = checkpointProblem(proof.checkpoint, publicKeyPem, 'checkpoint');
  if (bad !== null) return bad;
  const c = proof.checkpoint as SignedCheckpoint;
  const path = hashes(proof.path);
  const { seq, leaf, tree_size } = proof;
  if (path === null) return 'path: not a list of hex SHA-256 hashes';
  if (typeof leaf !== 'string' || !HASH.test(leaf)) return 'leaf: not a hex SHA-256';
  if (typeof seq !== 'number' || tree_size !== c.tree_size) return `tree_size ${String(tree_size)} is not the checkpoint's (${c.tree_size})`;
  if (!verifyInclusion(Buffer.from(leaf, 'hex'), seq - 1, c.tree_size, path, Buffer.from(c.root_hash, 'hex'))) return `event ${seq} is not proven in checkpoint ${c.tree_size}: the path does not lead to its root`;
  return null;
}

/** Checks a consistency proof and both checkpoints' signatures; the problem, or null when it holds. */
export function consistencyProblem(proof: unknown, publicKeyPem: string): string | null {
  if (!isObject(proof)) return 'not a consistency proof';
  const bad = checkpointProblem(proof.from, publicKeyPem, 'from') ?? checkpointProblem(proof.to, publicKeyPem, 'to');
  if (bad !== null) return bad;
  const from = proof.from as SignedCheckpoint;
  const to = proof.to as SignedCheckpoint;
  const path = hashes(proof.path);
  if (path === null) return 'path: not a list of hex SHA-256 hashes';
  if (!verifyConsistency(from.tree_size, to.tree_size, Buffer.from(from.root_hash, 'hex'), Buffer.from(to.root_hash, 'hex'), path)) {
    return `checkpoint ${to.tree_size} (${to.at}) does not extend checkpoint ${from.tree_size} (${from.at})`;
  }
  return null;
}
