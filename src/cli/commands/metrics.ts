import { metrics, type Metrics } from '../../app/views/metrics.js';
import { table } from '../output.js';
import type { Program } from '../program.js';
import { acts, type CliRun } from '../session.js';

const h = (x: number | null): string => (x === null ? '-' : `${x} h`);

/** A count and the ids it names, "and N more" when the list was capped. */
function counted(list: { count: number; ids: string[] }): string {
  if (list.count === 0) return '0';
  const more = list.count - list.ids.length;
  return `${list.count}: ${list.ids.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** `closeloop metrics` in words: every figure, one block each. */
export function metricsText(m: Metrics): string {
  const r = m.reportout_latency;
  const states = Object.entries(m.incidents_by_state).filter(([, n]) => n > 0);
  const hc = m.healthcheck_pass_rate;
  const lines = [
    `closeloop metrics as of ${m.as_of}`,
    '',
    `incidents by state: ${states.length === 0 ? 'none' : states.map(([s, n]) => `${s} ${n}`).join(', ')}`,
    `incidents missing report-out: ${counted(m.missing_reportout)}`,
    '',
    `report-out latency (incident opened -> report-out sent), over ${r.count} report-out(s): median ${h(r.median_hours)}, 90th percentile ${h(r.p90_hours)}, max ${h(r.max_hours)}`,
    'acknowledgment latency (report-out sent -> acknowledged), by role:',
    m.ack_latency.length === 0
      ? '  no acknowledgment recorded yet'
      : table(
          ['role', 'acks', 'median', 'p90', 'max'],
          m.ack_latency.map((a) => [a.role, String(a.count), h(a.median_hours), h(a.p90_hours), h(a.max_hours)]),
        )
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n'),
    '',
    `remediation items not yet verified: ${m.remediation_aging.open_total}, overdue: ${m.remediation_aging.overdue}`,
    table(
      ['age (days)', 'total', ...Object.keys(m.remediation_aging.buckets[0]?.by_status ?? {})],
      m.remediation_aging.buckets.map((b) => [b.bucket, String(b.total), ...Object.values(b.by_status).map(String)]),
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    `risk acceptances awaiting decision: ${counted(m.risk_review.requested)}`,
    `risk acceptances with review due within ${m.risk_review.review_due.within_days} days: ${counted(m.risk_review.review_due)}`,
    `risk acceptances past their review date: ${counted(m.risk_review.review_past)}`,
    '',
    `escalations by trigger (findings whose latest decision escalates): ${m.escalations_by_trigger.length === 0 ? 'none' : m.escalations_by_trigger.map((t) => `${t.trigger} ${t.count}`).join(', ')}`,
    `findings that stayed and later escalated: ${counted(m.stays_later_escalated)}`,
    `control health check pass rate: ${hc === null ? 'no health check run yet' : `${Math.round(hc.rate * 1000) / 10}% (${hc.passed} of ${hc.sampled} sampled incidents passed, ${hc.health_check_id})`}`,
  ];
  return lines.join('\n');
}

/** `closeloop metrics`: the control's figures, computed by the store. */
export function registerMetrics(program: Program, run: CliRun): void {
  const cmd = program
    .command('metrics')
    .description("the control's figures: report-outs missing and their latency, acknowledgment latency by role, remediation aging and overdue, risk acceptances awaiting a decision or review, escalations by trigger, stays later escalated, the health-check pass rate")
    .option('--review-days <n>', 'count approved risk acceptances whose review date falls within this many days (default: workflow.risk_review_warning_days)')
    .addHelpText('after', '\nExamples:\n  closeloop metrics\n  closeloop metrics --review-days 30 --json\n\nPrometheus scrapes the same figures at GET /metrics (docs/metrics.md).');
  acts(run, cmd, async ({ s, ctx, caller }, opts) => {
    const m = await metrics(ctx, caller, opts.reviewDays === undefined ? {} : { review_days: opts.reviewDays });
    s.print(m, () => metricsText(m));
  });
}
