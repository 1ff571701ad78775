/**
 * The control's figures as Prometheus text (`GET /metrics`): computed by the database at scrape
 * time (views/metrics.ts), set on gauges of a registry made for this scrape alone — never
 * prom-client's global default — so a series that no longer exists (a role nobody acknowledges
 * for any more) disappears, and two stores served by one process never mix. Latencies are
 * summary-like gauges in seconds with a `quantile` label (0.5, 0.9, and 1 for the maximum) beside
 * a gauge of how many were measured. docs/metrics.md lists every name.
 */
import { Gauge, Registry } from 'prom-client';
import { authorizeCaller } from './system-caller.js';
import type { AppContext, Caller } from './context.js';
import { computeMetrics, type Metrics } from './views/metrics.js';

/** Approved risk acceptances whose review date falls within this many days count as expiring. */
export const EXPIRING_WITHIN_DAYS = 30;

export interface PrometheusText {
  contentType: string;
  text: string;
}

type Latency = Metrics['reportout_latency'];

/** The scrape: `metrics.read` is required of a person; a public scrape passes METRICS_SCRAPER. */
export async function prometheusMetrics(ctx: AppContext, caller: Caller): Promise<PrometheusText> {
  await authorizeCaller(ctx, caller, 'metrics.read');
  const m = await computeMetrics(ctx, { review_days: EXPIRING_WITHIN_DAYS });
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers: [registry] });

  const incidents = gauge('closeloop_incidents', 'Incidents by workflow state.', ['state']);
  for (const [state, n] of Object.entries(m.incidents_by_state)) incidents.set({ state }, n);
  gauge('closeloop_incidents_missing_reportout', 'Incidents whose report-out task is open and whose report-out was not sent (non-incidents owe none).').set(m.missing_reportout.count);

  const quantiles = (g: Gauge<'quantile' | 'role'>, l: Latency, labels: { role?: string } = {}) => {
    for (const [quantile, v] of [['0.5', l.seconds.median], ['0.9', l.seconds.p90], ['1', l.seconds.max]] as const) if (v !== null) g.set({ ...labels, quantile }, v);
  };
  quantiles(gauge('closeloop_reportout_latency_seconds', 'From an incident\'s opening to its report-out\'s sending, in seconds: quantiles over every report-out sent (quantile 1 is the maximum).', ['quantile']), m.reportout_latency);
  gauge('closeloop_reportouts_sent', 'Report-outs sent: how many the report-out latency is measured over.').set(m.reportout_latency.count);
  const ack = gauge('closeloop_ack_latency_seconds', 'From the report-out message a role acknowledged to its acknowledgment, in seconds, by role: quantiles (quantile 1 is the maximum).', ['role', 'quantile']);
  const acks = gauge('closeloop_acknowledgments', 'Acknowledgments recorded, by role: how many the acknowledgment latency is measured over.', ['role']);
  for (const a of m.ack_latency) {
    quantiles(ack, a, { role: a.role });
    acks.set({ role: a.role }, a.count);
  }

  const items = gauge('closeloop_remediation_items', 'Remediation items not yet verified, by age since opened (bucket, days) and status.', ['bucket', 'status']);
  for (const b of m.remediation_aging.buckets) for (const [status, n] of Object.entries(b.by_status)) items.set({ bucket: b.bucket, status }, n);
  gauge('closeloop_remediation_items_overdue', 'Remediation items past their due date and still open or in progress.').set(m.remediation_aging.overdue);

  gauge('closeloop_risk_acceptances_awaiting_decision', 'Risk acceptances requested and not yet approved or rejected.').set(m.risk_review.requested.count);
  gauge('closeloop_risk_acceptances_expiring', 'Approved risk acceptances whose review date falls within `within_days` days.', ['within_days']).set({ within_days: String(m.risk_review.review_due.within_days) }, m.risk_review.review_due.count);
  gauge('closeloop_risk_acceptances_past_review', 'Risk acceptances past their review date (expired, or approved with the date reached).').set(m.risk_review.review_past.count);

  const escalations = gauge('closeloop_escalations', 'Findings whose latest decision escalates, by trigger (a decision with several triggers counts for each).', ['trigger']);
  for (const e of m.escalations_by_trigger) escalations.set({ trigger: e.trigger }, e.count);
  gauge('closeloop_stays_later_escalated', 'Findings with a decision `stay` followed by a newer decision `escalate`.').set(m.stays_later_escalated.count);

  const hc = m.healthcheck_pass_rate;
  if (hc !== null) {
    const labels = { health_check: hc.health_check_id };
    gauge('closeloop_healthcheck_pass_ratio', 'The latest control health check: the share of sampled incidents that passed every question (0–1).', ['health_check']).set(labels, hc.rate);
    gauge('closeloop_healthcheck_sampled', 'The latest control health check: incidents sampled.', ['health_check']).set(labels, hc.sampled);
    gauge('closeloop_healthcheck_passed', 'The latest control health check: sampled incidents that passed every question.', ['health_check']).set(labels, hc.passed);
  }

  return { contentType: registry.contentType, text: await registry.metrics() };
}
