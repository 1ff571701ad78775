/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider) listening on 127.0.0.1:
 * the browser's part is played by fetch following the redirects with a cookie jar, the provider's
 * login by an interaction that signs in the account the test names. closeloop exchanges the code
 * over HTTP with PKCE, state and nonce, verifies the ID token and maps it to a person.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Provider, { type ProviderContext } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcSettings } from '../../src/app/oidc-login.js';
import { setPassword } from '../../src/app/passwords.js';
import { buildServer } from '../../src/api/server.js';
import { updatePersonRow } from '../../src/store/repositories/people.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

const CLOSELOOP = 'http://closeloop.test';
const CALLBACK = `${CLOSELOOP}/auth/oidc/callback`;
const SECRET = 'idp-client-secret-for-tests';

interface Idp {
  issuer: string;
  /** The account the next login at the provider signs in as. */
  signInAs(account: string): void;
  close(): Promise<void>;
}

async function startIdp(): Promise<Idp> {
  let account = 'lead';
  let provider: Provider | null = null;
  const server = http.createServer((req, res) => {
    if (provider === null) return void res.writeHead(503).end();
    if (req.url?.startsWith('/interaction/') === true) {
      provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false }).catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = new Provider(issuer, {
    clients: [{ client_id: 'closeloop', client_secret: SECRET, redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => Promise.resolve({ sub: id, preferred_username: id.startsWith('00u') ? `${id}@corp.example` : id }) }),
    claims: { openid: ['sub'], profile: ['preferred_username'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    // a first-party client: the consent is given
    loadExistingGrant: async (ctx: ProviderContext) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId ?? '', accountId: ctx.oidc.session?.accountId ?? '' });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  });
  return {
    issuer,
    signInAs: (a) => void (account = a),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Follows the provider's redirects as a browser would, with a cookie jar, until it sends the browser back to closeloop. */
async function throughProvider(start: string): Promise<URL> {
  const jar = new Map<string, string>();
  let next = start;
  for (let hop = 0; hop < 12; hop += 1) {
    if (next.startsWith(CLOSELOOP)) return new URL(next);
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] ?? '';
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = res.headers.get('location');
    if (location === null) throw new Error(`the provider stopped at ${next}: ${res.status} ${await res.text()}`);
    next = new URL(location, next).href;
  }
  throw new Error('too many redirects');
}

describe.each(ENGINES)('single sign-on with OpenID Connect (%s)', (engine) => {
  let idp: Idp;
  let tc: TestContext;
  let app: FastifyInstance;

  const inject = (url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => app.inject({ method: 'GET', url, headers });

  /** Starts at closeloop's login route and returns closeloop's answer at the callback. */
  async function signOn(account: string, returnTo = '/'): Promise<{ start: LightMyRequestResponse; callback: LightMyRequestResponse; callbackUrl: URL }> {
    idp.signInAs(account);
    const start = await inject(`/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`);
    expect(start.statusCode, start.body).toBe(302);
    const callbackUrl = await throughProvider(String(start.headers.location));
    const callback = await inject(`${callbackUrl.pathname}${callbackUrl.search}`);
    return { start, callback, callbackUrl };
  }

  beforeAll(async () => {
    idp = await startIdp();
    tc = await makeTestContext(engine, {
      label: 'oidc',
      config: { server: { public_url: CLOSELOOP, oidc: { issuer: idp.issuer, client_id: 'closeloop', client_secret: 'env:CLOSELOOP_TEST_IDP_SECRET', label: 'Sign in with the test provider' } } },
    });
    app = await buildServer(tc.ctx, { oidc: oidcSettings(tc.ctx.config, { CLOSELOOP_TEST_IDP_SECRET: SECRET }) });
  });
  afterAll(async () => {
    await app.close();
    await tc.cleanup();
    await idp.close();
  });

  it('says single sign-on is on, with its label', async () => {
    expect((await inject('/api/v1/auth/config')).json()).toEqual({ password: true, oidc: { enabled: true, label: 'Sign in with the test provider' } });
  });

  it('signs a person in through the provider (code + PKCE S256, state, nonce) and returns to the page asked for', async () => {
    const { start, callback } = await signOn('lead', '/incidents/INC-2026-0001?tab=report');
    const authorize = new URL(String(start.headers.location));
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(CALLBACK);
    for (const p of ['code_challenge', 'state', 'nonce']) expect(authorize.searchParams.get(p)).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    expect(callback.statusCode, callback.body).toBe(302);
    expect(callback.headers.location).toBe('/incidents/INC-2026-0001?tab=report');
    const cookie = callback.cookies.find((c) => c.name === 'closeloop_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const me = await inject('/api/v1/session', { cookie: `closeloop_session=${cookie?.value ?? ''}` });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ actor: 'lead', via: 'oidc', roles: ['ir_lead'] });
    // the sign-in under way is gone from the store once finished
    expect(await tc.ctx.store.db.selectFrom('oidc_logins').selectAll().where('state', '=', authorize.searchParams.get('state') ?? '').execute()).toEqual([]);
  });

  it('returns to this server only', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const { callback } = await signOn('auditor', evil);
      expect(callback.statusCode).toBe(302);
      expect(callback.headers.location, evil).toBe('/');
    }
  });

  it('refuses a person the directory does not know, in words, without a session', async () => {
    const { callback } = await signOn('mallory');
    expect(callback.statusCode).toBe(302);
    const to = new URL(String(callback.headers.location), CLOSELOOP);
    expect(to.pathname).toBe('/');
    expect(to.searchParams.get('error')).toMatch(/mallory, who is not in closeloop's people directory/);
    expect(callback.headers['set-cookie']).toBeUndefined();
  });

  it('finishes a sign-in once: the same callback again is refused', async () => {
    const { callback, callbackUrl } = await signOn('auditor');
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('/');
    const again = await inject(`${callbackUrl.pathname}${callbackUrl.search}`);
    expect(new URL(String(again.headers.location), CLOSELOOP).searchParams.get('error')).toMatch(/not known or was finished already/);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a sign-in that took longer than 10 minutes', async () => {
    idp.signInAs('auditor');
    const start = await inject('/auth/oidc/login');
    const callbackUrl = await throughProvider(String(start.headers.location));
    tc.clock.advance({ minutes: 11 });
    const late = await inject(`${callbackUrl.pathname}${callbackUrl.search}`);
    expect(new URL(String(late.headers.location), CLOSELOOP).searchParams.get('error')).toMatch(/longer than 10 minutes/);
  });

  it("maps the provider's subject to the person who holds it", async () => {
    await setPassword(tc.ctx, { actor: 'admin' }, { name: 'vm', password: 'a long enough password' });
    await updatePersonRow(tc.ctx.store.db, 'vm', { oidc_subject: '00u7vm' });
    // the account's user name (00u7vm@corp.example) is no person's name: the subject decides
    const { callback } = await signOn('00u7vm');
    expect(callback.headers.location).toBe('/');
    const cookie = callback.cookies.find((c) => c.name === 'closeloop_session');
    const me = await inject('/api/v1/session', { cookie: `closeloop_session=${cookie?.value ?? ''}` });
    expect(me.json()).toMatchObject({ actor: 'vm', via: 'oidc' });
  });

  it('answers 404 in words when single sign-on is not configured', async () => {
    const plain = await makeTestContext(engine, { label: 'nooidc' });
    const other = await buildServer(plain.ctx);
    try {
      const res = await other.inject({ method: 'GET', url: '/auth/oidc/login' });
      expect(res.statusCode).toBe(404);
      expect(res.json<{ message: string }>().message).toMatch(/single sign-on is not configured/);
    } finally {
      await other.close();
      await plain.cleanup();
    }
  });
});
