/**
 * Which asset a report's target belongs to (docs/importing.md, "Which asset a finding belongs to"):
 * an inventory asset with the target's exact id, then an alias of an inventory asset, then the
 * target's looser name (a short host name, an image repository without tag or digest) when exactly
 * one asset's alias has it; else the provisional asset the target already has, else a new one.
 * Answers are kept per target, so a report of a million findings on a few targets asks the store
 * a few times.
 */
import { targetKeys, targetNameKeys, type TargetName } from '../domain/asset-identity.js';
import { aliasesByKey, aliasesByNameKey, anyAlias, assetKinds } from '../store/repositories/assets.js';
import type { Trx } from './context.js';

/** How a target met its asset; `provisional`: an asset made for it earlier; `new`: none yet. */
export type MatchedBy = 'id' | 'alias' | 'name' | 'provisional' | 'new';

export interface TargetMatch {
  asset: string;
  by: MatchedBy;
  /** With `new` or `provisional`: the assets whose aliases share the target's name (too many to choose). */
  ambiguous: string[];
}

/** Matches targets to assets within one transaction, remembering each answer. */
export class TargetMatcher {
  private readonly known = new Map<string, TargetMatch>();
  /** Whether the store holds any alias (asked once): without one, only ids can match. */
  private aliases: boolean | null = null;

  constructor(private readonly trx: Trx) {}

  /** The answer for a target matched before in this transaction, if any. */
  cached(targetId: string): TargetMatch | undefined {
    return this.known.get(targetId);
  }

  /** Records the answer for a target (a provisional asset was just made for it). */
  remember(targetId: string, m: TargetMatch): void {
    this.known.set(targetId, m);
  }

  async match(t: TargetName): Promise<TargetMatch> {
    const hit = this.known.get(t.id);
    if (hit !== undefined) return hit;
    const m = await this.lookup(t);
    this.known.set(t.id, m);
    return m;
  }

  private async lookup(t: TargetName): Promise<TargetMatch> {
    const ids = t.name !== null && t.name !== t.id ? [t.id, t.name] : [t.id];
    const kinds = await assetKinds(this.trx, ids);
    for (const id of ids) if (kinds.get(id)?.provisional === false) return { asset: id, by: 'id', ambiguous: [] };
    this.aliases ??= await anyAlias(this.trx);
    if (!this.aliases) return { asset: t.id, by: kinds.has(t.id) ? 'provisional' : 'new', ambiguous: [] };
    const keys = targetKeys(t);
    if (keys.length > 0) {
      const rows = await aliasesByKey(this.trx, keys);
      for (const k of keys) {
        const row = rows.find((r) => r.kind === k.kind && r.value === k.value);
        if (row !== undefined) return { asset: row.asset_id, by: 'alias', ambiguous: [] };
      }
    }
    let ambiguous: string[] = [];
    const nameKeys = targetNameKeys(t);
    if (nameKeys.length > 0) {
      const owners = [...new Set((await aliasesByNameKey(this.trx, nameKeys)).map((r) => r.asset_id))].sort();
      if (owners.length === 1 && owners[0] !== undefined) return { asset: owners[0], by: 'name', ambiguous: [] };
      ambiguous = owners;
    }
    return { asset: t.id, by: kinds.has(t.id) ? 'provisional' : 'new', ambiguous };
  }
}
