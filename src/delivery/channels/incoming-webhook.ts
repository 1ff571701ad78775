/**
 * Slack and Teams incoming webhooks: the endpoint's URL (a secret) receives a rendered JSON
 * payload; the message records only the endpoint's name.
 */
import type { Channel, OutboundMessage } from '../channel.js';
import { messageHash, messageView, type MessageView } from '../render/view.js';
import { endpointFor, postJson } from './http.js';

export function incomingWebhookChannel(channel: 'slack' | 'teams', urls: Record<string, string>, timeoutMs: number, render: (v: MessageView) => unknown): Channel {
  return {
    async deliver(m: OutboundMessage) {
      const { name, endpoint: url } = endpointFor(channel, urls, m.notification.address, (u) => u);
      const id = `${channel}:${messageHash(m.notification.idempotency_key)}`;
      return postJson({ label: `${channel} endpoint ${name}`, url, timeoutMs }, JSON.stringify(render(messageView(m))), {}, id);
    },
  };
}
