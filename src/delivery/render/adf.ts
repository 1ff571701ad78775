/**
 * Atlassian Document Format: the JSON document Jira Cloud's REST v3 takes as an issue description
 * (plain strings are refused there). Built by hand from a few node types — doc, heading, paragraph,
 * bulletList, text with strong and link marks, hardBreak — rather than through an SDK: that is all
 * a message needs.
 */
import type { OutboundMessage } from '../channel.js';

export interface AdfMark {
  type: 'strong' | 'link';
  attrs?: { href: string };
}

export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: AdfMark[];
}

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** A text node; ADF refuses empty text, so empty strings become none. */
export function text(value: string, marks?: AdfMark[]): AdfNode[] {
  if (value === '') return [];
  return [marks === undefined ? { type: 'text', text: value } : { type: 'text', text: value, marks }];
}

/** A paragraph of these inline nodes (a paragraph with no content is valid ADF). */
export function paragraph(...inline: AdfNode[][]): AdfNode {
  return { type: 'paragraph', content: inline.flat() };
}

/** Lines of plain text as one paragraph, separated by hard breaks. */
function linesParagraph(lines: readonly string[]): AdfNode {
  const content: AdfNode[] = [];
  lines.forEach((line, i) => {
    if (i > 0) content.push({ type: 'hardBreak' });
    content.push(...text(line));
  });
  return { type: 'paragraph', content };
}

/** Plain text as ADF: blank lines separate paragraphs, single line breaks stay breaks. */
export function plainTextDoc(body: string): AdfDoc {
  const blocks = body.replace(/\r\n?/g, '\n').split(/\n{2,}/).map((b) => b.split('\n')).filter((b) => b.some((l) => l.trim() !== ''));
  return { type: 'doc', version: 1, content: blocks.length > 0 ? blocks.map(linesParagraph) : [paragraph()] };
}

const link = (label: string, href: string): AdfNode[] => text(label, [{ type: 'link', attrs: { href } }]);

/**
 * A message as an issue description. With an event: the incident, the lines as a bullet list
 * (label in bold), then the links; without one, the message body as text.
 */
export function messageToAdf({ notification, event }: OutboundMessage): AdfDoc {
  if (event === null) return plainTextDoc(notification.body);
  const content: AdfNode[] = [];
  const inc = event.incident;
  if (inc !== null) {
    content.push({ type: 'heading', attrs: { level: 3 }, content: text(`${inc.id}: ${inc.title}`) });
    content.push(paragraph(text('Severity: ', [{ type: 'strong' }]), text(inc.severity), text('  State: ', [{ type: 'strong' }]), text(inc.state)));
  }
  const lines = event.lines ?? [];
  if (lines.length > 0) {
    content.push({
      type: 'bulletList',
      content: lines.map((l) => ({ type: 'listItem', content: [paragraph(text(`${l.label}: `, [{ type: 'strong' }]), text(l.text))] })),
    });
  }
  const links = event.links ?? {};
  if (links.incident !== undefined) content.push(paragraph(text('Incident: '), link(links.incident, links.incident)));
  if (links.ack !== undefined) content.push(paragraph(text('Acknowledge: '), link(links.ack, links.ack)));
  if (content.length === 0) return plainTextDoc(notification.body);
  return { type: 'doc', version: 1, content };
}
