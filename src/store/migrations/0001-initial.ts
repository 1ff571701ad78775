import { sql, type Kysely } from 'kysely';

/**
 * The whole schema, portable across SQLite and PostgreSQL: text ids, ISO-8601 text timestamps,
 * integer 0/1 booleans and JSON kept as text, so no repository code branches on the engine.
 */
// Kysely migrations operate on an unknown schema by design.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();

  // ---- audit chain -------------------------------------------------------------------------
  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_incident').on('audit_events').column('incident_id').execute();
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();

  // ---- incidents (IR-6(2)) -----------------------------------------------------------------
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('service', 'text')
    .addColumn('ir_lead', 'text')
    .addColumn('determination', 'text')
    .addColumn('determination_rationale', 'text')
    .addColumn('none_identified_rationale', 'text')
    .addColumn('reportout_opened_at', 'text')
    .addColumn('reportout_sent_at', 'text')
    .addColumn('gate_flags', 'text')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .execute();
  await db.schema.createIndex('incidents_state').on('incidents').column('state').execute();
  await db.schema
    .createTable('incident_assets')
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_assets_pk', ['incident_id', 'asset_id'])
    .execute();
  await db.schema.createIndex('incident_assets_asset').on('incident_assets').column('asset_id').execute();

  await db.schema
    .createTable('weaknesses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('assets', 'text', (c) => c.notNull())
    .addColumn('vulnerabilities', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('weaknesses_incident').on('weaknesses').column('incident_id').execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('message_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('notifications_incident').on('notifications').column('incident_id').execute();
  await db.schema.createIndex('notifications_outbox').on('notifications').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createTable('notification_attempts')
    .addColumn('notification_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addPrimaryKeyConstraint('notification_attempts_pk', ['notification_id', 'attempt'])
    .execute();

  await db.schema
    .createTable('acknowledgments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('acknowledgments_incident').on('acknowledgments').column('incident_id').execute();

  await db.schema
    .createTable('remediation_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text')
    .addColumn('weakness_id', 'text')
    .addColumn('finding_id', 'text')
    .addColumn('owner_role', 'text', (c) => c.notNull())
    .addColumn('assignee', 'text', (c) => c.notNull())
    .addColumn('criteria', 'text', (c) => c.notNull())
    .addColumn('due', 'text')
    .addColumn('ticket', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('remediation_items_incident').on('remediation_items').column('incident_id').execute();
  await db.schema.createIndex('remediation_items_weakness').on('remediation_items').column('weakness_id').execute();
  await db.schema
    .createTable('remediation_history')
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('remediation_history_pk', ['item_id', 'seq'])
    .execute();

  await db.schema
    .createTable('risk_acceptances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('weakness_id', 'text', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('approver', 'text')
    .addColumn('rationale', 'text', (c) => c.notNull())
    .addColumn('controls', 'text', (c) => c.notNull())
    .addColumn('review_by', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema.createIndex('risk_acceptances_weakness').on('risk_acceptances').column('weakness_id').execute();

  await db.schema
    .createTable('third_party_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('weakness_id', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('response', 'text')
    .addColumn('responded_at', 'text')
    .addColumn('chased_at', 'text')
    .addColumn('tracking_item', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('third_party_notices_incident').on('third_party_notices').column('incident_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  // ---- vulnerability response -------------------------------------------------------------
  await db.schema
    .createTable('assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('service', 'text')
    .addColumn('owner', 'text')
    .addColumn('business_critical', 'integer', (c) => c.notNull())
    .addColumn('exposure', 'text', (c) => c.notNull())
    .addColumn('auth_required', 'integer', (c) => c.notNull())
    .addColumn('privileged', 'integer', (c) => c.notNull())
    .addColumn('regulated', 'text', (c) => c.notNull())
    .addColumn('customer_facing', 'integer', (c) => c.notNull())
    .addColumn('safety', 'integer', (c) => c.notNull())
    .addColumn('third_party', 'text')
    .addColumn('telemetry', 'integer', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vulnerabilities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cvss_version', 'text')
    .addColumn('cvss_score', 'double precision')
    .addColumn('cvss_vector', 'text')
    .addColumn('exploitation', 'text', (c) => c.notNull())
    .addColumn('public_poc', 'integer', (c) => c.notNull())
    .addColumn('vendor_advisory', 'integer', (c) => c.notNull())
    .addColumn('fix_available', 'integer')
    .addColumn('kev_date_added', 'text')
    .addColumn('kev_due_date', 'text')
    .addColumn('kev_ransomware', 'integer')
    .addColumn('epss_score', 'double precision')
    .addColumn('epss_percentile', 'double precision')
    .addColumn('epss_date', 'text')
    .addColumn('title', 'text')
    .addColumn('refs', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('vulnerability_id', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('component', 'text')
    .addColumn('version', 'text')
    .addColumn('source', 'text')
    .addColumn('validation', 'text', (c) => c.notNull())
    .addColumn('reachability', 'text', (c) => c.notNull())
    .addColumn('affected_version_known', 'integer', (c) => c.notNull())
    .addColumn('vendor_scope_known', 'integer', (c) => c.notNull())
    .addColumn('containment_needed', 'text')
    .addColumn('title', 'text')
    .addColumn('severity', 'text')
    .addColumn('cwe', 'text', (c) => c.notNull())
    .addColumn('file_path', 'text')
    .addColumn('line', 'integer')
    .addColumn('fixed_version', 'text')
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('scan_key', 'text')
    .addColumn('last_import_id', 'text')
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .execute();
  // The findings indexes are plain named indexes (no PRIMARY KEY / UNIQUE constraint) so that the
  // bulk import path (src/store/bulk) can build them after loading an empty table, inside the same
  // transaction: see src/store/bulk/sqlite.ts. Keep FINDINGS_INDEXES there in sync with these.
  //
  // A scanner finding's id IS its fingerprint, so one unique index on `id` serves both lookups;
  // `findings_fingerprint` only holds the rows whose id differs from their fingerprint (native
  // findings that carry their own id). Look a fingerprint up with
  //   (id = $fp AND fingerprint = $fp) OR (fingerprint = $fp AND id <> fingerprint)
  // (src/store/bulk does). Together they keep fingerprints unique for every row the importer writes.
  await db.schema.createIndex('findings_id').on('findings').column('id').unique().execute();
  await sql`CREATE UNIQUE INDEX findings_fingerprint ON findings (fingerprint) WHERE id <> fingerprint`.execute(db);
  // Resolution of findings a newer report of the same scanner and target no longer lists.
  await db.schema.createIndex('findings_scan').on('findings').columns(['scan_key', 'status']).execute();
  await db.schema.createIndex('findings_asset').on('findings').column('asset_id').execute();

  await db.schema
    .createTable('signals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('vulnerability_id', 'text')
    .addColumn('component', 'text')
    .addColumn('source', 'text')
    .addColumn('indicator', 'text')
    .addColumn('payload', 'text')
    .addColumn('alert', 'text')
    .addColumn('confidence', 'text')
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('signals_asset').on('signals').column('asset_id').execute();

  await db.schema
    .createTable('advisory_statements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vulnerability_id', 'text', (c) => c.notNull())
    .addColumn('product', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('justification', 'text')
    .addColumn('statement', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('advisory_statements_vuln').on('advisory_statements').column('vulnerability_id').execute();

  await db.schema
    .createTable('imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('finding_id', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('vulnerability_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('triggers', 'text', (c) => c.notNull())
    .addColumn('stay_reasons', 'text', (c) => c.notNull())
    .addColumn('flags', 'text', (c) => c.notNull())
    .addColumn('next_actions', 'text', (c) => c.notNull())
    .addColumn('ssvc', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('ruleset_version', 'text', (c) => c.notNull())
    .addColumn('input_hash', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text')
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('decisions_finding').on('decisions').column('finding_id').execute();
  // A decision's explanation is stored as line numbers into its run's distinct lines (ids written
  // as placeholders): a million decisions share a few hundred thousand lines instead of carrying
  // 3-4 KB of rule text each. (Migration 0002 replaced this table: decisions are replayed, src/app/explain-finding.ts.)
  await db.schema
    .createTable('decision_lines')
    .addColumn('run', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decision_lines_pk', ['run', 'n'])
    .execute();
  // Only decisions handed to IR carry an incident: partial indexes keep a million-row triage run
  // from paying for them, while incident views and the escalation link lookup stay indexed.
  await sql`CREATE INDEX decisions_incident ON decisions (incident_id) WHERE incident_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX decisions_link ON decisions (asset_id, vulnerability_id) WHERE incident_id IS NOT NULL`.execute(db);

  await db.schema
    .createTable('handoff_notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'text', (c) => c.notNull())
    .addColumn('markdown', 'text', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('handoff_notes_incident').on('handoff_notes').column('incident_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'handoff_notes', 'decision_lines', 'decisions', 'imports', 'advisory_statements', 'signals', 'findings',
    'vulnerabilities', 'assets', 'api_tokens', 'third_party_notices', 'risk_acceptances',
    'remediation_history', 'remediation_items', 'acknowledgments', 'notification_attempts',
    'notifications', 'weaknesses', 'incident_assets', 'incidents', 'audit_checkpoints',
    'audit_events', 'counters',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
