/**
 * The dashboard's figures as chart rows and as sentences (the charts' text alternatives): pure
 * derivations of `GET /metrics`.
 */
import type { Metrics } from '../../api/vr';
import { humanize, TRIGGER_SHORT, wordFor } from './words';

export const STATE_ORDER = ['reported', 'triage', 'containment', 'eradication', 'recovery', 'post_incident', 'closed', 'closed_non_incident'];
export const REMEDIATION_STATUSES = ['open', 'in_progress', 'resolved'];
export const BUCKET_WORDS: Record<string, string> = { '0-7': '0–7 days', '8-30': '8–30 days', '31-90': '31–90 days', '>90': 'over 90 days' };

const hours = (h: number | null): string => (h === null ? 'no data' : `${h.toLocaleString(undefined, { maximumFractionDigits: 1 })} h`);

type Latency = Metrics['reportout_latency'];

/** A latency's figures in words: median, 90th percentile and maximum, over how many. */
const latencyWords = (l: Latency): string => `median ${hours(l.median_hours)}, 90th percentile ${hours(l.p90_hours)}, longest ${hours(l.max_hours)} over ${l.count}`;

export function ackRows(m: Metrics) {
  return m.ack_latency.map((a) => ({ role: a.role, median: a.median_hours, p90: a.p90_hours, max: a.max_hours, count: a.count }));
}

export function ackSentence(m: Metrics): string {
  const rows = m.ack_latency.filter((a) => a.count > 0);
  if (rows.length === 0) return 'No acknowledgment has been recorded yet.';
  return `Acknowledgment latency by role: ${rows.map((a) => `${a.role} ${latencyWords(a)}`).join('; ')}.`;
}

/** The report-out latency as three bars: median, 90th percentile, longest. */
export function reportOutRows(m: Metrics) {
  const l = m.reportout_latency;
  return [
    { figure: 'Median', hours: l.median_hours },
    { figure: '90th percentile', hours: l.p90_hours },
    { figure: 'Longest', hours: l.max_hours },
  ];
}

export function reportOutSentence(m: Metrics): string {
  const l = m.reportout_latency;
  if (l.count === 0) return 'No report-out has been sent yet.';
  return `Report-out latency, from an incident's opening to its report-out's sending: ${latencyWords(l)} report-out(s).`;
}

export function staysSentence(m: Metrics): string {
  const n = m.stays_later_escalated.count;
  if (n === 0) return 'No finding that stayed has escalated later.';
  return `${n} finding(s) stayed at first and escalated later.`;
}

/** The latest health check as two bars: incidents that passed every question and those that did not. */
export function healthCheckRows(m: Metrics) {
  const hc = m.healthcheck_pass_rate;
  if (hc === null) return [];
  return [
    { outcome: 'Passed', incidents: hc.passed },
    { outcome: 'With a gap', incidents: hc.sampled - hc.passed },
  ];
}

/** A share as a percentage with at most one decimal. */
export const percent = (rate: number): string => `${(Math.round(rate * 1000) / 10).toLocaleString()}%`;

export function healthCheckSentence(m: Metrics): string {
  const hc = m.healthcheck_pass_rate;
  if (hc === null) return 'No control health check has been run yet.';
  return `Latest control health check ${hc.health_check_id}: ${hc.passed} of ${hc.sampled} sampled incident(s) passed every question (${percent(hc.rate)}).`;
}

/** Statuses that appear in any bucket, in workflow order, then any others the server names. */
export function agingStatuses(m: Metrics): string[] {
  const seen = new Set<string>();
  for (const b of m.remediation_aging.buckets) for (const [s, n] of Object.entries(b.by_status)) if (n > 0) seen.add(s);
  return [...REMEDIATION_STATUSES.filter((s) => seen.has(s)), ...[...seen].filter((s) => !REMEDIATION_STATUSES.includes(s)).sort()];
}

export function agingRows(m: Metrics): Record<string, string | number>[] {
  const statuses = agingStatuses(m);
  return m.remediation_aging.buckets.map((b) => {
    const row: Record<string, string | number> = { bucket: BUCKET_WORDS[b.bucket] ?? b.bucket, total: b.total };
    for (const s of statuses) row[s] = b.by_status[s] ?? 0;
    return row;
  });
}

export function agingSentence(m: Metrics): string {
  const a = m.remediation_aging;
  if (a.open_total === 0) return 'No remediation item is waiting for verification.';
  const parts = a.buckets.filter((b) => b.total > 0).map((b) => `${b.total} aged ${BUCKET_WORDS[b.bucket] ?? b.bucket}`);
  return `${a.open_total} remediation item(s) not yet verified: ${parts.join(', ')}; ${a.overdue} overdue.`;
}

export function triggerRows(m: Metrics) {
  return m.escalations_by_trigger.map((t) => ({ trigger: wordFor(TRIGGER_SHORT, t.trigger), count: t.count }));
}

export function triggerSentence(m: Metrics): string {
  const rows = m.escalations_by_trigger.filter((t) => t.count > 0);
  if (rows.length === 0) return 'No finding escalates.';
  return `Findings whose latest decision escalates, by trigger: ${rows.map((t) => `${wordFor(TRIGGER_SHORT, t.trigger)} ${t.count}`).join(', ')}.`;
}

export function stateRows(m: Metrics) {
  const known = STATE_ORDER.filter((s) => s in m.incidents_by_state);
  const others = Object.keys(m.incidents_by_state).filter((s) => !STATE_ORDER.includes(s));
  return [...known, ...others].map((s) => ({ state: humanize(s), count: m.incidents_by_state[s] ?? 0 }));
}

export function stateSentence(m: Metrics): string {
  const rows = stateRows(m).filter((r) => r.count > 0);
  if (rows.length === 0) return 'No incident has been recorded.';
  return `Incidents by state: ${rows.map((r) => `${r.state} ${r.count}`).join(', ')}.`;
}

export const total = (rows: { count: number }[]): number => rows.reduce((n, r) => n + r.count, 0);

/** Incidents in any state but the two closed ones. */
export function openIncidents(m: Metrics): number {
  return Object.entries(m.incidents_by_state).reduce((n, [s, c]) => (s === 'closed' || s === 'closed_non_incident' ? n : n + c), 0);
}
