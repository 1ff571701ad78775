import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookChannel, webhookId } from '../../src/delivery/channels/webhook.js';
import type { WebhookEvent } from '../../src/delivery/render/webhook-event.js';
import { closedPort, startHttpReceiver, type HttpReceiver } from '../helpers/receivers.js';
import { failure, message } from '../helpers/messages.js';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
let receiver: HttpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const headersOf = (r: HttpReceiver, i: number): Record<string, string> =>
  Object.fromEntries(Object.entries(r.requests[i]?.headers ?? {}).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));

describe('webhook channel against a real HTTP receiver', () => {
  it('posts the JSON event signed per Standard Webhooks: the reference library verifies it', async () => {
    receiver = await startHttpReceiver([{ status: 204 }]);
    const channel = webhookChannel({ siem: { url: `${receiver.url}/hooks/closeloop`, secret } }, 5000);
    const m = message({ channel: 'webhook', address: 'siem', idempotency_key: 'reportout:INC-0007:r1:service_owner:webhook:siem' });
    const proof = await channel.deliver(m);

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/hooks/closeloop');
    expect(req?.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret).verify(req?.body ?? '', headersOf(receiver, 0)) as WebhookEvent;
    expect(verified.type).toBe('reportout.sent');
    expect(verified.data.incident).toEqual({ id: 'INC-0007', title: 'Web tier compromise', severity: 'high', state: 'eradication' });
    expect(verified.data.revision).toBe(1);
    expect(verified.data.lines[0]?.label).toBe('technical (caused)');
    expect(verified.data.links.ack).toBe('https://closeloop.example.org/ack/abc.def');
    expect(verified.data.message).toMatchObject({ id: 'NT-0001', role: 'service_owner' });
    expect(req?.headers['webhook-id']).toBe(webhookId(m.notification.idempotency_key));
    expect(proof).toMatchObject({ messageId: webhookId(m.notification.idempotency_key), status: 204 });
  });

  it('a signature under another secret, or a changed body, does not verify', async () => {
    receiver = await startHttpReceiver();
    await webhookChannel({ siem: { url: receiver.url, secret } }, 5000).deliver(message({ channel: 'webhook', address: 'siem' }));
    const headers = headersOf(receiver, 0);
    const body = receiver.requests[0]?.body ?? '';
    expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('INC-0007', 'INC-0008'), headers)).toThrow();
  });

  it('a retry carries the same webhook-id; a message without an event is typed by its purpose', async () => {
    receiver = await startHttpReceiver();
    const channel = webhookChannel({ siem: { url: receiver.url, secret } }, 5000);
    const m = message({ channel: 'webhook', address: 'siem', purpose: 'reminder', subject: 'Reminder', body: 'Please acknowledge' }, null);
    await channel.deliver(m);
    await channel.deliver(m);
    expect(receiver.requests[0]?.headers['webhook-id']).toBe(receiver.requests[1]?.headers['webhook-id']);
    const event = new Webhook(secret).verify(receiver.requests[1]?.body ?? '', headersOf(receiver, 1)) as WebhookEvent;
    expect(event.type).toBe('ack.reminder');
    expect(event.data.incident).toBeNull();
    expect(event.data.lines).toEqual([{ label: '', text: 'Please acknowledge' }]);
  });

  it('classifies answers: 500, 408 and 429 retried; 400 and 404 refused for good; status kept', async () => {
    receiver = await startHttpReceiver([{ status: 500, body: 'boom' }, { status: 429 }, { status: 408 }, { status: 400, body: 'bad event' }, { status: 404 }]);
    const channel = webhookChannel({ siem: { url: receiver.url, secret } }, 5000);
    const m = message({ channel: 'webhook', address: 'siem' });
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) {
      const e = await failure(channel.deliver(m));
      outcomes.push([e.status, e.retryable]);
    }
    expect(outcomes).toEqual([
      [500, true],
      [429, true],
      [408, true],
      [400, false],
      [404, false],
    ]);
    expect((await channel.deliver(m)).status).toBe(200);
  });

  it('retries when nothing listens, naming the endpoint and not its URL', async () => {
    const port = await closedPort();
    const err = await failure(webhookChannel({ siem: { url: `http://127.0.0.1:${port}/secret-path`, secret } }, 5000).deliver(message({ channel: 'webhook', address: 'siem' })));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('webhook endpoint siem');
    expect(err.message).not.toContain('secret-path');
  });

  it('refuses for good a message to an endpoint this process does not know', async () => {
    const err = await failure(webhookChannel({}, 5000).deliver(message({ channel: 'webhook', address: 'gone' })));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('gone');
  });

  it('a message queued under a version 1 configuration (its address the URL) goes to the endpoint that URL moved into', async () => {
    receiver = await startHttpReceiver();
    const url = `${receiver.url}/hooks/old`;
    const proof = await webhookChannel({ siem: { url, secret } }, 5000).deliver(message({ channel: 'webhook', address: url }));
    expect(proof.status).toBe(200);
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks/old']);
    const err = await failure(webhookChannel({}, 5000).deliver(message({ channel: 'webhook', address: 'https://hooks.example.org/T0/SECRETPATH' })));
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('SECRETPATH');
  });
});
