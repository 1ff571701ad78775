/**
 * What `audit verify` checks beyond the hash chain: the signed checkpoints (each signature by a
 * trusted key, each root recomputed from the events, each consistent with the one before), the
 * signatures of the events after the latest checkpoint, a configured key with no checkpoint at all,
 * and every checkpoint a witness holds against the store. Each problem names its checkpoint (tree
 * size and time) or its event.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MerkleTree, verifyConsistency } from '../audit/merkle.js';
import { listCheckpoints } from '../audit/checkpoints.js';
import { verifySignature } from '../audit/signing.js';
import { ClError } from '../errors.js';
import { auditEventsFrom } from '../store/repositories/audit-events.js';
import type { AuditCheckpoint, AuditEvent, Db } from '../store/schema.js';
import { checkpointSigned, configRelative, trustedKeys } from './audit-signing.js';
import type { AppContext } from './context.js';

export const checkpointProblemSchema = z.object({
  /** The checkpoint the problem is about (tree size and time), or null. */
  tree_size: z.number().int().nullable(),
  at: z.string().nullable(),
  /** The event the problem is about, or null. */
  seq: z.number().int().nullable(),
  problem: z.string(),
});
export const checkpointsVerificationSchema = z.object({
  ok: z.boolean(),
  /** How many checkpoints the store holds, and the latest. */
  checkpoints: z.number().int(),
  latest: z.object({ tree_size: z.number().int(), at: z.string() }).nullable(),
  /** Events after the latest checkpoint whose signatures were checked. */
  events_after_latest: z.number().int(),
  /** The witness file read (null: none configured or given) and how many checkpoints it holds. */
  witness: z.object({ file: z.string(), checkpoints: z.number().int() }).nullable(),
  problems: z.array(checkpointProblemSchema),
  /** Problems beyond the first MAX_PROBLEMS, counted only. */
  more_problems: z.number().int(),
});
export type CheckpointProblem = z.infer<typeof checkpointProblemSchema>;
export type CheckpointsVerification = z.infer<typeof checkpointsVerificationSchema>;

const MAX_PROBLEMS = 100;
const PAGE = 5000;

/** The leaves (event hashes) of events 1..n with no hole, and the events after `after` among them. */
async function readLog(db: Db, after: number, onAfter: (e: AuditEvent) => void): Promise<Buffer[]> {
  const leaves: Buffer[] = [];
  for (;;) {
    const rows = await auditEventsFrom(db, leaves.length + 1, PAGE);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== leaves.length + 1) return leaves;
      leaves.push(Buffer.from(row.hash, 'hex'));
      if (seq > after) onAfter({ ...row, seq });
    }
    if (rows.length < PAGE) return leaves;
  }
}

interface WitnessLine {
  line: number;
  checkpoint: AuditCheckpoint | null;
}

function readWitness(file: string, given: boolean): WitnessLine[] | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (given) throw new ClError('CL_BAD_INPUT', `--witness: ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { fields: [{ field: 'witness', message: 'unreadable' }] });
    return null;
  }
  return text.split('\n').flatMap((l, i) => {
    if (l.trim() === '') return [];
    try {
      const c = JSON.parse(l) as Partial<AuditCheckpoint>;
      const ok = typeof c.tree_size === 'number' && typeof c.root_hash === 'string' && typeof c.at === 'string' && typeof c.key_id === 'string' && typeof c.signature === 'string';
      return [{ line: i + 1, checkpoint: ok ? (c as AuditCheckpoint) : null }];
    } catch {
      return [{ line: i + 1, checkpoint: null }];
    }
  });
}

/** Checks the checkpoints, the signatures after the latest, and the witness (`witnessFile`, else `audit.witness.file`). */
export async function verifyCheckpoints(ctx: AppContext, opts: { witnessFile?: string } = {}): Promise<CheckpointsVerification> {
  const db = ctx.store.db;
  const keys = trustedKeys(ctx);
  const problems: CheckpointProblem[] = [];
  let more = 0;
  const report = (p: Partial<CheckpointProblem> & { problem: string }): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ tree_size: null, at: null, seq: null, ...p });
    else more += 1;
  };
  const checkpoints = await listCheckpoints(db);
  const latest = checkpoints.at(-1);
  const after = latest?.tree_size ?? 0;
  let eventsAfter = 0;
  const leaves = await readLog(db, after, (e) => {
    eventsAfter += 1;
    if (keys.size === 0) return;
    const key = e.key_id === null ? undefined : keys.get(e.key_id);
    const where = { seq: e.seq, tree_size: latest?.tree_size ?? null, at: latest?.at ?? null };
    if (e.key_id === null || e.signature === null) report({ ...where, problem: `event ${e.seq} (${e.at}) after the latest checkpoint is not signed: it was written without the signing key` });
    else if (key === undefined) report({ ...where, problem: `event ${e.seq} (${e.at}) is signed by key ${e.key_id}, which is not trusted` });
    else if (!verifySignature(key, e.hash, e.signature)) report({ ...where, problem: `event ${e.seq} (${e.at}): its signature does not verify with key ${e.key_id}: it was altered or forged after the latest checkpoint` });
  });
  const tree = new MerkleTree(leaves);
  const size = leaves.length;
  const rootAt = (n: number): string | null => (n <= size ? tree.root(n).toString('hex') : null);

  if (ctx.signer !== undefined && checkpoints.length === 0) {
    report({ problem: `a signing key is configured (key ${ctx.signer.keyId}) but the store holds no checkpoint: checkpoints were deleted (or none was signed: run \`closeloop audit checkpoint\`)` });
  }
  let previous: AuditCheckpoint | undefined;
  for (const c of checkpoints) {
    const named = (problem: string): void => report({ tree_size: c.tree_size, at: c.at, problem: `checkpoint ${c.tree_size} (${c.at}): ${problem}` });
    if (!keys.has(c.key_id)) named(`signed by key ${c.key_id}, which is not trusted (neither audit.signing_key nor in audit.trusted_keys)`);
    else if (!checkpointSigned(keys, c)) named(`its signature does not verify with key ${c.key_id}: the checkpoint was altered`);
    const root = rootAt(c.tree_size);
    if (root === null) named(`it covers ${c.tree_size} events but the log holds ${size}: events after ${size} were deleted`);
    else if (root !== c.root_hash) named(`its root does not match events 1..${c.tree_size}: events it covers were altered, replaced or removed`);
    if (previous !== undefined && root !== null && previous.tree_size <= size) {
      const proof = tree.consistencyProof(previous.tree_size, c.tree_size);
      if (!verifyConsistency(previous.tree_size, c.tree_size, Buffer.from(previous.root_hash, 'hex'), Buffer.from(c.root_hash, 'hex'), proof)) {
        named(`it is not consistent with checkpoint ${previous.tree_size} (${previous.at}): the log was rewritten between them`);
      }
    }
    previous = c;
  }

  const ref = opts.witnessFile ?? (ctx.config.audit.witness?.file !== undefined ? configRelative(ctx.configPath, ctx.config.audit.witness.file) : undefined);
  let witness: CheckpointsVerification['witness'] = null;
  if (ref !== undefined) {
    const lines = readWitness(ref, opts.witnessFile !== undefined);
    if (lines === null) {
      if (checkpoints.length > 0) report({ problem: `the witness file ${ref} cannot be read: checkpoints cannot be checked against it` });
      witness = { file: ref, checkpoints: 0 };
    } else {
      witness = { file: ref, checkpoints: lines.length };
      const stored = new Map(checkpoints.map((c) => [c.tree_size, c]));
      for (const { line, checkpoint: w } of lines) {
        if (w === null) {
          report({ problem: `${ref} line ${line} is not a checkpoint` });
          continue;
        }
        const named = (problem: string): void => report({ tree_size: w.tree_size, at: w.at, problem: `witnessed checkpoint ${w.tree_size} (${w.at}): ${problem}` });
        if (!checkpointSigned(keys, w)) named(`its signature does not verify with a trusted key (${ref} line ${line})`);
        const s = stored.get(w.tree_size);
        if (s === undefined) named('it is missing from the store: the store\'s checkpoints were deleted or replaced');
        else if (s.root_hash !== w.root_hash || s.at !== w.at || s.key_id !== w.key_id || s.signature !== w.signature) named('the store holds a different checkpoint of that size');
        const root = rootAt(w.tree_size);
        if (root === null) named(`it covers ${w.tree_size} events but the log holds ${size}: witnessed events were deleted`);
        else if (root !== w.root_hash) named(`its root does not match events 1..${w.tree_size}: witnessed history was rewritten`);
      }
    }
  }
  return {
    ok: problems.length === 0,
    checkpoints: checkpoints.length,
    latest: latest === undefined ? null : { tree_size: latest.tree_size, at: latest.at },
    events_after_latest: eventsAfter,
    witness,
    problems,
    more_problems: more,
  };
}
