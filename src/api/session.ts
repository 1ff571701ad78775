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
import { isClError } from '../errors.js';
import { authOf, callerOf, clearSessionCookie, sessionCookieOptions } from './auth.js';
import type { SignInLimiter } from './hardening.js';

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
