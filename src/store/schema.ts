import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { IncidentState, RemediationState, RiskState, Severity, WeaknessRelation, WeaknessType } from '../domain/incident.js';
import type { AdvisoryStatement, Confidence, Exploitation, Exposure, FindingSeverity, Reachability, SignalKind, Validation } from '../domain/records.js';
import type { Outcome } from '../domain/escalation/vocabulary.js';

/**
 * Row types for every table, assembled into one `Database` interface for Kysely.
 * Booleans are stored as 0/1 integers and JSON as text on both engines (see migrations/0001).
 */

/** A Kysely handle or an open transaction: what every repository function takes first, so use cases compose them in one transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** What a closed incident was determined to be (null while open or reopened). */
export type IncidentDetermination = 'incident' | 'non_incident';

/** A third-party notice: opened by the report-out, sent through the vendor's channel, answered. */
export type ThirdPartyNoticeStatus = 'pending' | 'sent' | 'responded';

/** Why a notification was queued (the outbox's `Enqueue.purpose`). */
export type NotificationPurpose = 'reportout' | 'handoff' | 'reminder';

/** A notification's delivery state in the outbox. */
export type NotificationStatus = 'queued' | 'sending' | 'delivered' | 'failed';

export interface CountersTable { name: string; value: number }

export interface AuditEventsTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  incident_id: string | null;
  digest: string;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable { seq: number; hash: string; at: string; key_id: string; signature: string }

export interface IncidentsTable {
  id: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  service: string | null;
  ir_lead: string | null;
  determination: IncidentDetermination | null;
  determination_rationale: string | null;
  none_identified_rationale: string | null;
  reportout_opened_at: string | null;
  reportout_sent_at: string | null;
  /** JSON array of gate items that were missing when the incident was closed in soft mode. */
  gate_flags: string | null;
  opened_by: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface IncidentAssetsTable { incident_id: string; asset_id: string }

export interface WeaknessesTable {
  id: string;
  incident_id: string;
  type: WeaknessType;
  relation: WeaknessRelation;
  assets: string;
  vulnerabilities: string;
  notes: string;
  action: string;
  vendor: string | null;
  created_by: string;
  created_at: string;
}

export interface NotificationsTable {
  id: string;
  incident_id: string;
  purpose: NotificationPurpose;
  role: string;
  channel: string;
  address: string;
  subject: string;
  body: string;
  idempotency_key: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: string | null;
  message_id: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
}

export interface NotificationAttemptsTable {
  notification_id: string;
  attempt: number;
  at: string;
  outcome: string;
  detail: string | null;
}

export interface AcknowledgmentsTable {
  id: string;
  incident_id: string;
  role: string;
  actor: string;
  comment: string | null;
  at: string;
}

export interface RemediationItemsTable {
  id: string;
  incident_id: string | null;
  weakness_id: string | null;
  finding_id: string | null;
  owner_role: string;
  assignee: string;
  criteria: string;
  due: string | null;
  ticket: string | null;
  status: RemediationState;
  created_at: string;
  updated_at: string;
}

export interface RemediationHistoryTable { item_id: string; seq: number; status: RemediationState; actor: string; at: string }

export interface RiskAcceptancesTable {
  id: string;
  incident_id: string;
  weakness_id: string;
  requester: string;
  approver: string | null;
  rationale: string;
  controls: string;
  review_by: string;
  state: RiskState;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface ThirdPartyNoticesTable {
  id: string;
  incident_id: string;
  weakness_id: string;
  vendor: string;
  channel: string | null;
  status: ThirdPartyNoticeStatus;
  sent_at: string | null;
  response: string | null;
  responded_at: string | null;
  chased_at: string | null;
  tracking_item: string | null;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  actor: string;
  token_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface AssetsTable {
  id: string;
  name: string | null;
  service: string | null;
  owner: string | null;
  business_critical: number;
  exposure: Exposure;
  auth_required: number;
  privileged: number;
  regulated: string;
  customer_facing: number;
  safety: number;
  third_party: string | null;
  telemetry: number;
  components: string;
  extra: string;
  updated_at: string;
}

export interface VulnerabilitiesTable {
  id: string;
  cvss_version: string | null;
  cvss_score: number | null;
  cvss_vector: string | null;
  exploitation: Exploitation;
  public_poc: number;
  vendor_advisory: number;
  fix_available: number | null;
  kev_date_added: string | null;
  kev_due_date: string | null;
  kev_ransomware: number | null;
  epss_score: number | null;
  epss_percentile: number | null;
  epss_date: string | null;
  title: string | null;
  refs: string;
  extra: string;
  updated_at: string;
}

export interface FindingsTable {
  id: string;
  fingerprint: string;
  vulnerability_id: string;
  asset_id: string;
  component: string | null;
  version: string | null;
  source: string | null;
  validation: Validation;
  reachability: Reachability;
  affected_version_known: number;
  vendor_scope_known: number;
  /** null = not needed; 'true' = needed, action unnamed; otherwise the named action. */
  containment_needed: string | null;
  title: string | null;
  severity: FindingSeverity | null;
  cwe: string;
  file_path: string | null;
  line: number | null;
  fixed_version: string | null;
  aliases: string;
  extra: string;
  /** `open`, or `resolved` when a newer report of the same scanner and target no longer lists it. */
  status: string;
  /** scanner + target that produced it: findings missing from a newer report of the same key are resolved. */
  scan_key: string | null;
  last_import_id: string | null;
  first_seen: string;
  last_seen: string;
}

export interface SignalsTable {
  id: string;
  time: string;
  asset_id: string;
  kind: SignalKind;
  vulnerability_id: string | null;
  component: string | null;
  source: string | null;
  indicator: string | null;
  payload: string | null;
  alert: string | null;
  confidence: Confidence | null;
  extra: string;
}

export interface AdvisoryStatementsTable {
  id: string;
  vulnerability_id: string;
  product: string | null;
  status: AdvisoryStatement['status'];
  justification: string | null;
  statement: string | null;
  source: string;
}

export interface ImportsTable {
  id: string;
  kind: string;
  format: string;
  file: string;
  sha256: string;
  counts: string;
  actor: string;
  at: string;
}

/** A ruleset as a triage run used it (canonical JSON), stored once per digest so `why` can replay. */
export interface RulesetsTable {
  digest: string;
  version: string;
  body: string;
  first_used_at: string;
}

/** One triage run: stored triage (`closeloop triage`) or the decisions of a findings import. */
export interface TriageRunsTable {
  id: string;
  source: string;
  ruleset_digest: string;
  ruleset_version: string;
  import_id: string | null;
  actor: string;
  at: string;
  evaluated: number;
  /** JSON: by_outcome and by_trigger. */
  counts: string;
}

export interface DecisionsTable {
  id: string;
  finding_id: string;
  asset_id: string;
  vulnerability_id: string;
  outcome: Outcome;
  triggers: string;
  stay_reasons: string;
  flags: string;
  next_actions: string;
  ssvc: string;
  evidence: string;
  ruleset_version: string;
  input_hash: string;
  snapshot: string;
  incident_id: string | null;
  decided_at: string;
}

export interface HandoffNotesTable {
  id: string;
  incident_id: string;
  decision_id: string;
  markdown: string;
  json: string;
  created_at: string;
}

export interface Database {
  counters: CountersTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  incidents: IncidentsTable;
  incident_assets: IncidentAssetsTable;
  weaknesses: WeaknessesTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
  acknowledgments: AcknowledgmentsTable;
  remediation_items: RemediationItemsTable;
  remediation_history: RemediationHistoryTable;
  risk_acceptances: RiskAcceptancesTable;
  third_party_notices: ThirdPartyNoticesTable;
  api_tokens: ApiTokensTable;
  assets: AssetsTable;
  vulnerabilities: VulnerabilitiesTable;
  findings: FindingsTable;
  signals: SignalsTable;
  advisory_statements: AdvisoryStatementsTable;
  imports: ImportsTable;
  decisions: DecisionsTable;
  rulesets: RulesetsTable;
  triage_runs: TriageRunsTable;
  handoff_notes: HandoffNotesTable;
}

export type Incident = Selectable<IncidentsTable>;
export type NewIncident = Insertable<IncidentsTable>;
export type IncidentUpdate = Updateable<IncidentsTable>;
export type Weakness = Selectable<WeaknessesTable>;
export type Notification = Selectable<NotificationsTable>;
export type Acknowledgment = Selectable<AcknowledgmentsTable>;
export type RemediationItem = Selectable<RemediationItemsTable>;
export type RiskAcceptance = Selectable<RiskAcceptancesTable>;
export type ThirdPartyNotice = Selectable<ThirdPartyNoticesTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type FindingRow = Selectable<FindingsTable>;
export type AssetRow = Selectable<AssetsTable>;
export type VulnerabilityRow = Selectable<VulnerabilitiesTable>;
export type SignalRow = Selectable<SignalsTable>;
export type DecisionRow = Selectable<DecisionsTable>;
export type RemediationHistoryEntry = Selectable<RemediationHistoryTable>;
export type ThirdPartyNoticeUpdate = Updateable<ThirdPartyNoticesTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type HandoffNote = Selectable<HandoffNotesTable>;
