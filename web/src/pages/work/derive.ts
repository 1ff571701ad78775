/**
 * What the follow-through and operations pages derive from the API's answers, in words: the
 * moves a remediation item may make, how near a review date is, the tone of a state, and the
 * audit chain's verification as a sentence.
 */
import type { ChainCheck, DeliveryState, MyWork, RemediationState, RiskState } from '../../api/work';

type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

/** The moves the server allows from each status (src/domain/incident.ts REMEDIATION_MOVES). */
export const REMEDIATION_MOVES: Record<RemediationState, readonly RemediationState[]> = {
  open: ['in_progress', 'resolved'],
  in_progress: ['resolved', 'open'],
  resolved: ['verified', 'in_progress'],
  verified: [],
};

const STATE_WORDS: Record<string, string> = {
  open: 'Open',
  in_progress: 'In progress',
  resolved: 'Resolved',
  verified: 'Verified',
  requested: 'Requested',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  queued: 'Queued',
  sending: 'Sending',
  delivered: 'Delivered',
  failed: 'Failed (dead letter)',
};

/** A state as people read it: `in_progress` → "In progress". */
export function stateLabel(state: string): string {
  return STATE_WORDS[state] ?? state.replace(/_/g, ' ');
}

export function remediationTone(s: RemediationState): Tone {
  return s === 'verified' ? 'good' : s === 'resolved' ? 'info' : s === 'in_progress' ? 'warn' : 'neutral';
}

export function riskTone(s: RiskState): Tone {
  return s === 'approved' ? 'good' : s === 'rejected' ? 'bad' : s === 'expired' ? 'warn' : 'info';
}

export function deliveryTone(s: DeliveryState): Tone {
  return s === 'delivered' ? 'good' : s === 'failed' ? 'bad' : s === 'sending' ? 'info' : 'neutral';
}

/** Today as the server counts days (UTC), YYYY-MM-DD. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Days from `today` to `day` (both YYYY-MM-DD); negative when `day` is past. */
export function daysUntil(day: string, today: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}

/** Review dates this near count as soon. */
export const REVIEW_SOON_DAYS = 14;

/** How near a risk acceptance's review date is, in words and tone (past, soon, later). */
export function reviewUrgency(reviewBy: string, today: string): { kind: 'past' | 'soon' | 'later'; words: string } {
  const d = daysUntil(reviewBy, today);
  if (d < 0) return { kind: 'past', words: d === -1 ? 'review was due yesterday' : `review was due ${-d} days ago` };
  if (d === 0) return { kind: 'soon', words: 'review due today' };
  if (d <= REVIEW_SOON_DAYS) return { kind: 'soon', words: d === 1 ? 'review due tomorrow' : `review due in ${d} days` };
  return { kind: 'later', words: `review in ${d} days` };
}

/** A remediation item's due date in words: overdue by how long, or how long is left (nothing for a past date met). */
export function dueWords(due: string | null, overdue: boolean, today: string): string {
  if (due === null) return 'no due date';
  const d = daysUntil(due, today);
  if (overdue) return d === -1 ? 'overdue by 1 day' : d < 0 ? `overdue by ${-d} days` : 'overdue';
  if (d === 0) return 'due today';
  if (d < 0) return '';
  return d === 1 ? 'due tomorrow' : `due in ${d} days`;
}

/** The audit chain's verification as a sentence. */
export function chainWords(r: ChainCheck): string {
  const n = `${r.events.toLocaleString('en')} event${r.events === 1 ? '' : 's'}`;
  if (r.ok) return `The chain is intact: ${n} checked, head hash ${r.headHash}.`;
  return `The chain is broken at event ${r.firstBad ?? '?'}: ${r.problem ?? 'no reason given'}. ${n} before it verify.`;
}

/** Whether nothing at all waits on the person (the page then says so in words). */
export function nothingWaiting(w: MyWork): boolean {
  return w.acks.length + w.remediation.length + w.risk_decisions.length + w.vendor_chases.length + w.leading.length === 0;
}

/** An ISO time as a datetime-local field shows it (the viewer's zone). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (iso === '' || Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A datetime-local value (the viewer's zone) as an ISO time in UTC; '' stays ''. */
export function fromLocalInput(local: string): string {
  if (local === '') return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
