/**
 * Every registered route (collected by the server's onRoute hook, HEAD routes included) refuses a
 * caller without a valid bearer token — except the public ones, by design: `healthz` and `readyz`
 * (load balancers probe them; they reveal only whether the database answers) and `openapi.json` (describes
 * the API, holds no data, and clients need it before they have a token), and the acknowledgment
 * link's page `/ack/:token` (the signed link is its credential; a link that is not one is refused 404).
 * The inbound ticket
 * webhooks carry no bearer token either (Jira and ServiceNow hold none): each is authenticated by
 * its system's signature or shared secret instead, and refuses a request without it. Signing in
 * is public too (the sign-in method, the password form, a set-password link, single sign-on).
 *
 * A signed-in browser's session cookie authenticates like a token, but every POST needs the
 * session's CSRF token as well: a cookie alone (what another site can make a browser send) is
 * refused on every state-changing route, and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, buildServer } from '../../src/api/server.js';
import { ROUTES } from '../../src/api/routes.js';
import { setPassword } from '../../src/app/passwords.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const PUBLIC = ['/healthz', `${API_PREFIX}/healthz`, '/readyz', `${API_PREFIX}/readyz`, `${API_PREFIX}/openapi.json`];
/** The web application's files: public, they hold no data. */
const WEB = ['/', '/assets/*', '/favicon.svg'];
const SIGNED = [`${API_PREFIX}/inbound/jira`, `${API_PREFIX}/inbound/servicenow`];
/** The sign-in routes and what each answers an empty request (no body; single sign-on not configured). */
const SIGN_IN: Record<string, number> = {
  [`GET ${API_PREFIX}/auth/config`]: 200,
  [`HEAD ${API_PREFIX}/auth/config`]: 200,
  [`POST ${API_PREFIX}/session`]: 400,
  [`POST ${API_PREFIX}/password-links/:token`]: 400,
  'GET /auth/oidc/login': 404,
  'HEAD /auth/oidc/login': 404,
  'GET /auth/oidc/callback': 404,
  'HEAD /auth/oidc/callback': 404,
};
/** The private routes of signing in: who is signed in, and signing out. */
const SESSION_ROUTES = [`GET ${API_PREFIX}/session`, `HEAD ${API_PREFIX}/session`, `POST ${API_PREFIX}/session/logout`];

type Method = 'GET' | 'POST' | 'HEAD';
const isMethod = (m: string): m is Method => m === 'GET' || m === 'POST' || m === 'HEAD';

describe.each(ENGINES)('authentication on every route (%s)', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine);
  });
  afterAll(async () => {
    await api.close();
  });

  it('registers every operation of the route table, and only GET/HEAD/POST', () => {
    const seen = api.app.registeredRoutes.map((r) => `${r.method} ${r.url}`);
    for (const r of ROUTES) expect(seen).toContain(`${r.method} ${API_PREFIX}${r.path}`);
    expect(api.app.registeredRoutes.every((r) => isMethod(r.method))).toBe(true);
  });

  it('marks exactly healthz, readyz, openapi.json, the acknowledgment page, the signed inbound webhooks and signing in public', () => {
    const pub = api.app.registeredRoutes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`).sort();
    expect(pub).toEqual([...[...PUBLIC, ...WEB].flatMap((u) => [`GET ${u}`, `HEAD ${u}`]), 'GET /ack/:token', 'HEAD /ack/:token', 'POST /ack/:token', ...SIGNED.map((u) => `POST ${u}`), ...Object.keys(SIGN_IN)].sort());
  });

  it('answers 401 CL_UNAUTHENTICATED on every other route, without a token or with a bad one, and writes nothing', async () => {
    const before = await api.auditCount();
    const checked: string[] = [];
    for (const r of api.app.registeredRoutes) {
      if (!isMethod(r.method)) continue;
      const url = r.url.replace(/:[A-Za-z0-9_]+/g, 'X-0001').replace('*', 'X-0001');
      const body = r.method === 'POST' ? {} : undefined;
      if (r.public && SIGNED.includes(r.url)) {
        const res = await api.request(null, r.method, url, body, { authorization: 'Bearer clt_forged' });
        expect(res.statusCode, `${r.method} ${r.url} unsigned`).toBe(401);
        continue;
      }
      const signIn = SIGN_IN[`${r.method} ${r.url}`];
      if (r.public && signIn !== undefined) {
        const res = await api.request(null, r.method, url);
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(signIn);
        continue;
      }
      if (r.public) {
        const res = WEB.includes(r.url) ? await api.app.inject({ method: r.method, url }) : await api.request(null, r.method, url);
        // a made-up acknowledgment link is no link: refused as such, never as unauthenticated
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(r.url.startsWith('/ack/') || r.url === '/assets/*' ? 404 : 200);
        continue;
      }
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer clt_forged' }];
      for (const headers of attempts) {
        const res = await api.request(null, r.method, url, body, headers);
        expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(401);
        if (r.method !== 'HEAD') expect(res.json()).toMatchObject({ code: 'CL_UNAUTHENTICATED' });
      }
      checked.push(`${r.method} ${r.url}`);
    }
    // Every table operation, plus the HEAD twins of its GETs, the session's own routes and the Prometheus scrape.
    expect(checked.length).toBe(ROUTES.length + ROUTES.filter((r) => r.method === 'GET').length + SESSION_ROUTES.length + 2);
    expect(checked).toEqual(expect.arrayContaining(['GET /metrics', 'HEAD /metrics']));
    for (const headers of [{}, { authorization: 'Bearer clt_forged' }]) expect((await api.app.inject({ method: 'GET', url: '/metrics', headers })).statusCode).toBe(401);
    for (const r of SESSION_ROUTES) expect(checked).toContain(r);
    expect(await api.auditCount()).toBe(before);
  });

  it('refuses a forged or ended session cookie on every private route (401), and a real one without its CSRF token on every POST (403), writing nothing', async () => {
    await setPassword(api.tc.ctx, { actor: 'admin' }, { name: 'lead', password: 'correct horse battery' });
    const signIn = await api.request(null, 'POST', '/session', { name: 'lead', password: 'correct horse battery' });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const cookie = signIn.cookies.find((c) => c.name === 'closeloop_session');
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const before = await api.auditCount();
    let posts = 0;
    for (const r of api.app.registeredRoutes) {
      if (r.public || !isMethod(r.method)) continue;
      const url = r.url.replace(/:[A-Za-z0-9_]+/g, 'X-0001');
      const body = r.method === 'POST' ? {} : undefined;
      const forged = await api.request(null, r.method, url, body, { cookie: 'closeloop_session=forged-session-id' });
      expect(forged.statusCode, `${r.method} ${r.url} forged cookie`).toBe(401);
      if (r.method !== 'POST') continue;
      const noCsrf = await api.request(null, r.method, url, body, { cookie: `closeloop_session=${cookie?.value ?? ''}` });
      expect(noCsrf.statusCode, `${r.method} ${r.url} without CSRF token`).toBe(403);
      expect(noCsrf.json()).toMatchObject({ code: 'CL_FORBIDDEN', message: 'missing or wrong CSRF token; reload the page' });
      const wrongCsrf = await api.request(null, r.method, url, body, { cookie: `closeloop_session=${cookie?.value ?? ''}`, 'x-csrf-token': 'not-the-token' });
      expect(wrongCsrf.statusCode, `${r.method} ${r.url} with a wrong CSRF token`).toBe(403);
      posts += 1;
    }
    expect(posts).toBe(ROUTES.filter((r) => r.method === 'POST').length + 1);
    expect(await api.auditCount()).toBe(before);
  });

  it('is private by default: a route added without `public` needs a token too', async () => {
    const app = await buildServer(api.tc.ctx);
    app.get(`${API_PREFIX}/added-later`, async () => ({ secret: true }));
    expect((await app.inject({ method: 'GET', url: `${API_PREFIX}/added-later` })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: `${API_PREFIX}/added-later`, headers: { authorization: `Bearer ${api.tokens.auditor ?? ''}` } });
    expect(ok.statusCode).toBe(200);
    await app.close();
  });
});
