/**
 * The contract between the outbox and a delivery channel: what a channel is handed (one queued
 * message for one recipient route), what it answers when the receiver took the message (the proof
 * an assessor is shown), and how it says that an attempt failed.
 */
import type { Notification } from '../store/schema.js';

/**
 * What a message is about, for channels that render more than text (an email's HTML part, Slack
 * blocks, a Teams card, a webhook's JSON event, a ticket's fields). Absent on messages queued
 * before events existed: a channel then renders `subject` and `body` alone.
 */
export interface DeliveryEvent {
  /** The event type, as webhook subscribers see it: `reportout.sent`, `handoff.sent`, `ack.reminder`, `channel.test`, … */
  type: string;
  incident: { id: string; title: string; severity: string; state: string } | null;
  /** The report-out revision a report-out message carries (its acknowledgment is bound to it). */
  revision?: number;
  /** Structured lines of the message (report-out weaknesses, escalation facts), in order. */
  lines?: { label: string; text: string }[];
  /** Links the message offers: the incident's page, a one-click acknowledgment. */
  links?: { incident?: string; ack?: string };
  /** Anything else the event type defines (documented with the event). */
  data?: Record<string, unknown>;
}

/** One message for one recipient route, as the outbox hands it to a channel. */
export interface OutboundMessage {
  notification: Notification;
  event: DeliveryEvent | null;
}

/**
 * The receiver took the message. `messageId` is the channel's own id for it (SMTP Message-ID,
 * webhook-id, ticket key); the rest is what the receiver answered, kept as delivery proof.
 */
export interface DeliveryProof {
  messageId: string;
  /** HTTP status or SMTP reply code. */
  status?: number;
  /** The receiver's answer, short (an SMTP server's response line, a ticket's URL). */
  response?: string;
  /** A ticket the message created or found: its key or number, and the system's own id. */
  ticket?: { system: 'jira' | 'servicenow'; key: string; id: string; url?: string };
}

/**
 * A failed attempt. `retryable: false` sends the message to the dead letter at once (a receiver
 * that refused it for good, e.g. HTTP 400 or SMTP 5xx); otherwise it is retried with backoff.
 */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** A delivery channel. Anything it throws fails the attempt; a plain Error is retryable. */
export interface Channel {
  deliver(m: OutboundMessage): Promise<DeliveryProof>;
}
