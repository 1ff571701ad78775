/**
 * `jira`: each message becomes an issue in the Jira Cloud project its route names (REST v3), with
 * the description in Atlassian Document Format. The issue carries a label derived from the
 * message's idempotency key; before creating, the channel searches for that label, so a retry
 * after a lost answer (or a dispatcher killed mid-attempt) finds the issue the first attempt made
 * instead of opening a second one.
 */
import { resolveSecret } from '../../config/secrets.js';
import type { JiraConfig } from '../../config/tickets.js';
import type { Channel, DeliveryProof } from '../channel.js';
import { messageToAdf, type AdfDoc } from '../render/adf.js';
import { basicAuth, clip, field, oneLine, requestJson, requiredText, ticketTag } from './ticket-http.js';
import { plainOrSecret, type Env, type ExternalStatus, type TicketClient } from './ticket-system.js';

/** Jira's limits on an issue summary and on the text of a description. */
const SUMMARY_MAX = 255;
const DESCRIPTION_MAX = 32_000;

/** `delivery.jira` with its secrets resolved: what the channel and the status sync use. */
export interface JiraSettings {
  url: string;
  authorization: string;
  issueType: string;
  labels: readonly string[];
}

/** Resolves `delivery.jira`'s references from the environment (an unset variable is a config error naming the key). */
export function jiraSettings(cfg: JiraConfig, env: Env): JiraSettings {
  const email = plainOrSecret(cfg.email, env, 'delivery.jira.email');
  const token = resolveSecret(cfg.api_token, { ...env }, 'delivery.jira.api_token');
  return { url: cfg.url, authorization: basicAuth(email, token), issueType: cfg.issue_type, labels: cfg.labels };
}

/** An issue as the channel knows it: key, id and browse link. */
export interface JiraIssue {
  key: string;
  id: string;
  url: string;
}

/** What creating an issue takes. */
export interface NewJiraIssue {
  project: string;
  summary: string;
  description: AdfDoc;
  labels: readonly string[];
}

/** The Jira Cloud REST v3 calls closeloop makes. */
export class JiraClient implements TicketClient {
  readonly system = 'jira' as const;

  constructor(private readonly s: JiraSettings) {}

  private browse(key: string): string {
    return `${this.s.url}/browse/${encodeURIComponent(key)}`;
  }

  /** The issue carrying `label`, if one exists (the enhanced JQL search, `GET /rest/api/3/search/jql`). */
  async findByLabel(label: string): Promise<JiraIssue | null> {
    const q = new URLSearchParams({ jql: `labels = "${label}"`, fields: 'status', maxResults: '1' });
    const { body } = await requestJson('jira', `${this.s.url}/rest/api/3/search/jql?${q.toString()}`, { method: 'GET', authorization: this.s.authorization });
    const issues = field(body, 'issues');
    const first: unknown = Array.isArray(issues) ? issues[0] : undefined;
    if (first === undefined) return null;
    const key = requiredText('jira', first, 'key');
    return { key, id: requiredText('jira', first, 'id'), url: this.browse(key) };
  }

  /** Creates an issue (`POST /rest/api/3/issue`). */
  async create(issue: NewJiraIssue): Promise<JiraIssue & { status: number }> {
    const fields = {
      project: { key: issue.project },
      issuetype: { name: this.s.issueType },
      summary: issue.summary,
      description: issue.description,
      labels: [...issue.labels],
    };
    const { status, body } = await requestJson('jira', `${this.s.url}/rest/api/3/issue`, { method: 'POST', authorization: this.s.authorization, body: { fields } });
    const key = requiredText('jira', body, 'key');
    return { key, id: requiredText('jira', body, 'id'), url: this.browse(key), status };
  }

  /** An issue's status name and category key (`GET /rest/api/3/issue/{key}?fields=status`). */
  async status(ticket: { key: string; external_id: string }): Promise<ExternalStatus> {
    const { body } = await requestJson('jira', `${this.s.url}/rest/api/3/issue/${encodeURIComponent(ticket.key)}?fields=status`, { method: 'GET', authorization: this.s.authorization });
    const name = requiredText('jira', body, 'fields', 'status', 'name');
    const category = field(body, 'fields', 'status', 'statusCategory', 'key');
    return typeof category === 'string' ? { name, category } : { name };
  }
}

/** One line, at most Jira's summary length. */
export function summaryOf(subject: string): string {
  return oneLine(subject, SUMMARY_MAX);
}

/** The Jira channel over a client: finds the message's issue by its label, else creates it. */
export function jiraChannel(settings: JiraSettings): Channel {
  const client = new JiraClient(settings);
  return {
    async deliver(m): Promise<DeliveryProof> {
      const n = m.notification;
      const tag = ticketTag(n.idempotency_key);
      const found = await client.findByLabel(tag);
      if (found !== null) {
        return { messageId: found.key, status: 200, response: `found ${found.key} (labelled ${tag}) ${found.url}`, ticket: { system: 'jira', ...found } };
      }
      const made = await client.create({
        project: n.address,
        summary: summaryOf(n.subject),
        description: messageToAdf({ notification: { ...n, body: clip(n.body, DESCRIPTION_MAX) }, event: m.event }),
        labels: ['closeloop', tag, ...settings.labels],
      });
      return {
        messageId: made.key,
        status: made.status,
        response: `created ${made.key} ${made.url}`,
        ticket: { system: 'jira', key: made.key, id: made.id, url: made.url },
      };
    },
  };
}
