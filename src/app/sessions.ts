/**
 * Browser sessions. A session id is 32 random bytes (base64url) held by the browser in an HttpOnly
 * cookie; the store keeps only its SHA-256. A session ends when its person signs out or is
 * signed out by an admin, after `server.session.idle_minutes` without a request, or
 * `server.session.absolute_hours` after sign-in, whatever happens; it stops working at once
 * when its person leaves the directory. Roles are read at every request, never kept in the session.
 *
 * The CSRF token of a session is an HMAC of its id (the id is the key), so every server behind a
 * load balancer derives the same token without storing it or sharing a key, and nobody without
 * the cookie can compute it (docs/decisions/sign-in.md).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../audit/canonical.js';
import { ACTIONS, isAllowed, type Action } from '../domain/policy.js';
import { ClError } from '../errors.js';
import { findPersonRow } from '../store/repositories/people.js';
import { deleteWebSessionsExpiredBefore, findWebSession, insertWebSession, revokeWebSession, revokeWebSessionsOf, touchWebSession } from '../store/repositories/sign-in.js';
import { audit, authorize, inTransaction, isPerson, isoNow, rolesOf, type AppContext, type Caller } from './context.js';
import { dummyPasswordHash, PASSWORD_MAX_BYTES, verifyPassword } from './passwords.js';
import { identifier, parseInput, recordInput } from './validate.js';

/** The cookie that carries the session id. */
export const SESSION_COOKIE = 'closeloop_session';
/** A session's last request is written at most this often (not at every request). */
export const TOUCH_EVERY_MS = 60_000;

export type SignInVia = 'password' | 'oidc';

/** A session just begun: the id goes into the cookie and nowhere else. */
export interface NewSession {
  id: string;
  actor: string;
  via: SignInVia;
  csrf_token: string;
  expires_at: string;
}

/** A live session of a request. */
export interface LiveSession {
  actor: string;
  via: SignInVia;
  /** When it ends if no request comes first: the idle timeout or the absolute one, whichever is earlier. */
  expires_at: string;
}

/** What the web application learns of whoever is signed in (`GET /api/v1/session`). */
export interface SessionOut {
  actor: string;
  display_name: string | null;
  roles: string[];
  /** Every policy action the person's roles allow. */
  can: Action[];
  /** Send it as `x-csrf-token` with every POST; null for a bearer token, which needs none. */
  csrf_token: string | null;
  via: SignInVia | 'token';
  expires_at: string | null;
}

const idHash = (id: string): string => sha256Hex(id);

/** The CSRF token of a session id. */
export function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('closeloop csrf token v1').digest('base64url');
}

/** Whether `given` is the CSRF token of the session, compared in constant time. */
export function csrfMatches(sessionId: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const want = Buffer.from(csrfTokenOf(sessionId));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

const minutes = (n: number): number => n * 60_000;

/** Begins a session for `actor` (already authenticated by a password or the identity provider). */
export async function startSession(ctx: AppContext, actor: string, via: SignInVia): Promise<NewSession> {
  const id = randomBytes(32).toString('base64url');
  const now = ctx.now();
  const expires = new Date(now.getTime() + ctx.config.server.session.absolute_hours * 3_600_000).toISOString();
  const hash = idHash(id);
  await inTransaction(ctx, async (trx) => {
    await deleteWebSessionsExpiredBefore(trx, new Date(now.getTime() - 86_400_000).toISOString());
    await insertWebSession(trx, { id_hash: hash, person: actor, via, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: expires, revoked_at: null });
    await audit(trx, ctx, { actor }, { action: 'session.started', entityType: 'web_session', entityId: hash.slice(0, 16), incidentId: null, state: { person: actor, via, expires_at: expires } });
  });
  const idle = new Date(now.getTime() + minutes(ctx.config.server.session.idle_minutes)).toISOString();
  return { id, actor, via, csrf_token: csrfTokenOf(id), expires_at: idle < expires ? idle : expires };
}

export const signInInput = z.strictObject({
  name: identifier('name'),
  password: z.string().max(PASSWORD_MAX_BYTES, `a password of at most ${PASSWORD_MAX_BYTES} bytes`),
});

/** The one answer to a failed sign-in, whoever was named: it does not say whether the person exists. */
export const WRONG_CREDENTIALS = 'user name or password is wrong';

/**
 * Signs in with a name and password. An unknown name, a removed person, a person without a
 * password and a wrong password all get the same answer after the same work (a hash is verified
 * in every case).
 */
export async function signInWithPassword(ctx: AppContext, input: z.input<typeof signInInput>): Promise<NewSession> {
  const p = parseInput(signInInput, input);
  const row = await findPersonRow(ctx.store.db, p.name);
  const usable = row !== undefined && row.password_hash !== null && row.removed_at === null;
  const ok = await verifyPassword(usable ? (row.password_hash ?? '') : await dummyPasswordHash(), p.password);
  if (!usable || !ok) throw new ClError('CL_UNAUTHENTICATED', WRONG_CREDENTIALS);
  return startSession(ctx, p.name, 'password');
}

/**
 * The live session of a session id, or null (unknown, signed out, timed out, or its person left).
 * A request more than TOUCH_EVERY_MS after the last recorded one is recorded.
 */
export async function sessionFor(ctx: AppContext, id: string): Promise<LiveSession | null> {
  if (id.length === 0 || id.length > 128) return null;
  const hash = idHash(id);
  const row = await findWebSession(ctx.store.db, hash);
  if (row === undefined || row.revoked_at !== null) return null;
  const now = ctx.now();
  const at = now.toISOString();
  if (at >= row.expires_at) return null;
  const idleMs = minutes(ctx.config.server.session.idle_minutes);
  if (now.getTime() - Date.parse(row.last_seen_at) >= idleMs) return null;
  if (!(await isPerson(ctx, row.person))) return null;
  if (now.getTime() - Date.parse(row.last_seen_at) >= TOUCH_EVERY_MS) {
    const unlessAfter = new Date(now.getTime() - TOUCH_EVERY_MS).toISOString();
    await inTransaction(ctx, (trx) => touchWebSession(trx, hash, at, unlessAfter));
  }
  const idleEnd = new Date(now.getTime() + idleMs).toISOString();
  return { actor: row.person, via: row.via, expires_at: idleEnd < row.expires_at ? idleEnd : row.expires_at };
}

/** Signs the session out (`POST /api/v1/session/logout`); nothing happens for a session already ended. */
export async function endSession(ctx: AppContext, caller: Caller, id: string): Promise<void> {
  const hash = idHash(id);
  await inTransaction(ctx, async (trx) => {
    if (await revokeWebSession(trx, hash, isoNow(ctx))) {
      await audit(trx, ctx, caller, { action: 'session.ended', entityType: 'web_session', entityId: hash.slice(0, 16), incidentId: null, state: { person: caller.actor } });
    }
  });
}

export const revokeSessionsInput = z.strictObject({ name: identifier('name') });

/** Ends every browser session of a person (`closeloop people sessions revoke NAME`); how many ended. */
export async function revokeSessions(ctx: AppContext, caller: Caller, input: z.input<typeof revokeSessionsInput>): Promise<{ name: string; sessions_ended: number }> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(revokeSessionsInput, input);
  const ended = await inTransaction(ctx, async (trx) => {
    const n = await revokeWebSessionsOf(trx, p.name, isoNow(ctx));
    await audit(trx, ctx, caller, { action: 'person.sessions_revoked', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, sessions_ended: n } });
    return n;
  });
  return { name: p.name, sessions_ended: ended };
}

/** Who is signed in, their roles and everything those allow (the web application's menus follow `can`). */
export async function describeSession(ctx: AppContext, caller: Caller, s: { via: SignInVia | 'token'; csrf_token: string | null; expires_at: string | null }): Promise<SessionOut> {
  const roles = [...(await rolesOf(ctx, caller.actor))];
  const row = await findPersonRow(ctx.store.db, caller.actor);
  return {
    actor: caller.actor,
    display_name: row?.display_name ?? null,
    roles,
    can: ACTIONS.filter((a) => isAllowed(roles, a)),
    csrf_token: s.csrf_token,
    via: s.via,
    expires_at: s.expires_at,
  };
}

recordInput('sign-in', signInInput);
recordInput('person', revokeSessionsInput);
