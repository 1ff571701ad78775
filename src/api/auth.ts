import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorForToken } from '../app/admin.js';
import type { AppContext, Caller } from '../app/context.js';
import { csrfMatches, SESSION_COOKIE, sessionFor, type SignInVia } from '../app/sessions.js';
import { ClError } from '../errors.js';

/** How a request was authenticated. */
export interface RequestAuth {
  via: SignInVia | 'token';
  /** The session id of a browser session (from its cookie); null for a bearer token. */
  sessionId: string | null;
  /** When a browser session ends unless used again; null for a bearer token. */
  expiresAt: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; null on public routes and before the hook ran. */
    caller: Caller | null;
    /** How the caller was authenticated (set with `caller`). */
    auth: RequestAuth | null;
  }
  interface FastifyContextConfig {
    /** A route that answers without a bearer token or a session (health, the API description, sign-in). */
    public?: boolean;
  }
}

/** The header a browser session sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change something: with a session cookie they need the CSRF token. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1] ?? null;
}

/** The session cookie's attributes: HttpOnly, SameSite=Strict, the whole site, Secure over HTTPS. */
export function sessionCookieOptions(secure: boolean): { httpOnly: true; sameSite: 'strict'; path: '/'; secure: boolean } {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure };
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(secure));
}

/**
 * Authenticates every request unless its route is marked `config: { public: true }`: secure by
 * default, so a route added later without thinking about auth still refuses anonymous callers.
 * A request is authenticated by `Authorization: Bearer <token>` (scripts; no CSRF token needed,
 * since a browser never adds the header by itself) or by the session cookie of a signed-in
 * browser, which must send its session's CSRF token in `x-csrf-token` with every POST, PUT,
 * PATCH and DELETE. CORS preflights (OPTIONS) carry no credentials and are answered by the CORS
 * plugin when it is configured. Unknown routes fall through to the 404 handler. Authorization
 * (what the actor may do) stays in the use cases, which read the actor's roles at every request.
 */
export async function registerAuth(app: FastifyInstance, ctx: AppContext, opts: { secureCookies: boolean } = { secureCookies: false }): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('caller', null);
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (req, reply) => {
    if (req.is404 || req.routeOptions.config.public === true || req.method === 'OPTIONS') return;
    const token = bearerToken(req.headers.authorization);
    if (token !== null) {
      // unknown, revoked, expired or of a removed person: CL_UNAUTHENTICATED saying which
      req.caller = { actor: await actorForToken(ctx, token) };
      req.auth = { via: 'token', sessionId: null, expiresAt: null };
      return;
    }
    const sessionId = req.cookies[SESSION_COOKIE];
    if (sessionId === undefined || sessionId === '') {
      throw new ClError('CL_UNAUTHENTICATED', 'authentication required: sign in (POST /api/v1/session), or send Authorization: Bearer <token> (an admin creates tokens with `closeloop token create`)');
    }
    const session = await sessionFor(ctx, sessionId);
    if (session === null) {
      clearSessionCookie(reply, opts.secureCookies);
      throw new ClError('CL_UNAUTHENTICATED', 'your session has ended (signed out, idle too long, or past its time limit); sign in again');
    }
    if (STATE_CHANGING.has(req.method)) {
      const given = req.headers[CSRF_HEADER];
      if (!csrfMatches(sessionId, typeof given === 'string' ? given : undefined)) {
        throw new ClError('CL_FORBIDDEN', 'missing or wrong CSRF token; reload the page', { header: CSRF_HEADER });
      }
    }
    req.caller = { actor: session.actor };
    req.auth = { via: session.via, sessionId, expiresAt: session.expires_at };
  });
}

/** The authenticated caller of a request; a route that reaches a handler without one is refused. */
export function callerOf(req: FastifyRequest): Caller {
  if (req.caller === null) throw new ClError('CL_UNAUTHENTICATED', 'authentication required');
  return req.caller;
}

/** How the request's caller was authenticated; refused like `callerOf` when it was not. */
export function authOf(req: FastifyRequest): RequestAuth {
  if (req.auth === null) throw new ClError('CL_UNAUTHENTICATED', 'authentication required');
  return req.auth;
}
