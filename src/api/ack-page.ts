/**
 * The page an acknowledgment link opens: `GET /ack/<token>` shows what is being acknowledged and
 * one button; the button POSTs the same URL, and that POST acknowledges. The link is the only
 * credential (no login, no token header), so these routes are public; a GET never acknowledges
 * (mail scanners fetch links). Server-rendered, minimal HTML: no script, no outside resource,
 * never framed (one-click pages must not be clickjacked), never cached, and the token is not sent
 * on as a Referer.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { acknowledgeByLink, viewAckLink, type AckLinkView, type LinkState } from '../app/ack-links.js';
import type { AppContext } from '../app/context.js';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTTP status of a page: 200 when the link works (or just worked), else what is wrong with it. */
const STATUS: Record<LinkState, number> = { open: 200, done: 200, forged: 404, disabled: 404, expired: 410, used: 410, superseded: 410, closed: 410, acknowledged: 409 };

/** The page of a link in its state (exported for tests of the markup). */
export function renderAckPage(v: AckLinkView): string {
  const parts = [`<p class="state">${escape(v.message)}</p>`];
  if (v.incident) {
    parts.push(
      `<h2>${escape(v.incident.id)}: ${escape(v.incident.title)}</h2>`,
      `<p>Severity ${escape(v.incident.severity)}, state ${escape(v.incident.state)}. Report-out revision ${String(v.revision ?? '')} for role <b>${escape(v.role ?? '')}</b>.</p>`,
    );
  }
  if (v.lines && v.lines.length > 0) {
    parts.push('<ul>', ...v.lines.map((l) => `<li><b>${escape(l.label)}</b><br>${escape(l.text).replace(/\n/g, '<br>')}</li>`), '</ul>');
  }
  if (v.acknowledgment) parts.push(`<p>Acknowledged by ${escape(v.acknowledgment.actor)} at ${escape(v.acknowledgment.at)}${v.acknowledgment.via ? ` (${escape(v.acknowledgment.via)})` : ''}.</p>`);
  // the form posts to this very URL: the token in the path is all it needs
  if (v.state === 'open') parts.push('<form method="post"><button type="submit">Acknowledge</button></form>');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">',
    '<title>closeloop: acknowledge the report-out</title></head>',
    '<body><h1>IR-6(2) report-out acknowledgment</h1>',
    ...parts,
    '</body></html>',
    '',
  ].join('\n');
}

function send(reply: FastifyReply, v: AckLinkView): FastifyReply {
  return reply
    .status(STATUS[v.state])
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(renderAckPage(v));
}

/** Registers `GET` and `POST /ack/:token` (public: the signed link is the credential). */
export async function registerAckPage(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (scope) => {
    // the page's form posts no fields; its body is read and ignored
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, undefined));
    const token = (params: unknown): string => (typeof params === 'object' && params !== null && 'token' in params && typeof params.token === 'string' ? params.token : '');
    scope.get('/ack/:token', { config: { public: true } }, async (req, reply) => send(reply, await viewAckLink(ctx, token(req.params))));
    scope.post('/ack/:token', { config: { public: true } }, async (req, reply) => send(reply, await acknowledgeByLink(ctx, token(req.params))));
  });
}
