/**
 * Single sign-on routes (public: the identity provider authenticates):
 *
 * - `GET /auth/oidc/login?return_to=/path`: 302 to the identity provider.
 * - `GET /auth/oidc/callback`: the provider sends the browser back here; the session cookie is
 *   set and the browser goes on to `return_to` (a path on this server only). A sign-in that cannot
 *   finish (an unknown person, a refusal at the provider, an expired attempt) lands on
 *   `/?error=<words>` without a session.
 *
 * Without `server.oidc` both answer 404 saying single sign-on is not configured.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { beginOidcLogin, finishOidcLogin, OIDC_CALLBACK_PATH, SignInRefused, type OidcProvider } from '../app/oidc-login.js';
import { ClError, isClError } from '../errors.js';
import type { SignInLimiter } from './hardening.js';
import { setSessionCookie } from './session.js';

const notConfigured = (): ClError => new ClError('CL_NOT_FOUND', 'single sign-on is not configured on this server (server.oidc in closeloop.yaml); sign in with a password', { what: 'single sign-on' });

export function registerOidcRoutes(app: FastifyInstance, ctx: AppContext, opts: { provider: OidcProvider | null; secureCookies: boolean; limiter: SignInLimiter }): void {
  const { provider } = opts;

  app.get('/auth/oidc/login', { config: { public: true } }, async (req, reply) => {
    if (provider === null) throw notConfigured();
    await opts.limiter.attempt(req);
    const query = req.query as Record<string, unknown> | undefined;
    const url = await beginOidcLogin(ctx, provider, query?.return_to);
    return reply.header('cache-control', 'no-store').redirect(url, 302);
  });

  app.get(OIDC_CALLBACK_PATH, { config: { public: true } }, async (req, reply) => {
    if (provider === null) throw notConfigured();
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    try {
      const session = await finishOidcLogin(ctx, provider, query);
      req.log.info({ actor: session.actor, via: 'oidc' }, 'signed in');
      setSessionCookie(reply, session, opts.secureCookies);
      return reply.redirect(session.return_to, 302);
    } catch (err) {
      const words = err instanceof SignInRefused || (isClError(err) && err.code === 'CL_UNAVAILABLE') ? err.message : null;
      if (words === null) throw err;
      req.log.info({ reason: words }, 'single sign-on refused');
      return reply.redirect(`/?error=${encodeURIComponent(words)}`, 302);
    }
  });
}
