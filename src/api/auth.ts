import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorForToken } from '../app/admin.js';
import type { AppContext, Caller } from '../app/context.js';
import { ClError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null on public routes and before the hook ran. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** A route that answers without a bearer token (health, the API description). */
    public?: boolean;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1] ?? null;
}

/**
 * Authenticates every request unless its route is marked `config: { public: true }`: secure by
 * default, so a route added later without thinking about auth still refuses anonymous callers.
 * Unknown routes fall through to the 404 handler. Authorization (what the actor may do) stays in
 * the use cases, which check the actor's roles from the people directory.
 */
export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (req) => {
    if (req.is404 || req.routeOptions.config.public === true) return;
    const token = bearerToken(req.headers.authorization);
    if (token === null) {
      throw new ClError('CL_UNAUTHENTICATED', 'authentication required: send Authorization: Bearer <token> (an admin creates tokens with `closeloop token create`)');
    }
    // unknown, revoked, expired or of a removed person: CL_UNAUTHENTICATED saying which
    req.caller = { actor: await actorForToken(ctx, token) };
  });
}

/** The authenticated caller of a request; a route that reaches a handler without one is refused. */
export function callerOf(req: FastifyRequest): Caller {
  if (req.caller === null) throw new ClError('CL_UNAUTHENTICATED', 'authentication required');
  return req.caller;
}
