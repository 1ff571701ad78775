/**
 * FORMATS.md defaults for the native records. Importers and the rule-case runner both start from
 * partial records; filling them in one place keeps "absent" meaning the same thing everywhere
 * (an absent `exposure` is `internal`, an absent `telemetry` is `true`, …), which the escalation
 * rules depend on.
 */
import { sha256Text } from './input-digest.js';
import type {
  AssetRecord,
  Component,
  Cvss,
  EpssFacts,
  FindingRecord,
  KevFacts,
  SignalRecord,
  VulnerabilityRecord,
} from '../records.js';

/** A partial asset: only `id` is required (FORMATS.md assets). */
export type AssetInput = { id: string } & Partial<Omit<AssetRecord, 'id' | 'components'>> & {
  components?: Array<{ product: string; version?: string | null }>;
};

/** A partial vulnerability: only `id` is required; KEV/EPSS/CVSS sub-records may be partial too. */
export type VulnerabilityInput = { id: string } & Partial<
  Omit<VulnerabilityRecord, 'id' | 'cvss' | 'kev' | 'epss'>
> & {
  cvss?: { version?: string; base_score: number; vector?: string | null } | null;
  kev?: { dateAdded: string; dueDate?: string | null; knownRansomwareCampaignUse?: boolean } | null;
  epss?: { score: number; percentile: number; date?: string | null } | null;
};

/** A partial finding: `vulnerability` and `asset` are required; `id` defaults to the fingerprint. */
export type FindingInput = { vulnerability: string; asset: string } & Partial<
  Omit<FindingRecord, 'vulnerability' | 'asset'>
>;

/** A partial signal: `id`, `time`, `asset` and `kind` are required (FORMATS.md signals). */
export type SignalInput = Pick<SignalRecord, 'id' | 'time' | 'asset' | 'kind'> &
  Partial<Omit<SignalRecord, 'id' | 'time' | 'asset' | 'kind'>>;

/** Fills an asset with FORMATS.md defaults (internal, authenticated, telemetry on, no owner). */
export function assetWithDefaults(input: AssetInput): AssetRecord {
  const components: Component[] = (input.components ?? []).map((c) => ({
    product: c.product,
    version: c.version ?? null,
  }));
  return {
    id: input.id,
    name: input.name ?? null,
    service: input.service ?? null,
    owner: input.owner ?? null,
    business_critical: input.business_critical ?? false,
    exposure: input.exposure ?? 'internal',
    auth_required: input.auth_required ?? true,
    privileged: input.privileged ?? false,
    regulated: input.regulated ?? [],
    customer_facing: input.customer_facing ?? false,
    safety: input.safety ?? false,
    third_party: input.third_party ?? null,
    telemetry: input.telemetry ?? true,
    components,
    extra: input.extra ?? {},
  };
}

/** `CVSS:3.1/AV:N/…` → `3.1`; vectors without the prefix leave the version unknown. */
function cvssVersionFromVector(vector: string | null | undefined): string {
  const m = vector === null || vector === undefined ? null : /^CVSS:(\d+(?:\.\d+)?)\//i.exec(vector);
  return m?.[1] ?? 'unknown';
}

/** Fills a vulnerability with FORMATS.md defaults (exploitation none, no PoC, not from an advisory). */
export function vulnerabilityWithDefaults(input: VulnerabilityInput): VulnerabilityRecord {
  const cvss: Cvss | null =
    input.cvss === null || input.cvss === undefined
      ? null
      : {
          version: input.cvss.version ?? cvssVersionFromVector(input.cvss.vector),
          base_score: input.cvss.base_score,
          vector: input.cvss.vector ?? null,
        };
  const kev: KevFacts | null =
    input.kev === null || input.kev === undefined
      ? null
      : {
          dateAdded: input.kev.dateAdded,
          dueDate: input.kev.dueDate ?? null,
          knownRansomwareCampaignUse: input.kev.knownRansomwareCampaignUse ?? false,
        };
  const epss: EpssFacts | null =
    input.epss === null || input.epss === undefined
      ? null
      : { score: input.epss.score, percentile: input.epss.percentile, date: input.epss.date ?? null };
  return {
    id: input.id,
    cvss,
    exploitation: input.exploitation ?? 'none',
    public_poc: input.public_poc ?? false,
    vendor_advisory: input.vendor_advisory ?? false,
    fix_available: input.fix_available ?? null,
    kev,
    epss,
    title: input.title ?? null,
    references: input.references ?? [],
    extra: input.extra ?? {},
  };
}

/** What identifies a finding for dedup: the same parts give the same fingerprint. */
export interface FingerprintParts {
  /** The scanner (`trivy`, `native`, …). */
  source: string | null;
  asset: string;
  vulnerability: string;
  component: string | null;
  version: string | null;
  /** What tells apart two findings of one vulnerability/component on one asset (`file:line`, a rule target). */
  location: string | null;
}

/**
 * The stable dedup key of a finding (SPEC §1 Finding): SHA-256 hex of the parts, JSON-encoded so
 * no separator can be ambiguous. Stored findings are matched on it when a report is imported
 * again, so its value for given parts must never change.
 */
export function findingFingerprint(parts: FingerprintParts): string {
  return sha256Text(JSON.stringify([parts.source, parts.asset, parts.vulnerability, parts.component, parts.version, parts.location]));
}

/** The `location` of a finding that points into a file (`path:line`, `path:` without a line). */
export function fileLocation(filePath: string | null, line: number | null): string | null {
  return filePath === null ? null : `${filePath}:${line ?? ''}`;
}

/** Fills a finding with FORMATS.md defaults (unvalidated, reachability unknown, versions known). */
export function findingWithDefaults(input: FindingInput): FindingRecord {
  const source = input.source ?? null;
  const component = input.component ?? null;
  const version = input.version ?? null;
  const file_path = input.file_path ?? null;
  const line = input.line ?? null;
  const fingerprint =
    input.fingerprint ??
    findingFingerprint({
      source,
      asset: input.asset,
      vulnerability: input.vulnerability,
      component,
      version,
      location: fileLocation(file_path, line),
    });
  return {
    id: input.id ?? fingerprint,
    fingerprint,
    vulnerability: input.vulnerability,
    asset: input.asset,
    component,
    version,
    source,
    validation: input.validation ?? 'unvalidated',
    reachability: input.reachability ?? 'unknown',
    affected_version_known: input.affected_version_known ?? true,
    vendor_scope_known: input.vendor_scope_known ?? true,
    containment_needed: input.containment_needed ?? false,
    check: input.check ?? null,
    ruled_out_by: input.ruled_out_by ?? null,
    verdict_at: input.verdict_at ?? null,
    title: input.title ?? null,
    severity: input.severity ?? null,
    cwe: input.cwe ?? [],
    file_path,
    line,
    fixed_version: input.fixed_version ?? null,
    aliases: input.aliases ?? [],
    extra: input.extra ?? {},
  };
}

/** Fills a signal with FORMATS.md defaults (every optional detail null). */
export function signalWithDefaults(input: SignalInput): SignalRecord {
  return {
    id: input.id,
    time: input.time,
    asset: input.asset,
    kind: input.kind,
    vulnerability: input.vulnerability ?? null,
    component: input.component ?? null,
    source: input.source ?? null,
    indicator: input.indicator ?? null,
    payload: input.payload ?? null,
    alert: input.alert ?? null,
    confidence: input.confidence ?? null,
    extra: input.extra ?? {},
  };
}
