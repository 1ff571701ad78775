import { describe, expect, it } from 'vitest';
import { subscribersOf } from '../../src/config/channels.js';
import { defaultConfig, validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';
import { ClError } from '../../src/errors.js';

type Raw = Record<string, unknown>;

/** The default configuration with `edit` applied (plain JSON, as a file would give). */
function raw(edit: (c: { routing: { roles: Raw; services: Raw }; delivery: Raw }) => void): Raw {
  const c = structuredClone(defaultConfig()) as { routing: { roles: Raw; services: Raw }; delivery: Raw };
  edit(c);
  return c;
}

function problems(c: Raw): string[] {
  try {
    validateConfig(c, 'closeloop.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ClError);
    return ((err as ClError).details as { problems: string[] }).problems;
  }
  return [];
}

const slack = { endpoints: { alerts: { url: 'env:SLACK_ALERTS_URL' } } };
const webhook = { endpoints: { siem: { url: 'https://siem.example.org/hooks', secret: 'env:SIEM_SECRET' } } };
const email = { url: 'smtp://mail.example.org:587', from: 'closeloop@example.org', user: 'env:SMTP_USER', password: 'env:SMTP_PASSWORD' };

describe('routes checked at start', () => {
  it('the default configuration (file routes only) is valid and is version 2', () => {
    expect(problems(raw(() => {}))).toEqual([]);
    expect(validateConfig(raw(() => {}), 'x').version).toBe(2);
  });

  it('a version 1 file with file routes only still loads', () => {
    const c = raw(() => {});
    c.version = 1;
    expect(problems(c)).toEqual([]);
  });

  it.each([
    ['email', { channel: 'email', address: 'owner@example.org' }, 'routing.roles.service_owner[0].channel: email is not configured (add delivery.email)'],
    ['webhook', { channel: 'webhook', address: 'siem' }, 'routing.roles.service_owner[0].channel: webhook is not configured (add delivery.webhook)'],
    ['slack', { channel: 'slack', address: 'alerts' }, 'routing.roles.service_owner[0].channel: slack is not configured (add delivery.slack)'],
    ['teams', { channel: 'teams', address: 'soc' }, 'routing.roles.service_owner[0].channel: teams is not configured (add delivery.teams)'],
    ['jira', { channel: 'jira', address: 'SEC' }, 'routing.roles.service_owner[0].channel: jira is not configured (add delivery.jira)'],
  ])('a route to %s without its delivery section is an error naming the key', (_name, route, message) => {
    expect(problems(raw((c) => (c.routing.roles.service_owner = [route])))).toContain(message);
  });

  it('a per-service override is checked too', () => {
    const p = problems(raw((c) => (c.routing.services = { payments: { service_owner: [{ channel: 'file', address: './x' }, { channel: 'email', address: 'pay@example.org' }] } })));
    expect(p).toContain('routing.services.payments.service_owner[1].channel: email is not configured (add delivery.email)');
  });

  it('a route naming an endpoint that is not defined is an error naming it', () => {
    const p = problems(
      raw((c) => {
        c.delivery.slack = slack;
        c.routing.roles.ir_lead = [{ channel: 'slack', address: 'alert' }];
      }),
    );
    expect(p).toEqual(['routing.roles.ir_lead[0].address: endpoint alert is not defined (add delivery.slack.endpoints.alert)']);
  });

  it('a URL as a slack, teams or webhook address is refused, pointing to config migrate', () => {
    const p = problems(
      raw((c) => {
        c.delivery.slack = slack;
        c.routing.roles.ir_lead = [{ channel: 'slack', address: 'https://hooks.slack.com/services/T0/B0/X' }];
      }),
    );
    expect(p[0]).toMatch(/^routing\.roles\.ir_lead\[0\]\.address: .*not a URL.*closeloop config migrate/);
    expect(p.join('\n')).not.toContain('hooks.slack.com');
  });

  it('a literal secret where a reference is required is refused without echoing it', () => {
    const p = problems(
      raw((c) => {
        c.delivery.slack = { endpoints: { alerts: { url: 'https://hooks.slack.com/services/T0/B0/SECRET' } } };
        c.delivery.email = { ...email, password: 'hunter2' };
      }),
    );
    expect(p).toContain('delivery.slack.endpoints.alerts.url: a secret reference env:NAME (the secret itself goes in the environment variable NAME)');
    expect(p.some((x) => x.startsWith('delivery.email.password: a secret reference'))).toBe(true);
    expect(p.join('\n')).not.toMatch(/SECRET|hunter2/);
  });

  it('an email route whose address is not a mailbox is refused', () => {
    const p = problems(
      raw((c) => {
        c.delivery.email = email;
        c.routing.roles.ir_lead = [{ channel: 'email', address: 'the ops team' }];
      }),
    );
    expect(p).toEqual(['routing.roles.ir_lead[0].address: an email address, e.g. web-team@example.org']);
  });

  it('credentials in the SMTP URL are refused', () => {
    const p = problems(raw((c) => (c.delivery.email = { ...email, url: 'smtp://bob:pw@mail.example.org:587' })));
    expect(p[0]).toMatch(/^delivery\.email\.url: /);
  });

  it('a subscription naming an endpoint that is not defined is an error', () => {
    const p = problems(raw((c) => (c.delivery.webhook = { ...webhook, subscriptions: [{ endpoint: 'soar', events: ['reportout.sent'] }] })));
    expect(p).toEqual(['delivery.webhook.subscriptions[0].endpoint: endpoint soar is not defined (add delivery.webhook.endpoints.soar)']);
  });

  it('configured channels with defined endpoints are valid', () => {
    const c = raw((c) => {
      c.delivery.email = email;
      c.delivery.slack = slack;
      c.delivery.webhook = webhook;
      c.delivery.teams = { endpoints: { soc: { url: 'env:TEAMS_SOC_URL' } } };
      c.routing.roles.service_owner = [{ channel: 'email', address: 'owner@example.org' }, { channel: 'slack', address: 'alerts' }];
      c.routing.roles.ir_lead = [{ channel: 'teams', address: 'soc' }, { channel: 'webhook', address: 'siem' }];
    });
    expect(problems(c)).toEqual([]);
  });
});

describe('channels built at start from the environment', () => {
  const config = (): Config =>
    validateConfig(
      raw((c) => {
        c.delivery.email = email;
        c.delivery.slack = slack;
        c.delivery.webhook = { ...webhook, subscriptions: [{ endpoint: 'siem', events: ['reportout.sent', 'ack.recorded'] }, { endpoint: 'siem', events: ['*'] }] };
      }),
      'x',
    );
  const env = { SMTP_USER: 'u', SMTP_PASSWORD: 'p', SLACK_ALERTS_URL: 'https://hooks.example/x', SIEM_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };

  it('every configured channel is built, file always', () => {
    expect(Object.keys(channelsFromConfig(config(), env, '/tmp/x/closeloop.yaml')).sort()).toEqual(['email', 'file', 'slack', 'webhook']);
  });

  it.each([
    ['SMTP_PASSWORD', 'delivery.email.password'],
    ['SLACK_ALERTS_URL', 'delivery.slack.endpoints.alerts.url'],
    ['SIEM_SECRET', 'delivery.webhook.endpoints.siem.secret'],
  ])('an unset %s is an error naming the key and the variable', (variable, key) => {
    const without: Record<string, string> = { ...env };
    delete without[variable];
    expect(() => channelsFromConfig(config(), without, 'closeloop.yaml')).toThrow(new RegExp(`${key.replace(/\./g, '\\.')}: environment variable ${variable} is not set`));
  });

  it('a webhook signing secret that is too short is refused without showing it', () => {
    expect(() => channelsFromConfig(config(), { ...env, SIEM_SECRET: 'whsec_c2VjcmV0' }, 'closeloop.yaml')).toThrow(/^delivery\.webhook\.endpoints\.siem\.secret: the signing secret is too short[^]*$/);
    expect(() => channelsFromConfig(config(), { ...env, SIEM_SECRET: 'whsec_c2VjcmV0' }, 'closeloop.yaml')).not.toThrow(/c2VjcmV0/);
  });

  it('subscribersOf: the webhook endpoints subscribed to an event type, once each', () => {
    expect(subscribersOf(config(), 'reportout.sent')).toEqual([{ channel: 'webhook', address: 'siem' }]);
    expect(subscribersOf(config(), 'incident.escalated')).toEqual([{ channel: 'webhook', address: 'siem' }]);
    expect(subscribersOf(validateConfig(raw(() => {}), 'x'), 'reportout.sent')).toEqual([]);
  });

  it('subscribersOf: risk.expiring, the older name, subscribes to risk.review_due; incident.closed is an event type', () => {
    const subscribed = (events: string[]) => validateConfig(raw((c) => (c.delivery.webhook = { ...webhook, subscriptions: [{ endpoint: 'siem', events }] })), 'x');
    expect(subscribersOf(subscribed(['risk.expiring']), 'risk.review_due')).toEqual([{ channel: 'webhook', address: 'siem' }]);
    expect(subscribersOf(subscribed(['risk.expiring']), 'risk.expired')).toEqual([]);
    expect(subscribersOf(subscribed(['incident.closed']), 'incident.closed')).toEqual([{ channel: 'webhook', address: 'siem' }]);
  });
});
