/**
 * What every renderer shows, taken once from a queued message: its structured event when it has
 * one, otherwise its subject and body (messages queued before events existed), so the text, HTML,
 * Slack, Teams and webhook renderings never disagree about what was said.
 */
import { createHash } from 'node:crypto';
import type { DeliveryEvent, OutboundMessage } from '../channel.js';

export interface MessageView {
  /** The event type (`reportout.sent`, …); for a message without an event, taken from its purpose. */
  type: string;
  /** The subject, carrying the incident id and severity when the message concerns an incident. */
  subject: string;
  incident: DeliveryEvent['incident'];
  revision: number | null;
  /** The message's lines: the event's, or the body's own lines. */
  lines: { label: string; text: string }[];
  links: { incident?: string; ack?: string };
  /** The plain body as queued (always present; the full record of what was sent). */
  body: string;
}

const TYPE_OF_PURPOSE: Record<string, string> = { reportout: 'reportout.sent', handoff: 'handoff.sent', reminder: 'ack.reminder' };

function subjectOf(subject: string, incident: DeliveryEvent['incident']): string {
  if (incident === null) return subject;
  const withId = subject.includes(incident.id) ? subject : `${incident.id} ${subject}`;
  return withId.includes(`severity ${incident.severity}`) ? withId : `${withId} · severity ${incident.severity}`;
}

/** The view of one message (pure). */
export function messageView({ notification: n, event }: OutboundMessage): MessageView {
  const incident = event?.incident ?? null;
  const bodyLines = n.body
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((text) => ({ label: '', text }));
  return {
    type: event?.type ?? TYPE_OF_PURPOSE[n.purpose] ?? `notification.${n.purpose}`,
    subject: subjectOf(n.subject, incident),
    incident,
    revision: event?.revision ?? null,
    lines: event?.lines ?? bodyLines,
    links: event?.links ?? {},
    body: n.body,
  };
}

/** A line as one string: `label: text`, or the text alone. */
export const lineText = (l: { label: string; text: string }): string => (l.label === '' ? l.text : `${l.label}: ${l.text}`);

/**
 * The stable id of a message for one recipient: a hash of its idempotency key, so a retry carries
 * the same SMTP Message-ID or `webhook-id` and a receiver can see it is the same message. The key
 * itself (which names the route) is not shown.
 */
export function messageHash(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}

/** `s` cut to at most `max` characters, ending in `…` when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
