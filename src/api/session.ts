/**
 * Signing in and out of the web application:
 *
 * - `GET /api/v1/auth/config` (public): how one may sign in here (password; single sign-on and its label).
 * - `POST /api/v1/session` (public) `{ name, password }`: signs in; the session id goes into the
 *   `closeloop_session` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) and nowhere else.
 * - `GET /api/v1/session`: who is signed in, their roles, what they may do and the CSRF token
 *   (a bearer token answers too, `via: 'token'`).
 * - `POST /api/v1/session/logout`: ends the session in the store and clears the cookie.
 * - `POST /api/v1/password-links/:token` (public) `{ password }`: a one-time set-password link.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../app/context.js';
import { usePasswordLink } from '../app/passwords.js';
import { csrfTokenOf, describeSession, endSession, SESSION_COOKIE, signInWithPassword, type NewSession } from '../app/sessions.js';
import { ACTIONS } from '../domain/policy.js';
import { isClError } from '../errors.js';
import { authOf, callerOf, clearSessionCookie, sessionCookieOptions } from './auth.js';
import type { SignInLimiter } from './hardening.js';
import type { JsonSchema, OpenApiOperation } from './openapi.js';

export interface SessionRoutesOptions {
  prefix: string;
  /** Whether the session cookie is marked Secure (the server is reached over HTTPS). */
  secureCookies: boolean;
  /** The single sign-on button's words when single sign-on is configured, else undefined. */
  oidc: { label: string | null } | undefined;
  limiter: SignInLimiter;
}

/** What `GET /api/v1/auth/config` answers. */
export interface AuthConfigOut {
  password: true;
  oidc: { enabled: boolean; label: string | null };
}

/** Sets the session cookie of a new session. */
export function setSessionCookie(reply: FastifyReply, session: NewSession, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, session.id, sessionCookieOptions(secure));
}

const bodyObject = (body: unknown): Record<string, unknown> => (typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {});

export function registerSessionRoutes(app: FastifyInstance, ctx: AppContext, opts: SessionRoutesOptions): void {
  const { prefix, secureCookies, limiter } = opts;
  const authConfig: AuthConfigOut = { password: true, oidc: { enabled: opts.oidc !== undefined, label: opts.oidc?.label ?? null } };

  app.get(`${prefix}/auth/config`, { config: { public: true } }, async () => authConfig);

  app.post(`${prefix}/session`, { config: { public: true } }, async (req, reply) => {
    await limiter.attempt(req);
    await limiter.checkName(req);
    let session: NewSession;
    try {
      // validated by the use case, which names a missing or bad field
      session = await signInWithPassword(ctx, bodyObject(req.body) as { name: string; password: string });
    } catch (err) {
      if (isClError(err) && err.code === 'CL_UNAUTHENTICATED') await limiter.failed(req);
      throw err;
    }
    req.log.info({ actor: session.actor, via: 'password' }, 'signed in');
    setSessionCookie(reply, session, secureCookies);
    return describeSession(ctx, { actor: session.actor }, { via: session.via, csrf_token: session.csrf_token, expires_at: session.expires_at });
  });

  app.get(`${prefix}/session`, async (req) => {
    const auth = authOf(req);
    return describeSession(ctx, callerOf(req), {
      via: auth.via,
      csrf_token: auth.sessionId === null ? null : csrfTokenOf(auth.sessionId),
      expires_at: auth.expiresAt,
    });
  });

  app.post(`${prefix}/session/logout`, async (req, reply) => {
    const auth = authOf(req);
    if (auth.sessionId !== null) await endSession(ctx, callerOf(req), auth.sessionId);
    clearSessionCookie(reply, secureCookies);
    return reply.status(204).send();
  });

  app.post(`${prefix}/password-links/:token`, { config: { public: true } }, async (req, reply) => {
    await limiter.attempt(req);
    const params = bodyObject(req.params);
    const r = await usePasswordLink(ctx, { ...(bodyObject(req.body) as { password: string }), token: typeof params.token === 'string' ? params.token : '' });
    req.log.info({ actor: r.name }, 'password set by link');
    return reply.status(204).send();
  });
}

/** The sign-in routes in the OpenAPI document (they are registered here, not in the route table). */
export function signInOperations(prefix: string): [string, 'get' | 'post', OpenApiOperation][] {
  const json = (schema: JsonSchema | { $ref: string }) => ({ 'application/json': { schema } });
  const sessionOut = { $ref: '#/components/schemas/Session' };
  const err = (name: string) => ({ $ref: `#/components/responses/${name}` });
  const redirect = (description: string) => ({ description });
  return [
    [`${prefix}/auth/config`, 'get', {
      operationId: 'authConfig',
      summary: 'How one signs in here: password, and single sign-on with its button label (no authentication)',
      tags: ['sign-in'],
      security: [],
      responses: { '200': { description: 'The sign-in methods', content: json({ type: 'object', properties: { password: { const: true }, oidc: { type: 'object', properties: { enabled: { type: 'boolean' }, label: { type: ['string', 'null'] } }, required: ['enabled', 'label'] } }, required: ['password', 'oidc'] }) } },
    }],
    [`${prefix}/session`, 'post', {
      operationId: 'signIn',
      summary: 'Sign in with a name and password: sets the HttpOnly session cookie `closeloop_session` (no authentication; rate-limited per address and name)',
      tags: ['sign-in'],
      security: [],
      requestBody: { required: true, content: json({ type: 'object', properties: { name: { type: 'string' }, password: { type: 'string' } }, required: ['name', 'password'], additionalProperties: false }) },
      responses: { '200': { description: 'Signed in: who, roles, what they may do and the CSRF token', content: json(sessionOut) }, '400': err('BadInput'), '401': err('Unauthenticated'), '429': err('RateLimited') },
    }],
    [`${prefix}/session`, 'get', {
      operationId: 'currentSession',
      summary: 'Who is signed in (or whose bearer token this is), their roles, every action they may do, and the CSRF token to send as `x-csrf-token`',
      tags: ['sign-in'],
      responses: { '200': { description: 'The caller', content: json(sessionOut) }, '401': err('Unauthenticated') },
    }],
    [`${prefix}/session/logout`, 'post', {
      operationId: 'signOut',
      summary: 'Sign out: the session ends in the store and the cookie is cleared',
      tags: ['sign-in'],
      responses: { '204': { description: 'Signed out' }, '401': err('Unauthenticated'), '403': err('Forbidden') },
    }],
    [`${prefix}/password-links/{token}`, 'post', {
      operationId: 'setPasswordByLink',
      summary: 'Set one\'s password with a one-time link from `closeloop people passwd NAME --link` (no authentication: the link is the credential); at least 12 characters',
      tags: ['sign-in'],
      security: [],
      parameters: [{ name: 'token', in: 'path', required: true, description: 'the token of the set-password link', schema: { type: 'string' } }],
      requestBody: { required: true, content: json({ type: 'object', properties: { password: { type: 'string', minLength: 12 } }, required: ['password'], additionalProperties: false }) },
      responses: { '204': { description: 'The password is set; sign in with it' }, '400': err('BadInput'), '404': err('NotFound'), '429': err('RateLimited') },
    }],
    ['/auth/oidc/login', 'get', {
      operationId: 'oidcLogin',
      summary: 'Single sign-on: redirects to the identity provider (authorization code with PKCE); `return_to` is a path on this server (no authentication)',
      tags: ['sign-in'],
      security: [],
      parameters: [{ name: 'return_to', in: 'query', required: false, description: 'where to go once signed in: a path on this server', schema: { type: 'string' } }],
      responses: { '302': redirect('To the identity provider'), '404': err('NotFound') },
    }],
    ['/auth/oidc/callback', 'get', {
      operationId: 'oidcCallback',
      summary: 'Single sign-on: the identity provider sends the browser back here; sets the session cookie (no authentication: the provider authenticates)',
      tags: ['sign-in'],
      security: [],
      responses: { '302': redirect('To return_to when signed in, else to `/?error=<words>` without a session'), '404': err('NotFound') },
    }],
  ];
}

/** The JSON schema of `SessionOut` (GET and POST /session). */
export const SESSION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    actor: { type: 'string' },
    display_name: { type: ['string', 'null'] },
    roles: { type: 'array', items: { type: 'string' } },
    can: { type: 'array', items: { type: 'string', enum: [...ACTIONS] } },
    csrf_token: { type: ['string', 'null'], description: 'send it as x-csrf-token with every POST made with the session cookie; null for a bearer token' },
    via: { type: 'string', enum: ['password', 'oidc', 'token'] },
    expires_at: { type: ['string', 'null'], description: 'when the session ends unless used again (idle or absolute timeout, whichever is first); null for a bearer token' },
  },
  required: ['actor', 'display_name', 'roles', 'can', 'csrf_token', 'via', 'expires_at'],
};
