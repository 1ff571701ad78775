/**
 * The ticket systems this configuration names, built once at start with their secrets resolved:
 * as delivery channels for the dispatcher, and as status clients for `closeloop tickets sync`.
 */
import type { Config } from '../../config/schema.js';
import type { Channel } from '../channel.js';
import { jiraChannel, jiraSettings, JiraClient } from './jira.js';
import { servicenowChannel, servicenowSettings, ServiceNowClient } from './servicenow.js';
import type { Env, TicketClient } from './ticket-system.js';

/** The `jira` and `servicenow` channels that `delivery` configures (none when it configures neither). */
export function ticketChannels(config: Config, env: Env): Record<string, Channel> {
  const channels: Record<string, Channel> = {};
  const { jira, servicenow } = config.delivery;
  if (jira !== undefined) channels.jira = jiraChannel(jiraSettings(jira, env));
  if (servicenow !== undefined) channels.servicenow = servicenowChannel(servicenowSettings(servicenow, env));
  return channels;
}

/** The status clients of the configured ticket systems. */
export function ticketClients(config: Config, env: Env): TicketClient[] {
  const clients: TicketClient[] = [];
  const { jira, servicenow } = config.delivery;
  if (jira !== undefined) clients.push(new JiraClient(jiraSettings(jira, env)));
  if (servicenow !== undefined) clients.push(new ServiceNowClient(servicenowSettings(servicenow, env)));
  return clients;
}
