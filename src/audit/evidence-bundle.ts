import { createHash } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import { canonicalJson } from './canonical.js';
import { eventHash } from './chain.js';
import { verifyInclusion } from './merkle.js';
import { checkpointMessage, publicKeyFromPem, verifySignature, type Signer } from './signing.js';
import { ClError } from '../errors.js';
import type { AuditEvent } from '../store/schema.js';

/**
 * The evidence bundle's format: a zip of canonical-JSON records, an `index.html`, the signed
 * checkpoint the audit events are proven against, and `manifest.json` listing every other file
 * with its SHA-256, signed with Ed25519 in `manifest.sig`. Packing is byte-reproducible (files in
 * a fixed order, one fixed modification time, no export time anywhere); verifying needs nothing
 * but the bundle (and, to pin the key, a public key file): no store, no configuration.
 */

export const BUNDLE_FORMAT = 'closeloop-evidence';
export const BUNDLE_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
export const PUBLIC_KEY = 'public-key.pem';
export const CHECKPOINT = 'checkpoint.json';

/**
 * Every entry's modification time. fflate writes DOS times from a Date's local fields, so a Date
 * built from local fields gives the same bytes in every time zone.
 */
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

/** What a verified file may unpack to at most (sizes as its entries declare them): a zip bomb is refused, not inflated. */
const MAX_UNPACKED_BYTES = 2 * 2 ** 30;

/** A signed checkpoint as the bundle carries it: the row, and the public key that signed it. */
export interface BundleCheckpoint {
  tree_size: number;
  root_hash: string;
  at: string;
  key_id: string;
  signature: string;
  public_key_pem: string;
}

/** One audit event of an incident with its RFC 9162 inclusion proof to the checkpoint. */
export type ProvenEvent = AuditEvent & {
  /** Leaf index (seq - 1), tree size, and the audit path, each node hex. */
  proof: { leaf_index: number; tree_size: number; path: string[] };
};

/** `incidents/<ID>/audit-events.json`. */
export interface AuditEventsFile {
  incident: string;
  checkpoint: { tree_size: number; root_hash: string };
  events: ProvenEvent[];
}

export interface BundleSubject {
  kind: 'incident' | 'sample';
  /** The sample's parameters (kind `sample`). */
  sample?: { n: number; from: string; to: string; seed: string; stratify: string | null };
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  subject: BundleSubject;
  incidents: string[];
  checkpoint: { tree_size: number; root_hash: string; at: string; key_id: string };
  /** The key manifest.sig was made with. */
  key_id: string;
  files: { path: string; sha256: string; bytes: number }[];
}

export const auditEventsPath = (incident: string): string => `incidents/${incident}/audit-events.json`;

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Canonical JSON, with a final newline, as bytes. */
export function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(`${canonicalJson(value)}\n`, 'utf8');
}

/**
 * The zip of `files` (path → bytes) with the checkpoint, the public key, the manifest and its
 * signature. Files are written manifest first, then in path order.
 */
export function packBundle(files: ReadonlyMap<string, Uint8Array>, head: { subject: BundleSubject; incidents: string[]; checkpoint: BundleCheckpoint }, signer: Signer): Uint8Array {
  const all = new Map(files);
  all.set(CHECKPOINT, jsonBytes(head.checkpoint));
  all.set(PUBLIC_KEY, Buffer.from(signer.publicKeyPem, 'utf8'));
  const paths = [...all.keys()].sort();
  const { tree_size, root_hash, at, key_id } = head.checkpoint;
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    subject: head.subject,
    incidents: head.incidents,
    checkpoint: { tree_size, root_hash, at, key_id },
    key_id: signer.keyId,
    files: paths.map((path) => {
      const bytes = all.get(path) as Uint8Array;
      return { path, sha256: sha256Hex(bytes), bytes: bytes.length };
    }),
  };
  const manifestBytes = jsonBytes(manifest);
  const entries: Record<string, Uint8Array> = {};
  entries[MANIFEST] = manifestBytes;
  entries[SIGNATURE] = Buffer.from(`${signer.sign(Buffer.from(manifestBytes))}\n`, 'utf8');
  for (const path of paths) entries[path] = all.get(path) as Uint8Array;
  return zipSync(entries, { level: 6, mtime: FIXED_MTIME });
}

export interface BundleVerification {
  ok: boolean;
  /** Each problem starts with the file it is about. */
  problems: string[];
  incidentIds: string[];
  /** The key the manifest is checked against, and where it came from. */
  keyId: string | null;
  keySource: 'pinned' | 'bundle';
  checkpoint: { tree_size: number; root_hash: string; at: string } | null;
  files: number;
  events: number;
}

const foreign = (name: string, why: string): ClError =>
  new ClError('CL_BAD_INPUT', `${name}: ${why}; an evidence bundle is the zip \`closeloop evidence export\` writes`, { file: name });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks a bundle offline: the manifest's signature (with `publicKeyPem` when given, which pins the
 * key, else the bundle's own), every file's digest and that no file was added or removed, the
 * checkpoint's signature, and each audit event's hash and inclusion proof to the checkpoint's root.
 * Throws CL_BAD_INPUT when the bytes are not a bundle at all (not a zip, no manifest, another format).
 */
export function verifyBundle(zip: Uint8Array, name: string, opts: { publicKeyPem?: string } = {}): BundleVerification {
  let entries: Record<string, Uint8Array>;
  let declared = 0;
  try {
    entries = unzipSync(zip, {
      filter: (f) => {
        declared += f.originalSize;
        if (declared > MAX_UNPACKED_BYTES) throw new RangeError('too large');
        return true;
      },
    });
  } catch (err) {
    if (err instanceof RangeError && err.message === 'too large') throw foreign(name, `unpacks to more than ${MAX_UNPACKED_BYTES / 2 ** 30} GiB`);
    throw foreign(name, 'not a zip file');
  }
  const manifestBytes = entries[MANIFEST];
  if (manifestBytes === undefined) throw foreign(name, `a zip without ${MANIFEST}`);
  const parsed = parseJson(manifestBytes);
  if (isRecord(parsed) && parsed.format !== BUNDLE_FORMAT) throw foreign(name, `${MANIFEST} is of another format (${String(parsed.format)})`);
  if (!isRecord(parsed) && entries[SIGNATURE] === undefined) throw foreign(name, `${MANIFEST} is not JSON and there is no ${SIGNATURE}`);
  const problems: string[] = [];
  const result = (extra: Partial<BundleVerification>): BundleVerification => ({
    ok: problems.length === 0,
    problems,
    incidentIds: [],
    keyId: null,
    keySource: opts.publicKeyPem === undefined ? 'bundle' : 'pinned',
    checkpoint: null,
    files: Object.keys(entries).length,
    events: 0,
    ...extra,
  });

  // a bundle is exactly the archive an export wrote, its end record (no comment) in its last 22 bytes:
  // zip readers skip bytes after the archive, so a changed file would otherwise verify
  const at = (i: number, ...bytes: number[]): boolean => bytes.every((b, k) => zip[i + k] === b);
  if (zip.length < 22 || !at(zip.length - 22, 0x50, 0x4b, 0x05, 0x06) || !at(zip.length - 2, 0, 0)) problems.push(`${name}: bytes were added after the archive's end: it is not the file an export wrote`);

  // the key: pinned, else the bundle's own
  let key: ReturnType<typeof publicKeyFromPem> | null = null;
  const bundleKeyPem = entries[PUBLIC_KEY] === undefined ? undefined : Buffer.from(entries[PUBLIC_KEY]).toString('utf8');
  if (opts.publicKeyPem !== undefined) {
    try {
      key = publicKeyFromPem(opts.publicKeyPem);
    } catch (err) {
      throw new ClError('CL_BAD_INPUT', `--pubkey: ${(err as Error).message}; give the PEM public key file \`closeloop keys\` printed`, { field: '--pubkey' });
    }
    if (bundleKeyPem !== undefined) {
      let bundled: string | null;
      try {
        bundled = publicKeyFromPem(bundleKeyPem).keyId;
      } catch {
        bundled = null;
      }
      if (bundled !== key.keyId) problems.push(`${PUBLIC_KEY}: not the key given with --pubkey (key id ${key.keyId}${bundled === null ? '' : `; the bundle's is ${bundled}`})`);
    }
  } else if (bundleKeyPem === undefined) {
    problems.push(`${PUBLIC_KEY}: missing, so the manifest cannot be checked (or pass --pubkey FILE)`);
  } else {
    try {
      key = publicKeyFromPem(bundleKeyPem);
    } catch (err) {
      problems.push(`${PUBLIC_KEY}: ${(err as Error).message}`);
    }
  }

  const sig = entries[SIGNATURE];
  if (sig === undefined) problems.push(`${SIGNATURE}: missing: the manifest is not signed`);
  else if (key !== null && !verifySignature(key.key, Buffer.from(manifestBytes), Buffer.from(sig).toString('utf8').trim())) {
    problems.push(`${MANIFEST} / ${SIGNATURE}: the signature over ${MANIFEST} does not verify with ${opts.publicKeyPem === undefined ? `the key in ${PUBLIC_KEY}` : 'the key given with --pubkey'} (key id ${key.keyId}): ${MANIFEST} or its signature was changed, or another key signed it`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.files)) {
    problems.push(`${MANIFEST}: not a readable manifest (it was changed)`);
    return result({ keyId: key?.keyId ?? null });
  }
  const manifest = parsed as unknown as Manifest;

  // every file listed, with its digest; nothing added
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (!isRecord(f) || typeof f.path !== 'string') {
      problems.push(`${MANIFEST}: a file entry is malformed`);
      continue;
    }
    listed.add(f.path);
    const bytes = entries[f.path];
    if (bytes === undefined) problems.push(`${f.path}: removed (listed in ${MANIFEST}, not in the zip)`);
    else if (sha256Hex(bytes) !== f.sha256) problems.push(`${f.path}: changed (its SHA-256 is not the one ${MANIFEST} lists)`);
  }
  for (const path of Object.keys(entries).sort()) {
    if (path !== MANIFEST && path !== SIGNATURE && !listed.has(path)) problems.push(`${path}: added (not listed in ${MANIFEST})`);
  }

  // the checkpoint: its own signature, by the key it names
  const cp = parseJson(entries[CHECKPOINT]);
  let checkpoint: BundleVerification['checkpoint'] = null;
  if (!isRecord(cp) || typeof cp.tree_size !== 'number' || typeof cp.root_hash !== 'string' || typeof cp.at !== 'string' || typeof cp.signature !== 'string' || typeof cp.public_key_pem !== 'string') {
    problems.push(`${CHECKPOINT}: missing or not a checkpoint`);
  } else {
    checkpoint = { tree_size: cp.tree_size, root_hash: cp.root_hash, at: cp.at };
    let cpKey: ReturnType<typeof publicKeyFromPem> | null = null;
    try {
      cpKey = publicKeyFromPem(cp.public_key_pem);
    } catch (err) {
      problems.push(`${CHECKPOINT}: public_key_pem: ${(err as Error).message}`);
    }
    if (cpKey !== null) {
      if (cpKey.keyId !== cp.key_id) problems.push(`${CHECKPOINT}: key_id ${String(cp.key_id)} is not the id of its public key (${cpKey.keyId})`);
      if (!HEX64.test(cp.root_hash) || !verifySignature(cpKey.key, checkpointMessage({ treeSize: cp.tree_size, rootHash: cp.root_hash, at: cp.at }), cp.signature)) {
        problems.push(`${CHECKPOINT}: the checkpoint's signature does not verify (tree size ${cp.tree_size}, root ${cp.root_hash}): the checkpoint was forged or changed`);
      }
    }
    const m = manifest.checkpoint as unknown;
    if (!isRecord(m) || m.tree_size !== cp.tree_size || m.root_hash !== cp.root_hash) problems.push(`${CHECKPOINT}: not the checkpoint ${MANIFEST} names`);
  }

  // each incident's events: hash, then inclusion in the checkpoint's tree
  let events = 0;
  const incidentIds = Array.isArray(manifest.incidents) ? manifest.incidents.filter((i): i is string => typeof i === 'string') : [];
  for (const incident of incidentIds) {
    const path = auditEventsPath(incident);
    const file = parseJson(entries[path]);
    if (!isRecord(file) || !Array.isArray(file.events)) {
      if (entries[path] !== undefined || !listed.has(path)) problems.push(`${path}: missing or not a list of audit events`);
      continue;
    }
    for (const raw of file.events as unknown[]) {
      events += 1;
      const e = raw as ProvenEvent;
      const at = `${path}: event ${String(e.seq)}`;
      if (!isRecord(raw) || !isRecord(e.proof) || !Array.isArray(e.proof.path)) {
        problems.push(`${at}: malformed`);
        continue;
      }
      if (e.incident_id !== incident) problems.push(`${at}: belongs to ${String(e.incident_id)}, not ${incident}`);
      if (eventHash(e) !== e.hash) problems.push(`${at}: its hash does not match its contents (the event was changed)`);
      if (checkpoint === null) continue;
      if (e.proof.tree_size !== checkpoint.tree_size || e.proof.leaf_index !== e.seq - 1) {
        problems.push(`${at}: the proof is for leaf ${e.proof.leaf_index} of a tree of ${e.proof.tree_size}, not leaf ${e.seq - 1} of the checkpoint's ${checkpoint.tree_size}`);
        continue;
      }
      const nodes = e.proof.path.map((h) => (typeof h === 'string' && HEX64.test(h) ? Buffer.from(h, 'hex') : Buffer.alloc(0)));
      const ok = HEX64.test(e.hash) && HEX64.test(checkpoint.root_hash) && verifyInclusion(Buffer.from(e.hash, 'hex'), e.proof.leaf_index, checkpoint.tree_size, nodes, Buffer.from(checkpoint.root_hash, 'hex'));
      if (!ok) problems.push(`${at}: the inclusion proof does not lead to the checkpoint's root (a proof element, the event or the checkpoint was changed)`);
    }
  }
  return result({ incidentIds, keyId: key?.keyId ?? null, checkpoint, events });
}
