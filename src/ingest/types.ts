import type {
  AdvisoryStatement,
  AssetRecord,
  FindingRecord,
  SignalRecord,
  VulnerabilityRecord,
} from '../domain/records.js';

/** A byte stream, e.g. `fs.createReadStream(path)`. Parsers never read a file whole. */
export type ByteSource = AsyncIterable<Buffer | string>;

/** Where a parser is reading from; `file` goes into every error message. */
export interface ParseContext {
  file: string;
  /** Added to a "not a <format> report" refusal: what the file looks like instead (`try --format trivy`). */
  hint?: string;
}

/**
 * A partial asset a scanner report names as its target (image, host, manifest). The importer
 * matches it to an inventory asset (by id, alias, then name: docs/importing.md) and makes a
 * provisional asset of a target nothing matches.
 */
export interface AssetRef {
  id: string;
  name: string | null;
  components: AssetRecord['components'];
  /** What kind of target: `container_image`, `host`, `repository`, `manifest`, `package`, … */
  target_type: string | null;
  /**
   * Other names the report gives the target (a host's IP address, FQDN or NetBIOS name): an
   * inventory alias matching any of them claims the target as well as its id and name.
   */
  also?: string[];
  /** What a network scanner saw of a host: kept on a provisional asset, whose exposure it sets (docs/importing.md). */
  host?: HostFacts | null;
}

/** A host as a network scanner saw it. */
export interface HostFacts {
  ip: string | null;
  fqdn: string | null;
  netbios: string | null;
  os: string | null;
  /** The scanner (name, address or policy) that saw it: the vantage point of its remote checks. */
  scanner: string | null;
}

/**
 * One item a parser yields, in input order. `place` (a native record's line or index) is set by the
 * native-format parsers: a second record with the same id is an error naming both places.
 */
export type ImportItem =
  | { kind: 'asset'; record: AssetRecord; place?: string | number }
  /** `scanKey` (scanner + target) marks a scanned target even when it has no findings now. */
  | { kind: 'asset_ref'; record: AssetRef; scanKey?: string | null }
  | { kind: 'vulnerability'; record: VulnerabilityRecord; place?: string | number }
  /**
   * `scanKey` identifies (scanner, target): a finding stored under a scan key that a newer import
   * of the same key no longer lists is marked `resolved`. null for inputs that are not scans.
   */
  | { kind: 'finding'; record: FindingRecord; scanKey: string | null; place?: string | number }
  | { kind: 'signal'; record: SignalRecord; place?: string | number }
  | { kind: 'advisory'; record: AdvisoryStatement }
  | { kind: 'kev'; record: { cve: string; dateAdded: string; dueDate: string | null; knownRansomwareCampaignUse: boolean; vendorProject: string | null; product: string | null; name: string | null } }
  | { kind: 'epss'; record: { cve: string; score: number; percentile: number; date: string | null } }
  /** An entry the report lists that is not imported, and why (counted in the import summary). */
  | { kind: 'skipped'; record: { reason: string } };

/** A parser for one input format. */
export interface Parser {
  /** Stable format name used by `--format` (e.g. `trivy`, `sarif`, `csaf`). */
  readonly format: string;
  /** Streams items from the source; throws `ImportError` naming file, record and field. */
  parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem>;
  /**
   * The same items in input order, in batches (optional): for formats whose reports run to
   * millions of items, where one async step per item would cost more than parsing it.
   */
  parseBatches?(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem[]>;
}
