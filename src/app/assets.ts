/**
 * Asset identity use cases: list assets (the provisional ones a findings import made for targets
 * the inventory does not name, with `unmatched`), and merge a provisional asset into the inventory
 * asset it really is, re-deciding the findings it carried.
 */
import { z } from 'zod';
import { targetKeys } from '../domain/asset-identity.js';
import { ClError, notFound } from '../errors.js';
import { findingValues, withBulkTransaction } from '../store/bulk/index.js';
import { addAliases, aliasesOf, deleteAsset, findAsset, listAssets as listAssetRows, openFindingIdsOn, reassignAsset } from '../store/repositories/assets.js';
import { findingsByIds } from '../store/repositories/knowledge.js';
import type { AssetRow } from '../store/schema.js';
import { audit, authorize, isoNow, type AppContext, type Caller } from './context.js';
import { loadRuleset } from './load-ruleset.js';
import { SomeFindingsTriage, type SomeFindingsTriageSummary } from './some-findings-triage.js';
import { nonEmpty, parseInput } from './validate.js';

export const listAssetsInput = z.strictObject({
  /** Only provisional assets (not in the inventory); `true`/`false` as words too (a query string). */
  unmatched: z.union([z.boolean(), z.enum(['true', 'false'])]).default(false),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/** An asset as the list shows it. */
export interface ListedAsset {
  id: string;
  name: string | null;
  owner: string | null;
  exposure: string;
  not_in_inventory: boolean;
  /** What kind of target a report named (`container_image`, `manifest`, …), for a provisional asset. */
  target_type: string | null;
  open_findings: number;
}

function targetType(row: AssetRow): string | null {
  const extra: unknown = JSON.parse(row.extra);
  if (typeof extra !== 'object' || extra === null || !('target_type' in extra)) return null;
  return typeof extra.target_type === 'string' ? extra.target_type : null;
}

/** `closeloop assets list [--unmatched]`: assets by id, with their open findings. */
export async function listAssets(ctx: AppContext, caller: Caller, input: z.input<typeof listAssetsInput>): Promise<ListedAsset[]> {
  await authorize(ctx, caller, 'asset.read');
  const p = parseInput(listAssetsInput, input);
  const rows = await listAssetRows(ctx.store.db, { unmatched: p.unmatched === true || p.unmatched === 'true', limit: p.limit });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    owner: r.owner,
    exposure: r.exposure,
    not_in_inventory: Number(r.not_in_inventory) === 1,
    target_type: targetType(r),
    open_findings: r.open_findings,
  }));
}

export const mergeAssetsInput = z.strictObject({
  provisional: nonEmpty('provisional asset id'),
  into: nonEmpty('asset id to merge into'),
});

export interface MergeResult {
  provisional: string;
  into: string;
  findings_moved: number;
  signals_moved: number;
  /** The aliases INTO now has for the provisional asset's target (kind:value). */
  aliases_added: string[];
  /** The triage run that re-decided the moved open findings. */
  triage: SomeFindingsTriageSummary;
}

/** Rows per page while the moved findings are re-decided. */
const PAGE = 2000;

/**
 * `closeloop assets merge PROVISIONAL INTO`: a provisional asset is really inventory asset INTO. Its
 * findings and signals move to INTO (their target, fingerprint and scan key stay the report's, so a
 * re-import neither duplicates them nor resolves them by absence), its target becomes an alias of
 * INTO (the next report of it matches INTO directly), the provisional asset is deleted, and the
 * moved open findings are decided again against INTO's facts. One transaction, audited.
 */
export async function mergeAssets(ctx: AppContext, caller: Caller, input: z.input<typeof mergeAssetsInput>, options: { ruleset?: string } = {}): Promise<MergeResult> {
  await authorize(ctx, caller, 'asset.merge');
  const p = parseInput(mergeAssetsInput, input);
  if (p.provisional === p.into) throw new ClError('CL_BAD_INPUT', `cannot merge asset ${p.into} into itself`, { field: 'into' });
  // a ruleset file is the command line's to name (the API decides with the shipped one)
  const ruleset = await loadRuleset(options.ruleset);
  return withBulkTransaction(ctx.store, async (trx, bulk) => {
    const from = await findAsset(trx, p.provisional);
    if (from === undefined) throw notFound('asset', p.provisional);
    if (Number(from.not_in_inventory) !== 1) {
      throw new ClError('CL_RULE_REFUSED', `asset ${from.id} is in the inventory, not provisional: only an asset a report named and the inventory does not can be merged`, { field: 'provisional' });
    }
    const into = await findAsset(trx, p.into);
    if (into === undefined) throw notFound('asset', p.into);
    if (Number(into.not_in_inventory) === 1) {
      throw new ClError('CL_RULE_REFUSED', `asset ${into.id} is provisional too: merge into an asset of the inventory`, { field: 'into' });
    }
    const at = isoNow(ctx);
    const keys = targetKeys({ id: from.id, name: from.name, target_type: targetType(from) });
    await addAliases(trx, keys.map((k) => ({ kind: k.kind, value: k.value, asset_id: into.id, name_key: k.nameKey, origin: 'merge' as const, created_at: at })));
    const movedOpen = await openFindingIdsOn(trx, from.id);
    const moved = await reassignAsset(trx, from.id, into.id);
    await deleteAsset(trx, from.id);
    const added = (await aliasesOf(trx, into.id)).filter((a) => a.origin === 'merge' && keys.some((k) => k.kind === a.kind && k.value === a.value));
    // the moved findings read INTO's facts now: decide them again
    const triage = await SomeFindingsTriage.start(trx, bulk, ruleset, at, 'merge');
    for (let i = 0; i < movedOpen.length; i += PAGE) {
      const page = (await findingsByIds(trx, movedOpen.slice(i, i + PAGE))).map(findingValues);
      await triage.load(page);
      await triage.decide(page);
    }
    const summary = await triage.finish(trx, caller);
    const result: MergeResult = {
      provisional: from.id,
      into: into.id,
      findings_moved: moved.findings,
      signals_moved: moved.signals,
      aliases_added: added.map((a) => `${a.kind}:${a.value}`),
      triage: summary,
    };
    await audit(trx, ctx, caller, { action: 'asset.merge', entityType: 'asset', entityId: into.id, incidentId: null, state: { ...result } });
    return result;
  });
}
