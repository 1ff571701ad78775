/**
 * CISA Known Exploited Vulnerabilities catalog importer (the JSON feed, schema in
 * corpus/kev/…/known_exploited_vulnerabilities_schema.json). KEV membership is the strongest
 * "exploit pressure" input of the escalation engine, so the catalog is streamed entry by entry
 * (it grows every week) and each entry must carry a CVE id and a valid dateAdded.
 */
import type { ImportItem, ByteSource, ParseContext, Parser } from './types.js';
import { ImportError } from '../errors.js';
import { FieldReader, describe, isIsoDate, isObject } from './record-fields.js';
import { streamJson } from './stream/json-stream.js';

/** Catalog-level facts, reported once the feed has been read. */
export interface KevCatalogInfo {
  catalogVersion: string | null;
  dateReleased: string | null;
  /** The `count` the catalog claims (null when absent). */
  count: number | null;
  /** The number of entries actually read. */
  entries: number;
}

type KevItem = Extract<ImportItem, { kind: 'kev' }>;

function kevEntry(value: unknown, ctx: ParseContext, record: string): KevItem['record'] {
  if (!isObject(value)) {
    throw new ImportError(ctx.file, record, null, `expected a KEV entry object, got ${describe(value)}`);
  }
  const r = new FieldReader(value, { ctx, record });
  const cve = r.requiredString('cveID');
  const dateAdded = r.requiredString('dateAdded');
  if (!isIsoDate(dateAdded)) r.fail('dateAdded', `expected a date YYYY-MM-DD, got ${describe(dateAdded)}`);
  const dueDate = r.optionalString('dueDate');
  if (dueDate !== null && !isIsoDate(dueDate)) {
    r.fail('dueDate', `expected a date YYYY-MM-DD, got ${describe(dueDate)}`);
  }
  const ransom = r.raw('knownRansomwareCampaignUse');
  let known = false;
  if (ransom === 'Known' || ransom === true) known = true;
  else if (ransom !== 'Unknown' && ransom !== false && ransom !== undefined && ransom !== null) {
    r.fail('knownRansomwareCampaignUse', `expected "Known" or "Unknown", got ${describe(ransom)}`);
  }
  return {
    cve,
    dateAdded,
    dueDate,
    knownRansomwareCampaignUse: known,
    vendorProject: r.optionalString('vendorProject'),
    product: r.optionalString('product'),
    name: r.optionalString('vulnerabilityName'),
  };
}

/**
 * Streams `{kind:'kev'}` items from a KEV catalog; `onCatalog` receives the catalog version and
 * release date at the end (the importer records which catalog a KEV fact came from).
 * A document with no entries and no `catalogVersion` is not a KEV catalog.
 */
export async function* parseKevCatalog(
  source: ByteSource,
  ctx: ParseContext,
  onCatalog?: (info: KevCatalogInfo) => void,
): AsyncGenerator<ImportItem> {
  const info: KevCatalogInfo = { catalogVersion: null, dateReleased: null, count: null, entries: 0 };
  const patterns = [['catalogVersion'], ['dateReleased'], ['count'], ['vulnerabilities', '*']];
  for await (const m of streamJson(source, patterns, ctx)) {
    const key = m.path[0];
    if (key === 'vulnerabilities') {
      const index = m.path[1];
      if (typeof index !== 'number') {
        throw new ImportError(ctx.file, null, 'vulnerabilities', 'expected an array of KEV entries, got an object');
      }
      info.entries++;
      yield { kind: 'kev', record: kevEntry(m.value, ctx, `vulnerabilities[${index}]`) };
    } else if (key === 'catalogVersion' || key === 'dateReleased') {
      if (typeof m.value !== 'string') {
        throw new ImportError(ctx.file, null, key, `expected a string, got ${describe(m.value)}`);
      }
      info[key] = m.value;
    } else if (key === 'count' && typeof m.value === 'number') {
      info.count = m.value;
    }
  }
  // An empty catalog is still a catalog when it says which version it is.
  if (info.entries === 0 && info.catalogVersion === null) {
    throw new ImportError(
      ctx.file,
      null,
      'vulnerabilities',
      'missing: not a CISA KEV catalog (expected an object with catalogVersion and a "vulnerabilities" array)',
    );
  }
  onCatalog?.(info);
}

/** `--format kev`: the CISA KEV JSON catalog. */
export const kevParser: Parser = { format: 'kev', parse: (source, ctx) => parseKevCatalog(source, ctx) };
