/**
 * The Jira channel against a real HTTP server on 127.0.0.1 that answers as Jira Cloud's REST v3
 * does: what an issue is created with (project, type, summary, ADF description, labels, Basic
 * credentials), that the label derived from the idempotency key is searched before creating, so a
 * retry after a lost answer finds the issue instead of opening a second one, and how failures are
 * classified for the outbox.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelError, type DeliveryEvent } from '../../src/delivery/channel.js';
import { jiraChannel, jiraSettings, JiraClient, summaryOf } from '../../src/delivery/channels/jira.js';
import { ticketTag } from '../../src/delivery/channels/ticket-http.js';
import { jiraConfigSchema } from '../../src/config/tickets.js';
import { fakeJira, message, type FakeJira } from '../helpers/ticket-servers.js';

const ENV = { JIRA_EMAIL: 'bot@example.org', JIRA_TOKEN: 'tok-123' };
const AUTH = `Basic ${Buffer.from('bot@example.org:tok-123').toString('base64')}`;

describe('the jira channel', () => {
  let jira: FakeJira;
  beforeEach(async () => {
    jira = await fakeJira(AUTH);
  });
  afterEach(async () => jira.close());

  const settings = (extra: Record<string, unknown> = {}) =>
    jiraSettings(jiraConfigSchema.parse({ url: `${jira.url}/`, email: 'env:JIRA_EMAIL', api_token: 'env:JIRA_TOKEN', labels: ['security'], ...extra }), ENV);

  it('searches for the message label, then creates the issue with an ADF description, labels and Basic auth', async () => {
    const proof = await jiraChannel(settings({ issue_type: 'Bug' })).deliver({ notification: message(), event: null });

    expect(proof).toEqual({ messageId: 'SEC-1', status: 201, response: `created SEC-1 ${jira.url}/browse/SEC-1`, ticket: { system: 'jira', key: 'SEC-1', id: '10001', url: `${jira.url}/browse/SEC-1` } });
    expect(jira.requests.map((r) => `${r.method} ${r.url.split('?')[0] ?? ''}`)).toEqual(['GET /rest/api/3/search/jql', 'POST /rest/api/3/issue']);
    const search = new URL(jira.requests[0]?.url ?? '', jira.url);
    const tag = ticketTag('ticket:RI-0001:jira:SEC');
    expect(search.searchParams.get('jql')).toBe(`labels = "${tag}"`);
    for (const r of jira.requests) expect(r.headers.authorization).toBe(AUTH);

    const issue = jira.issues.get('SEC-1');
    expect(issue?.fields.project).toEqual({ key: 'SEC' });
    expect(issue?.fields.issuetype).toEqual({ name: 'Bug' });
    expect(issue?.fields.summary).toBe('[closeloop] INC-2026-0001 RI-0001: patch openssl on web-1');
    expect(issue?.fields.labels).toEqual(['closeloop', tag, 'security']);
    expect(issue?.fields.description).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Remediation item RI-0001' }, { type: 'hardBreak' }, { type: 'text', text: 'Owner role: vuln_mgmt_owner' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Closure criteria:' }, { type: 'hardBreak' }, { type: 'text', text: 'patched' }] },
      ],
    });
  });

  it('renders an event as a heading, a bullet list of its lines and its links', async () => {
    const event: DeliveryEvent = {
      type: 'reportout.sent',
      incident: { id: 'INC-2026-0001', title: 'Phishing foothold', severity: 'high', state: 'eradication' },
      lines: [{ label: 'WK-0001', text: 'no MFA on VPN' }],
      links: { incident: 'https://closeloop.example.org/incidents/INC-2026-0001' },
    };
    await jiraChannel(settings()).deliver({ notification: message(), event });
    const doc = jira.issues.get('SEC-1')?.fields.description as { content: { type: string; content?: unknown[] }[] };
    expect(doc.content.map((n) => n.type)).toEqual(['heading', 'paragraph', 'bulletList', 'paragraph']);
    expect(doc.content[2]).toEqual({
      type: 'bulletList',
      content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'WK-0001: ', marks: [{ type: 'strong' }] }, { type: 'text', text: 'no MFA on VPN' }] }] }],
    });
    expect(JSON.stringify(doc.content[3])).toContain('"type":"link","attrs":{"href":"https://closeloop.example.org/incidents/INC-2026-0001"}');
  });

  it('a retry after a lost answer (500 after the issue was made) finds that issue and creates no second one', async () => {
    const channel = jiraChannel(settings());
    jira.failNextCreate(500);
    const first = await channel.deliver({ notification: message(), event: null }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ChannelError);
    expect(first).toMatchObject({ retryable: true, status: 500 });

    const proof = await channel.deliver({ notification: message({ attempts: 1 }), event: null });
    expect(proof.ticket).toEqual({ system: 'jira', key: 'SEC-1', id: '10001', url: `${jira.url}/browse/SEC-1` });
    expect(proof.response).toContain('found SEC-1');
    expect(jira.issues.size).toBe(1);
    expect(jira.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a refusal (400) is not retried; wrong credentials (401) neither; the answer is kept in the error', async () => {
    jira.failNextCreate(400, false);
    await expect(jiraChannel(settings()).deliver({ notification: message(), event: null })).rejects.toMatchObject({ retryable: false, status: 400, message: expect.stringContaining('refused') as string });
    const wrong = jiraSettings(jiraConfigSchema.parse({ url: jira.url, email: 'bot@example.org', api_token: 'env:JIRA_TOKEN' }), { JIRA_TOKEN: 'nope' });
    await expect(jiraChannel(wrong).deliver({ notification: message(), event: null })).rejects.toMatchObject({ retryable: false, status: 401 });
    expect(jira.issues.size).toBe(0);
  });

  it('an unreachable site is a retryable failure', async () => {
    const gone = await fakeJira(AUTH);
    await gone.close();
    const s = jiraSettings(jiraConfigSchema.parse({ url: gone.url, email: 'bot@example.org', api_token: 'env:JIRA_TOKEN' }), ENV);
    await expect(jiraChannel(s).deliver({ notification: message(), event: null })).rejects.toMatchObject({ retryable: true });
  });

  it('reads an issue status with its category', async () => {
    await jiraChannel(settings()).deliver({ notification: message(), event: null });
    jira.setStatus('SEC-1', 'Done', 'done');
    expect(await new JiraClient(settings()).status({ key: 'SEC-1', external_id: '10001' })).toEqual({ name: 'Done', category: 'done' });
  });

  it('keeps a summary to one line of at most 255 characters', () => {
    expect(summaryOf('a\nb   c')).toBe('a b c');
    expect(summaryOf('x'.repeat(300))).toHaveLength(255);
  });

  it('names the key and variable when a credential variable is unset', () => {
    expect(() => jiraSettings(jiraConfigSchema.parse({ url: 'https://x.atlassian.net', email: 'a@b', api_token: 'env:NOPE' }), {})).toThrow(/delivery\.jira\.api_token.*NOPE/);
  });
});
