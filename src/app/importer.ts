import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { AdvisoryStatement, AssetRecord, FindingRecord, SignalRecord, VulnerabilityRecord } from '../domain/records.js';
import { vulnerabilityWithDefaults } from '../domain/escalation/index.js';
import { IMPORT_KINDS, PARSERS, isBlankFile, resolveFormat, type ImportKind } from '../ingest/index.js';
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
import { F, FINDING_COLUMNS, KEYED_COLUMNS, findingRow, findingValues, withBulkTransaction, type BulkSession, type FindingValues, type KeyedRows, type KeyedTable } from '../store/bulk/index.js';
import { ClError, ImportError } from '../errors.js';
import { scannerFillsGaps } from './knowledge.js';
import { throttled, type Progress } from './progress.js';
import { loadRuleset } from './load-ruleset.js';
import type { VulnerabilitiesTable } from '../store/schema.js';
import { importOfFile, insertImport } from '../store/repositories/imports.js';
import { insertAdvisoryStatement } from '../store/repositories/knowledge.js';
import { audit, authorize, isoNow, nextId, type AppContext, type Caller, type Trx } from './context.js';
import { parsedBatches, type WireItem } from './parse-worker.js';
import { nonEmpty, parseInput } from './validate.js';
import { applyNotAffected } from './advisory-apply.js';
import { TargetMatcher } from './asset-matching.js';
import { WarningLines } from './warning-lines.js';
import { SomeFindingsTriage } from './some-findings-triage.js';
import { InventoryAliases } from './inventory-aliases.js';
import { learnsExposure, provisionalAsset } from './provisional-assets.js';
import type { AssetRef } from '../ingest/types.js';

export const importInput = z.strictObject({
  kind: z.enum(IMPORT_KINDS),
  file: nonEmpty('file'),
  format: nonEmpty('format').optional(),
  /** Findings only: decide every new or changed finding in the same transaction (a triage run of the import). */
  triage: z.boolean().optional(),
  /** With `triage`: a ruleset file instead of the shipped default. */
  ruleset: nonEmpty('ruleset').optional(),
  /**
   * Import the file even when the same bytes were imported before (a fixed parser, a store
   * restored from an older backup); the import and its audit event name the earlier one.
   */
  force: z.boolean().optional(),
});

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
  /** Findings: listed again after a newer report had resolved them (reopened). */
  resolved_again: number;
  /** Findings: repeats of a finding within this report, merged into it. `count` = created + updated + unchanged + resolved_again + merged. */
  merged: number;
  /** Targets of the report that no inventory asset matched (by id, alias or name): each is a provisional asset. */
  unmatched_targets: number;
  /** Distinct assets and vulnerabilities that records name and neither the file nor the store holds. */
  unknown_references: { assets: number; vulnerabilities: number };
  /** Items read but not imported, by reason. */
  skipped: Record<string, number>;
  /** What the reader should know (unknown references, unmatched targets): the first lines (WarningLines). */
  warnings: string[];
  /** Advisories: stored findings a `not_affected` statement set to validation `not_affected`. */
  findings_not_affected: number;
  /** With `triage`: the run that decided the new and changed findings of this import. */
  triage: { run: string; ruleset: string; evaluated: number; by_outcome: Record<string, number>; by_trigger: Record<string, number> } | null;
  /** Set when the same file (same SHA-256) was imported before: nothing was written. */
  duplicate_of: string | null;
  /** With `force`: the earlier import of the same file that this one repeats. */
  reimport_of: string | null;
}

const KIND_NOUN: Record<ImportKind, WireItem['kind']> = {
  assets: 'asset',
  vulnerabilities: 'vulnerability',
  findings: 'finding_row',
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

/**
 * Items per lookup/write batch (one round trip each on PostgreSQL, where smaller batches were
 * measurably slower: docs/decisions/import-pipeline.md).
 */
const BATCH = 5000;

/**
 * Fields an analyst owns on a finding: a scanner re-import never resets them to defaults, and an
 * analyst's verdict (`closeloop finding set`) beats every import, native files included: the
 * verdict's validation, reachability and containment flag stay until the next verdict
 * (docs/decisions/analyst-verdicts.md).
 */
function mergeFinding(existing: FindingRecord, incoming: FindingRecord, authoritative: boolean): FindingRecord {
  const merged: FindingRecord = authoritative
    ? { ...incoming, id: existing.id }
    : {
        ...incoming,
        id: existing.id,
        validation: incoming.validation !== 'unvalidated' ? incoming.validation : existing.validation,
        reachability: incoming.reachability !== 'unknown' ? incoming.reachability : existing.reachability,
        containment_needed: incoming.containment_needed !== false ? incoming.containment_needed : existing.containment_needed,
        affected_version_known: existing.affected_version_known && incoming.affected_version_known,
        vendor_scope_known: existing.vendor_scope_known && incoming.vendor_scope_known,
        check: incoming.check ?? existing.check,
      };
  if (existing.verdict_at === null) return merged;
  return {
    ...merged,
    validation: existing.validation,
    reachability: existing.reachability,
    containment_needed: existing.containment_needed,
    ruled_out_by: existing.ruled_out_by,
    verdict_at: existing.verdict_at,
  };
}

/** Columns a re-import compares: all but identity, import bookkeeping and status. */
const COMPARED = FINDING_COLUMNS.map((c, i) => ({ c, i })).filter(({ c }) => !['id', 'first_seen', 'last_seen', 'last_import_id', 'status'].includes(c)).map(({ i }) => i);

function sameContent(a: FindingValues, b: FindingValues): boolean {
  for (const i of COMPARED) if (a[i] !== b[i]) return false;
  return true;
}

/** Two rows of a keyed table hold the same values, `updated_at` aside. */
function sameColumns<T extends KeyedTable>(table: T, a: KeyedRows[T], b: KeyedRows[T]): boolean {
  for (const c of KEYED_COLUMNS[table]) if (c !== 'updated_at' && a[c] !== b[c]) return false;
  return true;
}

/**
 * Writes parsed items to the store inside the caller's transaction, in batches. Upserts are keyed
 * by id (assets, vulnerabilities, signals) and by fingerprint (findings), so importing the same
 * records again changes nothing.
 */
class ImportWriter {
  readonly scanKeys = new Set<string>();
  /** Advisory statements of this file, applied to stored findings once the file is read. */
  readonly statements: AdvisoryStatement[] = [];
  private findings: { values: FindingValues; scanKey: string | null }[] = [];
  /** Set for `import --triage`: decides the findings each batch creates or changes. */
  triage: SomeFindingsTriage | null = null;
  private readonly matcher: TargetMatcher;
  /** Inventory imports: the aliases of the file's assets, written once the file is read. */
  readonly aliases: InventoryAliases;
  /** Signals imports: vulnerability ids the signals name, checked against the store at the end. */
  private readonly signalVulnerabilities = new Set<string>();
  /** Signals imports: unknown assets already reported. */
  private readonly unknownSignalAssets = new Set<string>();
  private readonly warnings = new WarningLines();

  constructor(
    private readonly trx: Trx,
    private readonly bulk: BulkSession,
    private readonly at: string,
    private readonly importId: string,
    private readonly result: ImportResult,
    private readonly nativeFindings: boolean,
    file: string,
  ) {
    this.matcher = new TargetMatcher(trx);
    this.aliases = new InventoryAliases(file);
  }

  warn(line: string): void {
    this.warnings.add(line);
  }

  /** Puts the warnings in the result. */
  finishWarnings(): void {
    this.result.warnings = this.warnings.close();
  }

  /** Takes one item; returns a promise only when it has to wait (a finding does once a batch is full). */
  add(item: WireItem, own: boolean): Promise<void> | undefined {
    switch (item.kind) {
      case 'finding_row': {
        const m = this.matcher.cached(item.values[F.target]);
        if (m === undefined) return this.matchThenAdd(item, own);
        // the fingerprint and scan key stay the report's target's; the asset is the one it matched
        item.values[F.asset_id] = m.asset;
        this.findings.push(item);
        if (item.scanKey !== null) this.scanKeys.add(item.scanKey);
        return this.findings.length >= BATCH ? this.flushFindings() : undefined;
      }
      case 'asset':
        this.aliases.add(item.record, item.place);
        return this.upsertAsset(item.record);
      case 'asset_ref':
        // a target the report scanned, even with no findings left: its old findings resolve
        if (item.scanKey) this.scanKeys.add(item.scanKey);
        return this.matchTarget(item.record);
      case 'vulnerability':
        return this.upsertVulnerability(item.record, own);
      case 'signal':
        return this.matchSignal(item.record).then(() => this.upsertSignal(item.record));
      case 'advisory':
        this.statements.push(item.record);
        return this.insertAdvisory(item.record);
      case 'kev':
        return this.patchVulnerability(item.record.cve, { kev_date_added: item.record.dateAdded, kev_due_date: item.record.dueDate, kev_ransomware: item.record.knownRansomwareCampaignUse ? 1 : 0 });
      case 'skipped':
        this.result.skipped[item.record.reason] = (this.result.skipped[item.record.reason] ?? 0) + 1;
        return undefined;
      case 'epss':
        return this.patchVulnerability(item.record.cve, { epss_score: item.record.score, epss_percentile: item.record.percentile, epss_date: item.record.date });
    }
  }

  private count(changed: 'created' | 'updated' | 'unchanged'): void {
    this.result[changed] += 1;
  }

  // Assets, vulnerabilities and signals are written in batches: each queued step sees the row as
  // the steps before it left it (the stored row, or what an earlier item of this file made of it),
  // so counts and results are those of writing the items one by one, in file order.
  private readonly pending: { [T in KeyedTable]: { id: string; step: (current: KeyedRows[T] | undefined) => KeyedRows[T] | undefined }[] } = {
    assets: [],
    vulnerabilities: [],
    signals: [],
  };

  private async queue<T extends KeyedTable>(table: T, id: string, step: (current: KeyedRows[T] | undefined) => KeyedRows[T] | undefined): Promise<void> {
    const list = this.pending[table];
    list.push({ id, step });
    if (list.length >= BATCH) await this.flushKeyed(table);
  }

  private async flushKeyed<T extends KeyedTable>(table: T): Promise<void> {
    const ops = this.pending[table];
    if (ops.length === 0) return;
    this.pending[table] = [];
    const stored = await this.bulk.lookup(table, [...new Set(ops.map((o) => o.id))]);
    const state = new Map<string, KeyedRows[T] | undefined>();
    for (const op of ops) state.set(op.id, op.step(state.has(op.id) ? state.get(op.id) : stored.get(op.id)));
    if (this.triage !== null) this.triage.written(table, state);
    const inserts: KeyedRows[T][] = [];
    const updates: KeyedRows[T][] = [];
    for (const [id, row] of state) {
      if (row === undefined) continue;
      const old = stored.get(id);
      if (old === undefined) inserts.push(row);
      else if (row !== old) updates.push(row);
    }
    await this.bulk.update(table, updates);
    await this.bulk.insert(table, inserts);
  }

  /** Writes every queued asset, vulnerability and signal. */
  async flushAll(): Promise<void> {
    await this.flushKeyed('assets');
    await this.flushKeyed('vulnerabilities');
    await this.flushKeyed('signals');
    await this.flushFindings();
  }

  /** A record of the file's own kind: created, replaced when a column differs, else unchanged. */
  private upsert<T extends 'assets' | 'signals'>(table: T, row: KeyedRows[T]): Promise<void> {
    return this.queue(table, row.id, (existing) => {
      if (!existing) {
        this.count('created');
        return row;
      }
      if (sameColumns(table, existing, row)) {
        this.count('unchanged');
        return existing;
      }
      this.count('updated');
      return row;
    });
  }

  private upsertAsset(a: AssetRecord): Promise<void> {
    return this.upsert('assets', assetToRow(a, this.at));
  }

  /** A finding whose target no item of the file named before: matched first, then taken. */
  private async matchThenAdd(item: Extract<WireItem, { kind: 'finding_row' }>, own: boolean): Promise<void> {
    await this.matchTarget({ id: item.values[F.target], name: null, components: [], target_type: null });
    await this.add(item, own);
  }

  /**
   * Matches a report's target to an asset (TargetMatcher); a target nothing matches becomes a
   * provisional asset: not in the inventory, exposure `unknown`, owner unknown.
   */
  private async matchTarget(ref: AssetRef): Promise<void> {
    const m = await this.matcher.match(ref);
    if (m.by !== 'new' && m.by !== 'provisional') return;
    this.result.unmatched_targets += 1;
    const shared = m.ambiguous.length > 0 ? ` (the aliases of ${m.ambiguous.join(', ')} share its name: merge it into one)` : '';
    const asset = provisionalAsset(ref);
    const basis = typeof asset.extra.exposure_basis === 'string' ? asset.extra.exposure_basis : null;
    const unknowns = basis === null || m.by === 'provisional' ? 'owner and exposure unknown' : `owner unknown; exposure ${asset.exposure}: ${basis}`;
    if (this.nativeFindings) {
      this.result.unknown_references.assets += 1;
      this.warn(`findings name asset ${JSON.stringify(ref.id)}, which is in neither the inventory nor the file: kept as a provisional asset, not in inventory (${unknowns})${shared}`);
    } else {
      this.warn(`target ${JSON.stringify(ref.id)} matches no inventory asset: kept as a provisional asset, not in inventory (${unknowns})${shared}`);
    }
    if (m.by === 'provisional') {
      if (basis !== null) await this.learnExposure(m.asset, asset);
      return;
    }
    await this.insertAssetIfMissing(asset);
  }

  /**
   * A provisional asset made with exposure `unknown` (a report that named the host without its
   * address) takes the exposure a network scanner's view of the host implies, and its host facts
   * (docs/importing.md, "What a network scanner saw of a host"). An exposure already known, from
   * the inventory, a person or an earlier scan, is never changed.
   */
  private learnExposure(id: string, seen: AssetRecord): Promise<void> {
    return this.queue('assets', id, (existing) => {
      if (!existing || !learnsExposure({ exposure: existing.exposure, provisional: existing.not_in_inventory === 1 }, seen)) return existing;
      const extra = { ...(JSON.parse(existing.extra) as Record<string, unknown>), host: seen.extra.host, exposure_basis: seen.extra.exposure_basis };
      this.warn(`provisional asset ${JSON.stringify(id)}: exposure ${seen.exposure} from the scanner's view (${String(seen.extra.exposure_basis)})`);
      return { ...existing, exposure: seen.exposure, extra: JSON.stringify(extra), updated_at: this.at };
    });
  }

  /** A signal on a name the inventory knows by an alias is stored on that asset; one on an unknown asset is reported. */
  private async matchSignal(s: SignalRecord): Promise<void> {
    if (s.vulnerability !== null) this.signalVulnerabilities.add(s.vulnerability);
    const m = await this.matcher.match({ id: s.asset, name: null, target_type: null });
    if (m.by === 'new' || m.by === 'provisional') {
      if (this.unknownSignalAssets.has(s.asset)) return;
      this.unknownSignalAssets.add(s.asset);
      this.result.unknown_references.assets += 1;
      this.warn(`signal ${s.id} names asset ${JSON.stringify(s.asset)}, which is not in the inventory (owner and exposure unknown)`);
      return;
    }
    s.asset = m.asset;
  }

  /** Signals imports: the vulnerabilities the signals name that the store does not hold are reported. */
  async checkSignalVulnerabilities(): Promise<void> {
    const ids = [...this.signalVulnerabilities];
    for (let i = 0; i < ids.length; i += BATCH) {
      const part = ids.slice(i, i + BATCH);
      const known = await this.bulk.lookup('vulnerabilities', part);
      for (const id of part) {
        if (known.has(id)) continue;
        this.result.unknown_references.vulnerabilities += 1;
        this.warn(`signals name vulnerability ${id}, which is not in the store (import its advisory facts for the triggers that read them)`);
      }
    }
  }

  private insertAssetIfMissing(a: AssetRecord): Promise<void> {
    return this.queue('assets', a.id, (existing) => {
      if (existing) return existing;
      this.result.assets_created += 1;
      return assetToRow(a, this.at);
    });
  }

  private upsertVulnerability(v: VulnerabilityRecord, authoritative: boolean): Promise<void> {
    return this.queue('vulnerabilities', v.id, (existingRow) => {
      if (!existingRow) {
        if (authoritative) this.count('created');
        else this.result.vulnerabilities_created += 1;
        if (!authoritative && this.nativeFindings) {
          this.result.unknown_references.vulnerabilities += 1;
          this.warn(`findings name vulnerability ${v.id}, which is in neither the store nor the file: stored with no facts (import its advisory, KEV and EPSS data)`);
        }
        return vulnerabilityToRow(v, this.at);
      }
      const existing = vulnerabilityFromRow(existingRow);
      // KEV and EPSS come from their own files and are kept unless this record gives them; a
      // field the record leaves out (score, title, fix) keeps what is known, as in triage over files.
      const merged: VulnerabilityRecord = authoritative
        ? { ...v, kev: v.kev ?? existing.kev, epss: v.epss ?? existing.epss, cvss: v.cvss ?? existing.cvss, title: v.title ?? existing.title, fix_available: v.fix_available ?? existing.fix_available }
        : scannerFillsGaps(existing, v);
      const row = vulnerabilityToRow(merged, this.at);
      if (sameColumns('vulnerabilities', existingRow, row)) {
        if (authoritative) this.count('unchanged');
        return existingRow;
      }
      if (authoritative) this.count('updated');
      return row;
    });
  }

  private patchVulnerability(id: string, patch: Partial<VulnerabilitiesTable>): Promise<void> {
    return this.queue('vulnerabilities', id, (existing) => {
      if (!existing) {
        this.count('created');
        return { ...vulnerabilityToRow(vulnerabilityWithDefaults({ id }), this.at), ...patch };
      }
      const same = Object.entries(patch).every(([k, v]) => existing[k as keyof typeof existing] === v);
      if (same) {
        this.count('unchanged');
        return existing;
      }
      this.count('updated');
      return { ...existing, ...patch, updated_at: this.at };
    });
  }

  private upsertSignal(s: SignalRecord): Promise<void> {
    return this.upsert('signals', signalToRow(s));
  }

  private async insertAdvisory(a: AdvisoryStatement): Promise<void> {
    const id = sha256Hex(JSON.stringify([a.source, a.vulnerability, a.product, a.status, a.justification, a.statement])).slice(0, 32);
    this.count((await insertAdvisoryStatement(this.trx, advisoryToRow(a, id))) ? 'created' : 'unchanged');
  }

  async flushFindings(): Promise<void> {
    if (this.findings.length === 0) return;
    const batch = this.findings;
    this.findings = [];
    // within one report the same fingerprint may repeat: the last one wins
    const byFp = new Map<string, { values: FindingValues; scanKey: string | null }>();
    for (const f of batch) {
      if (byFp.has(f.values[F.fingerprint])) this.result.merged += 1;
      byFp.set(f.values[F.fingerprint], f);
    }
    const known = await this.bulk.findings.lookup([...byFp.keys()]);
    const inserts: FindingValues[] = [];
    const updates: FindingValues[] = [];
    const touched: string[] = [];
    for (const [fp, { values, scanKey }] of byFp) {
      const old = known.get(fp);
      if (!old) {
        values[F.status] = 'open';
        values[F.last_import_id] = this.importId;
        values[F.first_seen] = this.at;
        values[F.last_seen] = this.at;
        inserts.push(values);
        continue;
      }
      const incoming = findingFromRow(findingRow(values));
      const merged = mergeFinding(findingFromRow(findingRow(old)), incoming, this.nativeFindings);
      const row = findingValues({ ...findingToRow(merged, { at: this.at, scanKey: scanKey ?? old[F.scan_key], importId: this.importId, target: values[F.target] }), first_seen: old[F.first_seen] });
      const changed = !sameContent(row, old) || old[F.status] !== 'open';
      if (changed) {
        row[F.id] = old[F.id];
        updates.push(row);
      } else touched.push(old[F.id]);
      // a repeat of a finding this import wrote in an earlier batch; a finding a newer report had resolved
      if (old[F.last_import_id] === this.importId) this.result.merged += 1;
      else if (old[F.status] !== 'open') this.result.resolved_again += 1;
      else this.count(changed ? 'updated' : 'unchanged');
    }
    const triage = inserts.length + updates.length > 0 ? this.triage : null;
    const page = triage === null ? [] : [...inserts, ...updates];
    if (triage !== null) {
      // the assets and vulnerabilities these findings name are written before they are read, and
      // the facts are read before the findings are written: on PostgreSQL the findings' COPY then
      // runs on the server while this thread decides them (src/store/bulk/postgres.ts)
      await this.flushKeyed('assets');
      await this.flushKeyed('vulnerabilities');
      await triage.load(page);
    }
    await this.bulk.findings.update(updates);
    await this.bulk.findings.touch(touched, this.at, this.importId);
    await this.bulk.findings.insert(inserts);
    this.result.created += inserts.length;
    if (triage !== null) await triage.decide(page);
  }

  /** Findings of the same scanner and target that this report no longer lists are resolved. */
  async resolveMissing(): Promise<void> {
    this.result.resolved += await this.bulk.findings.resolveMissing(this.scanKeys, this.importId);
  }
}

/** The formats an import of this kind reads (`--format`), from the parsers' registry. */
export function importFormats(kind: ImportKind): string[] {
  return Object.keys(PARSERS[kind]);
}

/**
 * `closeloop import KIND FILE`: streams the file through its parser and stores it in one
 * transaction, so a bad record anywhere leaves nothing of the file behind. The same file imported
 * again (same SHA-256) is recognised and changes nothing.
 */
export async function importFile(
  ctx: AppContext,
  caller: Caller,
  input: z.input<typeof importInput>,
  options: { onProgress?: (p: Progress) => void; progressIntervalMs?: number; /** The name the import records for the file (an upload's own name), when `file` is only where its bytes are. */ fileName?: string } = {},
): Promise<ImportResult> {
  await authorize(ctx, caller, 'vr.import');
  const p = parseInput(importInput, input);
  if ((p.triage === true || p.ruleset !== undefined) && p.kind !== 'findings') {
    throw new ClError('CL_BAD_INPUT', `--triage applies to findings imports only, not ${p.kind}`, { field: 'triage' });
  }
  if (p.ruleset !== undefined && p.triage !== true) throw new ClError('CL_BAD_INPUT', '--ruleset needs --triage', { field: 'ruleset' });
  if (p.triage === true) await authorize(ctx, caller, 'vr.triage');
  const ruleset = p.triage === true ? await loadRuleset(p.ruleset) : null;
  if (await isBlankFile(p.file)) throw new ImportError(p.file, null, null, `the file is empty: no ${p.kind} to import`);
  const format = await resolveFormat(p.kind, p.file, p.format);
  // Parsing starts now (in a worker for large files) and overlaps the file's SHA-256.
  const batches = await parsedBatches(p.kind, p.file, format);
  try {
    const sha256 = await fileSha256(p.file);
    const result: ImportResult = {
      id: null,
      kind: p.kind,
      format,
      file: options.fileName ?? p.file,
      sha256,
      count: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      resolved: 0,
      assets_created: 0,
      vulnerabilities_created: 0,
      resolved_again: 0,
      merged: 0,
      unmatched_targets: 0,
      unknown_references: { assets: 0, vulnerabilities: 0 },
      skipped: {},
      warnings: [],
      findings_not_affected: 0,
      triage: null,
      duplicate_of: null,
      reimport_of: null,
    };
    const own = KIND_NOUN[p.kind];
    const previous = await importOfFile(ctx.store.db, sha256, p.kind);
    if (previous && p.force === true) result.reimport_of = previous.id;
    else if (previous) {
      // Same bytes as before: parse to validate and count, write nothing.
      for await (const batch of batches) for (const item of batch) if (item.kind === own) result.count += 1;
      result.unchanged = result.count;
      result.duplicate_of = previous.id;
      return result;
    }
    return await withBulkTransaction(ctx.store, async (trx, bulk) => {
      const at = isoNow(ctx);
      result.id = await nextId(trx, 'IMP');
      const writer = new ImportWriter(trx, bulk, at, result.id, result, p.kind === 'findings' && (format === 'native' || format === 'csv'), p.file);
      if (ruleset !== null) writer.triage = await SomeFindingsTriage.start(trx, bulk, ruleset, at, 'import', result.id);
      const progress = throttled(options.onProgress, { intervalMs: options.progressIntervalMs });
      for await (const batch of batches) {
        for (const item of batch) {
          const isOwn = item.kind === own;
          if (isOwn) result.count += 1;
          const pending = writer.add(item, isOwn);
          if (pending !== undefined) await pending;
        }
        progress(result.count);
      }
      // A scanner report that lists nothing is a clean scan (its targets' old findings resolve);
      // any other kind with no record is a mistake (an export that failed, the wrong file).
      if (result.count === 0 && p.kind !== 'findings') throw new ImportError(p.file, null, null, `no ${p.kind} in the file (an empty ${p.kind} file is refused; nothing was imported)`);
      await writer.flushAll();
      if (p.kind === 'assets') await writer.aliases.write(trx, at);
      if (p.kind === 'signals') await writer.checkSignalVulnerabilities();
      writer.finishWarnings();
      if (p.kind === 'findings') await writer.resolveMissing();
      if (writer.triage !== null) result.triage = await writer.triage.finish(trx, caller);
      if (p.kind === 'advisories') result.findings_not_affected = await applyNotAffected(trx, writer.statements);
      const counts = { ...result };
      await insertImport(trx, { id: result.id, kind: p.kind, format, file: result.file, sha256, counts: JSON.stringify(counts), actor: caller.actor, at });
      await audit(trx, ctx, caller, { action: `import.${p.kind}`, entityType: 'import', entityId: result.id, incidentId: null, state: counts });
      return result;
    });
  } finally {
    await batches.close();
  }
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
    ...(r.kind === 'findings'
      ? { resolved: r.resolved, resolved_again: r.resolved_again, merged: r.merged, assets_created: r.assets_created, vulnerabilities_created: r.vulnerabilities_created, unmatched_targets: r.unmatched_targets }
      : {}),
    ...(r.kind === 'findings' || r.kind === 'signals' ? { unknown_references: r.unknown_references } : {}),
    skipped: r.skipped,
    warnings: r.warnings,
    ...(r.triage !== null ? { triage: r.triage } : {}),
    duplicate_of: r.duplicate_of,
    ...(r.reimport_of !== null ? { reimport_of: r.reimport_of } : {}),
  };
}
