import type { Transaction } from 'kysely';
import { appendAudit, type AuditInput } from '../audit/chain.js';
import type { Config } from '../config/schema.js';
import { isAllowed, type Action } from '../domain/policy.js';
import { ClError } from '../errors.js';
import type { Store } from '../store/db.js';
import { bumpCounter } from '../store/counters.js';
import type { Database } from '../store/schema.js';

/** Everything a use case needs, passed explicitly: no globals, clock injected. */
export interface AppContext {
  store: Store;
  config: Config;
  /** Path of closeloop.yaml, for the use cases that edit the people directory. */
  configPath: string;
  now: () => Date;
}

export type Trx = Transaction<Database>;

/** Who is acting. Roles come from the people directory, never from the caller's say-so. */
export interface Caller {
  actor: string;
}

export function rolesOf(ctx: AppContext, actor: string): readonly string[] {
  return ctx.config.people[actor] ?? [];
}

/** Refuses unless the caller's roles allow `action`; an unknown actor is told how to be added. */
export function authorize(ctx: AppContext, caller: Caller, action: Action): void {
  const roles = rolesOf(ctx, caller.actor);
  if (!(caller.actor in ctx.config.people)) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} is not in the people directory; an admin can add them with \`closeloop people add ${caller.actor} --roles ROLE\``, { actor: caller.actor, action });
  }
  if (!isAllowed(roles, action)) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} (roles: ${roles.join(', ') || 'none'}) may not ${action}`, { actor: caller.actor, action, roles });
  }
}

export const isoNow = (ctx: AppContext): string => ctx.now().toISOString();
export const today = (ctx: AppContext): string => ctx.now().toISOString().slice(0, 10);

/** Runs `fn` as one transaction: rows, audit events and outbox messages commit together or not at all. */
export async function inTransaction<T>(ctx: AppContext, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return ctx.store.db.transaction().execute(fn);
}

export async function audit(trx: Trx, ctx: AppContext, caller: Caller, e: Omit<AuditInput, 'at' | 'actor'>): Promise<void> {
  await appendAudit(trx, { ...e, at: isoNow(ctx), actor: caller.actor });
}

/** Next value of a named counter, inside the transaction (row lock on PostgreSQL). */
export function nextCounter(trx: Trx, name: string): Promise<number> {
  return bumpCounter(trx, name);
}

/** A short readable id such as `WK-0007`. */
export async function nextId(trx: Trx, prefix: string): Promise<string> {
  const n = await nextCounter(trx, `id:${prefix}`);
  return `${prefix}-${String(n).padStart(4, '0')}`;
}
