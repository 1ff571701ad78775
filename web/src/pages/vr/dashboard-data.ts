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

export function ackRows(m: Metrics) {
  return m.ack_latency.map((a) => ({ role: a.role, median: a.median_hours, p90: a.p90_hours, count: a.count }));
}

export function ackSentence(m: Metrics): string {
  const rows = m.ack_latency.filter((a) => a.count > 0);
  if (rows.length === 0) return 'No acknowledgment has been recorded yet.';
  return `Acknowledgment latency by role: ${rows.map((a) => `${a.role} median ${hours(a.median_hours)}, 90th percentile ${hours(a.p90_hours)} over ${a.count}`).join('; ')}.`;
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
