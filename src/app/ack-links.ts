/**
 * One-click acknowledgment links: `<server.public_url>/ack/<token>`, where the token is an
 * HMAC-SHA256-signed statement "role R may acknowledge revision V of incident I's report-out until
 * T". Every server shares the key (`server.ack_key`, a secret reference), so any of them accepts a
 * link another built; the link's id makes it single use (`ack_link_uses`). Links are signed when
 * the dispatcher hands a message to its channel and are never stored: a reader of the store holds
 * no link that works. See docs/decisions/ack-links.md.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppContext } from './context.js';

/** What a link allows: acknowledging `revision` of `incident`'s report-out for `role`, until `expires`. */
export interface AckGrant {
  incident: string;
  role: string;
  revision: number;
  /** ISO time after which the link no longer works. */
  expires: string;
}

/** A verified link: its grant and its id (what makes it single use). */
export interface VerifiedLink extends AckGrant {
  id: string;
}

/** Why a token is not a working link. */
export type LinkProblem = 'forged' | 'expired';

const VERSION = 'a1';

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${VERSION}.${payload}`).digest();
}

/** A new token for `grant`, signed with `key`; each carries a nonce, so two tokens for one grant differ. */
export function signAckToken(key: string, grant: AckGrant): string {
  const payload = b64(JSON.stringify({ i: grant.incident, ro: grant.role, r: grant.revision, x: grant.expires, n: b64(randomBytes(9)) }));
  return `${VERSION}.${payload}.${b64(mac(key, payload))}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The grant a token carries, when `key` signed it and it has not expired at `now`; else why not.
 * The signature is checked before anything in the token is read.
 */
export function verifyAckToken(key: string, token: string, now: Date): VerifiedLink | LinkProblem {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return 'forged';
  const [, payload = '', sig = ''] = parts;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return 'forged';
  }
  if (!isRecord(claims)) return 'forged';
  const { i, ro, r, x } = claims;
  if (typeof i !== 'string' || typeof ro !== 'string' || typeof r !== 'number' || typeof x !== 'string') return 'forged';
  if (!(Date.parse(x) > now.getTime())) return 'expired';
  return { incident: i, role: ro, revision: r, expires: x, id: createHash('sha256').update(payload).digest('hex').slice(0, 32) };
}

/**
 * The link for `grant` under `server.public_url`, or undefined when links are not configured
 * (no public URL or no key): messages then ask for `closeloop ack` instead.
 */
export function ackLink(ctx: AppContext, grant: Omit<AckGrant, 'expires'>): string | undefined {
  const base = ctx.config.server.public_url;
  if (base === undefined || ctx.ackKey === undefined) return undefined;
  const expires = new Date(ctx.now().getTime() + ctx.config.server.ack_link_days * 86_400_000).toISOString();
  const token = signAckToken(ctx.ackKey, { ...grant, expires });
  return new URL(`ack/${token}`, base.endsWith('/') ? base : `${base}/`).toString();
}
