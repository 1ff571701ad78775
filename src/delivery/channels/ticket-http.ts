/**
 * The HTTP both ticket systems are spoken with: JSON in and out, a credential header, a timeout,
 * and a failure classified the way the outbox retries (a 5xx, 408 or 429 and a network error may
 * pass; any other 4xx will not, so the message goes to the dead letter with the reason).
 */
import { createHash } from 'node:crypto';
import { ChannelError } from '../channel.js';

/** How long one request to a ticket system may take. */
const TIMEOUT_MS = 15_000;

/** At most this much of an error answer is kept in the attempt log. */
const EXCERPT = 300;

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** Sends one request and reads its JSON answer; throws a ChannelError for any non-2xx answer. */
export async function requestJson(system: string, url: string, init: { method: 'GET' | 'POST'; authorization: string; body?: unknown }): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: init.authorization };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method: init.method, headers, body: init.body === undefined ? null : JSON.stringify(init.body), signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new ChannelError(`${system}: ${init.method} ${new URL(url).pathname} failed: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const raw = await res.text();
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new ChannelError(`${system}: ${init.method} ${new URL(url).pathname} answered ${res.status}: ${raw.slice(0, EXCERPT)}`, retryable, res.status);
  }
  try {
    return { status: res.status, body: raw === '' ? null : JSON.parse(raw) };
  } catch {
    throw new ChannelError(`${system}: ${init.method} ${new URL(url).pathname} answered ${res.status} with a body that is not JSON`, true, res.status);
  }
}

/** `Authorization: Basic …` for a user and a password or token. */
export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/**
 * The tag a ticket carries for the message that created it (a Jira label, a ServiceNow
 * correlation id): derived from the message's idempotency key, so a retry of the message looks it
 * up and finds the ticket an earlier attempt created, and no key's text leaks into the ticket system.
 */
export function ticketTag(idempotencyKey: string): string {
  return `closeloop-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
}

/** A value read from a JSON answer: an object's property, or undefined. */
export function field(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A string read from a JSON answer (numbers as text), or a ChannelError naming what was missing. */
export function requiredText(system: string, value: unknown, ...path: string[]): string {
  const v = field(value, ...path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw new ChannelError(`${system}: the answer has no ${path.join('.')}`, true);
}

/**
 * Text cut to a ticket field's length, saying so at the end: a field over the system's limit makes
 * it refuse the whole ticket, and the full text stays in closeloop.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '… (cut to fit; the full text is in closeloop)';
  return `${text.slice(0, max - note.length)}${note}`;
}

/** A subject as a ticket's one-line title: whitespace runs made one space, at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
