/**
 * The ticket systems' configuration: `delivery.jira`, `delivery.servicenow` and
 * `tickets.status_map`. Credentials and inbound secrets are secret references (`env:NAME`), so
 * closeloop.yaml, the store and the logs never hold them; a route names a Jira project or a
 * ServiceNow assignment group, never a credential.
 */
import { z } from 'zod';
import { TICKET_ITEM_STATES, TICKET_SYSTEMS, type TicketItemState, type TicketSystem } from '../domain/tickets.js';
import { secretRef } from './secrets.js';

export { TICKET_ITEM_STATES, TICKET_SYSTEMS, type TicketItemState, type TicketSystem };

/** A Jira project key, as a `jira` route's address: `SEC`, `VULN_2`. */
export const JIRA_PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,49}$/;

const baseUrl = z
  .string()
  .url('a base URL such as https://example.atlassian.net')
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const label = z.string().regex(/^[^\s]{1,255}$/, 'a label without spaces');

export const jiraConfigSchema = z.strictObject({
  /** The site, e.g. https://example.atlassian.net. */
  url: baseUrl,
  /** The account the API token belongs to (Basic auth user): an address, or a secret reference. */
  email: z.string().min(1, 'the Atlassian account email (or env:NAME)'),
  api_token: secretRef,
  issue_type: z.string().min(1).default('Task'),
  /** Labels every issue gets besides closeloop's own. */
  labels: z.array(label).default([]),
  /** Whether report-outs sent to a role routed to jira become issues too (else only remediation items do). */
  reportout: z.boolean().default(true),
  /** Secret of the Jira admin webhook: its requests are signed (`X-Hub-Signature: sha256=…`). */
  webhook_secret: secretRef.optional(),
});
export type JiraConfig = z.infer<typeof jiraConfigSchema>;

export const servicenowConfigSchema = z
  .strictObject({
    /** The instance, e.g. https://example.service-now.com. */
    url: baseUrl,
    /** The table records are created in: `incident` (default), `sn_vul_vulnerable_item`, `task`, … */
    table: z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'a table name such as incident').default('incident'),
    /** Basic auth: user and password (a secret reference); or `token` for a bearer token. */
    user: z.string().min(1).optional(),
    password: secretRef.optional(),
    token: secretRef.optional(),
    reportout: z.boolean().default(true),
    /** Shared secret the instance's outbound REST message sends in `X-Closeloop-Secret`. */
    inbound_secret: secretRef.optional(),
  })
  .refine((s) => (s.token !== undefined) !== (s.user !== undefined && s.password !== undefined), {
    message: 'either user and password, or token (a secret reference)',
    path: ['token'],
  });
export type ServiceNowConfig = z.infer<typeof servicenowConfigSchema>;

/** Jira: status name first, then status category key (`new`, `indeterminate`, `done`). */
export const DEFAULT_JIRA_STATUS_MAP: Readonly<Record<string, TicketItemState>> = { new: 'open', indeterminate: 'in_progress', done: 'resolved' };

/** ServiceNow incident states: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed (8 Canceled is left alone). */
export const DEFAULT_SERVICENOW_STATUS_MAP: Readonly<Record<string, TicketItemState>> = { '1': 'open', '2': 'in_progress', '3': 'in_progress', '6': 'resolved', '7': 'resolved' };

const statusMap = z.record(z.string().min(1), z.enum(TICKET_ITEM_STATES));

/** `tickets`: how an external status maps to a remediation status (entries merge over the defaults). */
export const ticketsConfigSchema = z
  .strictObject({
    status_map: z
      .strictObject({
        jira: statusMap.default({}),
        servicenow: statusMap.default({}),
      })
      .prefault({}),
  })
  .prefault({});
export type TicketsConfig = z.infer<typeof ticketsConfigSchema>;

/** The status map of a system: the configured entries over the documented defaults. */
export function statusMapOf(cfg: TicketsConfig, system: TicketSystem): Readonly<Record<string, TicketItemState>> {
  const defaults = system === 'jira' ? DEFAULT_JIRA_STATUS_MAP : DEFAULT_SERVICENOW_STATUS_MAP;
  return { ...defaults, ...cfg.status_map[system] };
}

/** A config problem of a route to a configured ticket system: a jira route must name a project key (an unconfigured system is a route problem of config/channels.ts). */
export function ticketRouteProblem(route: { channel: string; address: string }): string | null {
  if (route.channel === 'jira' && !JIRA_PROJECT_KEY.test(route.address)) return `a jira route's address is a Jira project key such as SEC (got ${JSON.stringify(route.address)})`;
  return null;
}

/**
 * Whether a report-out goes to this route: ticket routes only when their system's `reportout` is
 * on (the role is still reached through its other routes; remediation items become tickets either way).
 */
export function reportsOutTo(route: { channel: string }, delivery: { jira?: JiraConfig | undefined; servicenow?: ServiceNowConfig | undefined }): boolean {
  if (route.channel === 'jira') return delivery.jira?.reportout ?? true;
  if (route.channel === 'servicenow') return delivery.servicenow?.reportout ?? true;
  return true;
}

/** True for the channels that open tickets. */
export function isTicketChannel(channel: string): channel is TicketSystem {
  return (TICKET_SYSTEMS as readonly string[]).includes(channel);
}
