import { sql, type Kysely } from 'kysely';

/**
 * Escalation keeps one open remediation item per finding: it looks the finding's open item up
 * before opening one (src/app/hand-over-escalations.ts). Without an index that lookup scanned every remediation
 * item, once per escalation: quadratic in the escalations of a run (a million findings escalate
 * ~20,000). Partial: items opened from a weakness have no finding.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX remediation_items_finding ON remediation_items (finding_id) WHERE finding_id IS NOT NULL`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('remediation_items_finding').ifExists().execute();
}
