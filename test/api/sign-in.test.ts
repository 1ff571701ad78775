/**
 * Signing in to the web application on a real store (both engines): the password form and its
 * cookie, the session's life (idle and absolute timeouts on the test clock, sign-out, revocation,
 * a person removed), the CSRF token a cookie needs on every POST (a bearer token does not), the
 * rate limits of sign-in and of API tokens, set-password links, and the security headers.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordLink, setPassword } from '../../src/app/passwords.js';
import { revokeSessions } from '../../src/app/sessions.js';
import { TOKEN_LIMIT, SIGN_IN_LIMITS } from '../../src/api/hardening.js';
import { updatePersonRow } from '../../src/store/repositories/people.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const PASSWORD = 'correct horse battery staple';

interface SessionOut {
  actor: string;
  display_name: string | null;
  roles: string[];
  can: string[];
  csrf_token: string | null;
  via: string;
  expires_at: string | null;
}

function sessionCookie(res: LightMyRequestResponse): string {
  const c = res.cookies.find((k) => k.name === 'closeloop_session');
  if (c === undefined) throw new Error(`no session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return c.value;
}

describe.each(ENGINES)('signing in (%s)', (engine) => {
  let api: Api;
  let ip = 0;
  /** A fresh client address for each test, so that the sign-in limits of one test do not reach another. */
  const nextIp = (): string => `10.0.0.${String((ip += 1))}`;

  const signIn = (name: string, password: string, remoteAddress: string): Promise<LightMyRequestResponse> =>
    api.app.inject({ method: 'POST', url: '/api/v1/session', payload: { name, password }, remoteAddress });
  const withCookie = (sid: string, method: 'GET' | 'POST', url: string, opts: { csrf?: string; body?: unknown } = {}): Promise<LightMyRequestResponse> =>
    api.app.inject({
      method,
      url,
      headers: { cookie: `closeloop_session=${sid}`, ...(opts.csrf !== undefined ? { 'x-csrf-token': opts.csrf } : {}) },
      ...(opts.body !== undefined ? { payload: opts.body as Record<string, unknown> } : {}),
    });
  async function signedIn(name: string): Promise<{ sid: string; session: SessionOut }> {
    const res = await signIn(name, PASSWORD, nextIp());
    expect(res.statusCode, res.body).toBe(200);
    return { sid: sessionCookie(res), session: res.json<SessionOut>() };
  }

  beforeAll(async () => {
    api = await makeApi(engine);
    for (const name of ['lead', 'auditor', 'vm']) await setPassword(api.tc.ctx, { actor: 'admin' }, { name, password: PASSWORD });
  });
  afterAll(async () => {
    await api.close();
  });

  it('tells the web application how one signs in here', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/auth/config' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ password: true, oidc: { enabled: false, label: null } });
  });

  it('signs in with the right password: an HttpOnly, SameSite=Strict cookie for the whole site (not Secure over plain HTTP), and who is signed in', async () => {
    const res = await signIn('lead', PASSWORD, nextIp());
    expect(res.statusCode, res.body).toBe(200);
    const raw = String(res.headers['set-cookie']);
    expect(raw).toMatch(/^closeloop_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const out = res.json<SessionOut>();
    expect(out).toMatchObject({ actor: 'lead', roles: ['ir_lead'], via: 'password' });
    expect(out.can).toContain('incident.open');
    expect(out.can).not.toContain('people.manage');
    expect(out.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // the idle timeout comes first: 30 minutes from now on the test clock
    expect(out.expires_at).toBe(new Date(api.tc.clock.now().getTime() + 30 * 60_000).toISOString());

    const me = await withCookie(sessionCookie(res), 'GET', '/api/v1/session');
    expect(me.statusCode).toBe(200);
    expect(me.json<SessionOut>()).toMatchObject({ actor: 'lead', via: 'password', csrf_token: out.csrf_token });
    // the store holds the session id's hash only
    const rows = await api.tc.ctx.store.db.selectFrom('web_sessions').select('id_hash').execute();
    expect(rows.map((r) => r.id_hash)).not.toContain(sessionCookie(res));
  });

  it('answers a wrong password, an unknown name and a person without a password with the same words, and sets no cookie', async () => {
    const address = nextIp();
    for (const [name, password] of [['lead', 'not the password at all'], ['nobody', PASSWORD], ['so', PASSWORD]] as const) {
      const res = await signIn(name, password, address);
      expect(res.statusCode, `${name}: ${res.body}`).toBe(401);
      expect(res.json()).toMatchObject({ code: 'CL_UNAUTHENTICATED', message: 'user name or password is wrong' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('limits failed sign-ins per address and name: the attacker gets 429, the person signs in from another address', async () => {
    const attacker = nextIp();
    for (let i = 0; i < SIGN_IN_LIMITS.failuresPerAddressAndName; i += 1) expect((await signIn('vm', `wrong guess number ${i}`, attacker)).statusCode).toBe(401);
    const refused = await signIn('vm', PASSWORD, attacker);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'CL_RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // another name from the attacker's address is not locked by vm's failures
    expect((await signIn('auditor', PASSWORD, attacker)).statusCode).toBe(200);
    // and vm, from their own address, signs in
    expect((await signIn('vm', PASSWORD, nextIp())).statusCode).toBe(200);
  });

  it('limits sign-in attempts per address whatever the names', async () => {
    const address = nextIp();
    const codes: number[] = [];
    for (let i = 0; i <= SIGN_IN_LIMITS.attemptsPerAddress; i += 1) codes.push((await signIn(`guess${i}`, 'some wrong password', address)).statusCode);
    expect(codes.slice(0, SIGN_IN_LIMITS.attemptsPerAddress).every((c) => c === 401)).toBe(true);
    expect(codes.at(-1)).toBe(429);
  });

  it('ends a session after 30 idle minutes; a request within them keeps it going', async () => {
    const { sid } = await signedIn('auditor');
    api.tc.clock.advance({ minutes: 29 });
    expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
    api.tc.clock.advance({ minutes: 29 });
    expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
    api.tc.clock.advance({ minutes: 30 });
    const ended = await withCookie(sid, 'GET', '/api/v1/session');
    expect(ended.statusCode).toBe(401);
    expect(ended.json<{ message: string }>().message).toMatch(/session has ended/);
    // the browser is told to forget the cookie
    expect(String(ended.headers['set-cookie'])).toMatch(/^closeloop_session=; .*Expires=Thu, 01 Jan 1970/);
  });

  it('ends a session 12 hours after sign-in however busy it is, and records requests at most once a minute', async () => {
    const { sid } = await signedIn('auditor');
    const seen = async (): Promise<string[]> => (await api.tc.ctx.store.db.selectFrom('web_sessions').select('last_seen_at').where('person', '=', 'auditor').where('revoked_at', 'is', null).execute()).map((r) => r.last_seen_at);
    const before = await seen();
    api.tc.clock.advance({ seconds: 30 });
    expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
    expect(await seen()).toEqual(before);
    for (let h = 0; h < 11; h += 1) {
      api.tc.clock.advance({ minutes: 20 });
      expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
      api.tc.clock.advance({ minutes: 20 });
      expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
      api.tc.clock.advance({ minutes: 20 });
      expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(200);
    }
    expect(await seen()).not.toEqual(before);
    api.tc.clock.advance({ minutes: 60 });
    expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(401);
  });

  it('forgets sessions a day past their absolute timeout when someone signs in', async () => {
    const count = async (): Promise<number> => (await api.tc.ctx.store.db.selectFrom('web_sessions').select('id_hash').execute()).length;
    await signedIn('auditor');
    expect(await count()).toBeGreaterThan(0);
    api.tc.clock.advance({ hours: 12 + 24 + 1 });
    await signedIn('auditor');
    expect(await count()).toBe(1);
  });

  it('signs out: the session is revoked in the store and the cookie cleared (sign-out needs the CSRF token too)', async () => {
    const { sid, session } = await signedIn('lead');
    expect((await withCookie(sid, 'POST', '/api/v1/session/logout')).statusCode).toBe(403);
    const out = await withCookie(sid, 'POST', '/api/v1/session/logout', { csrf: session.csrf_token ?? '' });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^closeloop_session=;/);
    expect((await withCookie(sid, 'GET', '/api/v1/session')).statusCode).toBe(401);
    const revoked = await api.tc.ctx.store.db.selectFrom('audit_events').select('action').where('action', '=', 'session.ended').execute();
    expect(revoked.length).toBeGreaterThan(0);
  });

  it('needs the CSRF token for a POST with the cookie, and none with a bearer token', async () => {
    const { sid, session } = await signedIn('lead');
    const body = { title: 'Phishing wave', severity: 'moderate' };
    const refused = await withCookie(sid, 'POST', '/api/v1/incidents', { body });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'CL_FORBIDDEN', message: 'missing or wrong CSRF token; reload the page' });
    const opened = await withCookie(sid, 'POST', '/api/v1/incidents', { body, csrf: session.csrf_token ?? '' });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.json()).toMatchObject({ title: 'Phishing wave' });
    const byToken = await api.request('lead', 'POST', '/incidents', body);
    expect(byToken.statusCode, byToken.body).toBe(201);
    // a GET with the cookie needs no token
    expect((await withCookie(sid, 'GET', '/api/v1/incidents')).statusCode).toBe(200);
  });

  it('answers who is calling for a bearer token too (via token, no CSRF token)', async () => {
    const res = await api.request('auditor', 'GET', '/session');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ actor: 'auditor', via: 'token', csrf_token: null, expires_at: null, roles: ['auditor'] });
  });

  it('ends sessions when an admin revokes them or the person is removed', async () => {
    const a = await signedIn('vm');
    const r = await revokeSessions(api.tc.ctx, { actor: 'admin' }, { name: 'vm' });
    expect(r.sessions_ended).toBeGreaterThanOrEqual(1);
    expect((await withCookie(a.sid, 'GET', '/api/v1/session')).statusCode).toBe(401);

    const b = await signedIn('vm');
    await updatePersonRow(api.tc.ctx.store.db, 'vm', { removed_at: api.tc.clock.now().toISOString() });
    try {
      expect((await withCookie(b.sid, 'GET', '/api/v1/session')).statusCode).toBe(401);
      expect((await signIn('vm', PASSWORD, nextIp())).statusCode).toBe(401);
    } finally {
      await updatePersonRow(api.tc.ctx.store.db, 'vm', { removed_at: null });
    }
  });

  it('sets a password through a one-time link that expires; the policy asks for 12 characters', async () => {
    const link = await createPasswordLink(api.tc.ctx, { actor: 'admin' }, { name: 'grc' });
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/set-password\?token=[A-Za-z0-9_-]{43}$/);
    const token = new URL(link.url).searchParams.get('token') ?? '';
    const use = (password: string): Promise<LightMyRequestResponse> => api.app.inject({ method: 'POST', url: `/api/v1/password-links/${token}`, payload: { password }, remoteAddress: nextIp() });

    const short = await use('too short');
    expect(short.statusCode).toBe(400);
    expect(short.json<{ message: string }>().message).toMatch(/at least 12 characters/);
    expect((await use(PASSWORD)).statusCode).toBe(204);
    expect((await signIn('grc', PASSWORD, nextIp())).statusCode).toBe(200);
    const again = await use('another long password');
    expect(again.statusCode).toBe(404);
    expect(again.json<{ message: string }>().message).toMatch(/used already/);

    const late = await createPasswordLink(api.tc.ctx, { actor: 'admin' }, { name: 'grc' });
    api.tc.clock.advance({ hours: 25 });
    const expired = await api.app.inject({ method: 'POST', url: `/api/v1/password-links/${new URL(late.url).searchParams.get('token') ?? ''}`, payload: { password: 'yet another password' } });
    expect(expired.statusCode).toBe(404);
    expect(expired.json<{ message: string }>().message).toMatch(/expired/);
    const actions = (await api.tc.ctx.store.db.selectFrom('audit_events').select(['action', 'actor']).where('entity_id', '=', 'grc').execute()).map((e) => `${e.actor} ${e.action}`);
    expect(actions).toEqual(['admin person.password_link_created', 'grc person.password_set', 'admin person.password_link_created']);
  });

  it(`limits one API token to ${TOKEN_LIMIT} requests a minute (429 with retry-after); another token is not affected`, async () => {
    let last: LightMyRequestResponse | null = null;
    for (let i = 0; i <= TOKEN_LIMIT; i += 1) {
      last = await api.request('grc', 'GET', '/session');
      if (i < TOKEN_LIMIT) expect(last.statusCode).toBe(200);
    }
    expect(last?.statusCode).toBe(429);
    expect(last?.json()).toMatchObject({ code: 'CL_RATE_LIMITED' });
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect((await api.request('auditor', 'GET', '/session')).statusCode).toBe(200);
  });

  it('sends a strict Content-Security-Policy and the other security headers, no HSTS over plain HTTP, and no CORS', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/auth/config', headers: { origin: 'https://evil.example' } });
    const csp = String(res.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "style-src-attr 'unsafe-inline'", "img-src 'self' data:", "frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await api.app.inject({ method: 'OPTIONS', url: '/api/v1/incidents', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    // the acknowledgment page keeps its own, stricter policy (it has no script and no style)
    const ack = await api.app.inject({ method: 'GET', url: '/ack/not-a-link' });
    expect(ack.headers['content-security-policy']).toBe("default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });
});

describe.each(ENGINES)('over HTTPS behind a proxy, and with CORS configured (%s)', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { config: { server: { public_url: 'https://closeloop.example.org', cors: { origins: ['https://tools.example.org'] } } } });
    await setPassword(api.tc.ctx, { actor: 'admin' }, { name: 'lead', password: PASSWORD });
  });
  afterAll(async () => {
    await api.close();
  });

  it('marks the session cookie Secure and sends HSTS', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/api/v1/session', payload: { name: 'lead', password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    const link = await createPasswordLink(api.tc.ctx, { actor: 'admin' }, { name: 'lead' });
    expect(link.url.startsWith('https://closeloop.example.org/set-password?token=')).toBe(true);
  });

  it('answers CORS for the listed origin only', async () => {
    const ok = await api.app.inject({ method: 'OPTIONS', url: '/api/v1/incidents', headers: { origin: 'https://tools.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://tools.example.org');
    const get = await api.request('auditor', 'GET', '/incidents', undefined, { origin: 'https://tools.example.org' });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('https://tools.example.org');
    const other = await api.request('auditor', 'GET', '/incidents', undefined, { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
