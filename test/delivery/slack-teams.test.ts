import { afterEach, describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/delivery/channel.js';
import { incomingWebhookChannel } from '../../src/delivery/channels/incoming-webhook.js';
import { SLACK_LIMITS, slackPayload, type SlackPayload } from '../../src/delivery/render/slack.js';
import { teamsPayload, type TeamsPayload } from '../../src/delivery/render/teams.js';
import { messageView } from '../../src/delivery/render/view.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/receivers.js';
import { message, reportOutEvent } from '../helpers/messages.js';

let receiver: HttpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

describe('slack channel against a real HTTP receiver', () => {
  it('posts Block Kit: header with the subject, incident context, lines, Acknowledge and Open incident buttons, text fallback', async () => {
    receiver = await startHttpReceiver();
    const channel = incomingWebhookChannel('slack', { alerts: `${receiver.url}/services/T0/B0/XYZ` }, 5000, slackPayload);
    const proof = await channel.deliver(message({ channel: 'slack', address: 'alerts' }));
    expect(proof).toMatchObject({ status: 200, response: 'ok' });
    expect(proof.messageId).toMatch(/^slack:[0-9a-f]{32}$/);
    const req = receiver.requests[0];
    expect(req?.path).toBe('/services/T0/B0/XYZ');
    const p = JSON.parse(req?.body ?? '{}') as SlackPayload;
    expect(p.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: expect.stringContaining('INC-0007') as string, emoji: false } });
    expect(JSON.stringify(p.blocks[1])).toContain('severity *high*');
    expect(p.blocks.filter((b) => b.type === 'section').map((b) => (b.type === 'section' ? b.text.text : '')).join('\n')).toContain('*technical (caused)*: unpatched OpenSSL on web-01');
    const actions = p.blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' ? actions.elements.map((e) => [e.text.text, e.url]) : []).toEqual([
      ['Acknowledge', 'https://closeloop.example.org/ack/abc.def'],
      ['Open incident', 'https://closeloop.example.org/incidents/INC-0007'],
    ]);
    expect(p.text).toContain('INC-0007');
    expect(p.text).toContain('Acknowledge: https://closeloop.example.org/ack/abc.def');
  });

  it('keeps within Slack limits: at most 50 blocks, section text at most 3000 characters, cut with …', () => {
    const long = 'x'.repeat(5000);
    const lines = Array.from({ length: 400 }, (_, i) => ({ label: `weakness ${i}`, text: i === 0 ? long : `detail ${'y'.repeat(400)}` }));
    const p = slackPayload(messageView(message({}, reportOutEvent({ lines }))));
    expect(p.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const b of p.blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(JSON.stringify(p.blocks)).toContain('…');
    expect(JSON.stringify(p.blocks.at(-2))).toMatch(/more sections: see the incident/);
    expect(p.blocks.at(-1)?.type).toBe('actions');
    expect(p.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
  });

  it('escapes Slack control characters in what people wrote', () => {
    const p = slackPayload(messageView(message({}, reportOutEvent({ lines: [{ label: 'notes', text: '<!channel> a & b' }] }))));
    expect(JSON.stringify(p.blocks)).toContain('&lt;!channel&gt; a &amp; b');
  });

  it('a 404 (webhook revoked) is refused for good; a 500 retried', async () => {
    receiver = await startHttpReceiver([{ status: 404, body: 'no_service' }, { status: 500 }]);
    const channel = incomingWebhookChannel('slack', { alerts: receiver.url }, 5000, slackPayload);
    const m = message({ channel: 'slack', address: 'alerts' });
    const gone = await channel.deliver(m).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ChannelError);
    expect(gone).toMatchObject({ retryable: false, status: 404, message: 'slack endpoint alerts: HTTP 404 no_service' });
    await expect(channel.deliver(m)).rejects.toMatchObject({ retryable: true, status: 500 });
  });
});

describe('teams channel against a real HTTP receiver', () => {
  it('posts a Workflows message whose attachment is an Adaptive Card with facts, lines and actions', async () => {
    receiver = await startHttpReceiver([{ status: 202 }]);
    const channel = incomingWebhookChannel('teams', { soc: `${receiver.url}/workflows/abc` }, 5000, teamsPayload);
    const proof = await channel.deliver(message({ channel: 'teams', address: 'soc' }));
    expect(proof.status).toBe(202);
    const p = JSON.parse(receiver.requests[0]?.body ?? '{}') as TeamsPayload;
    expect(p.type).toBe('message');
    expect(p.attachments).toHaveLength(1);
    const a = p.attachments[0];
    expect(a?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = a?.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    expect(card?.body[0]).toMatchObject({ type: 'TextBlock', weight: 'Bolder', text: expect.stringContaining('INC-0007') as string });
    expect(card?.body[1]).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Incident', value: 'INC-0007' },
        { title: 'Title', value: 'Web tier compromise' },
        { title: 'Severity', value: 'high' },
        { title: 'State', value: 'eradication' },
        { title: 'Report-out revision', value: '1' },
      ],
    });
    expect(card?.body.some((b) => b.type === 'TextBlock' && b.text.includes('**technical (caused)**: unpatched OpenSSL'))).toBe(true);
    expect(card?.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Acknowledge', url: 'https://closeloop.example.org/ack/abc.def' },
      { type: 'Action.OpenUrl', title: 'Open incident', url: 'https://closeloop.example.org/incidents/INC-0007' },
    ]);
  });

  it('a message without an event becomes a card of its subject and body lines, without actions', () => {
    const card = teamsPayload(messageView(message({ subject: 'Reminder', body: 'one\ntwo' }, null))).attachments[0]?.content;
    expect(card?.body.map((b) => (b.type === 'TextBlock' ? b.text : 'facts'))).toEqual(['Reminder', 'one', 'two']);
    expect(card?.actions).toEqual([]);
  });
});
