/**
 * `delivery.jira`, `delivery.servicenow` and `tickets.status_map` in closeloop.yaml: a ticket route
 * needs its system configured and (for Jira) a project key; credentials are secret references
 * only; the status map accepts only the statuses a ticket may set and merges over the defaults.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../src/config/load.js';
import { statusMapOf } from '../../src/config/tickets.js';
import { deepMerge } from '../helpers/context.js';

const JIRA = { url: 'https://example.atlassian.net/', email: 'bot@example.org', api_token: 'env:JIRA_TOKEN' };

const configWith = (over: Record<string, unknown>) => () => validateConfig(deepMerge(defaultConfig(), over), 'closeloop.yaml');

describe('ticket configuration', () => {
  it('accepts a jira route with delivery.jira, with defaults filled in and the URL without its trailing slash', () => {
    const cfg = configWith({ routing: { roles: { vuln_mgmt_owner: [{ channel: 'jira', address: 'SEC' }] } }, delivery: { jira: JIRA } })();
    expect(cfg.delivery.jira).toEqual({ url: 'https://example.atlassian.net', email: 'bot@example.org', api_token: 'env:JIRA_TOKEN', issue_type: 'Task', labels: [], reportout: true });
    expect(statusMapOf(cfg.tickets, 'jira')).toEqual({ new: 'open', indeterminate: 'in_progress', done: 'resolved' });
  });

  it('refuses a route to an unconfigured ticket system, naming the key', () => {
    expect(configWith({ routing: { roles: { vuln_mgmt_owner: [{ channel: 'jira', address: 'SEC' }] } } })).toThrow(/routing\.roles\.vuln_mgmt_owner\[0\]\.channel: jira is not configured \(add delivery\.jira\)/);
    expect(configWith({ routing: { services: { web: { service_owner: [{ channel: 'servicenow', address: 'Web' }] } } } })).toThrow(/routing\.services\.web\.service_owner\[0\]\.channel: servicenow is not configured \(add delivery\.servicenow\)/);
  });

  it('refuses a jira address that is not a project key', () => {
    expect(configWith({ routing: { roles: { vuln_mgmt_owner: [{ channel: 'jira', address: 'https://example.atlassian.net/SEC' }] } }, delivery: { jira: JIRA } })).toThrow(/a Jira project key such as SEC/);
  });

  it('refuses a literal API token without echoing it', () => {
    const run = configWith({ delivery: { jira: { ...JIRA, api_token: 'ATATT3xFfGF0-secret' } } });
    expect(run).toThrow(/delivery\.jira\.api_token: a secret reference env:NAME/);
    expect(() => run()).not.toThrow(/ATATT3xFfGF0/);
  });

  it('takes status map entries over the defaults, and refuses a status a ticket may not set', () => {
    const cfg = configWith({ tickets: { status_map: { jira: { "Won't Do": 'resolved', done: 'in_progress' } } } })();
    expect(statusMapOf(cfg.tickets, 'jira')).toEqual({ new: 'open', indeterminate: 'in_progress', done: 'in_progress', "Won't Do": 'resolved' });
    expect(statusMapOf(cfg.tickets, 'servicenow')['7']).toBe('resolved');
    expect(configWith({ tickets: { status_map: { jira: { done: 'verified' } } } })).toThrow(/tickets\.status_map\.jira\.done/);
  });
});
