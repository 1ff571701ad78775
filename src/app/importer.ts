import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { AdvisoryStatement, AssetRecord, FindingRecord, SignalRecord, VulnerabilityRecord } from '../domain/records.js';
import { assetWithDefaults, vulnerabilityWithDefaults } from '../domain/escalation/index.js';
import { IMPORT_KINDS, openItems, type ImportKind } from '../ingest/index.js';
import type { ImportItem } from '../ingest/types.js';
import { sha256Hex } from '../audit/canonical.js';
import {
  advisoryToRow,
  assetToRow,
  findingFromRow,
  findingToRow,
  signalToRow,
  vulnerabilityFromRow,
  vulnerabilityToRow,
} from '../store/records.js';
import type { FindingsTable } from '../store/schema.js';
import { audit, authorize, inTransaction, isoNow, nextId, type AppContext, type Caller, type Trx } from './context.js';
import { nonEmpty, parseInput } from './validate.js';
import { applyNotAffected } from './advisory-apply.js';

export const importInput = z.object({ kind: z.enum(IMPORT_KINDS), file: nonEmpty('file'), format: nonEmpty('format').optional() });

/** Counts of one import; the key of the main count is the kind's own noun (`findings`, `assets`, …). */
export interface ImportResult {
  id: string | null;
  kind: ImportKind;
  format: string;
  file: string;
  sha256: string;
  /** Items of the file's own kind that were read. */
  count: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Findings of the same scanner and target that this newer report no longer lists. */
  resolved: number;
  /** Targets and advisory facts a scanner report carried along. */
  assets_created: number;
  vulnerabilities_created: number;
  /** Advisories: stored findings a `not_affected` statement set to validation `not_affected`. */
  findings_not_affected: number;
  /** Set when the same file (same SHA-256) was imported before: nothing was written. */
  duplicate_of: string | null;
  errors: { record: string | number | null; field: string | null; message: string }[];
}

const KIND_NOUN: Record<ImportKind, ImportItem['kind']> = {
  assets: 'asset',
  vulnerabilities: 'vulnerability',
  findings: 'finding',
  signals: 'signal',
  kev: 'kev',
  epss: 'epss',
  advisories: 'advisory',
};

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

const BATCH = 500;

/** Fields an analyst owns on a finding: a scanner re-import never resets them to defaults. */
function mergeFinding(existing: FindingRecord, incoming: FindingRecord, authoritative: boolean): FindingRecord {
  if (authoritative) return { ...incoming, id: existing.id };
  return {
    ...incoming,
    id: existing.id,
    validation: incoming.validation !== 'unvalidated' ? incoming.validation : existing.validation,
    reachability: incoming.reachability !== 'unknown' ? incoming.reachability : existing.reachability,
    containment_needed: incoming.containment_needed !== false ? incoming.containment_needed : existing.containment_needed,
    affected_version_known: existing.affected_version_known && incoming.affected_version_known,
    vendor_scope_known: existing.vendor_scope_known && incoming.vendor_scope_known,
  };
}

const comparable = (r: FindingsTable) => JSON.stringify({ ...r, id: '', first_seen: '', last_seen: '', last_import_id: '', status: '' });

/**
 * Writes parsed items to the store inside the caller's transaction, in batches. Upserts are keyed
 * by id (assets, vulnerabilities, signals) and by fingerprint (findings), so importing the same
 * records again changes nothing.
 */
class ImportWriter {
  readonly scanKeys = new Set<string>();
  /** Advisory statements of this file, applied to stored findings once the file is read. */
  readonly statements: AdvisoryStatement[] = [];
  private findings: { record: FindingRecord; scanKey: string | null }[] = [];

  constructor(
    private readonly trx: Trx,
    private readonly at: string,
    private readonly importId: string,
    private readonly result: ImportResult,
    private readonly nativeFindings: boolean,
  ) {}

  async add(item: ImportItem, own: boolean): Promise<void> {
    switch (item.kind) {
      case 'finding':
        this.findings.push({ record: item.record, scanKey: item.scanKey });
        if (item.scanKey !== null) this.scanKeys.add(item.scanKey);
        if (this.findings.length >= BATCH) await this.flushFindings();
        return;
      case 'asset':
        return this.upsertAsset(item.record);
      case 'asset_ref':
        // a target the report scanned, even with no findings left: its old findings resolve
        if (item.scanKey) this.scanKeys.add(item.scanKey);
        return this.insertAssetIfMissing(assetWithDefaults({ id: item.record.id, name: item.record.name, components: item.record.components, extra: item.record.target_type ? { target_type: item.record.target_type } : {} }));
      case 'vulnerability':
        return this.upsertVulnerability(item.record, own);
      case 'signal':
        return this.upsertSignal(item.record);
      case 'advisory':
        this.statements.push(item.record);
        return this.insertAdvisory(item.record);
      case 'kev':
        return this.patchVulnerability(item.record.cve, { kev_date_added: item.record.dateAdded, kev_due_date: item.record.dueDate, kev_ransomware: item.record.knownRansomwareCampaignUse ? 1 : 0 });
      case 'epss':
        return this.patchVulnerability(item.record.cve, { epss_score: item.record.score, epss_percentile: item.record.percentile, epss_date: item.record.date });
    }
  }

  private count(changed: 'created' | 'updated' | 'unchanged'): void {
    this.result[changed] += 1;
  }

  private async upsertAsset(a: AssetRecord): Promise<void> {
    const row = assetToRow(a, this.at);
    const existing = await this.trx.selectFrom('assets').selectAll().where('id', '=', a.id).executeTakeFirst();
    if (!existing) {
      await this.trx.insertInto('assets').values(row).execute();
      return this.count('created');
    }
    if (JSON.stringify({ ...existing, updated_at: '' }) === JSON.stringify({ ...row, updated_at: '' })) return this.count('unchanged');
    await this.trx.updateTable('assets').set(row).where('id', '=', a.id).execute();
    this.count('updated');
  }

  private async insertAssetIfMissing(a: AssetRecord): Promise<void> {
    const r = await this.trx.insertInto('assets').values(assetToRow(a, this.at)).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) this.result.assets_created += 1;
  }

  private async upsertVulnerability(v: VulnerabilityRecord, authoritative: boolean): Promise<void> {
    const existingRow = await this.trx.selectFrom('vulnerabilities').selectAll().where('id', '=', v.id).executeTakeFirst();
    if (!existingRow) {
      await this.trx.insertInto('vulnerabilities').values(vulnerabilityToRow(v, this.at)).execute();
      if (authoritative) this.count('created');
      else this.result.vulnerabilities_created += 1;
      return;
    }
    const existing = vulnerabilityFromRow(existingRow);
    // KEV and EPSS come from their own files and are kept unless this record gives them.
    const merged: VulnerabilityRecord = authoritative
      ? { ...v, kev: v.kev ?? existing.kev, epss: v.epss ?? existing.epss, cvss: v.cvss ?? existing.cvss, title: v.title ?? existing.title }
      : { ...existing, cvss: existing.cvss ?? v.cvss, title: existing.title ?? v.title, fix_available: existing.fix_available ?? v.fix_available, references: existing.references.length > 0 ? existing.references : v.references };
    const row = vulnerabilityToRow(merged, this.at);
    if (JSON.stringify({ ...existingRow, updated_at: '' }) === JSON.stringify({ ...row, updated_at: '' })) {
      if (authoritative) this.count('unchanged');
      return;
    }
    await this.trx.updateTable('vulnerabilities').set(row).where('id', '=', v.id).execute();
    if (authoritative) this.count('updated');
  }

  private async patchVulnerability(id: string, patch: Partial<ReturnType<typeof vulnerabilityToRow>>): Promise<void> {
    const existing = await this.trx.selectFrom('vulnerabilities').selectAll().where('id', '=', id).executeTakeFirst();
    if (!existing) {
      await this.trx.insertInto('vulnerabilities').values({ ...vulnerabilityToRow(vulnerabilityWithDefaults({ id }), this.at), ...patch }).execute();
      return this.count('created');
    }
    const same = Object.entries(patch).every(([k, v]) => existing[k as keyof typeof existing] === v);
    if (same) return this.count('unchanged');
    await this.trx.updateTable('vulnerabilities').set({ ...patch, updated_at: this.at }).where('id', '=', id).execute();
    this.count('updated');
  }

  private async upsertSignal(s: SignalRecord): Promise<void> {
    const row = signalToRow(s);
    const existing = await this.trx.selectFrom('signals').selectAll().where('id', '=', s.id).executeTakeFirst();
    if (!existing) {
      await this.trx.insertInto('signals').values(row).execute();
      return this.count('created');
    }
    if (JSON.stringify(existing) === JSON.stringify(row)) return this.count('unchanged');
    await this.trx.updateTable('signals').set(row).where('id', '=', s.id).execute();
    this.count('updated');
  }

  private async insertAdvisory(a: AdvisoryStatement): Promise<void> {
    const id = sha256Hex(JSON.stringify([a.source, a.vulnerability, a.product, a.status, a.justification, a.statement])).slice(0, 32);
    const r = await this.trx.insertInto('advisory_statements').values(advisoryToRow(a, id)).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    this.count(Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? 'created' : 'unchanged');
  }

  async flushFindings(): Promise<void> {
    if (this.findings.length === 0) return;
    const batch = this.findings;
    this.findings = [];
    // within one report the same fingerprint may repeat: the last one wins
    const byFp = new Map(batch.map((f) => [f.record.fingerprint, f]));
    const existing = await this.trx.selectFrom('findings').selectAll().where('fingerprint', 'in', [...byFp.keys()]).execute();
    const known = new Map(existing.map((r) => [r.fingerprint, r]));
    const inserts: FindingsTable[] = [];
    for (const { record, scanKey } of byFp.values()) {
      const old = known.get(record.fingerprint);
      if (!old) {
        inserts.push(findingToRow(record, { at: this.at, scanKey, importId: this.importId }));
        continue;
      }
      const merged = mergeFinding(findingFromRow(old), record, this.nativeFindings);
      const row = { ...findingToRow(merged, { at: this.at, scanKey: scanKey ?? old.scan_key, importId: this.importId }), first_seen: old.first_seen };
      const changed = comparable(row) !== comparable(old) || old.status !== 'open';
      await this.trx
        .updateTable('findings')
        .set(changed ? { ...row, id: old.id } : { last_seen: this.at, last_import_id: this.importId })
        .where('id', '=', old.id)
        .execute();
      this.count(changed ? 'updated' : 'unchanged');
    }
    for (let i = 0; i < inserts.length; i += 50) {
      await this.trx.insertInto('findings').values(inserts.slice(i, i + 50)).execute();
    }
    this.result.created += inserts.length;
  }

  /** Findings of the same scanner and target that this report no longer lists are resolved. */
  async resolveMissing(): Promise<void> {
    for (const key of this.scanKeys) {
      const r = await this.trx
        .updateTable('findings')
        .set({ status: 'resolved' })
        .where('scan_key', '=', key)
        .where('status', '=', 'open')
        .where((eb) => eb.or([eb('last_import_id', '!=', this.importId), eb('last_import_id', 'is', null)]))
        .executeTakeFirst();
      this.result.resolved += Number(r.numUpdatedRows);
    }
  }
}

/**
 * `closeloop import KIND FILE`: streams the file through its parser and stores it in one
 * transaction, so a bad record anywhere leaves nothing of the file behind. The same file imported
 * again (same SHA-256) is recognised and changes nothing.
 */
export async function importFile(ctx: AppContext, caller: Caller, input: z.input<typeof importInput>): Promise<ImportResult> {
  authorize(ctx, caller, 'vr.import');
  const p = parseInput(importInput, input);
  const { format, items } = await openItems(p.kind, p.file, p.format);
  const sha256 = await fileSha256(p.file);
  const result: ImportResult = {
    id: null,
    kind: p.kind,
    format,
    file: p.file,
    sha256,
    count: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    resolved: 0,
    assets_created: 0,
    vulnerabilities_created: 0,
    findings_not_affected: 0,
    duplicate_of: null,
    errors: [],
  };
  const own = KIND_NOUN[p.kind];
  const previous = await ctx.store.db.selectFrom('imports').select('id').where('sha256', '=', sha256).where('kind', '=', p.kind).executeTakeFirst();
  if (previous) {
    // Same bytes as before: parse to validate and count, write nothing.
    for await (const item of items) if (item.kind === own) result.count += 1;
    result.unchanged = result.count;
    result.duplicate_of = previous.id;
    return result;
  }
  return inTransaction(ctx, async (trx) => {
    const at = isoNow(ctx);
    result.id = await nextId(trx, 'IMP');
    const writer = new ImportWriter(trx, at, result.id, result, p.kind === 'findings' && (format === 'native' || format === 'csv'));
    for await (const item of items) {
      if (item.kind === own) result.count += 1;
      await writer.add(item, item.kind === own);
    }
    await writer.flushFindings();
    if (p.kind === 'findings') await writer.resolveMissing();
    if (p.kind === 'advisories') result.findings_not_affected = await applyNotAffected(trx, writer.statements);
    const counts = { ...result, errors: undefined };
    await trx.insertInto('imports').values({ id: result.id, kind: p.kind, format, file: p.file, sha256, counts: JSON.stringify(counts), actor: caller.actor, at }).execute();
    await audit(trx, ctx, caller, { action: `import.${p.kind}`, entityType: 'import', entityId: result.id, incidentId: null, state: counts });
    return result;
  });
}

/** The `--json` shape of an import: the kind's own noun carries the count (FORMATS / issue contract). */
export function presentImport(r: ImportResult): Record<string, unknown> {
  return {
    id: r.id,
    format: r.format,
    file: r.file,
    sha256: r.sha256,
    [r.kind]: r.count,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    ...(r.kind === 'advisories' ? { findings_not_affected: r.findings_not_affected } : {}),
    ...(r.kind === 'findings' ? { resolved: r.resolved, assets_created: r.assets_created, vulnerabilities_created: r.vulnerabilities_created } : {}),
    duplicate_of: r.duplicate_of,
    errors: r.errors,
  };
}
