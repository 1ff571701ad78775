import type { Transaction } from 'kysely';
import { checkpointsSignedIn, type AuditInput } from '../audit/chain.js';
import { appendAudited } from '../audit/entity-state.js';
import type { Signer } from '../audit/signing.js';
import type { Config } from '../config/schema.js';
import type { Channel } from '../delivery/channel.js';
import { isAllowed, type Action } from '../domain/policy.js';
import { ClError } from '../errors.js';
import type { Store } from '../store/db.js';
import { bumpCounter, reserveCounter } from '../store/counters.js';
import { activeRoles } from '../store/repositories/people.js';
import type { Database, Db } from '../store/schema.js';
import { chainSigning, witnessToFile } from './audit-signing.js';

/** Everything a use case needs, passed explicitly: no globals, clock injected. */
export interface AppContext {
  store: Store;
  config: Config;
  /** Path of closeloop.yaml. */
  configPath: string;
  now: () => Date;
  /**
   * The delivery channels built at start from the configuration and the environment's secrets
   * (see channelsFromConfig); absent in contexts that deliver through `file` alone.
   */
  channels?: Readonly<Record<string, Channel>>;
  /**
   * The key acknowledgment links are signed with (`server.ack_key`, resolved from the environment
   * at start); absent when none is configured, and then messages carry no link.
   */
  ackKey?: string;
  /**
   * The audit signing key (`audit.signing_key`, read at start): it signs every appended event, the
   * checkpoints and evidence manifests. Absent when none is configured (`closeloop keys init`).
   */
  signer?: Signer;
}

export type Trx = Transaction<Database>;

/** Who is acting. Roles come from the people directory, never from the caller's say-so. */
export interface Caller {
  actor: string;
}

/** Whether `actor` is a person of the directory (in the store) who has not been removed. */
export async function isPerson(ctx: Pick<AppContext, 'store'>, actor: string, db: Db = ctx.store.db): Promise<boolean> {
  return (await activeRoles(db, actor)) !== null;
}

/**
 * The roles of `actor` as the store has them now (empty for anyone not in the directory or
 * removed): read on every call, so a change made by another process counts at once.
 */
export async function rolesOf(ctx: Pick<AppContext, 'store'>, actor: string, db: Db = ctx.store.db): Promise<readonly string[]> {
  return (await activeRoles(db, actor)) ?? [];
}

/**
 * Refuses unless the caller's roles allow `action`; an unknown actor is told how to be added.
 * Inside a transaction pass it as `db` (a SQLite store has one connection, which the transaction holds).
 */
export async function authorize(ctx: Pick<AppContext, 'store'>, caller: Caller, action: Action, db: Db = ctx.store.db): Promise<void> {
  const roles = await activeRoles(db, caller.actor);
  if (roles === null) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} is not in the people directory; an admin can add them with \`closeloop people add ${caller.actor} --roles ROLE\``, { actor: caller.actor, action });
  }
  if (!isAllowed(roles, action)) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} (roles: ${roles.join(', ') || 'none'}) may not ${action}`, { actor: caller.actor, action, roles });
  }
}

export const isoNow = (ctx: AppContext): string => ctx.now().toISOString();
export const today = (ctx: AppContext): string => ctx.now().toISOString().slice(0, 10);

/** The earlier of a date and an optional other (YYYY-MM-DD): a KEV due date wins when earlier. */
export const earliestDate = (date: string, other: string | null | undefined): string => (other != null && other < date ? other : date);

/** The calendar day `days` after `day` (YYYY-MM-DD, UTC). */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Runs `fn` as one transaction: rows, audit events and outbox messages commit together or not at
 * all. The checkpoints it signed go to the witness file once it committed.
 */
export async function inTransaction<T>(ctx: AppContext, fn: (trx: Trx) => Promise<T>): Promise<T> {
  let used: Trx | undefined;
  const result = await ctx.store.transaction((trx) => {
    used = trx;
    return fn(trx);
  });
  if (used !== undefined) await witnessToFile(ctx, checkpointsSignedIn(used));
  return result;
}

/**
 * Appends an audit event for a change, in the change's transaction. For an entity type of the
 * registry (audit/entity-state.ts) the state digested is the row as stored now, read back after the
 * write, whatever `state` says; an import, triage run, verdict or asset merge also brings the set
 * digests of findings, assets and decisions up to date. So call it after the entity's last write.
 */
export async function audit(trx: Trx, ctx: AppContext, caller: Caller, e: AuditEntry): Promise<void> {
  await auditMany(trx, ctx, caller, [e]);
}

/** What a use case says of a change for the audit chain (`audit` adds the time and the actor). */
export type AuditEntry = Omit<AuditInput, 'at' | 'actor'>;

/** `audit` for several changes, in order, in one go (see appendAuditMany). */
export async function auditMany(trx: Trx, ctx: AppContext, caller: Caller, entries: readonly AuditEntry[]): Promise<void> {
  const at = isoNow(ctx);
  await appendAudited(trx, entries.map((e) => ({ ...e, at, actor: caller.actor })), chainSigning(ctx, caller));
}

/** Next value of a named counter, inside the transaction (row lock on PostgreSQL). */
export function nextCounter(trx: Trx, name: string): Promise<number> {
  return bumpCounter(trx, name);
}

/** The short readable id of counter value `n`, such as `WK-0007`. */
export function formatId(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(4, '0')}`;
}

/** A short readable id such as `WK-0007`. */
export async function nextId(trx: Trx, prefix: string): Promise<string> {
  return formatId(prefix, await nextCounter(trx, `id:${prefix}`));
}

/** The first of `count` ids taken at once (`formatId(prefix, first + i)` for the others). */
export function reserveIds(trx: Trx, prefix: string, count: number): Promise<number> {
  return reserveCounter(trx, `id:${prefix}`, count);
}
