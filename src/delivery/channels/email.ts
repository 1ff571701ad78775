/**
 * `email`: one SMTP submission per message with nodemailer (STARTTLS whenever the server offers
 * it on smtp://, TLS from the start on smtps://), with a plain-text and an HTML part. The
 * Message-ID is derived from the idempotency key, so a message retried after a lost answer is the
 * same message to the receiving side. A 5xx reply is a refusal for good; a 4xx reply or a
 * connection that fails is retried.
 */
import nodemailer from 'nodemailer';
import type { Channel } from '../channel.js';
import { ChannelError } from '../channel.js';
import { emailHtml, emailText } from '../render/email.js';
import { messageHash, messageView } from '../render/view.js';

export interface EmailSettings {
  /** smtp://host:port or smtps://host:port (a resolved reference). */
  url: string;
  from: string;
  user?: string;
  password?: string;
  rejectUnauthorized: boolean;
  timeoutMs: number;
}

/** A channel that can also say, at start, whether its server answers. */
export interface VerifiableChannel extends Channel {
  /** Resolves when the server answers (and accepts the credentials); rejects saying why. */
  verify(): Promise<void>;
}

/** The SMTP Message-ID of a message for one recipient: the same on every retry. */
export const emailMessageId = (idempotencyKey: string): string => `<${messageHash(idempotencyKey)}@closeloop>`;

function transportOptions(s: EmailSettings) {
  const u = new URL(s.url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? (secure ? 465 : 587) : Number(u.port),
    secure,
    auth: s.user === undefined ? undefined : { user: s.user, pass: s.password ?? '' },
    tls: { rejectUnauthorized: s.rejectUnauthorized },
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
  };
}

function smtpCode(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object' || !('responseCode' in err)) return undefined;
  return typeof err.responseCode === 'number' ? err.responseCode : undefined;
}

/** An SMTP failure as the outbox sees it: refused for good on a 5xx reply, retried otherwise. */
export function smtpFailure(err: unknown): ChannelError {
  const code = smtpCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return new ChannelError(`email: ${message}`, !(code !== undefined && code >= 500), code);
}

export function emailChannel(s: EmailSettings): VerifiableChannel {
  const transport = nodemailer.createTransport(transportOptions(s));
  return {
    async deliver(m) {
      const v = messageView(m);
      const messageId = emailMessageId(m.notification.idempotency_key);
      try {
        const info = await transport.sendMail({
          from: s.from,
          to: m.notification.address,
          subject: v.subject,
          text: emailText(v),
          html: emailHtml(v),
          messageId,
          headers: { 'X-Closeloop-Message': m.notification.id, 'X-Closeloop-Event': v.type },
        });
        const status = Number.parseInt(info.response, 10);
        return { messageId: info.messageId, response: info.response, ...(Number.isNaN(status) ? {} : { status }) };
      } catch (err) {
        throw smtpFailure(err);
      }
    },
    async verify() {
      await transport.verify();
    },
  };
}
