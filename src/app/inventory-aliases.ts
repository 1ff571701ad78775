/**
 * The aliases an inventory import gives its assets (FORMATS.md `aliases`), normalised
 * (domain/asset-identity.ts) and checked: an alias names one asset, in the file and in the store,
 * and a clash is an error naming both. Aliases replace those an earlier inventory gave the same
 * assets; an asset whose record has no `aliases` field keeps its own, so an older file imports as
 * it did.
 */
import { aliasKey } from '../domain/asset-identity.js';
import type { AssetRecord } from '../domain/records.js';
import { ImportError } from '../errors.js';
import { aliasesByKey, replaceInventoryAliases } from '../store/repositories/assets.js';
import type { NewAssetAliasRow } from '../store/schema.js';
import type { Trx } from './context.js';

interface Claimed {
  row: NewAssetAliasRow;
  alias: string;
  place: string | number | null;
}

export class InventoryAliases {
  private readonly claimed = new Map<string, Claimed>();
  /** Assets whose record in this file has an `aliases` field (possibly empty). */
  private readonly owners = new Set<string>();

  constructor(private readonly file: string) {}

  /** Takes the aliases of one inventory record; a clash with an earlier record is an ImportError naming both. */
  add(a: AssetRecord, place: string | number | undefined): void {
    if (a.aliases === undefined) return;
    this.owners.add(a.id);
    a.aliases.forEach((alias, i) => {
      const k = aliasKey(alias);
      if (k === null) return;
      const key = `${k.kind}\u0000${k.value}`;
      const first = this.claimed.get(key);
      if (first === undefined) {
        this.claimed.set(key, { row: { kind: k.kind, value: k.value, asset_id: a.id, name_key: k.nameKey, origin: 'inventory', created_at: '' }, alias, place: place ?? null });
        return;
      }
      if (first.row.asset_id === a.id) return;
      throw new ImportError(this.file, place ?? null, `aliases[${i}]`, `alias ${JSON.stringify(alias)} (${k.kind} ${k.value}) is also an alias of asset ${first.row.asset_id} (record ${first.place ?? '?'}, ${JSON.stringify(first.alias)}); an alias names one asset`);
    });
  }

  /** Writes the file's aliases; one the store holds for an asset this file does not give aliases to is a clash. */
  async write(trx: Trx, at: string): Promise<void> {
    if (this.owners.size === 0) return;
    const claimed = [...this.claimed.values()];
    const stored = await aliasesByKey(trx, claimed.map((c) => ({ kind: c.row.kind, value: c.row.value })));
    const keep: NewAssetAliasRow[] = [];
    for (const c of claimed) {
      const s = stored.find((r) => r.kind === c.row.kind && r.value === c.row.value);
      const sameOwner = s !== undefined && s.asset_id === c.row.asset_id;
      if (s !== undefined && !sameOwner && (!this.owners.has(s.asset_id) || s.origin !== 'inventory')) {
        throw new ImportError(this.file, c.place, 'aliases', `alias ${JSON.stringify(c.alias)} (${c.row.kind} ${c.row.value}) is already an alias of stored asset ${s.asset_id}; an alias names one asset`);
      }
      // one a merge recorded for the same asset stays as it is
      if (sameOwner && s.origin !== 'inventory') continue;
      keep.push({ ...c.row, created_at: at });
    }
    await replaceInventoryAliases(trx, [...this.owners], keep);
  }
}
