/**
 * What the ticket channels share with the status sync: the status a ticket has in its system, and
 * a client that reads it.
 */
import type { TicketSystem } from '../../config/tickets.js';
import { isSecretRef, resolveSecret } from '../../config/secrets.js';

/** A ticket's status as its system says it: Jira's status name and category key; ServiceNow's state value. */
export interface ExternalStatus {
  name: string;
  category?: string;
}

/** Reads a ticket's current status from its system (for `closeloop tickets sync`). */
export interface TicketClient {
  readonly system: TicketSystem;
  status(ticket: { key: string; external_id: string }): Promise<ExternalStatus>;
}

/** The environment secrets are read from (a process's, or a test's). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A value that may be written literally or as a secret reference (an account name, say). */
export function plainOrSecret(value: string, env: Env, key: string): string {
  return isSecretRef(value) ? resolveSecret(value, { ...env }, key) : value;
}
