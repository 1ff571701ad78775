/**
 * The channels of this process, built once at start from closeloop.yaml and the environment: the
 * secrets the configuration refers to (`env:NAME`) are read here, so a variable that is not set is
 * a configuration error naming the key, before any message waits on it. Channels hold their
 * secrets in memory only; what a message records is the channel and the endpoint's name.
 */
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { isSecretRef, resolveSecret } from '../../config/secrets.js';
import { ClError } from '../../errors.js';
import type { Channel } from '../channel.js';
import { slackPayload } from '../render/slack.js';
import { teamsPayload } from '../render/teams.js';
import { emailChannel } from './email.js';
import { fileChannel } from './file.js';
import { incomingWebhookChannel } from './incoming-webhook.js';
import { signingKey, webhookChannel } from './webhook.js';
import { ticketChannels } from './tickets.js';

export { fileChannel } from './file.js';

/** A channel, and for those that can tell, a check at start that its server answers. */
export interface ConfiguredChannel extends Channel {
  verify?: () => Promise<void>;
}

/** A value that may be written as a reference: resolved when it is one, kept when it is not. */
function valueOf(value: string, env: NodeJS.ProcessEnv, key: string): string {
  return isSecretRef(value) ? resolveSecret(value, env, key) : value;
}

/** Standard Webhooks keys are 24 to 64 random bytes; a shorter one is refused (without showing it). */
function signingSecret(secret: string, key: string): string {
  if (signingKey(secret).length < 24) {
    throw new ClError('CL_CONFIG_INVALID', `${key}: the signing secret is too short: use whsec_ followed by at least 24 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`, { key });
  }
  return secret;
}

function mapEndpoints<E, T>(endpoints: Record<string, E>, build: (name: string, e: E) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, build(name, e)]));
}

/**
 * Every channel the configuration sets up (`file` always: its mailboxes sit beside
 * closeloop.yaml). Throws a CL_CONFIG_INVALID ClError naming the key and variable when a secret
 * reference's variable is not set. Nothing connects here: see `verifyChannels`.
 */
export function channelsFromConfig(config: Config, env: NodeJS.ProcessEnv, configPath: string): Record<string, ConfiguredChannel> {
  const channels: Record<string, ConfiguredChannel> = { file: fileChannel(path.dirname(path.resolve(configPath))) };
  const { email, webhook, slack, teams } = config.delivery;
  if (email !== undefined) {
    channels.email = emailChannel({
      url: valueOf(email.url, env, 'delivery.email.url'),
      from: email.from,
      ...(email.user === undefined ? {} : { user: resolveSecret(email.user, env, 'delivery.email.user') }),
      ...(email.password === undefined ? {} : { password: resolveSecret(email.password, env, 'delivery.email.password') }),
      rejectUnauthorized: email.tls.reject_unauthorized,
      timeoutMs: email.timeout_seconds * 1000,
    });
  }
  if (webhook !== undefined) {
    const endpoints = mapEndpoints(webhook.endpoints, (name, e) => ({
      url: valueOf(e.url, env, `delivery.webhook.endpoints.${name}.url`),
      secret: signingSecret(resolveSecret(e.secret, env, `delivery.webhook.endpoints.${name}.secret`), `delivery.webhook.endpoints.${name}.secret`),
    }));
    channels.webhook = webhookChannel(endpoints, webhook.timeout_seconds * 1000);
  }
  if (slack !== undefined) {
    const urls = mapEndpoints(slack.endpoints, (name, e) => resolveSecret(e.url, env, `delivery.slack.endpoints.${name}.url`));
    channels.slack = incomingWebhookChannel('slack', urls, slack.timeout_seconds * 1000, slackPayload);
  }
  if (teams !== undefined) {
    const urls = mapEndpoints(teams.endpoints, (name, e) => resolveSecret(e.url, env, `delivery.teams.endpoints.${name}.url`));
    channels.teams = incomingWebhookChannel('teams', urls, teams.timeout_seconds * 1000, teamsPayload);
  }
  // jira and servicenow (delivery/channels/tickets.ts)
  Object.assign(channels, ticketChannels(config, env));
  return channels;
}

/**
 * One warning line per channel that cannot be reached now (an SMTP server that does not answer or
 * refuses the credentials). A warning, not an error: the messages wait in the outbox until it can.
 */
export async function verifyChannels(channels: Readonly<Record<string, ConfiguredChannel>>, timeoutMs = 5000): Promise<string[]> {
  const checks = Object.entries(channels).map(async ([name, c]) => {
    if (c.verify === undefined) return null;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([c.verify(), late]);
      return null;
    } catch (err) {
      return `${name} cannot connect now (${err instanceof Error ? err.message : String(err)}): its messages wait in the outbox until it can`;
    } finally {
      clearTimeout(timer);
    }
  });
  return (await Promise.all(checks)).filter((w): w is string => w !== null);
}

/**
 * The channels available without secrets: `file` only. For callers that have no environment to
 * read (the use cases' default when the context brings no channels).
 */
export function defaultChannels(configPath: string): Record<string, Channel> {
  return { file: fileChannel(path.dirname(path.resolve(configPath))) };
}
