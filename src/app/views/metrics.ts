/**
 * The control's figures (SPEC §5 Metrics) for the dashboard, `GET /api/v1/metrics`, `closeloop
 * metrics` and the Prometheus scrape: incidents missing their report-out, report-out and
 * acknowledgment latency, remediation aging and overdue items, risk acceptances awaiting a decision
 * or a review, escalations by trigger, stays later escalated, the latest health check's pass rate
 * and incidents by state. Every figure is aggregated by the database (store/repositories/metrics.ts
 * and views.ts): what comes back is a few rows per figure, whatever the size of the store.
 */
import { z } from 'zod';
import { INCIDENT_STATES, REMEDIATION_STATES } from '../../domain/incident.js';
import { ackLatencyByRole, LATENCY_QUANTILES, missingReportOut, reportOutLatency, riskReviewCounts, staysLaterEscalated, type LatencyRanks } from '../../store/repositories/metrics.js';
import { escalationTriggerLists, incidentsByState, remediationAging } from '../../store/repositories/views.js';
import type { Db } from '../../store/schema.js';
import { addDays, authorize, isoNow, today, type AppContext, type Caller } from '../context.js';
import { parseInput } from '../validate.js';

export const AGE_BUCKETS = ['0-7', '8-30', '31-90', '>90'] as const;
/** Statuses of an item not yet verified: what remediation aging counts. */
const AGING_STATUSES = REMEDIATION_STATES.filter((s) => s !== 'verified');
/** How many ids a list of the figures names (its count is exact). */
export const ID_LIST_LIMIT = 50;

export const metricsInput = z.strictObject({
  /** Approved acceptances whose review date falls within this many days count as awaiting review (default: the risk review warning period). */
  review_days: z.coerce.number().int().min(0).max(3650).optional(),
});

const latency = z.object({
  count: z.number().int(),
  median_hours: z.number().nullable(),
  p90_hours: z.number().nullable(),
  max_hours: z.number().nullable(),
  /** The same figures in seconds (whole seconds of the stored times; quantiles interpolated). */
  seconds: z.object({ median: z.number().nullable(), p90: z.number().nullable(), max: z.number().nullable(), sum: z.number() }),
});
/** A count and the first ids (at most ID_LIST_LIMIT, in id order) of what it counts. */
const idList = z.object({ count: z.number().int(), ids: z.array(z.string()) });

/** The latest control health check: how many sampled incidents it reviewed and how many passed every question. */
export const healthCheckRate = z.object({ health_check_id: z.string(), sampled: z.number().int(), passed: z.number().int(), rate: z.number() });
export type HealthCheckRate = z.infer<typeof healthCheckRate>;

export const metricsOutput = z.object({
  as_of: z.string(),
  incidents_by_state: z.record(z.enum(INCIDENT_STATES), z.number().int()),
  /** Report-outs owed (their task opened) and not sent; a non-incident owes none. */
  missing_reportout: idList,
  /** From the incident's opening to its report-out's sending. */
  reportout_latency: latency,
  /** From the report-out's sending to each role's acknowledgment. */
  ack_latency: z.array(latency.extend({ role: z.string() })),
  /** Items not yet verified, by age since opened (days) and status; overdue: past due and still open or in progress. */
  remediation_aging: z.object({
    buckets: z.array(z.object({ bucket: z.enum(AGE_BUCKETS), total: z.number().int(), by_status: z.record(z.string(), z.number().int()) })),
    open_total: z.number().int(),
    overdue: z.number().int(),
  }),
  risk_review: z.object({
    /** Requested, awaiting a decision. */
    requested: idList,
    /** Approved, review date within `within_days` days. */
    review_due: idList.extend({ within_days: z.number().int() }),
    /** Past the review date: expired, or approved with the date reached. */
    review_past: idList,
  }),
  /** Findings whose latest decision escalates, by trigger (a decision with several triggers counts for each). */
  escalations_by_trigger: z.array(z.object({ trigger: z.string(), count: z.number().int() })),
  /** Findings with a decision `stay` followed by a newer decision `escalate`. */
  stays_later_escalated: idList,
  /** The latest control health check's pass rate; null when no health check has been run. */
  healthcheck_pass_rate: healthCheckRate.nullable(),
});
export type Metrics = z.infer<typeof metricsOutput>;

type Fraction = readonly [num: number, den: number];

/** The quantile num/den of `count` ascending values read through `at` (rank → value), linearly interpolated; null for no values. */
export function quantileAt(count: number, at: (rank: number) => number | undefined, [num, den]: Fraction): number | null {
  if (count === 0) return null;
  const scaled = num * (count - 1);
  const lo = Math.floor(scaled / den);
  const hi = Math.ceil(scaled / den);
  const a = at(lo) ?? 0;
  const b = at(hi) ?? a;
  return a + ((b - a) * (scaled - lo * den)) / den;
}

const round2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
const hours = (seconds: number | null): number | null => round2(seconds === null ? null : seconds / 3600);

function latencyOf(r: LatencyRanks | null | undefined): z.infer<typeof latency> {
  const count = r?.count ?? 0;
  const q = (f: Fraction) => round2(quantileAt(count, (rank) => r?.at.get(rank), f));
  const seconds = { median: q(LATENCY_QUANTILES.p50), p90: q(LATENCY_QUANTILES.p90), max: q(LATENCY_QUANTILES.max), sum: r?.sum ?? 0 };
  return { count, median_hours: hours(seconds.median), p90_hours: hours(seconds.p90), max_hours: hours(seconds.max), seconds };
}

/**
 * The latest control health check's pass rate. Health checks are not yet recorded in the store,
 * so there is none; this is the one place that reads it.
 */
export function latestHealthCheckPassRate(_db: Db): Promise<HealthCheckRate | null> {
  return Promise.resolve(null);
}

/** The figures, for a caller allowed to read them. */
export async function metrics(ctx: AppContext, caller: Caller, input: z.input<typeof metricsInput> = {}): Promise<Metrics> {
  await authorize(ctx, caller, 'incident.read');
  return computeMetrics(ctx, parseInput(metricsInput, input));
}

/** The figures, computed without a permission check: the caller checks (`metrics`, the Prometheus scrape). */
export async function computeMetrics(ctx: AppContext, p: z.output<typeof metricsInput>): Promise<Metrics> {
  const db = ctx.store.db;
  const day = today(ctx);
  const within = p.review_days ?? ctx.config.workflow.risk_review_warning_days;
  const [byState, missing, reportOuts, acks, aging, risks, triggerLists, staysEscalated, healthCheck] = await Promise.all([
    incidentsByState(db),
    missingReportOut(db, ID_LIST_LIMIT),
    reportOutLatency(db),
    ackLatencyByRole(db),
    remediationAging(db, { d7: addDays(day, -7), d30: addDays(day, -30), d90: addDays(day, -90), today: day }),
    riskReviewCounts(db, { today: day, until: addDays(day, within) }, ID_LIST_LIMIT),
    escalationTriggerLists(db),
    staysLaterEscalated(db, ID_LIST_LIMIT),
    latestHealthCheckPassRate(db),
  ]);

  const states = Object.fromEntries(INCIDENT_STATES.map((s) => [s, 0])) as Record<(typeof INCIDENT_STATES)[number], number>;
  for (const r of byState) states[r.state] = r.n;

  const buckets = AGE_BUCKETS.map((bucket) => {
    const by_status = Object.fromEntries(AGING_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const r of aging.buckets.filter((b) => b.bucket === bucket)) by_status[r.status] = (by_status[r.status] ?? 0) + r.n;
    return { bucket, total: Object.values(by_status).reduce((x, y) => x + y, 0), by_status };
  });

  const triggers = new Map<string, number>();
  for (const l of triggerLists) {
    const names = JSON.parse(l.triggers) as unknown;
    for (const t of Array.isArray(names) ? new Set(names.map(String)) : []) triggers.set(t, (triggers.get(t) ?? 0) + l.n);
  }

  return {
    as_of: isoNow(ctx),
    incidents_by_state: states,
    missing_reportout: missing,
    reportout_latency: latencyOf(reportOuts),
    ack_latency: [...acks].sort((a, b) => a.group.localeCompare(b.group)).map((r) => ({ role: r.group, ...latencyOf(r) })),
    remediation_aging: { buckets, open_total: buckets.reduce((x, b) => x + b.total, 0), overdue: aging.overdue },
    risk_review: { requested: risks.requested, review_due: { ...risks.due, within_days: within }, review_past: risks.past },
    escalations_by_trigger: [...triggers.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([trigger, count]) => ({ trigger, count })),
    stays_later_escalated: staysEscalated,
    healthcheck_pass_rate: healthCheck,
  };
}
