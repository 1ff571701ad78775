/**
 * The audit log's signing key and witnesses as the configuration names them: the signer loaded at
 * start (`audit.signing_key`), the keys whose signatures count (`trustedKeys`), how the chain signs
 * appended events and checkpoints (`chainSigning`), and where each signed checkpoint is also sent
 * (`audit.witness`: a webhook endpoint through the outbox, in the transaction; a file, once it committed).
 */
import { appendFileSync, closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { ChainSigning } from '../audit/chain.js';
import { AUDIT_SEQ, signCheckpointIfSound } from '../audit/checkpoints.js';
import { counterValue } from '../store/counters.js';
import type { Store } from '../store/db.js';
import { publicKeyFromPem, signerFromPem, verifySignature, checkpointMessage, type Signer } from '../audit/signing.js';
import type { Config } from '../config/schema.js';
import { ClError } from '../errors.js';
import { createPrivateFile } from '../store/private-file.js';
import { checkpointsAfter } from '../store/repositories/audit-checkpoints.js';
import type { AuditCheckpoint, Db } from '../store/schema.js';
import type { AppContext, Caller, Trx } from './context.js';
import { enqueueStandalone } from './outbox.js';

/** A path of the configuration (a key, the witness file) as this process opens it: relative to closeloop.yaml's directory. */
export function configRelative(configPath: string, file: string): string {
  return path.resolve(path.dirname(configPath), file);
}

function readKeyFile(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new ClError('CL_CONFIG_INVALID', `${key}: the key file ${file} ${why}; fix the path in closeloop.yaml or make a key with \`closeloop keys init\``, { key, file });
  }
}

/**
 * The signer of `audit.signing_key` (a PEM Ed25519 private key, relative to closeloop.yaml), or
 * undefined when none is configured. A missing, unreadable or foreign key file is
 * CL_CONFIG_INVALID naming the file and the key; so is a witness webhook naming no endpoint.
 */
export function loadSigner(config: Config, configPath: string): Signer | undefined {
  const hook = config.audit.witness?.webhook;
  if (hook !== undefined && config.delivery.webhook?.endpoints[hook] === undefined) {
    throw new ClError('CL_CONFIG_INVALID', `audit.witness.webhook: ${hook} is not an endpoint of delivery.webhook.endpoints in ${configPath}`, { key: 'audit.witness.webhook' });
  }
  const ref = config.audit.signing_key;
  if (ref === undefined) return undefined;
  const file = configRelative(configPath, ref);
  try {
    return signerFromPem(readKeyFile(file, 'audit.signing_key'));
  } catch (err) {
    if (err instanceof ClError) throw err;
    throw new ClError('CL_CONFIG_INVALID', `audit.signing_key: ${file} is ${(err as Error).message}; \`closeloop keys init\` makes an Ed25519 key`, { key: 'audit.signing_key', file });
  }
}

/**
 * The public keys whose signatures count, by key id: the configured signing key's and those of
 * `audit.trusted_keys` (earlier keys). Never a key read from the store: whoever can write the
 * store could put their own there.
 */
export function trustedKeys(ctx: Pick<AppContext, 'config' | 'configPath' | 'signer'>): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  if (ctx.signer !== undefined) {
    const k = publicKeyFromPem(ctx.signer.publicKeyPem);
    keys.set(k.keyId, k.key);
  }
  for (const [i, ref] of ctx.config.audit.trusted_keys.entries()) {
    const key = `audit.trusted_keys[${i}]`;
    const file = configRelative(ctx.configPath, ref);
    try {
      const k = publicKeyFromPem(readKeyFile(file, key));
      keys.set(k.keyId, k.key);
    } catch (err) {
      if (err instanceof ClError) throw err;
      throw new ClError('CL_CONFIG_INVALID', `${key}: ${file} is ${(err as Error).message}`, { key, file });
    }
  }
  return keys;
}

/** Whether the checkpoint's signature is good by a trusted key. */
export function checkpointSigned(keys: ReadonlyMap<string, KeyObject>, c: Pick<AuditCheckpoint, 'tree_size' | 'root_hash' | 'at' | 'key_id' | 'signature'>): boolean {
  const key = keys.get(c.key_id);
  return key !== undefined && verifySignature(key, checkpointMessage({ treeSize: c.tree_size, rootHash: c.root_hash, at: c.at }), c.signature);
}

/** What a witness is told of a checkpoint: everything a third party needs to check it and hold the store to it. */
export function witnessRecord(c: AuditCheckpoint): { tree_size: number; root_hash: string; at: string; key_id: string; signature: string } {
  return { tree_size: c.tree_size, root_hash: c.root_hash, at: c.at, key_id: c.key_id, signature: c.signature };
}

/** Queues the checkpoint to `audit.witness.webhook`, in the caller's transaction (none when no webhook witness is configured). */
export async function queueWitness(trx: Trx, ctx: AppContext, caller: Caller, c: AuditCheckpoint): Promise<void> {
  const endpoint = ctx.config.audit.witness?.webhook;
  if (endpoint === undefined) return;
  const text = `audit log checkpoint: ${c.tree_size} events, root ${c.root_hash}, signed by key ${c.key_id} at ${c.at}`;
  await enqueueStandalone(trx, ctx, caller, {
    subjectRef: `checkpoint:${c.tree_size}`,
    purpose: 'witness',
    role: `witness:${endpoint}`,
    route: { channel: 'webhook', address: endpoint },
    subject: `[closeloop] audit checkpoint ${c.tree_size}`,
    body: text,
    event: { type: 'audit.checkpoint', incident: null, lines: [{ label: '', text }], data: witnessRecord(c) },
    idempotencyKey: `witness:checkpoint:${c.tree_size}:${c.key_id}:${endpoint}`,
  });
}

/** How `audit()` signs for this context: undefined without a signing key. */
export function chainSigning(ctx: AppContext, caller: Caller): ChainSigning | undefined {
  if (ctx.signer === undefined) return undefined;
  return { signer: ctx.signer, checkpointEvery: ctx.config.audit.checkpoint_every, onCheckpoint: (trx: Db, c) => queueWitness(trx as Trx, ctx, caller, c) };
}

/** The tree size of the last line of the witness file (0 when it is empty or has none). */
function lastWitnessed(file: string): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return 0;
  }
  const len = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(len);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  try {
    const last = JSON.parse(lines.at(-1) ?? '{}') as { tree_size?: unknown };
    return typeof last.tree_size === 'number' ? last.tree_size : 0;
  } catch {
    return 0;
  }
}

/**
 * Appends the store's checkpoints that the witness file (`audit.witness.file`, one JSON line each,
 * 0600) does not hold yet, once the transaction that signed `signed` committed: a rolled-back
 * checkpoint is never witnessed. Catching up from the store also witnesses a checkpoint signed in a
 * transaction of its own (an import's); only checkpoints this context's key signed are written.
 */
export async function witnessToFile(ctx: AppContext, signed: readonly AuditCheckpoint[]): Promise<void> {
  const ref = ctx.config.audit.witness?.file;
  if (ref === undefined || signed.length === 0 || ctx.signer === undefined) return;
  const file = configRelative(ctx.configPath, ref);
  createPrivateFile(file);
  const ours = new Map([[ctx.signer.keyId, publicKeyFromPem(ctx.signer.publicKeyPem).key]]);
  const rows = (await checkpointsAfter(ctx.store.db, lastWitnessed(file))).filter((c) => checkpointSigned(ours, c));
  if (rows.length > 0) appendFileSync(file, rows.map((c) => `${JSON.stringify(witnessRecord(c))}\n`).join(''));
}

/**
 * Runs `fn` (start-up work that appends events with no caller's context, such as recording the
 * control card in force) and, when it appended any, covers them with a checkpoint signed by
 * `signer`: events written without the key are never left after the latest checkpoint.
 */
export async function checkpointingAppends(store: Store, signer: Signer | undefined, now: () => Date, fn: () => Promise<void>): Promise<void> {
  const before = await counterValue(store.db, AUDIT_SEQ);
  await fn();
  if (signer === undefined || (await counterValue(store.db, AUDIT_SEQ)) === before) return;
  await store.transaction((trx) => signCheckpointIfSound(trx, signer, now().toISOString()));
}
