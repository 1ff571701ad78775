/**
 * The control's figures (SPEC §5 Metrics) for the dashboard and `closeloop metrics`: incidents
 * missing their report-out, report-out and acknowledgment latency, remediation aging and overdue
 * items, risk acceptances awaiting review, escalations by trigger and incidents by state. Counts
 * over rows that can be many (remediation items, decisions) are made by the database; latencies
 * are computed here from the acknowledgments and report-outs, which are few.
 */
import { z } from 'zod';
import { INCIDENT_STATES, REMEDIATION_STATES } from '../../domain/incident.js';
import {
  acknowledgmentTimes,
  escalationTriggerLists,
  incidentsByState,
  incidentsMissingReportOut,
  remediationAging,
  reportOutTimes,
  risksForReview,
} from '../../store/repositories/views.js';
import { addDays, authorize, isoNow, today, type AppContext, type Caller } from '../context.js';
import { parseInput } from '../validate.js';

export const AGE_BUCKETS = ['0-7', '8-30', '31-90', '>90'] as const;
/** Statuses of an item not yet verified: what remediation aging counts. */
const AGING_STATUSES = REMEDIATION_STATES.filter((s) => s !== 'verified');

export const metricsInput = z.strictObject({
  /** Approved acceptances whose review date falls within this many days count as awaiting review (default: the risk review warning period). */
  review_days: z.coerce.number().int().min(0).max(3650).optional(),
});

const latency = z.object({ count: z.number().int(), median_hours: z.number().nullable(), p90_hours: z.number().nullable() });
const idList = z.object({ count: z.number().int(), ids: z.array(z.string()) });

export const metricsOutput = z.object({
  as_of: z.string(),
  incidents_by_state: z.record(z.enum(INCIDENT_STATES), z.number().int()),
  /** Report-outs owed (their task opened) and not sent; a non-incident owes none. */
  missing_reportout: idList,
  /** From the report-out task's opening to its sending. */
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
    requested: idList,
    /** Approved, review date within `within_days` days. */
    review_due: idList.extend({ within_days: z.number().int() }),
    /** Past the review date: expired, or approved with the date reached. */
    review_past: idList,
  }),
  /** Findings whose latest decision escalates, by trigger (a decision with several triggers counts for each). */
  escalations_by_trigger: z.array(z.object({ trigger: z.string(), count: z.number().int() })),
});
export type Metrics = z.infer<typeof metricsOutput>;

/** The `p` quantile (0–1) of ascending values, linearly interpolated; rounded to hundredths. */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return Math.round((a + (b - a) * (rank - lo)) * 100) / 100;
}

function latencyOf(hours: number[]): z.infer<typeof latency> {
  const sorted = [...hours].sort((x, y) => x - y);
  return { count: sorted.length, median_hours: quantile(sorted, 0.5), p90_hours: quantile(sorted, 0.9) };
}

const hoursBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 3_600_000;

export async function metrics(ctx: AppContext, caller: Caller, input: z.input<typeof metricsInput> = {}): Promise<Metrics> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(metricsInput, input);
  const db = ctx.store.db;
  const day = today(ctx);
  const within = p.review_days ?? ctx.config.workflow.risk_review_warning_days;
  const [byState, missing, acks, reportOuts, aging, risks, triggerLists] = await Promise.all([
    incidentsByState(db),
    incidentsMissingReportOut(db),
    acknowledgmentTimes(db),
    reportOutTimes(db),
    remediationAging(db, { d7: addDays(day, -7), d30: addDays(day, -30), d90: addDays(day, -90), today: day }),
    risksForReview(db, addDays(day, within)),
    escalationTriggerLists(db),
  ]);

  const states = Object.fromEntries(INCIDENT_STATES.map((s) => [s, 0])) as Record<(typeof INCIDENT_STATES)[number], number>;
  for (const r of byState) states[r.state] = r.n;

  const byRole = new Map<string, number[]>();
  for (const a of acks) {
    if (a.sent_at === null) continue;
    byRole.set(a.role, [...(byRole.get(a.role) ?? []), hoursBetween(a.sent_at, a.at)]);
  }

  const buckets = AGE_BUCKETS.map((bucket) => {
    const by_status = Object.fromEntries(AGING_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const r of aging.buckets.filter((b) => b.bucket === bucket)) by_status[r.status] = (by_status[r.status] ?? 0) + r.n;
    return { bucket, total: Object.values(by_status).reduce((x, y) => x + y, 0), by_status };
  });

  const ids = (list: readonly { id: string }[]) => ({ count: list.length, ids: list.map((r) => r.id) });
  const requested = risks.filter((r) => r.state === 'requested');
  const past = risks.filter((r) => r.state === 'expired' || (r.state === 'approved' && r.review_by <= day));
  const due = risks.filter((r) => r.state === 'approved' && r.review_by > day);

  const triggers = new Map<string, number>();
  for (const l of triggerLists) {
    const names = JSON.parse(l.triggers) as unknown;
    for (const t of Array.isArray(names) ? new Set(names.map(String)) : []) triggers.set(t, (triggers.get(t) ?? 0) + l.n);
  }

  return {
    as_of: isoNow(ctx),
    incidents_by_state: states,
    missing_reportout: { count: missing.length, ids: missing },
    reportout_latency: latencyOf(reportOuts.map((r) => hoursBetween(r.opened, r.sent))),
    ack_latency: [...byRole.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([role, hours]) => ({ role, ...latencyOf(hours) })),
    remediation_aging: { buckets, open_total: buckets.reduce((x, b) => x + b.total, 0), overdue: aging.overdue },
    risk_review: { requested: ids(requested), review_due: { ...ids(due), within_days: within }, review_past: ids(past) },
    escalations_by_trigger: [...triggers.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([trigger, count]) => ({ trigger, count })),
  };
}
