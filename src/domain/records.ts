/**
 * The native records closeloop stores for vulnerability response: the shapes of FORMATS.md.
 * Every importer, whatever its input format, produces these; the escalation engine reads them.
 * Field names follow FORMATS.md (snake_case) because they are a published contract.
 */

/**
 * `unknown`: nobody has said (an asset known only from a scanner report). It is neither internet-facing
 * nor internal: the engine does not count it as exposed, and the handoff note names the gap.
 */
export const EXPOSURES = ['internet', 'internal', 'isolated', 'unknown'] as const;
export type Exposure = (typeof EXPOSURES)[number];

export const VALIDATIONS = ['unvalidated', 'validated', 'not_affected', 'false_positive'] as const;
export type Validation = (typeof VALIDATIONS)[number];

export const REACHABILITIES = ['reachable', 'unreachable', 'unknown'] as const;
export type Reachability = (typeof REACHABILITIES)[number];

/**
 * How a scanner tested for a finding: `remote`, a network check that tested a listening port (so
 * the vulnerable service answered from the scanner's vantage point), or `local`, an authenticated
 * check on the host, which says nothing about reachability.
 */
export const FINDING_CHECKS = ['remote', 'local'] as const;
export type FindingCheck = (typeof FINDING_CHECKS)[number];

export const EXPLOITATIONS = ['none', 'poc', 'active'] as const;
export type Exploitation = (typeof EXPLOITATIONS)[number];

export const CONFIDENCES = ['low', 'medium', 'high'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** Normalised scanner severity (DefectDojo's Critical/High/Medium/Low/Info, lower-cased). */
export const FINDING_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const SIGNAL_KINDS = [
  'exploit_attempt',
  'suspicious_payload',
  'abnormal_auth',
  'post_exploit',
  'unauthorized_access',
  'persistence',
  'webshell',
  'suspicious_process',
  'unusual_token',
  'lateral_movement',
  'data_access',
  'attacker_infrastructure',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export interface Component {
  product: string;
  version: string | null;
}

export interface AssetRecord {
  id: string;
  name: string | null;
  service: string | null;
  /** null = no owner (a scope gap). */
  owner: string | null;
  business_critical: boolean;
  exposure: Exposure;
  auth_required: boolean;
  privileged: boolean;
  regulated: string[];
  customer_facing: boolean;
  safety: boolean;
  third_party: string | null;
  telemetry: boolean;
  components: Component[];
  /** Unknown input fields, kept verbatim. */
  extra: Record<string, unknown>;
  /** Other names the asset goes by in reports and telemetry (FORMATS.md `aliases`), as given. */
  aliases?: string[];
  /** A provisional asset: created for a report's target that the inventory does not name. */
  not_in_inventory?: boolean;
}

export interface Cvss {
  version: string;
  base_score: number;
  vector: string | null;
}

export interface KevFacts {
  dateAdded: string;
  dueDate: string | null;
  knownRansomwareCampaignUse: boolean;
}

export interface EpssFacts {
  score: number;
  percentile: number;
  date: string | null;
}

export interface VulnerabilityRecord {
  id: string;
  cvss: Cvss | null;
  exploitation: Exploitation;
  public_poc: boolean;
  vendor_advisory: boolean;
  fix_available: boolean | null;
  kev: KevFacts | null;
  epss: EpssFacts | null;
  /** Free-text title/description from an advisory or scanner, when known. */
  title: string | null;
  references: string[];
  extra: Record<string, unknown>;
}

export interface FindingRecord {
  /** Stable id; when the input has none it is the fingerprint. */
  id: string;
  /** Stable hash of (source scanner, asset, vulnerability, component, version, location): dedup key. */
  fingerprint: string;
  vulnerability: string;
  asset: string;
  component: string | null;
  version: string | null;
  /** Scanner or origin, e.g. `trivy`, `grype`, `native`. */
  source: string | null;
  validation: Validation;
  reachability: Reachability;
  affected_version_known: boolean;
  vendor_scope_known: boolean;
  /** false, true, or the named action (isolation, account reset, emergency WAF rule, …). */
  containment_needed: boolean | string;
  /** How the scanner tested for it (remote network check or authenticated local check); null when not said. */
  check: FindingCheck | null;
  /**
   * Who ruled the finding out: the actor of the analyst verdict that made it `not_affected` or
   * `false_positive` (the `ruled_out` stay reason names them); null otherwise.
   */
  ruled_out_by: string | null;
  /** When an analyst last gave a verdict on it: a re-import keeps the fields the analyst owns. */
  verdict_at: string | null;
  /** Scanner details (may be null for native findings). */
  title: string | null;
  severity: FindingSeverity | null;
  cwe: string[];
  file_path: string | null;
  line: number | null;
  fixed_version: string | null;
  /** Extra vulnerability ids the scanner gave (aliases: GHSA for a CVE, …). */
  aliases: string[];
  extra: Record<string, unknown>;
}

/**
 * The keys of a finding that escalation reads (the engine, advisory matching and the decision's
 * input digest), in canonical (sorted) order. Title, severity, CWE, location, fix and extra are
 * words for people and handoff notes: a decision never depends on them.
 */
export const FINDING_FACT_KEYS = [
  'affected_version_known', 'aliases', 'asset', 'check', 'component', 'containment_needed', 'id', 'reachability',
  'ruled_out_by', 'validation', 'vendor_scope_known', 'version', 'vulnerability',
] as const satisfies readonly (keyof FindingRecord)[];

/** The finding as escalation reads it (a FindingRecord is one). */
export type FindingFacts = Pick<FindingRecord, (typeof FINDING_FACT_KEYS)[number]>;

export interface SignalRecord {
  id: string;
  time: string;
  asset: string;
  kind: SignalKind;
  vulnerability: string | null;
  component: string | null;
  source: string | null;
  indicator: string | null;
  payload: string | null;
  alert: string | null;
  confidence: Confidence | null;
  extra: Record<string, unknown>;
}

/**
 * An advisory statement about one vulnerability and (optionally) one product (CSAF / OpenVEX).
 * `not_affected` sets the validation of matching findings to `not_affected`.
 */
export interface AdvisoryStatement {
  vulnerability: string;
  /** Product identifier as written by the advisory (purl, CPE, name). null = every product. */
  product: string | null;
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  justification: string | null;
  statement: string | null;
  source: string;
}
