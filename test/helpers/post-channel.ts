/**
 * A delivery channel for reliability tests: POSTs each message as JSON to a real node:http
 * receiver on 127.0.0.1, with the message's idempotency key as `webhook-id` (what a Standard
 * Webhooks receiver dedupes on), and a receiver that records what arrived. test/helpers/dispatcher.mjs
 * holds the same channel for dispatcher processes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelError, type Channel } from '../../src/delivery/channel.js';

/** POSTs to `url`; a 2xx is delivery, a 5xx or 429 or no answer is retried, any other status refuses for good. */
export function postChannel(url: string): Channel {
  return {
    async deliver({ notification: n }) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': n.idempotency_key },
        body: JSON.stringify({ id: n.id, subject: n.subject }),
      });
      await res.text();
      if (res.ok) return { messageId: n.idempotency_key, status: res.status, response: res.statusText };
      throw new ChannelError(`HTTP ${res.status}`, res.status >= 500 || res.status === 429, res.status);
    },
  };
}

/** What a receiver saw: every request's webhook-id in order, and the ids it processed (each once). */
export interface Receiver {
  url: string;
  port: number;
  received: string[];
  processed: Set<string>;
  /** Requests answered twice for one webhook-id: seen again after being processed. */
  duplicates(): number;
  close(): Promise<void>;
}

/**
 * A receiver on 127.0.0.1 (port 0, or `port`) that answers each request with `answer(id, nth)`
 * (nth = how many times this id arrived, from 1) after `delayMs`, and processes an id once.
 */
export async function startReceiver(opts: { delayMs?: number; port?: number; answer?: (id: string, nth: number) => number } = {}): Promise<Receiver> {
  const received: string[] = [];
  const processed = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      received.push(id);
      const nth = received.filter((x) => x === id).length;
      const status = opts.answer?.(id, nth) ?? 200;
      setTimeout(() => {
        if (status >= 200 && status < 300) processed.add(id);
        res.writeHead(status).end();
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    processed,
    duplicates: () => received.length - new Set(received).size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
