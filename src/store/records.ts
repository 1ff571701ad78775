import type { AdvisoryStatement, AssetRecord, FindingFacts, FindingRecord, SignalRecord, VulnerabilityRecord } from '../domain/records.js';
import type { AdvisoryStatementsTable, AssetsTable, FindingsTable, SignalsTable, VulnerabilitiesTable } from './schema.js';
import { F, VULNERABILITY_FACT_COLUMN, VULNERABILITY_FACT_COLUMNS, type FindingValues, type VulnerabilityFactValues } from './bulk/columns.js';

/**
 * Mapping between the native records and their rows. One place, so the importer, the bulk writer
 * and the triage reader agree on every column.
 */

const b = (v: boolean): number => (v ? 1 : 0);
const nb = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);
const json = (v: unknown): string => JSON.stringify(v);
const parse = <T>(text: string | null, fallback: T): T => (text === null || text === '' ? fallback : (JSON.parse(text) as T));

export function assetToRow(a: AssetRecord, at: string): AssetsTable {
  return {
    id: a.id,
    name: a.name,
    service: a.service,
    owner: a.owner,
    business_critical: b(a.business_critical),
    exposure: a.exposure,
    auth_required: b(a.auth_required),
    privileged: b(a.privileged),
    regulated: json(a.regulated),
    customer_facing: b(a.customer_facing),
    safety: b(a.safety),
    third_party: a.third_party,
    telemetry: b(a.telemetry),
    components: json(a.components),
    extra: json(a.extra),
    updated_at: at,
    not_in_inventory: b(a.not_in_inventory === true),
  };
}

export function assetFromRow(r: AssetsTable): AssetRecord {
  return {
    id: r.id,
    name: r.name,
    service: r.service,
    owner: r.owner,
    business_critical: r.business_critical === 1,
    exposure: r.exposure,
    auth_required: r.auth_required === 1,
    privileged: r.privileged === 1,
    regulated: parse<string[]>(r.regulated, []),
    customer_facing: r.customer_facing === 1,
    safety: r.safety === 1,
    third_party: r.third_party,
    telemetry: r.telemetry === 1,
    components: parse(r.components, []),
    extra: parse(r.extra, {}),
    ...(r.not_in_inventory === 1 ? { not_in_inventory: true } : {}),
  };
}

export function vulnerabilityToRow(v: VulnerabilityRecord, at: string): VulnerabilitiesTable {
  return {
    id: v.id,
    cvss_version: v.cvss?.version ?? null,
    cvss_score: v.cvss?.base_score ?? null,
    cvss_vector: v.cvss?.vector ?? null,
    exploitation: v.exploitation,
    public_poc: b(v.public_poc),
    vendor_advisory: b(v.vendor_advisory),
    fix_available: nb(v.fix_available),
    kev_date_added: v.kev?.dateAdded ?? null,
    kev_due_date: v.kev?.dueDate ?? null,
    kev_ransomware: v.kev ? b(v.kev.knownRansomwareCampaignUse) : null,
    epss_score: v.epss?.score ?? null,
    epss_percentile: v.epss?.percentile ?? null,
    epss_date: v.epss?.date ?? null,
    title: v.title,
    refs: json(v.references),
    extra: json(v.extra),
    updated_at: at,
  };
}

/**
 * A vulnerability from its fact columns (VULNERABILITY_FACT_COLUMNS order): the record the
 * escalation engine reads, with no title, references or extra.
 */
export function vulnerabilityFromFactValues(v: VulnerabilityFactValues): VulnerabilityRecord {
  const C = VULNERABILITY_FACT_COLUMN;
  const cvssScore = v[C.cvss_score];
  const kevDateAdded = v[C.kev_date_added];
  const epssScore = v[C.epss_score];
  const fixAvailable = v[C.fix_available];
  return {
    id: v[C.id],
    cvss: cvssScore === null ? null : { version: v[C.cvss_version] ?? '3.1', base_score: Number(cvssScore), vector: v[C.cvss_vector] },
    exploitation: v[C.exploitation],
    public_poc: v[C.public_poc] === 1,
    vendor_advisory: v[C.vendor_advisory] === 1,
    fix_available: fixAvailable === null ? null : fixAvailable === 1,
    kev: kevDateAdded === null ? null : { dateAdded: kevDateAdded, dueDate: v[C.kev_due_date], knownRansomwareCampaignUse: v[C.kev_ransomware] === 1 },
    epss: epssScore === null ? null : { score: Number(epssScore), percentile: Number(v[C.epss_percentile] ?? 0), date: v[C.epss_date] },
    title: null,
    references: [],
    extra: {},
  };
}

/** A stored vulnerability's facts alone (`vulnerabilityFromFactValues`) from its whole row. */
export function vulnerabilityFactsFromRow(r: VulnerabilitiesTable): VulnerabilityRecord {
  return vulnerabilityFromFactValues(VULNERABILITY_FACT_COLUMNS.map((c) => r[c]) as VulnerabilityFactValues);
}

export function vulnerabilityFromRow(r: VulnerabilitiesTable): VulnerabilityRecord {
  return {
    ...vulnerabilityFactsFromRow(r),
    title: r.title,
    references: parse<string[]>(r.refs, []),
    extra: parse(r.extra, {}),
  };
}

export function containmentToText(v: boolean | string): string | null {
  if (v === false) return null;
  if (v === true) return 'true';
  return v;
}

export function containmentFromText(v: string | null): boolean | string {
  if (v === null) return false;
  if (v === 'true') return true;
  return v;
}

/** `target`: the target the report named, when the finding was matched to another asset (default: its asset). */
export function findingToRow(f: FindingRecord, o: { at: string; scanKey: string | null; importId: string | null; target?: string }): FindingsTable {
  return {
    id: f.id,
    fingerprint: f.fingerprint,
    vulnerability_id: f.vulnerability,
    asset_id: f.asset,
    component: f.component,
    version: f.version,
    source: f.source,
    validation: f.validation,
    reachability: f.reachability,
    affected_version_known: b(f.affected_version_known),
    vendor_scope_known: b(f.vendor_scope_known),
    containment_needed: containmentToText(f.containment_needed),
    title: f.title,
    severity: f.severity,
    cwe: json(f.cwe),
    file_path: f.file_path,
    line: f.line,
    fixed_version: f.fixed_version,
    aliases: json(f.aliases),
    extra: json(f.extra),
    status: 'open',
    scan_key: o.scanKey,
    last_import_id: o.importId,
    first_seen: o.at,
    last_seen: o.at,
    check_type: f.check,
    ruled_out_by: f.ruled_out_by,
    verdict_at: f.verdict_at,
    target: o.target ?? f.asset,
  };
}

export function findingFromRow(r: FindingsTable): FindingRecord {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    vulnerability: r.vulnerability_id,
    asset: r.asset_id,
    component: r.component,
    version: r.version,
    source: r.source,
    validation: r.validation,
    reachability: r.reachability,
    affected_version_known: r.affected_version_known === 1,
    vendor_scope_known: r.vendor_scope_known === 1,
    containment_needed: containmentFromText(r.containment_needed),
    check: r.check_type,
    ruled_out_by: r.ruled_out_by,
    verdict_at: r.verdict_at,
    title: r.title,
    severity: r.severity,
    cwe: parse<string[]>(r.cwe, []),
    file_path: r.file_path,
    line: r.line === null ? null : Number(r.line),
    fixed_version: r.fixed_version,
    aliases: parse<string[]>(r.aliases, []),
    extra: parse(r.extra, {}),
  };
}

/**
 * The facts triage reads of a finding, straight from its row values (FINDING_COLUMNS order): the
 * same values as `findingFromRow`'s for these keys, without reading the words (title, CWE, extra)
 * a decision never depends on.
 */
export function findingFactsFromValues(v: FindingValues): FindingFacts {
  return {
    id: v[F.id],
    vulnerability: v[F.vulnerability_id],
    asset: v[F.asset_id],
    component: v[F.component],
    version: v[F.version],
    validation: v[F.validation],
    reachability: v[F.reachability],
    affected_version_known: v[F.affected_version_known] === 1,
    vendor_scope_known: v[F.vendor_scope_known] === 1,
    containment_needed: containmentFromText(v[F.containment_needed]),
    check: v[F.check_type],
    ruled_out_by: v[F.ruled_out_by],
    aliases: v[F.aliases] === '[]' ? [] : parse<string[]>(v[F.aliases], []),
  };
}

export function signalToRow(s: SignalRecord): SignalsTable {
  return {
    id: s.id,
    time: s.time,
    asset_id: s.asset,
    kind: s.kind,
    vulnerability_id: s.vulnerability,
    component: s.component,
    source: s.source,
    indicator: s.indicator,
    payload: s.payload,
    alert: s.alert,
    confidence: s.confidence,
    extra: json(s.extra),
  };
}

export function signalFromRow(r: SignalsTable): SignalRecord {
  return {
    id: r.id,
    time: r.time,
    asset: r.asset_id,
    kind: r.kind,
    vulnerability: r.vulnerability_id,
    component: r.component,
    source: r.source,
    indicator: r.indicator,
    payload: r.payload,
    alert: r.alert,
    confidence: r.confidence,
    extra: parse(r.extra, {}),
  };
}

export function advisoryToRow(a: AdvisoryStatement, id: string): AdvisoryStatementsTable {
  return { id, vulnerability_id: a.vulnerability, product: a.product, status: a.status, justification: a.justification, statement: a.statement, source: a.source };
}

export function advisoryFromRow(r: AdvisoryStatementsTable): AdvisoryStatement {
  return { vulnerability: r.vulnerability_id, product: r.product, status: r.status, justification: r.justification, statement: r.statement, source: r.source };
}
