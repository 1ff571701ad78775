/**
 * Input integrity (SPEC §2, rulings): within one native file, and across the files of one
 * `closeloop triage` over files, an id names one record. A second asset, vulnerability, native
 * finding or signal with an id already seen is an error naming both records, where before the
 * later one silently replaced the earlier (a duplicated asset turned an escalation into a stay).
 * Only records a native parser placed (`place`) are checked: a scanner report that lists one
 * finding twice merges it, and the vulnerability stubs a findings file carries are not records.
 */
import { ImportError } from '../errors.js';
import type { ImportItem } from './types.js';

/** The id and place of a record a native parser placed; null for anything else. */
function placed(item: ImportItem): { id: string; place: string | number } | null {
  switch (item.kind) {
    case 'asset':
    case 'vulnerability':
    case 'finding':
    case 'signal':
      return item.place === undefined ? null : { id: item.record.id, place: item.place };
    default:
      return null;
  }
}

function describePlace(file: string, place: string | number): string {
  return `${file} record ${place}`;
}

/** The ids seen so far, by kind of record, with where each was first seen. */
export class UniqueIds {
  private readonly seen = new Map<string, Map<string, string>>();

  /** Throws ImportError when `item` repeats the id of a record seen before (in this file or an earlier one). */
  check(item: ImportItem, file: string): void {
    const p = placed(item);
    if (p === null) return;
    let ids = this.seen.get(item.kind);
    if (ids === undefined) {
      ids = new Map();
      this.seen.set(item.kind, ids);
    }
    const { id, place } = p;
    const here = describePlace(file, place);
    const first = ids.get(id);
    if (first !== undefined) {
      throw new ImportError(file, place, 'id', `duplicate ${item.kind} id ${JSON.stringify(id)}: also ${first}; an id names one record (nothing was imported)`);
    }
    ids.set(id, here);
  }

  /** The items of a batch stream, each checked, in order. */
  async *batches(source: AsyncGenerator<ImportItem[]>, file: string): AsyncGenerator<ImportItem[]> {
    for await (const batch of source) {
      for (const item of batch) this.check(item, file);
      yield batch;
    }
  }

  /** The items of an item stream, each checked, in order. */
  async *items(source: AsyncGenerator<ImportItem>, file: string): AsyncGenerator<ImportItem> {
    for await (const item of source) {
      this.check(item, file);
      yield item;
    }
  }
}
