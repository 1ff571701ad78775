/**
 * The `delivery.email|webhook|slack|teams` keys of closeloop.yaml, and the start-up check that
 * every route names a channel (and, for the HTTP channels, an endpoint) that is configured: a route
 * to a channel nobody set up would leave its messages waiting forever and the incident unclosable.
 */
import { z } from 'zod';
import { secretRef } from './secrets.js';
import { ticketRouteProblem } from './tickets.js';

/** An endpoint's name: what a route's `address` says and what a queued message records. */
export const endpointName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'an endpoint name (letters, digits, _ . -; at most 64)');

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL');

/**
 * `smtp://host:port` (STARTTLS when the server offers it) or `smtps://host:port` (TLS from the
 * start). Credentials never sit in the URL: they go in `user` and `password`, as references.
 */
const smtpUrl = z
  .string()
  .regex(/^smtps?:\/\/[^\s/@]+(:\d+)?\/?$/, 'smtp://host:port or smtps://host:port, without credentials (put them in user and password as env:NAME)');

export const emailSchema = z.object({
  /** A URL, or a reference to one (env:NAME) when the host itself is not to be written down. */
  url: z.union([smtpUrl, secretRef]),
  from: z.string().min(3, 'a sender address, e.g. closeloop@example.org'),
  user: secretRef.optional(),
  password: secretRef.optional(),
  tls: z
    .object({
      /** false accepts a server certificate nobody vouches for (a self-signed test relay): explicit only. */
      reject_unauthorized: z.boolean().default(true),
    })
    .prefault({}),
  /** How long connecting and each SMTP reply may take. */
  timeout_seconds: z.number().positive().default(30),
});

/** Events a webhook integration may subscribe to (see docs/webhooks.md). `*` is every event. */
export const WEBHOOK_EVENTS = [
  'reportout.sent',
  'handoff.sent',
  'ack.recorded',
  'ack.reminder',
  'incident.escalated',
  'incident.closed',
  'ack.overdue',
  'remediation.overdue',
  'risk.review_due',
  'risk.expiring',
  'risk.expired',
  'channel.test',
  '*',
] as const;

export const webhookEndpointSchema = z.object({
  /** The receiver's URL, or a reference to it. */
  url: z.union([httpUrl, secretRef]),
  /** The signing secret (Standard Webhooks `whsec_…`), always a reference. */
  secret: secretRef,
});

export const webhookSchema = z.object({
  endpoints: z.record(endpointName, webhookEndpointSchema),
  /** Integrations that receive events whichever role they concern. */
  subscriptions: z.array(z.object({ endpoint: endpointName, events: z.array(z.enum(WEBHOOK_EVENTS)).min(1) })).default([]),
  timeout_seconds: z.number().positive().default(15),
});

/** Slack and Teams incoming-webhook URLs are bearer secrets: a reference only. */
export const incomingWebhookSchema = z.object({
  endpoints: z.record(endpointName, z.object({ url: secretRef })),
  timeout_seconds: z.number().positive().default(15),
});

/** The channel keys this module adds under `delivery`. */
export const channelDeliveryKeys = {
  email: emailSchema.optional(),
  webhook: webhookSchema.optional(),
  slack: incomingWebhookSchema.optional(),
  teams: incomingWebhookSchema.optional(),
};

export type EmailConfig = z.infer<typeof emailSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type IncomingWebhookConfig = z.infer<typeof incomingWebhookSchema>;

/** Channels whose route address names an endpoint of `delivery.<channel>.endpoints`. */
export const ENDPOINT_CHANNELS = ['webhook', 'slack', 'teams'] as const;

interface RoutedConfig {
  routing: { roles: Record<string, { channel: string; address: string }[]>; services: Record<string, Record<string, { channel: string; address: string }[]>> };
  delivery: object;
}

/** Whether an address is written as a URL (`scheme://…`), which a route to a named endpoint must not be. */
export const looksLikeUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** One problem found in the routes: where (a key path) and what. */
export interface RouteProblem {
  path: (string | number)[];
  message: string;
}

/** `obj[key]` of a value whose shape the caller does not know (a channel section another module defines). */
function field(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  return Object.entries(obj).find(([k]) => k === key)?.[1];
}

function routeProblem(cfg: RoutedConfig, route: { channel: string; address: string }, path: (string | number)[]): RouteProblem | null {
  const { channel, address } = route;
  if (channel === 'file') return null;
  const named = (ENDPOINT_CHANNELS as readonly string[]).includes(channel);
  if (named && looksLikeUrl(address)) {
    return { path: [...path, 'address'], message: `a ${channel} route names an endpoint of delivery.${channel}.endpoints, not a URL (URLs are secrets): run \`closeloop config migrate\`` };
  }
  if (field(cfg.delivery, channel) === undefined) return { path: [...path, 'channel'], message: `${channel} is not configured (add delivery.${channel})` };
  if (channel === 'email' && !/^[^\s@<>]+@[^\s@<>]+$/.test(address)) return { path: [...path, 'address'], message: 'an email address, e.g. web-team@example.org' };
  if (!named) {
    // a ticket system's route names what the system needs (a Jira project key)
    const problem = ticketRouteProblem(route);
    return problem === null ? null : { path: [...path, 'address'], message: problem };
  }
  if (field(field(field(cfg.delivery, channel), 'endpoints'), address) === undefined) {
    return { path: [...path, 'address'], message: `endpoint ${address} is not defined (add delivery.${channel}.endpoints.${address})` };
  }
  return null;
}

/**
 * Every route (roles and per-service overrides) whose channel is not configured, or whose endpoint
 * is not defined. `file` needs no configuration; other channels (tickets) are checked for their
 * `delivery.<channel>` section only.
 */
export function routeProblems(cfg: RoutedConfig): RouteProblem[] {
  const problems: RouteProblem[] = [];
  const check = (routes: { channel: string; address: string }[], path: (string | number)[]) =>
    routes.forEach((r, i) => {
      const p = routeProblem(cfg, r, [...path, i]);
      if (p !== null) problems.push(p);
    });
  for (const [role, routes] of Object.entries(cfg.routing.roles)) check(routes, ['routing', 'roles', role]);
  for (const [service, roles] of Object.entries(cfg.routing.services)) {
    for (const [role, routes] of Object.entries(roles)) check(routes, ['routing', 'services', service, role]);
  }
  return problems;
}

/** Subscriptions naming an endpoint that is not defined. */
export function subscriptionProblems(webhook: WebhookConfig | undefined): RouteProblem[] {
  if (webhook === undefined) return [];
  return webhook.subscriptions.flatMap((s, i) =>
    s.endpoint in webhook.endpoints
      ? []
      : [{ path: ['delivery', 'webhook', 'subscriptions', i, 'endpoint'], message: `endpoint ${s.endpoint} is not defined (add delivery.webhook.endpoints.${s.endpoint})` }],
  );
}

/**
 * The webhook routes subscribed to an event type (`*` subscribes to all): the outbox queues one
 * message per route for integrations, beside the messages to the roles the event concerns.
 */
export function subscribersOf(config: { delivery: { webhook?: WebhookConfig } }, eventType: string): { channel: 'webhook'; address: string }[] {
  const subs = config.delivery.webhook?.subscriptions ?? [];
  // `risk.expiring` is the older name of `risk.review_due`
  const wants = (e: string): boolean => e === '*' || e === eventType || (e === 'risk.expiring' && eventType === 'risk.review_due');
  const names = subs.filter((s) => s.events.some(wants)).map((s) => s.endpoint);
  return [...new Set(names)].map((address) => ({ channel: 'webhook', address }));
}
