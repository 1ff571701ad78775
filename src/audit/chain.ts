import type { AuditCheckpoint, AuditEvent, Db } from '../store/schema.js';
import { digestOf, eventHash, GENESIS_HASH } from '../domain/audit-hash.js';
import { counterValue, reserveCounter } from '../store/counters.js';
import { auditEventsFrom, auditHashAt, insertAuditEvents } from '../store/repositories/audit-events.js';
import { AUDIT_SEQ, signCheckpointIfSound } from './checkpoints.js';
import type { Signer } from './signing.js';

export { eventHash, GENESIS_HASH };
export type { AuditEvent };
const COUNTER = AUDIT_SEQ;

/**
 * How appended events are signed: each event's hash with `signer`, and a checkpoint of the whole
 * log whenever an append crosses a multiple of `checkpointEvery` events. `onCheckpoint` runs in
 * the same transaction for each checkpoint signed that way (queuing it to a witness); the events
 * it appends are signed but start no checkpoint of their own.
 */
export interface ChainSigning {
  signer: Signer;
  checkpointEvery: number;
  onCheckpoint?: (trx: Db, checkpoint: AuditCheckpoint) => Promise<void>;
}

/** The checkpoints each open transaction signed, for what must wait until it commits (the witness file). */
const signedIn = new WeakMap<Db, AuditCheckpoint[]>();
/** Transactions inside `onCheckpoint`: what they append starts no checkpoint. */
const checkpointing = new WeakSet<Db>();

/** The checkpoints signed in `trx` so far (read after it committed: they are then in the store). */
export function checkpointsSignedIn(trx: Db): readonly AuditCheckpoint[] {
  return signedIn.get(trx) ?? [];
}

/** Records a checkpoint signed in `trx` outside the chain's own crossing (on demand, a first key). */
export function noteCheckpoint(trx: Db, checkpoint: AuditCheckpoint): void {
  const list = signedIn.get(trx) ?? [];
  if (!list.some((c) => c.tree_size === checkpoint.tree_size)) list.push(checkpoint);
  signedIn.set(trx, list);
}

export interface AuditInput {
  at: string;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  incidentId: string | null;
  /** The entity's new state; only its SHA-256 digest is kept in the chain. */
  state: unknown;
}

/**
 * The last event each open transaction appended: its successor, appended by the same transaction,
 * chains onto it without reading it back (a use case often appends several).
 */
const lastAppended = new WeakMap<Db, { seq: number; hash: string }>();

/**
 * Appends one event to the chain inside the caller's transaction. The sequence counter is bumped
 * first (bumpCounter): on PostgreSQL that row lock serialises concurrent writers until the
 * transaction ends, so two transactions never chain onto the same predecessor, and an event this
 * transaction appended last is the predecessor of its next one; SQLite serialises writers anyway.
 */
export async function appendAudit(trx: Db, input: AuditInput, signing?: ChainSigning): Promise<AuditEvent> {
  const [event] = await appendAuditMany(trx, [input], signing);
  if (event === undefined) throw new Error('appendAudit: the chain returned no event for one input');
  return event;
}

/**
 * Appends events to the chain in the order given, as `appendAudit` one after another would: their
 * sequence numbers are taken in one counter upsert and their rows written a thousand a statement
 * (insertAuditEvents). With `signing`, each event's hash is signed and a checkpoint signed when
 * the log crosses a multiple of `checkpointEvery` (see ChainSigning).
 */
export async function appendAuditMany(trx: Db, inputs: readonly AuditInput[], signing?: ChainSigning): Promise<AuditEvent[]> {
  if (inputs.length === 0) return [];
  const first = await reserveCounter(trx, COUNTER, inputs.length);
  const mine = lastAppended.get(trx);
  let prevHash: string;
  if (first === 1) prevHash = GENESIS_HASH;
  else if (mine !== undefined && mine.seq === first - 1) prevHash = mine.hash;
  else prevHash = (await auditHashAt(trx, first - 1)) ?? GENESIS_HASH;
  const events: AuditEvent[] = [];
  for (const [i, input] of inputs.entries()) {
    const base = {
      seq: first + i,
      at: input.at,
      actor: input.actor,
      action: input.action,
      entity_type: input.entityType,
      entity_id: input.entityId,
      incident_id: input.incidentId,
      digest: digestOf(input.state),
      prev_hash: prevHash,
    };
    const hash = eventHash(base);
    const event: AuditEvent = { ...base, hash, key_id: signing?.signer.keyId ?? null, signature: signing?.signer.sign(hash) ?? null };
    events.push(event);
    prevHash = event.hash;
  }
  await insertAuditEvents(trx, events);
  // prevHash is now the last event's hash, and first + inputs.length - 1 its sequence number
  const last = first + inputs.length - 1;
  lastAppended.set(trx, { seq: last, hash: prevHash });
  if (signing !== undefined && Math.floor(last / signing.checkpointEvery) > Math.floor((first - 1) / signing.checkpointEvery)) {
    await checkpointOnCrossing(trx, signing, events.at(-1)?.at ?? '');
  }
  return events;
}

/**
 * The checkpoint an append that crossed a multiple of `checkpointEvery` signs. A log that cannot
 * be checkpointed (shorter than its latest checkpoint, or with a hole) is left to `audit verify`
 * to report: the change that crossed still commits, unsigned by a checkpoint.
 */
async function checkpointOnCrossing(trx: Db, signing: ChainSigning, at: string): Promise<void> {
  if (checkpointing.has(trx)) return;
  await withoutCheckpoints(trx, async () => {
    const checkpoint = await signCheckpointIfSound(trx, signing.signer, at);
    if (checkpoint === null) return;
    noteCheckpoint(trx, checkpoint);
    await signing.onCheckpoint?.(trx, checkpoint);
  });
}

/** Runs `fn` (which signs a checkpoint and hands it on) so that the events it appends start no checkpoint of their own. */
export async function withoutCheckpoints<T>(trx: Db, fn: () => Promise<T>): Promise<T> {
  if (checkpointing.has(trx)) return fn();
  checkpointing.add(trx);
  try {
    return await fn();
  } finally {
    checkpointing.delete(trx);
  }
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  headHash: string;
  /** The first sequence number at which the chain breaks. */
  firstBad: number | null;
  problem: string | null;
}

/**
 * Walks the whole chain in order and recomputes every link. Detects an edited row (its hash no
 * longer matches), a deleted row (a gap in seq, or fewer rows than the sequence counter says
 * were written), and reordered rows (prev_hash no longer points at the row before).
 */
export async function verifyChain(db: Db, pageSize = 5000): Promise<VerifyResult> {
  const written = await counterValue(db, COUNTER);
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  const fail = (seq: number, problem: string): VerifyResult => ({ ok: false, events: count, headHash: prevHash, firstBad: seq, problem });
  for (;;) {
    const rows = await auditEventsFrom(db, expectedSeq, pageSize);
    if (rows.length === 0) break;
    for (const raw of rows) {
      const row: AuditEvent = { ...raw, seq: Number(raw.seq) };
      if (row.seq !== expectedSeq) return fail(expectedSeq, `event ${expectedSeq} is missing (next present is ${row.seq})`);
      if (row.prev_hash !== prevHash) return fail(row.seq, `event ${row.seq} does not follow event ${row.seq - 1} (prev_hash mismatch: rows deleted, reordered or edited)`);
      if (eventHash(row) !== row.hash) return fail(row.seq, `event ${row.seq} was altered (its hash does not match its contents)`);
      prevHash = row.hash;
      expectedSeq += 1;
      count += 1;
    }
  }
  if (count < written) return fail(count + 1, `event ${count + 1} is missing: ${written} events were written but the chain ends at ${count}`);
  return { ok: true, events: count, headHash: prevHash, firstBad: null, problem: null };
}
