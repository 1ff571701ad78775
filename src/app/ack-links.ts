/**
 * One-click acknowledgment links: `<server.public_url>/ack/<token>`, where the token is an
 * HMAC-SHA256-signed statement "role R may acknowledge revision V of incident I's report-out until
 * T". Every server shares the key (`server.ack_key`, a secret reference), so any of them accepts a
 * link another built; the link's id makes it single use (`ack_link_uses`). Links are signed when
 * the dispatcher hands a message to its channel and are never stored: a reader of the store holds
 * no link that works. See docs/decisions/ack-links.md.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eventOf } from '../delivery/outbox.js';
import { isClosed } from '../domain/incident.js';
import { isClError } from '../errors.js';
import { ackLinkUsedAt, findAcknowledgment, useAckLink } from '../store/repositories/acknowledgments.js';
import { findIncident } from '../store/repositories/incidents.js';
import { reportOutToRole } from '../store/repositories/notifications.js';
import type { AckVia, Acknowledgment } from '../store/schema.js';
import { inTransaction, isoNow, type AppContext, type Caller } from './context.js';
import { eventIncident } from './outbox.js';
import { recordAcknowledgment, type ReportOutLine } from './reportout.js';

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

/**
 * What an acknowledgment link stands for now: `open` (one click acknowledges), `done` (this click
 * did), or why it does not work — `forged` (not signed by this deployment's key), `expired`,
 * `used`, `acknowledged` (someone already acknowledged for the role), `superseded` (a later
 * revision asks the role again), `closed` (the incident is closed), `disabled` (no key configured).
 */
export type LinkState = 'open' | 'done' | 'forged' | 'expired' | 'used' | 'acknowledged' | 'superseded' | 'closed' | 'disabled';

/** The page of a link: its state, a sentence saying it, and what is being acknowledged. */
export interface AckLinkView {
  state: LinkState;
  message: string;
  incident?: { id: string; title: string; severity: string; state: string };
  role?: string;
  revision?: number;
  /** The report-out lines the role was sent in that revision. */
  lines?: ReportOutLine[];
  acknowledgment?: Pick<Acknowledgment, 'actor' | 'at' | 'revision'> & { via?: AckVia | null };
}

/** Who acknowledges by link: the link stands for the role, not for a person (see docs/decisions/ack-links.md). */
export const linkCaller = (role: string): Caller => ({ actor: `link:${role}` });

const REFUSED: Record<Exclude<LinkState, 'open' | 'done'>, string> = {
  forged: 'This acknowledgment link is not valid. Ask the incident lead for a new message, or use `closeloop ack`.',
  expired: 'This acknowledgment link has expired. Use `closeloop ack` or ask the incident lead to send the report-out again.',
  used: 'This acknowledgment link was already used.',
  acknowledged: 'The report-out was already acknowledged for this role.',
  superseded: 'A newer revision of the report-out asks this role again; use the link in the newer message.',
  closed: 'The incident is closed; there is nothing left to acknowledge.',
  disabled: 'Acknowledgment links are not enabled on this server.',
};

const refused = (state: Exclude<LinkState, 'open' | 'done'>, extra: Partial<AckLinkView> = {}): AckLinkView => ({ ...extra, state, message: REFUSED[state] });

/** Reads a link without using it (GET of the page: mail scanners that fetch links acknowledge nothing). */
export async function viewAckLink(ctx: AppContext, token: string): Promise<AckLinkView> {
  if (ctx.ackKey === undefined) return refused('disabled');
  const link = verifyAckToken(ctx.ackKey, token, ctx.now());
  if (typeof link === 'string') return refused(link);
  const db = ctx.store.db;
  const inc = await findIncident(db, link.incident);
  if (inc === undefined) return refused('forged');
  const sent = await reportOutToRole(db, inc.id, link.role);
  const ofRevision = sent.find((m) => m.revision === link.revision && m.event !== null);
  const lines = (ofRevision === undefined ? undefined : eventOf(ofRevision)?.lines) ?? [];
  const about: Partial<AckLinkView> = { incident: eventIncident(inc), role: link.role, revision: link.revision, lines };
  if (await ackLinkUsedAt(db, link.id)) return refused('used', about);
  if (isClosed(inc.state)) return refused('closed', about);
  const ack = await findAcknowledgment(db, inc.id, link.role);
  if (ack) return refused('acknowledged', { ...about, acknowledgment: ack });
  if (sent.reduce((m, x) => Math.max(m, x.revision), 0) !== link.revision) return refused('superseded', about);
  return { ...about, state: 'open', message: `Acknowledge receipt of the IR-6(2) report-out of ${inc.id} (revision ${link.revision}) for role ${link.role}.` };
}

/**
 * Acknowledges by link (POST of the page): the link is marked used and the acknowledgment
 * recorded in one transaction, as `link:<role>` with `via: link`, audited; a link that does not
 * work changes nothing and says why.
 */
export async function acknowledgeByLink(ctx: AppContext, token: string): Promise<AckLinkView> {
  const before = await viewAckLink(ctx, token);
  if (before.state !== 'open' || ctx.ackKey === undefined) return before;
  const link = verifyAckToken(ctx.ackKey, token, ctx.now());
  if (typeof link === 'string') return refused(link);
  try {
    const ack = await inTransaction(ctx, async (trx) => {
      if (!(await useAckLink(trx, { token_id: link.id, incident_id: link.incident, role: link.role, revision: link.revision, used_at: isoNow(ctx) }))) return null;
      return recordAcknowledgment(trx, ctx, linkCaller(link.role), { incident: link.incident, role: link.role, comment: null, via: 'link', revision: link.revision });
    });
    if (ack === null) return refused('used', before);
    return { ...before, state: 'done', message: `Acknowledged: ${link.incident} revision ${ack.revision} for role ${link.role}, at ${ack.at}.`, acknowledgment: ack };
  } catch (err) {
    // another acknowledgment, a new revision or a close committed between the page and the click
    if (isClError(err) && (err.code === 'CL_CONFLICT' || err.code === 'CL_RULE_REFUSED')) return viewAckLink(ctx, token);
    throw err;
  }
}
