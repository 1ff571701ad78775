/**
 * The JSON body a webhook receiver gets (docs/webhooks.md): Standard Webhooks' recommended
 * `{ type, timestamp, data }`, with the incident, the lines and the links as the event carries
 * them, and the message's own subject and body so a receiver needs nothing else.
 */
import type { OutboundMessage } from '../channel.js';
import { messageView } from './view.js';

export interface WebhookEvent {
  type: string;
  /** When the message was queued (the event's time; a retry carries the same). */
  timestamp: string;
  data: {
    /** The outbox message id (`NT-…`) and the role it is addressed to. */
    message: { id: string; role: string; subject: string; body: string };
    incident: { id: string; title: string; severity: string; state: string } | null;
    revision: number | null;
    lines: { label: string; text: string }[];
    links: { incident?: string; ack?: string };
    /** Whatever else the event type defines. */
    details: Record<string, unknown>;
  };
}

/** The event for one message. */
export function webhookEvent(m: OutboundMessage): WebhookEvent {
  const v = messageView(m);
  const n = m.notification;
  return {
    type: v.type,
    timestamp: n.created_at,
    data: {
      message: { id: n.id, role: n.role, subject: v.subject, body: n.body },
      incident: v.incident,
      revision: v.revision,
      lines: v.lines,
      links: v.links,
      details: m.event?.data ?? {},
    },
  };
}
