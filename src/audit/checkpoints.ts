/**
 * Signed checkpoints of the audit log: the RFC 9162 root of its first `tree_size` events (leaf i is
 * event i+1's hash), the time, and an Ed25519 signature over `checkpointMessage`. A checkpoint
 * keeps its tree's right edge (compact-range.ts), so the next one reads only the events appended
 * since: signing costs O(new events + log n) however long the log is.
 */
import { ClError } from '../errors.js';
import { counterValue } from '../store/counters.js';
import { checkpointOfSize, checkpointsAfter, insertCheckpoint, newestCheckpoint } from '../store/repositories/audit-checkpoints.js';
import { auditHashesBetween } from '../store/repositories/audit-events.js';
import type { AuditCheckpoint, Db } from '../store/schema.js';
import { CompactRange } from './compact-range.js';
import { MerkleTree } from './merkle.js';
import { checkpointMessage, type Signer } from './signing.js';

/** The counter the chain bumps for each event: how many events were written. */
export const AUDIT_SEQ = 'audit_seq';

const PAGE = 10_000;

export function latestCheckpoint(db: Db): Promise<AuditCheckpoint | undefined> {
  return newestCheckpoint(db);
}

export function checkpointAt(db: Db, treeSize: number): Promise<AuditCheckpoint | undefined> {
  return checkpointOfSize(db, treeSize);
}

/** Every checkpoint, smallest tree first. */
export function listCheckpoints(db: Db): Promise<AuditCheckpoint[]> {
  return checkpointsAfter(db, -1);
}

/**
 * Calls `each` with the hash bytes of events `fromSeq`..`toSeq` in order, a page at a time. A
 * missing event is CL_AUDIT_BROKEN: a tree over a log with a hole would sign the hole.
 */
async function eachEventHash(db: Db, fromSeq: number, toSeq: number, each: (hash: Buffer) => void): Promise<void> {
  let next = fromSeq;
  while (next <= toSeq) {
    const rows = await auditHashesBetween(db, next, toSeq, PAGE);
    for (const r of rows) {
      if (r.seq !== next) break;
      each(Buffer.from(r.hash, 'hex'));
      next += 1;
    }
    if (rows.length === 0 || next <= (rows.at(-1)?.seq ?? 0)) {
      throw new ClError('CL_AUDIT_BROKEN', `audit event ${next} is missing: the log cannot be checkpointed; run \`closeloop audit verify\``, { seq: next });
    }
  }
}

/** A MerkleTree over events 1..treeSize (their hashes as leaves). */
export async function eventTree(db: Db, treeSize: number): Promise<MerkleTree> {
  const leaves: Buffer[] = [];
  await eachEventHash(db, 1, treeSize, (h) => leaves.push(h));
  return new MerkleTree(leaves);
}

/** The right edge of the latest checkpoint, when it is intact (its root is the signed one); else an empty range. */
function startFrom(last: AuditCheckpoint | undefined): CompactRange {
  if (last === undefined) return CompactRange.empty();
  let nodes: unknown;
  try {
    nodes = JSON.parse(last.right_edge);
  } catch {
    return CompactRange.empty();
  }
  const range = Array.isArray(nodes) && nodes.every((n) => typeof n === 'string') ? CompactRange.fromHex(last.tree_size, nodes) : null;
  return range !== null && range.root().toString('hex') === last.root_hash ? range : CompactRange.empty();
}

/**
 * Signs a checkpoint of the whole log as it stands in `trx` (every event written so far) at time
 * `at`, and stores it. Returns the checkpoint of that size when there is one already (nothing was
 * appended since). Refuses (CL_AUDIT_BROKEN) a log shorter than its latest checkpoint or with a hole.
 */
export async function signCheckpoint(trx: Db, signer: Signer, at: string): Promise<AuditCheckpoint> {
  const size = await counterValue(trx, AUDIT_SEQ);
  const last = await latestCheckpoint(trx);
  if (last !== undefined && last.tree_size === size) return last;
  if (last !== undefined && last.tree_size > size) {
    throw new ClError('CL_AUDIT_BROKEN', `the audit log holds ${size} events but checkpoint ${last.tree_size} (${last.at}) covers more: run \`closeloop audit verify\``, { tree_size: last.tree_size });
  }
  const range = startFrom(last);
  await eachEventHash(trx, range.size + 1, size, (h) => range.append(h));
  const rootHash = range.root().toString('hex');
  const row: AuditCheckpoint = {
    tree_size: size,
    root_hash: rootHash,
    at,
    key_id: signer.keyId,
    signature: signer.sign(checkpointMessage({ treeSize: size, rootHash, at })),
    right_edge: JSON.stringify(range.toHex()),
  };
  await insertCheckpoint(trx, row);
  return row;
}

/**
 * `signCheckpoint` when the log can be checkpointed and has grown since its latest checkpoint;
 * null otherwise (nothing new, or a log shorter than its latest checkpoint or with a hole, which
 * `audit verify` reports): for the checkpoints made along the way, which must not stop the change
 * that occasioned them.
 */
export async function signCheckpointIfSound(trx: Db, signer: Signer, at: string): Promise<AuditCheckpoint | null> {
  const size = await counterValue(trx, AUDIT_SEQ);
  if (size === 0 || (await latestCheckpoint(trx))?.tree_size === size) return null;
  try {
    return await signCheckpoint(trx, signer, at);
  } catch (err) {
    if (err instanceof ClError && err.code === 'CL_AUDIT_BROKEN') return null;
    throw err;
  }
}
