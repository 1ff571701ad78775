// A dispatcher process for the delivery reliability tests (test/faults/delivery.test.ts): opens
// the store as a command does (src/app/open-context.ts, compiled in dist/) and drains the outbox
// through a `webhook` channel that POSTs to URL (the same channel as test/helpers/post-channel.ts),
// with its clock OFFSET_MS ahead of the system's; prints one JSON line with its summary.
// Usage: node test/helpers/dispatcher.mjs DIR DB URL OFFSET_MS
import { closeContext, openContext } from '../../dist/app/open-context.js';
import { runDelivery } from '../../dist/app/run-delivery.js';
import { DISPATCHER } from '../../dist/app/system-caller.js';
import { ChannelError } from '../../dist/delivery/channel.js';

const [dir, db, url, offsetText] = process.argv.slice(2);
const offset = Number(offsetText);
const webhook = {
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
const ctx = await openContext({ env: { CLOSELOOP_DB: db, CLOSELOOP_CONFIG: `${dir}/closeloop.yaml` }, cwd: dir, now: () => new Date(Date.now() + offset) });
const summary = await runDelivery(ctx, DISPATCHER, { channels: { webhook } });
await closeContext(ctx);
process.stdout.write(`${JSON.stringify(summary)}\n`);
