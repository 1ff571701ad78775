/**
 * The system as a caller. Background work (the server's dispatch loop) acts on no person's behalf,
 * yet the use cases it runs check permission like every other: a system caller carries the actions
 * it is granted, named here in code, instead of roles from the people directory.
 *
 * A system caller is an instance of SystemCaller, not a name: an actor spelled
 * `system:dispatcher` that arrives from outside (a `--by` flag, a token's actor) is a plain Caller,
 * looked up in the people directory like anyone, and refused there.
 */
import type { Action } from '../domain/policy.js';
import { ClError } from '../errors.js';
import { authorize, type AppContext, type Caller } from './context.js';

/** A background principal: `system:<name>` in the audit chain, allowed exactly its `grants`. */
export class SystemCaller implements Caller {
  readonly actor: string;
  readonly #grants: ReadonlySet<Action>;

  constructor(name: string, grants: readonly Action[]) {
    this.actor = `system:${name}`;
    this.#grants = new Set(grants);
    Object.freeze(this);
  }

  /** Whether this principal was granted `action`. */
  may(action: Action): boolean {
    return this.#grants.has(action);
  }
}

/** The outbox dispatcher: drains the outbox, and is the actor of every delivery outcome it audits. */
export const DISPATCHER = new SystemCaller('dispatcher', ['delivery.run']);

/**
 * The timers (acknowledgment SLAs, overdue remediation, risk review dates): they queue messages and
 * expire acceptances, with the same permission as running delivery. Its actor stays
 * `system:reminders`, the name audit chains written before the timers already hold.
 */
export const TIMERS = new SystemCaller('reminders', ['delivery.run']);

/**
 * The configuration, as the actor that records a control card version a command or the server
 * starts with (the file was edited by someone the store cannot name).
 */
export const CONFIGURATION = new SystemCaller('config', []);

/** Jira, as the actor of the status changes its issues bring back (webhook or `tickets sync`). */
export const JIRA = new SystemCaller('jira', ['tickets.apply']);

/** ServiceNow, as the actor of the status changes its records bring back. */
export const SERVICENOW = new SystemCaller('servicenow', ['tickets.apply']);

/** An anonymous scrape of `GET /metrics` when `server.metrics_public` is set: it may read the figures and nothing else. */
export const METRICS_SCRAPER = new SystemCaller('metrics', ['metrics.read']);

/**
 * `authorize` that also knows system callers: one is allowed what it was granted and nothing else
 * (whatever the people directory says of its name); anyone else is checked against the people directory and the policy.
 */
export async function authorizeCaller(ctx: Pick<AppContext, 'store'>, caller: Caller, action: Action): Promise<void> {
  if (!(caller instanceof SystemCaller)) {
    await authorize(ctx, caller, action);
    return;
  }
  if (!caller.may(action)) throw new ClError('CL_FORBIDDEN', `${caller.actor} may not ${action}`, { actor: caller.actor, action });
}
