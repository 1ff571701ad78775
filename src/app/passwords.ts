/**
 * Passwords: scrypt hashes (Node's crypto, no extra dependency), set by an admin
 * (`closeloop people passwd NAME --password-stdin`) or by the person through a one-time link
 * (`--link`, and on the first start for the first admin). Neither a password nor its hash is ever
 * written to the audit chain or a log; setting a password ends the person's browser sessions.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../audit/canonical.js';
import { ClError } from '../errors.js';
import { findPersonRow, updatePersonRow } from '../store/repositories/people.js';
import { findPasswordLink, insertPasswordLink, revokeWebSessionsOf, usePasswordLinkRow } from '../store/repositories/sign-in.js';
import { audit, authorize, inTransaction, isoNow, type AppContext, type Caller, type Trx } from './context.js';
import { identifier, parseInput, recordInput } from './validate.js';

/** The shortest password accepted, in characters. */
export const PASSWORD_MIN_LENGTH = 12;
/** The longest, in bytes: hashing is deliberately slow, so a huge "password" is refused before it. */
export const PASSWORD_MAX_BYTES = 1024;
/** How long a set-password link works unless said otherwise. */
export const PASSWORD_LINK_HOURS = 24;

/** A password as the policy accepts it; the messages say what to do. */
export const passwordField = z
  .string()
  .refine((s) => [...s].length >= PASSWORD_MIN_LENGTH, `a password of at least ${PASSWORD_MIN_LENGTH} characters (a passphrase of a few words is easiest)`)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= PASSWORD_MAX_BYTES, `a password of at most ${PASSWORD_MAX_BYTES} bytes`)
  .refine((s) => !s.includes('\u0000'), 'a password without the character U+0000');

// scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds). Stored in each hash, so
// raising it later keeps the hashes made before working.
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const maxmem = (N: number, r: number): number => 128 * N * r * 2;

/** `scrypt$N$r$p$salt$hash` (salt and hash in base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_BYTES, { ...COST, maxmem: maxmem(COST.N, COST.r) });
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` is the one `stored` was made from; a malformed hash matches nothing. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length === 0) return false;
  const key = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | null = null;

/**
 * A hash of no one's password, verified against when a sign-in names nobody, so that an unknown
 * name costs the same time as a wrong password and the answer's timing does not say who exists.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}

/**
 * The person's row in the store, made from the directory when the store has none yet (roles as the
 * directory gives them). Refuses anyone not in the directory, or removed from it.
 */
async function activePersonRow(trx: Trx, name: string): Promise<void> {
  const row = await findPersonRow(trx, name);
  if (row === undefined || row.removed_at !== null) {
    throw new ClError('CL_NOT_FOUND', `${name} is not in the people directory; an admin can add them with \`closeloop people add ${name} --roles ROLE\``, { what: 'person', id: name });
  }
}

/** Stores the new hash and ends the person's browser sessions; the audit event says that it happened, never what it is. */
async function storePassword(trx: Trx, ctx: AppContext, caller: Caller, name: string, hash: string, via: 'admin' | 'link'): Promise<number> {
  const at = isoNow(ctx);
  await updatePersonRow(trx, name, { password_hash: hash, updated_at: at });
  const ended = await revokeWebSessionsOf(trx, name, at);
  await audit(trx, ctx, caller, { action: 'person.password_set', entityType: 'person', entityId: name, incidentId: null, state: { name, via, at, sessions_ended: ended } });
  return ended;
}

export const setPasswordInput = z.strictObject({ name: identifier('name'), password: passwordField });

/** An admin sets a person's password (`closeloop people passwd NAME --password-stdin`). */
export async function setPassword(ctx: AppContext, caller: Caller, input: z.input<typeof setPasswordInput>): Promise<{ name: string; sessions_ended: number }> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(setPasswordInput, input);
  const hash = await hashPassword(p.password);
  const ended = await inTransaction(ctx, async (trx) => {
    await activePersonRow(trx, p.name);
    return storePassword(trx, ctx, caller, p.name, hash, 'admin');
  });
  return { name: p.name, sessions_ended: ended };
}

export const passwordLinkInput = z.strictObject({
  name: identifier('name'),
  hours: z.number().int().positive().max(24 * 7, 'at most 168 hours (7 days)').optional(),
});

export interface PasswordLinkOut {
  name: string;
  /** The page that sets the password (shown once: only the token's SHA-256 is stored). */
  url: string;
  expires_at: string;
}

/** Where people open the server: server.public_url, else `fallback` (the address the server listens on). */
export function serverBase(ctx: AppContext, fallback = 'http://127.0.0.1:8080'): string {
  return (ctx.config.server.public_url ?? fallback).replace(/\/+$/, '');
}

/**
 * A one-time link with which the person sets their own password (`closeloop people passwd NAME
 * --link`): the admin never learns the password. It works once, for `hours` (default 24).
 */
export async function createPasswordLink(ctx: AppContext, caller: Caller, input: z.input<typeof passwordLinkInput>, opts: { fallbackBase?: string } = {}): Promise<PasswordLinkOut> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(passwordLinkInput, input);
  const token = randomBytes(32).toString('base64url');
  const created = ctx.now();
  const expires = new Date(created.getTime() + (p.hours ?? PASSWORD_LINK_HOURS) * 3_600_000).toISOString();
  await inTransaction(ctx, async (trx) => {
    await activePersonRow(trx, p.name);
    await insertPasswordLink(trx, { token_hash: sha256Hex(token), person: p.name, created_at: created.toISOString(), expires_at: expires, used_at: null });
    await audit(trx, ctx, caller, { action: 'person.password_link_created', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, expires_at: expires } });
  });
  return { name: p.name, url: `${serverBase(ctx, opts.fallbackBase)}/set-password?token=${token}`, expires_at: expires };
}

export const usePasswordLinkInput = z.strictObject({ token: z.string().min(1).max(128), password: passwordField });

/**
 * The person behind a set-password link chooses their password. The link works once: of two
 * uses at the same time one wins, and the other is told the link was used.
 */
export async function usePasswordLink(ctx: AppContext, input: z.input<typeof usePasswordLinkInput>): Promise<{ name: string }> {
  const p = parseInput(usePasswordLinkInput, input);
  const tokenHash = sha256Hex(p.token);
  const hash = await hashPassword(p.password);
  return inTransaction(ctx, async (trx) => {
    const link = await findPasswordLink(trx, tokenHash);
    const again = 'ask an admin for a new one (`closeloop people passwd NAME --link`)';
    if (link === undefined) throw new ClError('CL_NOT_FOUND', `this set-password link is not known; ${again}`, { what: 'password link' });
    if (link.used_at !== null) throw new ClError('CL_NOT_FOUND', `this set-password link was used already; ${again}`, { what: 'password link', state: 'used' });
    const at = isoNow(ctx);
    if (at >= link.expires_at) throw new ClError('CL_NOT_FOUND', `this set-password link expired at ${link.expires_at}; ${again}`, { what: 'password link', state: 'expired' });
    if (!(await usePasswordLinkRow(trx, tokenHash, at))) throw new ClError('CL_NOT_FOUND', `this set-password link was used already; ${again}`, { what: 'password link', state: 'used' });
    await activePersonRow(trx, link.person);
    await storePassword(trx, ctx, { actor: link.person }, link.person, hash, 'link');
    return { name: link.person };
  });
}

recordInput('password', setPasswordInput);
recordInput('set-password link', passwordLinkInput);
recordInput('password', usePasswordLinkInput);
