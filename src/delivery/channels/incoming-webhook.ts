/**
 * Slack and Teams incoming webhooks: the endpoint's URL (a secret) receives a rendered JSON
 * payload; the message records only the endpoint's name.
 */
import type { Channel, OutboundMessage } from '../channel.js';
import { ChannelError } from '../channel.js';
import { messageHash, messageView, type MessageView } from '../render/view.js';
import { postJson } from './http.js';

export function incomingWebhookChannel(channel: 'slack' | 'teams', urls: Record<string, string>, timeoutMs: number, render: (v: MessageView) => unknown): Channel {
  return {
    async deliver(m: OutboundMessage) {
      const name = m.notification.address;
      const url = urls[name];
      if (url === undefined) throw new ChannelError(`${channel} endpoint ${name} is not configured`, false);
      const id = `${channel}:${messageHash(m.notification.idempotency_key)}`;
      return postJson({ label: `${channel} endpoint ${name}`, url, timeoutMs }, JSON.stringify(render(messageView(m))), {}, id);
    },
  };
}
