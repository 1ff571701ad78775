/**
 * `webhook`: the message as a JSON event (render/webhook-event.ts), signed per Standard Webhooks
 * so the receiver can check it came from closeloop and was not replayed: `webhook-id` (stable per
 * message and recipient, so a retry is recognisably the same delivery), `webhook-timestamp`, and
 * `webhook-signature` = `v1,` base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret.
 */
import { createHmac } from 'node:crypto';
import type { Channel } from '../channel.js';
import { webhookEvent } from '../render/webhook-event.js';
import { messageHash } from '../render/view.js';
import { endpointFor, postJson } from './http.js';

export interface WebhookEndpoint {
  url: string;
  /** `whsec_` followed by the base64 key (the prefix is optional). */
  secret: string;
}

/** The key bytes of a Standard Webhooks secret. */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** The `webhook-signature` header for one delivery. */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The `webhook-id` of a message for one recipient: the same on every retry. */
export const webhookId = (idempotencyKey: string): string => `msg_${messageHash(idempotencyKey)}`;

export function webhookChannel(endpoints: Record<string, WebhookEndpoint>, timeoutMs: number, now: () => Date = () => new Date()): Channel {
  return {
    async deliver(m) {
      const { name, endpoint } = endpointFor('webhook', endpoints, m.notification.address, (e) => e.url);
      const id = webhookId(m.notification.idempotency_key);
      const timestamp = Math.floor(now().getTime() / 1000);
      const body = JSON.stringify(webhookEvent(m));
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(signingKey(endpoint.secret), id, timestamp, body) };
      return postJson({ label: `webhook endpoint ${name}`, url: endpoint.url, timeoutMs }, body, headers, id);
    },
  };
}
