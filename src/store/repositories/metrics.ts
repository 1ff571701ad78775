import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../schema.js';

/**
 * The control's figures as the database computes them: counts, and latency quantiles read off
 * ranked rows, so a metric costs a few rows however many incidents, acknowledgments or decisions
 * the store holds. Written once for both engines: text functions, integer arithmetic and window
 * functions that SQLite and PostgreSQL share.
 */

/** A count and the first ids (in id order) of what it counts. */
export interface CappedIds {
  count: number;
  ids: string[];
}

const n = (v: number | string | null | undefined): number => Number(v ?? 0);

/**
 * Seconds since 1970-01-01T00:00:00Z of an ISO-8601 UTC timestamp column
 * (`YYYY-MM-DDTHH:MM:SS…Z`, as the store writes them), in integer arithmetic both engines share:
 * days from the civil date (H. Hinnant's `days_from_civil`), then the time of day. Fractions of
 * a second are ignored.
 */
export function epochSeconds(column: string | RawBuilder<string | null>): RawBuilder<number> {
  const c = typeof column === 'string' ? sql.ref(column) : column;
  const part = (from: number, len: number) => sql`cast(substr(${c}, ${sql.lit(from)}, ${sql.lit(len)}) as bigint)`;
  const month = part(6, 2);
  const year = sql`(${part(1, 4)} - case when ${month} <= 2 then 1 else 0 end)`;
  const era = sql`(${year} / 400)`;
  const yearOfEra = sql`(${year} - ${era} * 400)`;
  const dayOfYear = sql`((153 * ((${month} + 9) % 12) + 2) / 5 + ${part(9, 2)} - 1)`;
  const dayOfEra = sql`(${yearOfEra} * 365 + ${yearOfEra} / 4 - ${yearOfEra} / 100 + ${dayOfYear})`;
  const days = sql`(${era} * 146097 + ${dayOfEra} - 719468)`;
  return sql<number>`(${days} * 86400 + ${part(12, 2)} * 3600 + ${part(15, 2)} * 60 + ${part(18, 2)})`;
}

/**
 * Ranks read for latency quantiles, as fractions num/den of (count − 1): a quantile interpolates
 * between the floor and ceiling of its rank, so both are read. The median, the 90th percentile
 * and the maximum.
 */
export const LATENCY_QUANTILES = { p50: [1, 2], p90: [9, 10], max: [1, 1] } as const satisfies Record<string, readonly [number, number]>;

/** A group's latencies (seconds): how many, their sum, and the values at the ranks quantiles need. */
export interface LatencyRanks {
  group: string;
  count: number;
  sum: number;
  /** Value (seconds) by rank (0-based, ascending). */
  at: Map<number, number>;
}

/** `rn = floor(num·(n−1)/den) or rn = ceil(num·(n−1)/den)` for every quantile. */
function rankPredicate(): RawBuilder<boolean> {
  const terms = Object.values(LATENCY_QUANTILES).flatMap(([num, den]) => [
    sql`rn = (${sql.lit(num)} * (n - 1)) / ${sql.lit(den)}`,
    sql`rn = (${sql.lit(num)} * (n - 1) + ${sql.lit(den - 1)}) / ${sql.lit(den)}`,
  ]);
  return sql<boolean>`(${sql.join(terms, sql` or `)})`;
}

/** Ranks latencies per group: `rows` yields `grp` (text) and `s` (seconds). */
async function latencyRanks(db: Db, rows: RawBuilder<unknown>): Promise<LatencyRanks[]> {
  const { rows: ranked } = await sql<{ grp: string; rn: number | string; n: number | string; total: number | string; s: number | string }>`
    with l as (${rows}),
    r as (
      select grp, s, row_number() over (partition by grp order by s) - 1 as rn, count(*) over (partition by grp) as n, sum(s) over (partition by grp) as total
      from l
    )
    select grp, rn, n, total, s from r where ${rankPredicate()} order by grp, rn`.execute(db);
  const groups = new Map<string, LatencyRanks>();
  for (const r of ranked) {
    const g = groups.get(r.grp) ?? { group: r.grp, count: n(r.n), sum: n(r.total), at: new Map<number, number>() };
    g.at.set(n(r.rn), n(r.s));
    groups.set(r.grp, g);
  }
  return [...groups.values()];
}

/** Report-outs sent: from the incident's opening to the report-out's sending (one group, `all`). */
export async function reportOutLatency(db: Db): Promise<LatencyRanks | null> {
  const rows = sql`select 'all' as grp, ${epochSeconds('reportout_sent_at')} - ${epochSeconds('created_at')} as s from incidents where reportout_sent_at is not null`;
  return (await latencyRanks(db, rows))[0] ?? null;
}

/**
 * Acknowledgments, by role: from the report-out message the role acknowledged — the latest sent
 * to it at or before the acknowledgment (a later revision that left the role's part unchanged
 * sends it nothing and keeps its acknowledgment) — to the acknowledgment; the report-out's
 * sending when no message to the role is recorded.
 */
export function ackLatencyByRole(db: Db): Promise<LatencyRanks[]> {
  const sentToRole = sql<string | null>`coalesce((
    select max(n.created_at) from notifications n
    where n.incident_id = a.incident_id and n.role = a.role and n.purpose = 'reportout' and n.created_at <= a.at
  ), i.reportout_sent_at)`;
  const rows = sql`
    select a.role as grp, ${epochSeconds('a.at')} - ${epochSeconds(sentToRole)} as s
    from acknowledgments a join incidents i on i.id = a.incident_id
    where i.reportout_sent_at is not null`;
  return latencyRanks(db, rows);
}

/** Counts per category and the first `limit` ids of each: `rows` yields `cat` (text) and `id` (distinct per category). */
async function cappedIdsBy(db: Db, rows: RawBuilder<unknown>, limit: number): Promise<Map<string, CappedIds>> {
  const { rows: found } = await sql<{ cat: string; id: string; n: number | string }>`
    with c as (${rows}),
    r as (select cat, id, row_number() over (partition by cat order by id) as rn, count(*) over (partition by cat) as n from c)
    select cat, id, n from r where rn <= ${sql.lit(limit)} order by cat, id`.execute(db);
  const out = new Map<string, CappedIds>();
  for (const r of found) {
    const c = out.get(r.cat) ?? { count: n(r.n), ids: [] };
    c.ids.push(r.id);
    out.set(r.cat, c);
  }
  return out;
}

const none = (): CappedIds => ({ count: 0, ids: [] });

/** Incidents whose report-out is owed (its task opened) and not sent; a non-incident owes none. */
export async function missingReportOut(db: Db, limit: number): Promise<CappedIds> {
  const rows = sql`
    select 'missing' as cat, id from incidents
    where reportout_opened_at is not null and reportout_sent_at is null and state <> 'closed_non_incident'`;
  return (await cappedIdsBy(db, rows, limit)).get('missing') ?? none();
}

/** Risk acceptances to act on, as of `today` (YYYY-MM-DD). */
export interface RiskReviewCounts {
  /** Requested, awaiting a decision. */
  requested: CappedIds;
  /** Approved, review date after today and on or before `until`. */
  due: CappedIds;
  /** Stored expired, or approved with the review date reached. */
  past: CappedIds;
}

export async function riskReviewCounts(db: Db, q: { today: string; until: string }, limit: number): Promise<RiskReviewCounts> {
  const rows = sql`
    select cat, id from (
      select id, case
        when state = 'requested' then 'requested'
        when state = 'expired' or (state = 'approved' and review_by <= ${q.today}) then 'past'
        when state = 'approved' and review_by <= ${q.until} then 'due'
      end as cat
      from risk_acceptances
    ) k where cat is not null`;
  const by = await cappedIdsBy(db, rows, limit);
  return { requested: by.get('requested') ?? none(), due: by.get('due') ?? none(), past: by.get('past') ?? none() };
}

/**
 * Findings that stayed and later escalated: a decision `stay` followed by a newer decision
 * `escalate` of the same finding (newer: later in time, then in id), whatever came between.
 */
export async function staysLaterEscalated(db: Db, limit: number): Promise<CappedIds> {
  const rows = sql`
    select distinct 'stay_escalated' as cat, s.finding_id as id from decisions s
    where s.outcome = 'stay' and exists (
      select 1 from decisions e
      where e.finding_id = s.finding_id and e.outcome = 'escalate'
        and (e.decided_at > s.decided_at or (e.decided_at = s.decided_at and e.id > s.id))
    )`;
  return (await cappedIdsBy(db, rows, limit)).get('stay_escalated') ?? none();
}
