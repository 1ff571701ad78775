/**
 * A Slack incoming-webhook payload (Block Kit) within Slack's limits: a header of at most 150
 * characters, section texts of at most 3000, at most 50 blocks, and a `text` fallback for
 * notifications and clients that show no blocks. What does not fit is cut with `…`.
 */
import { lineText, truncate, type MessageView } from './view.js';

export const SLACK_LIMITS = { header: 150, sectionText: 3000, blocks: 50, text: 3000 } as const;

type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: { type: 'button'; text: TextObject; url: string; style?: 'primary' }[] };

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

/** Text Slack shows as written: its three control characters escaped. */
const mrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The lines packed into as few sections as the per-section limit allows. */
function lineSections(v: MessageView): string[] {
  const sections: string[] = [];
  let current = '';
  for (const l of v.lines) {
    const item = truncate(`• ${l.label === '' ? mrkdwn(l.text) : `*${mrkdwn(l.label)}*: ${mrkdwn(l.text)}`}`, SLACK_LIMITS.sectionText);
    if (current !== '' && current.length + 1 + item.length > SLACK_LIMITS.sectionText) {
      sections.push(current);
      current = '';
    }
    current = current === '' ? item : `${current}\n${item}`;
  }
  if (current !== '') sections.push(current);
  return sections;
}

/** The Block Kit message for one view. */
export function slackPayload(v: MessageView): SlackPayload {
  const head: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(v.subject, SLACK_LIMITS.header), emoji: false } }];
  if (v.incident !== null) {
    const rev = v.revision === null ? '' : ` · report-out revision ${v.revision}`;
    head.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`*${mrkdwn(v.incident.id)}* · ${mrkdwn(v.incident.title)} · severity *${mrkdwn(v.incident.severity)}* · ${mrkdwn(v.incident.state)}${rev}`, SLACK_LIMITS.sectionText) }] });
  }
  const buttons: Extract<SlackBlock, { type: 'actions' }>['elements'] = [];
  if (v.links.ack !== undefined) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Acknowledge' }, url: v.links.ack, style: 'primary' });
  if (v.links.incident !== undefined) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: v.links.incident });
  const tail: SlackBlock[] = buttons.length > 0 ? [{ type: 'actions', elements: buttons }] : [];
  const room = SLACK_LIMITS.blocks - head.length - tail.length;
  let sections = lineSections(v);
  if (sections.length > room) {
    const left = sections.length - (room - 1);
    sections = [...sections.slice(0, room - 1), `… and ${left} more section${left === 1 ? '' : 's'}: see the incident`];
  }
  const body: SlackBlock[] = sections.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  const text = truncate([v.subject, ...v.lines.map(lineText), v.links.ack === undefined ? '' : `Acknowledge: ${v.links.ack}`].filter((s) => s !== '').join('\n'), SLACK_LIMITS.text);
  return { text, blocks: [...head, ...body, ...tail] };
}
