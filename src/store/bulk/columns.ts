/**
 * Column orders shared by the bulk write paths: rows travel as plain value arrays in these orders
 * (cheap to build, to pass between threads and to bind to a prepared statement or a COPY line).
 */
import type { AssetsTable, DecisionsTable, FindingsTable, SignalsTable, VulnerabilitiesTable } from '../schema.js';

export const FINDING_COLUMNS = [
  'id',
  'fingerprint',
  'vulnerability_id',
  'asset_id',
  'component',
  'version',
  'source',
  'validation',
  'reachability',
  'affected_version_known',
  'vendor_scope_known',
  'containment_needed',
  'title',
  'severity',
  'cwe',
  'file_path',
  'line',
  'fixed_version',
  'aliases',
  'extra',
  'status',
  'scan_key',
  'last_import_id',
  'first_seen',
  'last_seen',
  'check_type',
  'ruled_out_by',
  'verdict_at',
  'target',
] as const satisfies readonly (keyof FindingsTable)[];

export const DECISION_COLUMNS = [
  'id',
  'finding_id',
  'asset_id',
  'vulnerability_id',
  'outcome',
  'triggers',
  'stay_reasons',
  'flags',
  'next_actions',
  'ssvc',
  'evidence',
  'ruleset_version',
  'input_hash',
  'snapshot',
  'incident_id',
  'decided_at',
  'engine_version',
] as const satisfies readonly (keyof DecisionsTable)[];

/**
 * The vulnerability columns the escalation engine reads: its facts, without the words (title,
 * references, extra) and the bookkeeping, which triage never reads.
 */
export const VULNERABILITY_FACT_COLUMNS = [
  'id', 'cvss_version', 'cvss_score', 'cvss_vector', 'exploitation', 'public_poc', 'vendor_advisory', 'fix_available',
  'kev_date_added', 'kev_due_date', 'kev_ransomware', 'epss_score', 'epss_percentile', 'epss_date',
] as const satisfies readonly (keyof VulnerabilitiesTable)[];

type Values<Row, Cols extends readonly (keyof Row)[]> = { -readonly [K in keyof Cols]: Row[Cols[K]] };

/** A findings row as values in FINDING_COLUMNS order. */
export type FindingValues = Values<FindingsTable, typeof FINDING_COLUMNS>;
/** A decisions row as values in DECISION_COLUMNS order. */
export type DecisionValues = Values<DecisionsTable, typeof DECISION_COLUMNS>;
/** A vulnerability's facts as values in VULNERABILITY_FACT_COLUMNS order. */
export type VulnerabilityFactValues = Values<VulnerabilitiesTable, typeof VULNERABILITY_FACT_COLUMNS>;

/**
 * Each column's position in a column list, by name (`{ id: 0, fingerprint: 1, … }`), derived from
 * the list's type: a map that `satisfies` it names every column at its position, or does not compile.
 */
export type ColumnIndex<Cols extends readonly string[]> = {
  readonly [I in keyof Cols as I extends `${number}` ? Cols[I] & string : never]: I extends `${infer N extends number}` ? N : never;
};

// The maps below are object literals checked against their lists rather than built from them at
// run time: they are read for every finding and decision, and a map built key by key is a
// dictionary-mode object to V8 (findingFactsFromValues took 3–4× as long with one).

/** Positions of the findings columns (FINDING_COLUMNS) by name. */
export const F = {
  id: 0,
  fingerprint: 1,
  vulnerability_id: 2,
  asset_id: 3,
  component: 4,
  version: 5,
  source: 6,
  validation: 7,
  reachability: 8,
  affected_version_known: 9,
  vendor_scope_known: 10,
  containment_needed: 11,
  title: 12,
  severity: 13,
  cwe: 14,
  file_path: 15,
  line: 16,
  fixed_version: 17,
  aliases: 18,
  extra: 19,
  status: 20,
  scan_key: 21,
  last_import_id: 22,
  first_seen: 23,
  last_seen: 24,
  check_type: 25,
  ruled_out_by: 26,
  verdict_at: 27,
  target: 28,
} as const satisfies ColumnIndex<typeof FINDING_COLUMNS>;

/** Positions of the decisions columns (DECISION_COLUMNS) by name: `values[DECISION_COLUMN.input_hash]`. */
export const DECISION_COLUMN = {
  id: 0,
  finding_id: 1,
  asset_id: 2,
  vulnerability_id: 3,
  outcome: 4,
  triggers: 5,
  stay_reasons: 6,
  flags: 7,
  next_actions: 8,
  ssvc: 9,
  evidence: 10,
  ruleset_version: 11,
  input_hash: 12,
  snapshot: 13,
  incident_id: 14,
  decided_at: 15,
  engine_version: 16,
} as const satisfies ColumnIndex<typeof DECISION_COLUMNS>;

/** Positions of the vulnerability fact columns (VULNERABILITY_FACT_COLUMNS) by name. */
export const VULNERABILITY_FACT_COLUMN = {
  id: 0,
  cvss_version: 1,
  cvss_score: 2,
  cvss_vector: 3,
  exploitation: 4,
  public_poc: 5,
  vendor_advisory: 6,
  fix_available: 7,
  kev_date_added: 8,
  kev_due_date: 9,
  kev_ransomware: 10,
  epss_score: 11,
  epss_percentile: 12,
  epss_date: 13,
} as const satisfies ColumnIndex<typeof VULNERABILITY_FACT_COLUMNS>;

/** A findings row as the value array the bulk path binds (FINDING_COLUMNS order). */
export function findingValues(r: FindingsTable): FindingValues {
  return [
    r.id,
    r.fingerprint,
    r.vulnerability_id,
    r.asset_id,
    r.component,
    r.version,
    r.source,
    r.validation,
    r.reachability,
    r.affected_version_known,
    r.vendor_scope_known,
    r.containment_needed,
    r.title,
    r.severity,
    r.cwe,
    r.file_path,
    r.line,
    r.fixed_version,
    r.aliases,
    r.extra,
    r.status,
    r.scan_key,
    r.last_import_id,
    r.first_seen,
    r.last_seen,
    r.check_type,
    r.ruled_out_by,
    r.verdict_at,
    r.target,
  ];
}

/** A findings value array as a row object, for the code that reads a finding by field (a re-import's merge). */
export function findingRow(v: FindingValues): FindingsTable {
  return {
    id: v[F.id],
    fingerprint: v[F.fingerprint],
    vulnerability_id: v[F.vulnerability_id],
    asset_id: v[F.asset_id],
    component: v[F.component],
    version: v[F.version],
    source: v[F.source],
    validation: v[F.validation],
    reachability: v[F.reachability],
    affected_version_known: v[F.affected_version_known],
    vendor_scope_known: v[F.vendor_scope_known],
    containment_needed: v[F.containment_needed],
    title: v[F.title],
    severity: v[F.severity],
    cwe: v[F.cwe],
    file_path: v[F.file_path],
    line: v[F.line],
    fixed_version: v[F.fixed_version],
    aliases: v[F.aliases],
    extra: v[F.extra],
    status: v[F.status],
    scan_key: v[F.scan_key],
    last_import_id: v[F.last_import_id],
    first_seen: v[F.first_seen],
    last_seen: v[F.last_seen],
    check_type: v[F.check_type],
    ruled_out_by: v[F.ruled_out_by],
    verdict_at: v[F.verdict_at],
    target: v[F.target],
  };
}

/** Tables keyed by a text `id` that imports upsert in batches. */
export interface KeyedRows {
  assets: AssetsTable;
  vulnerabilities: VulnerabilitiesTable;
  signals: SignalsTable;
}
export type KeyedTable = keyof KeyedRows;

export const KEYED_COLUMNS: { readonly [T in KeyedTable]: readonly (keyof KeyedRows[T] & string)[] } = {
  assets: [
    'id', 'name', 'service', 'owner', 'business_critical', 'exposure', 'auth_required', 'privileged', 'regulated',
    'customer_facing', 'safety', 'third_party', 'telemetry', 'components', 'extra', 'updated_at', 'not_in_inventory',
  ],
  vulnerabilities: [...VULNERABILITY_FACT_COLUMNS, 'title', 'refs', 'extra', 'updated_at'],
  signals: ['id', 'time', 'asset_id', 'kind', 'vulnerability_id', 'component', 'source', 'indicator', 'payload', 'alert', 'confidence', 'extra'],
};

/** A keyed row as values in KEYED_COLUMNS order. */
export function keyedValues<T extends KeyedTable>(table: T, row: KeyedRows[T]): (string | number | null)[] {
  return KEYED_COLUMNS[table].map((c) => row[c] as string | number | null);
}
