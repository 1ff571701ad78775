/**
 * Signed checkpoints as use cases: signing one on demand, listing them, and the RFC 9162 proofs a
 * third party checks against them (`audit/proofs.ts` checks them with no store).
 */
import { z } from 'zod';
import { noteCheckpoint, withoutCheckpoints } from '../audit/chain.js';
import { checkpointAt, eventTree, latestCheckpoint, listCheckpoints, signCheckpoint } from '../audit/checkpoints.js';
import type { ConsistencyProof, InclusionProof, SignedCheckpoint } from '../audit/proofs.js';
import { ClError } from '../errors.js';
import { auditEventsFrom } from '../store/repositories/audit-events.js';
import { firstCheckpointCovering } from '../store/repositories/audit-checkpoints.js';
import type { AuditCheckpoint } from '../store/schema.js';
import { queueWitness, witnessRecord } from './audit-signing.js';
import { audit, authorize, inTransaction, isoNow, type AppContext, type AuditEntry, type Caller, type Trx } from './context.js';
import { parseInput, recordInput } from './validate.js';

/**
 * Appends `entry` and signs a checkpoint covering it (and everything before), in `trx`; queues it
 * to the webhook witness. Needs a signing key.
 */
export async function checkpointWith(trx: Trx, ctx: AppContext, caller: Caller, entry: AuditEntry): Promise<AuditCheckpoint> {
  const signer = ctx.signer;
  if (signer === undefined) throw new ClError('CL_CONFLICT', 'no audit signing key is configured (audit.signing_key): make one with `closeloop keys init`', { key: 'audit.signing_key' });
  return withoutCheckpoints(trx, async () => {
    await audit(trx, ctx, caller, entry);
    const checkpoint = await signCheckpoint(trx, signer, isoNow(ctx));
    noteCheckpoint(trx, checkpoint);
    await queueWitness(trx, ctx, caller, checkpoint);
    return checkpoint;
  });
}

/** A checkpoint as the edges show it (the right edge is the store's business). */
export type CheckpointOut = SignedCheckpoint;
export const checkpointOutput = z.object({ tree_size: z.number().int(), root_hash: z.string(), at: z.string(), key_id: z.string(), signature: z.string() });
export const checkpointListOutput = z.object({ checkpoints: z.array(checkpointOutput) });

/** `closeloop audit checkpoint`: signs a checkpoint of the whole log now (its request is the last event it covers). */
export async function createCheckpoint(ctx: AppContext, caller: Caller): Promise<CheckpointOut> {
  await authorize(ctx, caller, 'audit.checkpoint');
  const c = await inTransaction(ctx, (trx) => checkpointWith(trx, ctx, caller, { action: 'audit.checkpoint_requested', entityType: 'audit_log', entityId: 'audit_log', incidentId: null, state: { requested_by: caller.actor } }));
  return witnessRecord(c);
}

export async function checkpointList(ctx: AppContext, caller: Caller): Promise<{ checkpoints: CheckpointOut[] }> {
  await authorize(ctx, caller, 'audit.read');
  return { checkpoints: (await listCheckpoints(ctx.store.db)).map(witnessRecord) };
}

const size = z.coerce.number().int().positive();
export const proveInput = z.strictObject({ seq: size, checkpoint: size.optional() });
export const consistencyInput = z.strictObject({ from: size, to: size });
recordInput('inclusion proof', proveInput);
recordInput('consistency proof', consistencyInput);

const hex = (b: Buffer): string => b.toString('hex');

async function checkpointOf(ctx: AppContext, treeSize: number): Promise<AuditCheckpoint> {
  const c = await checkpointAt(ctx.store.db, treeSize);
  if (c === undefined) throw new ClError('CL_NOT_FOUND', `no checkpoint of tree size ${treeSize}; \`closeloop audit checkpoints\` lists them`, { what: 'checkpoint', id: treeSize });
  return c;
}

/**
 * The inclusion proof of event `seq` in a signed checkpoint's tree: the given one, else the first
 * that covers the event. Everything is hex; the checkpoint's signature comes with it.
 */
export async function proveEvent(ctx: AppContext, caller: Caller, props: z.input<typeof proveInput>): Promise<InclusionProof> {
  await authorize(ctx, caller, 'audit.read');
  const input = parseInput(proveInput, props);
  const c = input.checkpoint !== undefined ? await checkpointOf(ctx, input.checkpoint) : await firstCheckpointCovering(ctx.store.db, input.seq);
  if (c === undefined) {
    const last = await latestCheckpoint(ctx.store.db);
    throw new ClError('CL_NOT_FOUND', `no checkpoint covers event ${input.seq} yet (the latest covers ${last?.tree_size ?? 0}); sign one with \`closeloop audit checkpoint\``, { what: 'checkpoint', id: input.seq });
  }
  if (input.seq > c.tree_size) throw new ClError('CL_BAD_INPUT', `event ${input.seq} is not in checkpoint ${c.tree_size} (it covers events 1..${c.tree_size})`, { fields: [{ field: 'seq', message: 'after the checkpoint' }] });
  const [event] = await auditEventsFrom(ctx.store.db, input.seq, 1);
  if (event === undefined || Number(event.seq) !== input.seq) throw new ClError('CL_NOT_FOUND', `audit event ${input.seq} not found`, { what: 'audit event', id: input.seq });
  const tree = await eventTree(ctx.store.db, c.tree_size);
  return { seq: input.seq, leaf: event.hash, tree_size: c.tree_size, path: tree.inclusionProof(input.seq - 1, c.tree_size).map(hex), checkpoint: witnessRecord(c) };
}

/** The consistency proof between two signed checkpoints (`from` < `to`), in hex, with both checkpoints. */
export async function proveConsistency(ctx: AppContext, caller: Caller, props: z.input<typeof consistencyInput>): Promise<ConsistencyProof> {
  await authorize(ctx, caller, 'audit.read');
  const input = parseInput(consistencyInput, props);
  if (input.from > input.to) throw new ClError('CL_BAD_INPUT', `FROM (${input.from}) must not be larger than TO (${input.to})`, { fields: [{ field: 'from', message: 'larger than to' }] });
  const from = await checkpointOf(ctx, input.from);
  const to = await checkpointOf(ctx, input.to);
  const tree = await eventTree(ctx.store.db, to.tree_size);
  return { from: witnessRecord(from), to: witnessRecord(to), path: tree.consistencyProof(from.tree_size, to.tree_size).map(hex) };
}
