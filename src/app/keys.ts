/**
 * The audit signing key: `closeloop keys init` makes an Ed25519 key pair beside closeloop.yaml
 * (private key 0600, public key beside it), names it in `audit.signing_key`, and signs a first
 * checkpoint covering the whole log at once; `--rotate` replaces a configured key, whose public key
 * then stays trusted (`audit.trusted_keys`) so the checkpoints it signed still verify.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateSigningKeyPair, signerFromPem, type Signer } from '../audit/signing.js';
import { setConfigValues } from '../config/load.js';
import { ClError } from '../errors.js';
import { createPrivateFile } from '../store/private-file.js';
import { checkpointWith, type CheckpointOut } from './audit-checkpoints.js';
import { configRelative, witnessRecord } from './audit-signing.js';
import { authorize, inTransaction, type AppContext, type Caller } from './context.js';
import { parseInput, recordInput } from './validate.js';

/** Where `keys init` writes the private key by default, relative to closeloop.yaml. */
export const DEFAULT_SIGNING_KEY = 'keys/audit-signing.pem';

/** The public key file beside a private key file: `x.pem` → `x.pub.pem`. */
export const publicKeyFileOf = (privateKeyFile: string): string => `${privateKeyFile.replace(/\.pem$/, '')}.pub.pem`;

/** A new key pair's files and its signer. */
export interface NewKey {
  privateKeyFile: string;
  publicKeyFile: string;
  signer: Signer;
}

/**
 * Makes an Ed25519 key pair: the private key at `file` (mode 0600, its directory 0700 when made),
 * the public key beside it. When `file` is not given, `keys/audit-signing.pem` beside the
 * configuration, or `keys/audit-signing-<key id>.pem` when that one exists. Refuses a file that exists.
 */
export function makeKeyFiles(configPath: string, file?: string): NewKey {
  const pair = generateSigningKeyPair();
  const signer = signerFromPem(pair.privateKeyPem);
  let target = file ?? configRelative(configPath, DEFAULT_SIGNING_KEY);
  if (file === undefined && existsSync(target)) target = configRelative(configPath, `keys/audit-signing-${signer.keyId}.pem`);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const publicKeyFile = publicKeyFileOf(target);
  if (existsSync(publicKeyFile) || !createPrivateFile(target)) {
    throw new ClError('CL_CONFLICT', `${existsSync(publicKeyFile) ? publicKeyFile : target} exists already: a key is never overwritten; choose another file with --out`, { file: target });
  }
  writeFileSync(target, pair.privateKeyPem);
  writeFileSync(publicKeyFile, pair.publicKeyPem, { mode: 0o644 });
  return { privateKeyFile: target, publicKeyFile, signer };
}

/** How the configuration names a file: relative to closeloop.yaml's directory when it is under it. */
export function configReference(configPath: string, file: string): string {
  const rel = path.relative(path.dirname(path.resolve(configPath)), path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
}

export const keysInitInput = z.strictObject({
  /** Where the private key goes (the public key beside it); default keys/audit-signing.pem beside closeloop.yaml. */
  out: z.string().min(1).optional(),
  rotate: z.boolean().default(false),
});
recordInput('signing key', keysInitInput);

export interface KeysInitResult {
  key_id: string;
  public_key: string;
  private_key_file: string;
  public_key_file: string;
  /** The key replaced (--rotate), whose public key is now in audit.trusted_keys. */
  previous_key_id: string | null;
  /** The first checkpoint the new key signed, covering every event so far. */
  checkpoint: CheckpointOut;
}

/** `closeloop keys init [--out FILE] [--rotate]` (admin). */
export async function initKeys(ctx: AppContext, caller: Caller, props: z.input<typeof keysInitInput>): Promise<KeysInitResult> {
  await authorize(ctx, caller, 'keys.manage');
  const input = parseInput(keysInitInput, props);
  const configured = ctx.config.audit.signing_key;
  if (configured !== undefined && !input.rotate) {
    throw new ClError('CL_CONFLICT', `a signing key is configured already (audit.signing_key: ${configured}${ctx.signer ? `, key ${ctx.signer.keyId}` : ''}); \`closeloop keys init --rotate\` replaces it and keeps its public key trusted`, { key: 'audit.signing_key' });
  }
  const key = makeKeyFiles(ctx.configPath, input.out);
  const values: { path: string[]; value: unknown }[] = [{ path: ['audit', 'signing_key'], value: configReference(ctx.configPath, key.privateKeyFile) }];
  const previous = configured !== undefined ? ctx.signer : undefined;
  if (configured !== undefined && previous !== undefined) {
    const oldPublic = publicKeyFileOf(configRelative(ctx.configPath, configured));
    if (!existsSync(oldPublic)) writeFileSync(oldPublic, previous.publicKeyPem, { mode: 0o644 });
    const ref = configReference(ctx.configPath, oldPublic);
    const trusted = ctx.config.audit.trusted_keys;
    values.push({ path: ['audit', 'trusted_keys'], value: trusted.includes(ref) ? [...trusted] : [...trusted, ref] });
  }
  const config = setConfigValues(ctx.configPath, values);
  const next: AppContext = { ...ctx, config, signer: key.signer };
  const state = { key_id: key.signer.keyId, public_key: key.signer.publicKeyPem, previous_key_id: previous?.keyId ?? null };
  const checkpoint = await inTransaction(next, (trx) =>
    checkpointWith(trx, next, caller, { action: previous ? 'audit_key.rotated' : 'audit_key.created', entityType: 'audit_key', entityId: key.signer.keyId, incidentId: null, state }),
  );
  return { key_id: key.signer.keyId, public_key: key.signer.publicKeyPem, private_key_file: key.privateKeyFile, public_key_file: key.publicKeyFile, previous_key_id: state.previous_key_id, checkpoint: witnessRecord(checkpoint) };
}

/** The configured signing key's public key (PEM) and id, for `closeloop keys export`. */
export function signingPublicKey(ctx: AppContext): { key_id: string; public_key: string } {
  if (ctx.signer === undefined) throw new ClError('CL_NOT_FOUND', 'no audit signing key is configured (audit.signing_key): make one with `closeloop keys init`', { what: 'signing key', id: 'audit.signing_key' });
  return { key_id: ctx.signer.keyId, public_key: ctx.signer.publicKeyPem };
}
