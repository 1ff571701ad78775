/**
 * Real receivers on 127.0.0.1 for channel tests: an HTTP server that records every request and
 * answers as the test says (webhook, Slack, Teams), a Standard Webhooks receiver that verifies
 * signatures and processes each `webhook-id` once (what a well-behaved integration does with an
 * at-least-once sender), and an SMTP server (smtp-server, STARTTLS offered with its built-in
 * self-signed certificate) that records every message as parsed by mailparser.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReceiver {
  url: string;
  requests: RecordedRequest[];
  /** Answers to give, in order; once used up, every request gets 200 "ok". */
  answers: { status: number; body?: string }[];
  close(): Promise<void>;
}

export async function startHttpReceiver(answers: { status: number; body?: string }[] = []): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = [];
  const r: Omit<HttpReceiver, 'url' | 'close'> = { requests, answers };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = r.answers.shift() ?? { status: 200, body: 'ok' };
      res.writeHead(a.status, { 'content-type': 'text/plain' });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...r,
    requests,
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** Closes an HTTP server, dropping its open connections. */
const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** What a deduping webhook receiver saw. */
export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every signed request's webhook-id, in order of arrival. */
  received: string[];
  /** The webhook-ids processed: each once, however often it arrived. */
  processed: Set<string>;
  /** Requests whose signature did not verify (answered 400, never processed). */
  unverified: number;
  /** Requests for a webhook-id seen before. */
  duplicates(): number;
  close(): Promise<void>;
}

/**
 * A Standard Webhooks receiver on 127.0.0.1 (port 0, or `port`): verifies each request with the
 * reference library under `secret`, answers `answer(id, nth)` (nth = how many times this id
 * arrived, from 1; 200 by default) after `delayMs`, and processes an id once on a 2xx.
 */
export async function startWebhookReceiver(opts: { secret: string; delayMs?: number; port?: number; answer?: (id: string, nth: number) => number }): Promise<WebhookReceiver> {
  const verifier = new Webhook(opts.secret);
  const received: string[] = [];
  const processed = new Set<string>();
  const r = { unverified: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
      try {
        verifier.verify(Buffer.concat(chunks).toString('utf8'), headers);
      } catch {
        r.unverified += 1;
        res.writeHead(400).end();
        return;
      }
      const id = headers['webhook-id'] ?? '';
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
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    processed,
    duplicates: () => received.length - new Set(received).size,
    close: () => closeServer(server),
  });
}

export interface ReceivedMail {
  mail: ParsedMail;
  /** Whether the session had been upgraded to TLS (STARTTLS) when the message arrived. */
  secure: boolean;
  from: string;
  to: string[];
  user: string | null;
}

export interface SmtpReceiver {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Reply to the next DATA commands with these SMTP errors (code and text), in order. */
  refusals: { code: number; message: string }[];
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 (port 0 unless given). `auth` requires these credentials. */
export async function startSmtpReceiver(opts: { auth?: { user: string; password: string }; port?: number; extra?: SMTPServerOptions } = {}): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const refusals: { code: number; message: string }[] = [];
  const server = new SMTPServer({
    authOptional: opts.auth === undefined,
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth !== undefined && auth.username === opts.auth.user && auth.password === opts.auth.password) cb(null, { user: auth.username ?? '' });
      else cb(Object.assign(new Error('invalid credentials'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const refusal = refusals.shift();
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refusal !== undefined) {
          cb(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            received.push({
              mail,
              secure: session.secure,
              from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((a) => a.address),
              user: typeof session.user === 'string' ? session.user : null,
            });
            cb(null, 'queued as test');
          },
          (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
    ...opts.extra,
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, url: `smtp://127.0.0.1:${port}`, received, refusals, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
