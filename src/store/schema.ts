import type { Kysely, Transaction } from 'kysely';
import type { CountersTable } from './tables/counters.table.js';
import type { AuditEventsTable } from './tables/audit-events.table.js';
import type { AuditCheckpointsTable } from './tables/audit-checkpoints.table.js';
import type { IncidentsTable } from './tables/incidents.table.js';
import type { IncidentAssetsTable } from './tables/incident-assets.table.js';
import type { WeaknessesTable } from './tables/weaknesses.table.js';
import type { NotificationsTable } from './tables/notifications.table.js';
import type { NotificationAttemptsTable } from './tables/notification-attempts.table.js';
import type { AcknowledgmentsSupersededTable, AcknowledgmentsTable } from './tables/acknowledgments.table.js';
import type { AckLinkUsesTable } from './tables/ack-link-uses.table.js';
import type { RemediationItemsTable } from './tables/remediation-items.table.js';
import type { RemediationHistoryTable } from './tables/remediation-history.table.js';
import type { RiskAcceptancesTable } from './tables/risk-acceptances.table.js';
import type { ThirdPartyNoticesTable } from './tables/third-party-notices.table.js';
import type { ApiTokensTable } from './tables/api-tokens.table.js';
import type { AssetsTable } from './tables/assets.table.js';
import type { VulnerabilitiesTable } from './tables/vulnerabilities.table.js';
import type { FindingsTable } from './tables/findings.table.js';
import type { SignalsTable } from './tables/signals.table.js';
import type { AdvisoryStatementsTable } from './tables/advisory-statements.table.js';
import type { ImportsTable } from './tables/imports.table.js';
import type { DecisionsTable } from './tables/decisions.table.js';
import type { RulesetsTable } from './tables/rulesets.table.js';
import type { TriageRunsTable } from './tables/triage-runs.table.js';
import type { HandoffNotesTable } from './tables/handoff-notes.table.js';
import type { AssetAliasesTable } from './tables/asset-aliases.table.js';
import type { FindingVerdictsTable } from './tables/finding-verdicts.table.js';
import type { IncidentKeysTable } from './tables/incident-keys.table.js';
import type { IncidentFollowsTable } from './tables/incident-follows.table.js';
import type { HandoffRevisionsTable } from './tables/handoff-revisions.table.js';
import type { TimerFiringsTable } from './tables/timer-firings.table.js';
import type { TicketsTable } from './tables/tickets.table.js';

/**
 * Every table, assembled into one `Database` interface for Kysely. Each table's row type and its
 * Selectable / Insertable / Updateable aliases are in `tables/<table>.table.ts`, re-exported here.
 * Booleans are stored as 0/1 integers and JSON as text on both engines (see migrations/0001);
 * columns that hold a closed vocabulary are typed with it.
 */
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
  asset_aliases: AssetAliasesTable;
  finding_verdicts: FindingVerdictsTable;
  incident_keys: IncidentKeysTable;
  incident_follows: IncidentFollowsTable;
  handoff_revisions: HandoffRevisionsTable;
  timer_firings: TimerFiringsTable;
  acknowledgments_superseded: AcknowledgmentsSupersededTable;
  ack_link_uses: AckLinkUsesTable;
  tickets: TicketsTable;
}

/** A Kysely handle or an open transaction: what every repository function takes first, so use cases compose them in one transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

export type * from './tables/counters.table.js';
export type * from './tables/audit-events.table.js';
export type * from './tables/audit-checkpoints.table.js';
export type * from './tables/incidents.table.js';
export type * from './tables/incident-assets.table.js';
export type * from './tables/weaknesses.table.js';
export type * from './tables/notifications.table.js';
export type * from './tables/notification-attempts.table.js';
export type * from './tables/acknowledgments.table.js';
export type * from './tables/remediation-items.table.js';
export type * from './tables/remediation-history.table.js';
export type * from './tables/risk-acceptances.table.js';
export type * from './tables/third-party-notices.table.js';
export type * from './tables/api-tokens.table.js';
export type * from './tables/assets.table.js';
export type * from './tables/vulnerabilities.table.js';
export type * from './tables/findings.table.js';
export type * from './tables/signals.table.js';
export type * from './tables/advisory-statements.table.js';
export type * from './tables/imports.table.js';
export type * from './tables/decisions.table.js';
export type * from './tables/rulesets.table.js';
export type * from './tables/triage-runs.table.js';
export type * from './tables/handoff-notes.table.js';
export type * from './tables/asset-aliases.table.js';
export type * from './tables/finding-verdicts.table.js';
export type * from './tables/incident-keys.table.js';
export type * from './tables/incident-follows.table.js';
export type * from './tables/handoff-revisions.table.js';
export type * from './tables/ack-link-uses.table.js';
export type * from './tables/tickets.table.js';
