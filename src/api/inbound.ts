/**
 * Inbound ticket webhooks: `POST /api/v1/inbound/jira` and `POST /api/v1/inbound/servicenow`.
 * They carry no bearer token (the ticket system holds none); each request is authenticated by the
 * system's shared secret instead — Jira's HMAC signature of the raw body, ServiceNow's secret
 * header — checked in constant time before the body is read. A system whose secret is not
 * configured has its endpoint refuse every request.
 *
 * Registered in an encapsulated plugin whose JSON parser keeps the raw text beside the parsed
 * body, because the signature is over the bytes as sent, not over a re-serialization.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { inboundAuthentic, receiveJiraWebhook, receiveServiceNowWebhook, type InboundSecrets, type TicketStatusResult } from '../app/tickets.js';
import type { TicketSystem } from '../config/tickets.js';
import { badInput, ClError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received, on the inbound routes (their signatures are over it). */
    rawBody?: string;
  }
}

const HOW: Record<TicketSystem, string> = {
  jira: 'a valid X-Hub-Signature (HMAC-SHA256 of the body with delivery.jira.webhook_secret)',
  servicenow: 'the shared secret delivery.servicenow.inbound_secret in X-Closeloop-Secret',
};

const RECEIVE: Record<TicketSystem, (ctx: AppContext, body: unknown) => Promise<TicketStatusResult[]>> = {
  jira: receiveJiraWebhook,
  servicenow: receiveServiceNowWebhook,
};

/** Registers the inbound ticket routes under `prefix`. */
export async function registerInbound(app: FastifyInstance, ctx: AppContext, secrets: InboundSecrets, prefix: string): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      req.rawBody = text;
      try {
        done(null, text.trim() === '' ? undefined : JSON.parse(text));
      } catch {
        done(badInput('the body is not valid JSON'), undefined);
      }
    });
    for (const system of ['jira', 'servicenow'] as const) {
      scope.post(`${prefix}/inbound/${system}`, { config: { public: true } }, async (req: FastifyRequest) => {
        const secret = secrets[system];
        if (secret === undefined || !inboundAuthentic(system, secret, req.headers, req.rawBody ?? '')) {
          throw new ClError('CL_UNAUTHENTICATED', `inbound ${system} webhook refused: it needs ${HOW[system]}`);
        }
        return { results: await RECEIVE[system](ctx, req.body) };
      });
    }
  });
}
