import type { TimerKind } from '../tables/timer-firings.table.js';
import type { Db, RemediationItem, RiskAcceptance } from '../schema.js';

/**
 * What the timers read and the mark that makes each fire once. A use case calls `fireOnce` first in
 * its transaction and does the firing's work only when it answers true: of two servers (or a
 * restarted one) exactly one inserts the row, the other finds it there and does nothing.
 */
export async function fireOnce(db: Db, kind: TimerKind, subject: string, at: string): Promise<boolean> {
  const row = await db.insertInto('timer_firings').values({ kind, subject, fired_at: at }).onConflict((oc) => oc.columns(['kind', 'subject']).doNothing()).returning('kind').executeTakeFirst();
  return row !== undefined;
}

/** The subjects of a kind that have fired, among those given (to skip work before taking a transaction). */
export async function firedSubjects(db: Db, kind: TimerKind, subjects: readonly string[]): Promise<Set<string>> {
  if (subjects.length === 0) return new Set();
  const rows = await db.selectFrom('timer_firings').select('subject').where('kind', '=', kind).where('subject', 'in', subjects).execute();
  return new Set(rows.map((r) => r.subject));
}

/** Remediation items still being worked whose due date is before `today` (YYYY-MM-DD). */
export function overdueItems(db: Db, today: string): Promise<RemediationItem[]> {
  return db
    .selectFrom('remediation_items')
    .selectAll()
    .where('due', 'is not', null)
    .where('due', '<', today)
    .where('status', 'in', ['open', 'in_progress'])
    .orderBy('id')
    .execute();
}

/** Marks an item overdue since `at` (kept from the first time). */
export async function markOverdue(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('remediation_items').set({ overdue_since: at }).where('id', '=', id).where('overdue_since', 'is', null).execute();
}

/** Approved risk acceptances whose review date is on or before `until` (YYYY-MM-DD). */
export function approvedRisksReviewedBy(db: Db, until: string): Promise<RiskAcceptance[]> {
  return db.selectFrom('risk_acceptances').selectAll().where('state', '=', 'approved').where('review_by', '<=', until).orderBy('id').execute();
}

/** Expires an approved acceptance (conditional: one still approved). True when this call did. */
export async function expireRisk(db: Db, id: string): Promise<boolean> {
  const r = await db.updateTable('risk_acceptances').set({ state: 'expired' }).where('id', '=', id).where('state', '=', 'approved').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
