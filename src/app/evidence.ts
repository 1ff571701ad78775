/**
 * Evidence bundles: everything an assessor asks to see of one incident (or of a reproducible sample
 * of them), with the incident's audit events proven by RFC 9162 inclusion proofs to a signed
 * checkpoint, in a zip whose manifest is signed (src/audit/evidence-bundle.ts has the format and
 * the offline verification). The records are read as of the checkpoint: an incident with audit
 * events after it is refused until a newer checkpoint covers them, so a bundle never holds a record
 * its proofs do not.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { auditEventsPath, jsonBytes, packBundle, verifyBundle, type AuditEventsFile, type BundleCheckpoint, type BundleSubject, type BundleVerification } from '../audit/evidence-bundle.js';
import { sha256Hex } from '../audit/canonical.js';
import { MerkleTree } from '../audit/merkle.js';
import { checkpointMessage, publicKeyFromPem, verifySignature, type Signer } from '../audit/signing.js';
import type { Config } from '../config/schema.js';
import { INCIDENT_SEVERITIES } from '../domain/incident.js';
import { sampleIncidents, type SampleResult } from '../domain/sampling.js';
import { ClError } from '../errors.js';
import { createPrivateFile } from '../store/private-file.js';
import {
  attemptsOfIncident,
  auditEventsOfIncident,
  auditHashesUpTo,
  escalationDecisionsOfIncident,
  findCheckpoint,
  handoffNotesOfIncident,
  handoffRevisionsOfIncident,
  incidentsOpenedBetween,
} from '../store/repositories/evidence.js';
import type { AuditCheckpoint, AuditEvent, Db } from '../store/schema.js';
import { createCheckpoint } from './audit-checkpoints.js';
import { loadSigner } from './audit-signing.js';
import { audit, authorize, inTransaction, type AppContext, type Caller } from './context.js';
import { controlCardVersion } from './control-card.js';
import { evidenceIndexHtml } from './evidence-html.js';
import { showIncident, type IncidentView } from './incidents.js';
import { identifier, isoDate, parseInput } from './validate.js';

export const exportEvidenceInput = z
  .strictObject({
    /** One incident… */
    incident: identifier('incident id').optional(),
    /** …or a sample of the incidents opened between `from` and `to` (inclusive). */
    sample: z
      .strictObject({
        n: z.number().int().positive().max(10_000),
        from: isoDate,
        to: isoDate,
        seed: identifier('seed'),
        stratify: z.enum(['severity']).optional(),
      })
      .refine((s) => s.from <= s.to, { message: 'from must not be after to', path: ['to'] })
      .optional(),
    /** The signed checkpoint (its tree size) the proofs lead to; default the latest. */
    checkpoint: z.number().int().positive().optional(),
  })
  .refine((i) => (i.incident === undefined) !== (i.sample === undefined), { message: 'name one incident, or a sample (n, from, to, seed), not both', path: ['incident'] });
export type ExportEvidenceInput = z.input<typeof exportEvidenceInput>;

/** The bundle of one incident as the API asks for it (the path's id, `?checkpoint=` as text). */
export const incidentEvidenceInput = z.strictObject({
  id: identifier('incident id'),
  checkpoint: z.coerce.number().int().positive().optional(),
});

/** The response of `GET /incidents/{id}/evidence`, described: the body is the zip itself. */
export const evidenceZipOutput = z.string().meta({ description: 'the evidence bundle (application/zip)' });

export interface EvidenceExport {
  /** The zip. */
  bytes: Uint8Array;
  /** Its SHA-256 (hex), as the audit event records it. */
  sha256: string;
  /** The file name it is offered as: `<INC-ID>.zip` or `sample-<from>-<to>-<seed>.zip`. */
  name: string;
  incidents: string[];
  checkpoint: { tree_size: number; root_hash: string; at: string };
  /** Where it was written, when it was. */
  file: string | null;
}

/** The file name of a bundle: `<INC-ID>.zip` for one incident, `sample-<from>-<to>-<seed>.zip` for a sample. */
export function evidenceFileName(subject: { incident?: string; sample?: { from: string; to: string; seed: string } }): string {
  if (subject.sample !== undefined) return `sample-${subject.sample.from}-${subject.sample.to}-${subject.sample.seed}.zip`;
  return `${subject.incident ?? ''}.zip`;
}

/** The control card's evidence location (a directory; relative to closeloop.yaml). */
export function evidenceLocation(config: Config, configPath: string): string {
  return path.resolve(path.dirname(configPath), config.control_card.evidence_location);
}

/** Where `--to-evidence-location` writes an incident's bundle: `<evidence_location>/<INC-ID>.zip`. */
export function evidenceLocationFile(config: Config, configPath: string, incidentId: string): string {
  return path.join(evidenceLocation(config, configPath), evidenceFileName({ incident: incidentId }));
}

/**
 * Checks a bundle file offline (no store, no configuration). `publicKeyPem` pins the key; without
 * it the bundle's own key is used. Throws CL_BAD_INPUT for a file that cannot be read or is no bundle.
 */
export function verifyEvidenceFile(file: string, opts: { publicKeyPem?: string } = {}): BundleVerification {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ClError('CL_BAD_INPUT', `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a bundle \`closeloop evidence export\` wrote`, { file });
  }
  return verifyBundle(bytes, file, opts);
}

/**
 * The signing key for manifests: the context's, else the configuration's `audit.signing_key` file
 * (read by loadSigner as at start). None configured: CL_BAD_INPUT saying what to do.
 */
export function evidenceSigner(ctx: AppContext): Signer {
  const signer = ctx.signer ?? loadSigner(ctx.config, ctx.configPath);
  if (signer === undefined) throw new ClError('CL_BAD_INPUT', 'no audit signing key is configured, so the bundle cannot be signed: run `closeloop keys init` first', { field: 'audit.signing_key' });
  return signer;
}

/**
 * The signed checkpoint the proofs lead to (the latest, or the one of `treeSize`). This is the one
 * place checkpoint rows are read for bundles.
 */
export async function evidenceCheckpoint(db: Db, treeSize?: number): Promise<AuditCheckpoint> {
  const row = await findCheckpoint(db, treeSize);
  if (row === undefined) {
    throw treeSize === undefined
      ? new ClError('CL_CONFLICT', 'the audit log has no signed checkpoint to prove events against: run `closeloop audit checkpoint` first', {})
      : new ClError('CL_NOT_FOUND', `checkpoint ${treeSize} not found: --checkpoint takes the tree size of a signed checkpoint (\`closeloop audit checkpoint\` makes one)`, { what: 'checkpoint', id: String(treeSize) });
  }
  return { ...row, tree_size: Number(row.tree_size) };
}

/**
 * Without `--checkpoint`: the latest signed checkpoint when it covers every event of the incidents,
 * else one signed now (the exporter's `audit.checkpoint_requested` event, not the incidents'), so an
 * export never waits for the next checkpoint. Incidents without events (unknown ones) sign nothing.
 */
async function coveringCheckpoint(ctx: AppContext, caller: Caller, ids: readonly string[]): Promise<AuditCheckpoint> {
  const db = ctx.store.db;
  let last = 0;
  for (const id of ids) for (const e of await auditEventsOfIncident(db, id)) last = Math.max(last, Number(e.seq));
  const latest = await findCheckpoint(db);
  if (last > 0 && (latest === undefined || Number(latest.tree_size) < last)) await createCheckpoint(ctx, caller);
  return evidenceCheckpoint(db);
}

/** The public key that signed `cp`: the signing key's, or one of `audit.trusted_keys` with its id. */
function checkpointKeyPem(ctx: AppContext, signer: Signer, cp: AuditCheckpoint): string {
  if (cp.key_id === signer.keyId) return signer.publicKeyPem;
  for (const keyFile of ctx.config.audit.trusted_keys) {
    try {
      const pem = readFileSync(path.resolve(path.dirname(ctx.configPath), keyFile), 'utf8');
      if (publicKeyFromPem(pem).keyId === cp.key_id) return pem;
    } catch {
      // an unreadable trusted key cannot be the checkpoint's
    }
  }
  throw new ClError('CL_CONFLICT', `checkpoint ${cp.tree_size} was signed by key ${cp.key_id}, which is neither the signing key nor one of audit.trusted_keys: add its public key there`, { checkpoint: cp.tree_size, key_id: cp.key_id });
}

const parsed = (text: string | null): unknown => {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** The incident's audit events, refused when any is after the checkpoint (no proof can cover it yet). */
async function eventsUpTo(db: Db, id: string, cp: AuditCheckpoint): Promise<AuditEvent[]> {
  const events = await auditEventsOfIncident(db, id);
  const late = events.filter((e) => e.seq > cp.tree_size);
  if (late.length > 0) {
    throw new ClError(
      'CL_CONFLICT',
      `${id} has ${late.length} audit event(s) after checkpoint ${cp.tree_size} (from event ${late[0]?.seq}), which no proof can cover yet: run \`closeloop audit checkpoint\` first, then export again`,
      { incident: id, checkpoint: cp.tree_size, events: late.map((e) => e.seq) },
    );
  }
  return events;
}

/** The files of one incident, under `incidents/<ID>/`. */
async function incidentFiles(ctx: AppContext, caller: Caller, id: string, cp: AuditCheckpoint, tree: MerkleTree): Promise<{ files: Map<string, Uint8Array>; view: IncidentView; events: number }> {
  const db = ctx.store.db;
  const events = await eventsUpTo(db, id, cp);
  // read as of the checkpoint: computed states (a risk acceptance's expiry) are those of its day
  const view = await showIncident({ ...ctx, now: () => new Date(cp.at) }, caller, id);
  const [attempts, decisions, notes, revisions] = await Promise.all([attemptsOfIncident(db, id), escalationDecisionsOfIncident(db, id), handoffNotesOfIncident(db, id), handoffRevisionsOfIncident(db, id)]);
  const historyOf = (type: string, entity: string) => events.filter((e) => e.entity_type === type && e.entity_id === entity).map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action }));
  const reportOuts = view.notifications.filter((n) => n.purpose === 'reportout');
  const revisionNumbers = [...new Set(view.evidence.flatMap((r) => r.messages.filter((m) => m.purpose === 'reportout').map((m) => m.revision ?? 0)))].sort((a, b) => a - b);
  const dir = `incidents/${id}`;
  const files = new Map<string, Uint8Array>();
  const put = (name: string, value: unknown): void => void files.set(`${dir}/${name}`, jsonBytes(value));
  put('incident.json', {
    incident: view.incident,
    assets: view.assets,
    weaknesses: view.weaknesses,
    required_roles: view.required_roles,
    gate: view.gate,
    gate_flags: view.gate_flags,
    grouping: view.grouping,
    history: historyOf('incident', id),
  });
  put('report-out.json', {
    opened_at: view.incident.reportout_opened_at,
    sent_at: view.incident.reportout_sent_at,
    revisions: revisionNumbers.map((revision) => {
      const msgs = view.evidence.flatMap((r) => r.messages.filter((m) => m.purpose === 'reportout' && (m.revision ?? 0) === revision).map((m) => m.id));
      return {
        revision,
        messages: reportOuts.filter((n) => msgs.includes(n.id)).map((n) => ({ id: n.id, role: n.role, channel: n.channel, address: n.address, created_at: n.created_at, subject: n.subject, body: n.body })),
      };
    }),
  });
  put('notifications.json', {
    notifications: view.notifications.map((n) => ({ ...n, proof: parsed(n.proof), event: parsed(n.event), attempts: attempts.filter((a) => a.notification_id === n.id).map(({ notification_id: _n, ...a }) => a) })),
  });
  put('acknowledgments.json', { acknowledgments: view.acknowledgments, by_role: view.evidence });
  put('remediation.json', { items: view.remediation.map((r) => ({ ...r, audit: historyOf('remediation_item', r.id) })) });
  put('risk-acceptances.json', { risk_acceptances: view.risk_acceptances.map((r) => ({ ...r, history: historyOf('risk_acceptance', r.id) })) });
  put('third-party-notices.json', { notices: view.third_party_notices.map((t) => ({ ...t, history: historyOf('third_party_notice', t.id) })) });
  put('escalation.json', {
    decisions: decisions.map((d) => ({ ...d, triggers: parsed(d.triggers), stay_reasons: parsed(d.stay_reasons), flags: parsed(d.flags), next_actions: parsed(d.next_actions), ssvc: parsed(d.ssvc), evidence: parsed(d.evidence), snapshot: parsed(d.snapshot) })),
    handoff_notes: notes.map((n) => ({ ...n, json: parsed(n.json) })),
    handoff_revisions: revisions.map((r) => ({ ...r, added: parsed(r.added) })),
  });
  // the card in force when the incident was opened (null for incidents opened before cards were versioned)
  const inForce = view.incident.control_card_version === null ? null : await controlCardVersion(db, Number(view.incident.control_card_version));
  put('control-card.json', {
    version_in_force: view.incident.control_card_version === null ? null : Number(view.incident.control_card_version),
    in_force: inForce,
    current_version: ctx.config.control_card.version,
    current: ctx.config.control_card,
  });
  // a change made while the records were read is refused like any event after the checkpoint
  await eventsUpTo(db, id, cp);
  const proven: AuditEventsFile = {
    incident: id,
    checkpoint: { tree_size: cp.tree_size, root_hash: cp.root_hash },
    events: events.map((e) => ({
      ...e,
      proof: { leaf_index: e.seq - 1, tree_size: cp.tree_size, path: tree.inclusionProof(e.seq - 1, cp.tree_size).map((b) => b.toString('hex')) },
    })),
  };
  files.set(auditEventsPath(id), jsonBytes(proven));
  return { files, view, events: events.length };
}

/** The Merkle tree of the log up to the checkpoint, refused when the log no longer has its root. */
async function checkpointTree(db: Db, cp: AuditCheckpoint, keyPem: string): Promise<MerkleTree> {
  const claim = { treeSize: cp.tree_size, rootHash: cp.root_hash, at: cp.at };
  if (!verifySignature(publicKeyFromPem(keyPem).key, checkpointMessage(claim), cp.signature)) {
    throw new ClError('CL_AUDIT_BROKEN', `checkpoint ${cp.tree_size}: its signature does not verify; run \`closeloop audit verify\``, { checkpoint: cp.tree_size });
  }
  const hashes = await auditHashesUpTo(db, cp.tree_size);
  const tree = new MerkleTree(hashes.map((h) => Buffer.from(h, 'hex')));
  if (tree.size !== cp.tree_size || tree.root().toString('hex') !== cp.root_hash) {
    throw new ClError('CL_AUDIT_BROKEN', `the audit log no longer has the root of checkpoint ${cp.tree_size}: events were changed or removed; run \`closeloop audit verify\``, { checkpoint: cp.tree_size });
  }
  return tree;
}

interface Picked {
  ids: string[];
  subject: BundleSubject;
  sample: (SampleResult<{ id: string; stratum: string }> & { population: string[] }) | null;
}

async function pick(ctx: AppContext, p: z.output<typeof exportEvidenceInput>): Promise<Picked> {
  if (p.sample === undefined) return { ids: [p.incident ?? ''], subject: { kind: 'incident' }, sample: null };
  const s = p.sample;
  const candidates = (await incidentsOpenedBetween(ctx.store.db, s.from, s.to)).map((c) => ({ id: c.id, stratum: c.severity }));
  if (candidates.length === 0) throw new ClError('CL_BAD_INPUT', `no incident was opened between ${s.from} and ${s.to}: nothing to sample`, { field: 'sample' });
  const drawn = sampleIncidents(candidates, s.n, s.seed, { stratify: s.stratify === 'severity', strataOrder: INCIDENT_SEVERITIES });
  return {
    ids: drawn.picked.map((c) => c.id).sort(),
    subject: { kind: 'sample', sample: { n: s.n, from: s.from, to: s.to, seed: s.seed, stratify: s.stratify ?? null } },
    sample: { ...drawn, population: candidates.map((c) => c.id) },
  };
}

/** Writes `bytes` to `file` (0600) through a temporary file beside it: a failure leaves nothing behind. */
function stage(file: string, bytes: Uint8Array): string {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    createPrivateFile(tmp);
    writeFileSync(tmp, bytes);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ClError('CL_BAD_INPUT', `${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the directory exists and is writable`, { file });
  }
  return tmp;
}

/**
 * Builds the bundle of one incident or of a sample, audits the export as the exporter's event
 * (`evidence.exported`, no incident, so the incident's own events and proofs stay as they were),
 * and writes it to `write.file` when given (or to the control card's evidence location with
 * `write.toEvidenceLocation`).
 */
export async function exportEvidence(ctx: AppContext, caller: Caller, input: ExportEvidenceInput, write: { file?: string; toEvidenceLocation?: boolean } = {}): Promise<EvidenceExport> {
  const p = parseInput(exportEvidenceInput, input);
  await authorize(ctx, caller, 'evidence.export');
  const signer = evidenceSigner(ctx);
  const db = ctx.store.db;
  const picked = await pick(ctx, p);
  const cp = p.checkpoint !== undefined ? await evidenceCheckpoint(db, p.checkpoint) : await coveringCheckpoint(ctx, caller, picked.ids);
  const cpKey = checkpointKeyPem(ctx, signer, cp);
  const tree = await checkpointTree(db, cp, cpKey);
  const files = new Map<string, Uint8Array>();
  const views: { view: IncidentView; events: number }[] = [];
  for (const id of picked.ids) {
    const one = await incidentFiles(ctx, caller, id, cp, tree);
    for (const [k, v] of one.files) files.set(k, v);
    views.push({ view: one.view, events: one.events });
  }
  if (picked.sample !== null) {
    const { method, strata, population } = picked.sample;
    files.set('sample.json', jsonBytes({ parameters: picked.subject.sample, method, strata, population, picked: picked.ids }));
  }
  const checkpoint: BundleCheckpoint = { tree_size: cp.tree_size, root_hash: cp.root_hash, at: cp.at, key_id: cp.key_id, signature: cp.signature, public_key_pem: cpKey };
  files.set('index.html', Buffer.from(evidenceIndexHtml({ subject: picked.subject, incidents: views, checkpoint, keyId: signer.keyId, sample: picked.sample, controlCard: ctx.config.control_card }), 'utf8'));
  const bytes = packBundle(files, { subject: picked.subject, incidents: picked.ids, checkpoint }, signer);
  const name = evidenceFileName(p);
  const target = write.toEvidenceLocation === true ? path.join(evidenceLocation(ctx.config, ctx.configPath), name) : (write.file ?? null);
  const sha256 = sha256Hex(Buffer.from(bytes));
  if (write.toEvidenceLocation === true) mkdirSync(evidenceLocation(ctx.config, ctx.configPath), { recursive: true, mode: 0o700 });
  const tmp = target === null ? null : stage(target, bytes);
  try {
    await inTransaction(ctx, (trx) =>
      audit(trx, ctx, caller, {
        action: 'evidence.exported',
        entityType: 'evidence',
        entityId: name.replace(/\.zip$/, ''),
        incidentId: null,
        state: { incidents: picked.ids, checkpoint: cp.tree_size, sha256, key_id: signer.keyId, file: target },
      }),
    );
    if (tmp !== null && target !== null) renameSync(tmp, target);
  } catch (err) {
    if (tmp !== null) rmSync(tmp, { force: true });
    throw err;
  }
  return { bytes, sha256, name, incidents: picked.ids, checkpoint: { tree_size: cp.tree_size, root_hash: cp.root_hash, at: cp.at }, file: target };
}
