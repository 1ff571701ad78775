import { afterEach, describe, expect, it } from 'vitest';
import { emailChannel, emailMessageId, type EmailSettings } from '../../src/delivery/channels/email.js';
import { closedPort, startSmtpReceiver, type SmtpReceiver } from '../helpers/receivers.js';
import { failure, message } from '../helpers/messages.js';

let smtp: SmtpReceiver | null = null;
afterEach(async () => {
  await smtp?.close();
  smtp = null;
});

const settings = (url: string, over: Partial<EmailSettings> = {}): EmailSettings => ({ url, from: 'closeloop@example.org', rejectUnauthorized: false, timeoutMs: 5000, ...over });

describe('email channel against a real SMTP server', () => {
  it('sends over STARTTLS with credentials: subject with incident id and severity, the lines, both links, text and HTML parts', async () => {
    smtp = await startSmtpReceiver({ auth: { user: 'closeloop', password: 'pw-123' } });
    const channel = emailChannel(settings(smtp.url, { user: 'closeloop', password: 'pw-123' }));
    const m = message();
    const proof = await channel.deliver(m);

    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0];
    expect(got?.secure).toBe(true);
    expect(got?.user).toBe('closeloop');
    expect(got?.to).toEqual(['owner@example.org']);
    expect(got?.from).toBe('closeloop@example.org');
    const mail = got?.mail;
    expect(mail?.subject).toContain('INC-0007');
    expect(mail?.subject).toBe('[closeloop] INC-0007 vulnerability report-out (service_owner) · severity high');
    expect(mail?.messageId).toBe(emailMessageId(m.notification.idempotency_key));
    expect(mail?.text).toContain('technical (caused): unpatched OpenSSL on web-01 — action: patch to 3.0.15');
    expect(mail?.text).toContain('configuration (contributed): admin port open on db-02; notes: found in triage — action: close port 8443');
    expect(mail?.text).toContain('Incident: https://closeloop.example.org/incidents/INC-0007');
    expect(mail?.text).toContain('Acknowledge (one click): https://closeloop.example.org/ack/abc.def');
    expect(mail?.html).toContain('<a href="https://closeloop.example.org/ack/abc.def">');
    expect(mail?.html).toContain('<strong>technical (caused)</strong>');
    expect(mail?.headers.get('x-closeloop-message')).toBe('NT-0001');

    expect(proof.messageId).toBe(emailMessageId(m.notification.idempotency_key));
    expect(proof.status).toBe(250);
    expect(proof.response).toContain('queued as test');
  });

  it('sends over smtps:// (TLS from the first byte)', async () => {
    smtp = await startSmtpReceiver({ extra: { secure: true } });
    const proof = await emailChannel(settings(`smtps://127.0.0.1:${smtp.port}`)).deliver(message());
    expect(proof.status).toBe(250);
    expect(smtp.received[0]?.secure).toBe(true);
    expect(smtp.received[0]?.mail.subject).toContain('INC-0007');
  });

  it('gives a retry the same Message-ID, and another recipient a different one', async () => {
    smtp = await startSmtpReceiver();
    const channel = emailChannel(settings(smtp.url));
    await channel.deliver(message());
    await channel.deliver(message());
    await channel.deliver(message({ idempotency_key: 'reportout:INC-0007:r1:ir_lead:email:lead@example.org', address: 'lead@example.org' }));
    const ids = smtp.received.map((r) => r.mail.messageId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('renders a message without an event from its subject and body, escaping HTML', async () => {
    smtp = await startSmtpReceiver();
    const channel = emailChannel(settings(smtp.url));
    await channel.deliver(message({ subject: 'Reminder <ack>', body: 'Please acknowledge INC-0007 & reply\nline two' }, null));
    const mail = smtp.received[0]?.mail;
    expect(mail?.subject).toBe('Reminder <ack>');
    expect(mail?.text).toContain('Please acknowledge INC-0007 & reply');
    expect(mail?.text).toContain('line two');
    expect(mail?.html).toContain('Reminder &lt;ack&gt;');
    expect(mail?.html).toContain('INC-0007 &amp; reply');
  });

  it('refuses a self-signed certificate unless tls.reject_unauthorized is false (retryable: the operator fixes it, the message waits)', async () => {
    smtp = await startSmtpReceiver();
    const err = await failure(emailChannel(settings(smtp.url, { rejectUnauthorized: true })).deliver(message()));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/certificate/i);
    expect(smtp.received).toHaveLength(0);
  });

  it('classifies SMTP replies: 5xx refused for good, 4xx retried', async () => {
    smtp = await startSmtpReceiver();
    smtp.refusals.push({ code: 550, message: 'mailbox unavailable' }, { code: 451, message: 'try again later' });
    const channel = emailChannel(settings(smtp.url));
    const refused = await failure(channel.deliver(message()));
    expect(refused.retryable).toBe(false);
    expect(refused.status).toBe(550);
    const later = await failure(channel.deliver(message()));
    expect(later.retryable).toBe(true);
    expect(later.status).toBe(451);
    await channel.deliver(message());
    expect(smtp.received).toHaveLength(1);
  });

  it('retries when the server does not answer (connection refused), and verify says so', async () => {
    const port = await closedPort();
    const channel = emailChannel(settings(`smtp://127.0.0.1:${port}`));
    const err = await failure(channel.deliver(message()));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED|connect/i);
    await expect(channel.verify()).rejects.toThrow();
  });

  it('verify passes against a live server with good credentials and fails with bad ones', async () => {
    smtp = await startSmtpReceiver({ auth: { user: 'closeloop', password: 'pw-123' } });
    await expect(emailChannel(settings(smtp.url, { user: 'closeloop', password: 'pw-123' })).verify()).resolves.toBeUndefined();
    await expect(emailChannel(settings(smtp.url, { user: 'closeloop', password: 'wrong' })).verify()).rejects.toThrow();
    const err = await failure(emailChannel(settings(smtp.url, { user: 'closeloop', password: 'wrong' })).deliver(message()));
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('wrong');
  });
});
