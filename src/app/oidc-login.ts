/**
 * Single sign-on with an OpenID Connect identity provider (`server.oidc`), by openid-client:
 * the authorization code flow with PKCE (S256), a state and a nonce. What the callback needs
 * (state, PKCE verifier, nonce, where to return) is kept in the store's `oidc_logins`, so the
 * provider may send the browser back to another server behind the same load balancer. A sign-in
 * left unfinished at the provider is forgotten after LOGIN_MINUTES.
 *
 * The ID token names the person: the one whose `oidc_subject` is the token's `sub`, else the one
 * whose name is the value of the configured claim (default `preferred_username`). Nobody is
 * created by signing in: a person unknown to the directory is refused with words.
 */
import * as oidc from 'openid-client';
import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { identifierProblem } from '../domain/limits.js';
import { ClError } from '../errors.js';
import { findPersonRow } from '../store/repositories/people.js';
import { deleteOidcLoginsBefore, insertOidcLogin, personByOidcSubject, takeOidcLogin } from '../store/repositories/sign-in.js';
import { inTransaction, type AppContext } from './context.js';
import { startSession, type NewSession } from './sessions.js';

/** How long a sign-in may take at the identity provider. */
export const LOGIN_MINUTES = 10;
/** The callback's path on this server. */
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  redirectUrl: URL;
  claim: string;
  label: string | null;
}

/** The sign-on settings of the configuration, its client secret read from `env`; null when single sign-on is not configured. */
export function oidcSettings(config: Config, env: Readonly<Record<string, string | undefined>>): OidcSettings | null {
  const o = config.server.oidc;
  if (o === undefined) return null;
  const redirect = o.redirect_url ?? `${(config.server.public_url ?? '').replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`;
  return {
    issuer: new URL(o.issuer),
    clientId: o.client_id,
    clientSecret: resolveSecret(o.client_secret, { ...env }, 'server.oidc.client_secret'),
    redirectUrl: new URL(redirect),
    claim: o.claim,
    label: o.label ?? null,
  };
}

/** Plain HTTP is accepted from an identity provider on this machine only (a test or a development provider). */
function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** One identity provider: its metadata is discovered at the first sign-in and kept, and discovered again after a failure. */
export class OidcProvider {
  private configuration: Promise<oidc.Configuration> | null = null;

  constructor(readonly settings: OidcSettings) {}

  async client(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(this.settings.issuer, this.settings.clientId, this.settings.clientSecret, undefined, {
        ...(this.settings.issuer.protocol === 'http:' && isLoopback(this.settings.issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: 10,
      })
      .catch((err: unknown) => {
        this.configuration = null;
        throw new ClError('CL_UNAVAILABLE', `the identity provider ${this.settings.issuer.href} does not answer (${err instanceof Error ? err.message : String(err)}); try again later, or sign in with a password`);
      });
    return this.configuration;
  }
}

/**
 * Where to go after signing in: a path on this server, never another site (`//evil.example`,
 * `/\evil.example` and absolute URLs become `/`).
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\') || value.length > 2048) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  const base = 'http://closeloop.invalid';
  const u = new URL(value, base);
  return u.origin === base ? `${u.pathname}${u.search}${u.hash}` : '/';
}

/** Begins a sign-in: the URL of the identity provider to send the browser to. */
export async function beginOidcLogin(ctx: AppContext, provider: OidcProvider, returnTo: unknown): Promise<string> {
  const client = await provider.client();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const now = ctx.now();
  await inTransaction(ctx, async (trx) => {
    await deleteOidcLoginsBefore(trx, new Date(now.getTime() - LOGIN_MINUTES * 60_000).toISOString());
    await insertOidcLogin(trx, { state, code_verifier: verifier, nonce, return_to: safeReturnTo(returnTo), created_at: now.toISOString() });
  });
  const url = oidc.buildAuthorizationUrl(client, {
    redirect_uri: provider.settings.redirectUrl.href,
    scope: 'openid profile',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return url.href;
}

/** A sign-in that cannot finish: said in words to the person (on the page they land on). */
export class SignInRefused extends Error {}

/**
 * Finishes a sign-in at the callback: `query` is the callback's query string. Exchanges the code,
 * checks state, nonce and PKCE, finds the person and begins their session.
 */
export async function finishOidcLogin(ctx: AppContext, provider: OidcProvider, query: string): Promise<NewSession & { return_to: string }> {
  const params = new URLSearchParams(query);
  const state = params.get('state');
  const login = state === null ? undefined : await inTransaction(ctx, (trx) => takeOidcLogin(trx, state));
  if (login === undefined) throw new SignInRefused('this sign-in is not known or was finished already; sign in again');
  if (Date.parse(login.created_at) + LOGIN_MINUTES * 60_000 <= ctx.now().getTime()) throw new SignInRefused(`the sign-in took longer than ${LOGIN_MINUTES} minutes; sign in again`);
  const providerError = params.get('error');
  if (providerError !== null) {
    throw new SignInRefused(`the identity provider refused the sign-in (${providerError}${params.get('error_description') ? `: ${params.get('error_description') ?? ''}` : ''})`);
  }
  const client = await provider.client();
  const current = new URL(provider.settings.redirectUrl.href);
  current.search = query;
  let claims: oidc.IDToken | undefined;
  try {
    const tokens = await oidc.authorizationCodeGrant(client, current, { pkceCodeVerifier: login.code_verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true });
    claims = tokens.claims();
  } catch (err) {
    throw new SignInRefused(`the identity provider's answer could not be verified (${err instanceof Error ? err.message : String(err)}); sign in again`);
  }
  if (claims === undefined) throw new SignInRefused('the identity provider sent no ID token; sign in again');
  const actor = await personOf(ctx, provider.settings.claim, claims);
  const session = await startSession(ctx, actor, 'oidc');
  return { ...session, return_to: login.return_to ?? '/' };
}

/** The person an ID token names, or a refusal saying who the provider said it was. */
async function personOf(ctx: AppContext, claim: string, claims: oidc.IDToken): Promise<string> {
  const bySubject = await personByOidcSubject(ctx.store.db, claims.sub);
  const value = claims[claim];
  const name = bySubject ?? (typeof value === 'string' ? value : null);
  if (name === null) throw new SignInRefused(`the identity provider did not say who you are (no ${claim} claim); ask an admin to check server.oidc.claim`);
  const unknown = `you signed in at the identity provider as ${name}, who is not in closeloop's people directory; ask an admin to add you (\`closeloop people add ${name} --roles ROLE\`)`;
  if (identifierProblem(name) !== null) throw new SignInRefused(unknown);
  const row = await findPersonRow(ctx.store.db, name);
  if (row === undefined || row.removed_at !== null) throw new SignInRefused(unknown);
  if (bySubject === undefined && row?.oidc_subject != null && row.oidc_subject !== claims.sub) {
    throw new SignInRefused(`${name} signs in as another identity at the identity provider; ask an admin`);
  }
  return name;
}
