/**
 * A Teams Workflows webhook payload: one message whose attachment is an Adaptive Card (1.4, what
 * Teams renders), with the incident as facts, the lines as wrapped text and the links as actions.
 */
import { truncate, type MessageView } from './view.js';

/** Teams refuses messages over about 28 KB: each line is cut well before that adds up. */
const LINE_MAX = 2000;
const LINES_MAX = 40;

type CardElement =
  | { type: 'TextBlock'; text: string; wrap: true; weight?: 'Bolder'; size?: 'Medium' | 'Large'; isSubtle?: boolean }
  | { type: 'FactSet'; facts: { title: string; value: string }[] };

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  body: CardElement[];
  actions: { type: 'Action.OpenUrl'; title: string; url: string }[];
}

export interface TeamsPayload {
  type: 'message';
  attachments: { contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }[];
}

/** The Adaptive Card for one view. */
export function adaptiveCard(v: MessageView): AdaptiveCard {
  const body: CardElement[] = [{ type: 'TextBlock', text: truncate(v.subject, 300), wrap: true, weight: 'Bolder', size: 'Medium' }];
  if (v.incident !== null) {
    const facts = [
      { title: 'Incident', value: v.incident.id },
      { title: 'Title', value: truncate(v.incident.title, 300) },
      { title: 'Severity', value: v.incident.severity },
      { title: 'State', value: v.incident.state },
    ];
    if (v.revision !== null) facts.push({ title: 'Report-out revision', value: String(v.revision) });
    body.push({ type: 'FactSet', facts });
  }
  const shown = v.lines.slice(0, LINES_MAX);
  for (const l of shown) body.push({ type: 'TextBlock', text: truncate(l.label === '' ? l.text : `**${l.label}**: ${l.text}`, LINE_MAX), wrap: true });
  if (v.lines.length > shown.length) body.push({ type: 'TextBlock', text: `… and ${v.lines.length - shown.length} more lines: see the incident`, wrap: true, isSubtle: true });
  const actions: AdaptiveCard['actions'] = [];
  if (v.links.ack !== undefined) actions.push({ type: 'Action.OpenUrl', title: 'Acknowledge', url: v.links.ack });
  if (v.links.incident !== undefined) actions.push({ type: 'Action.OpenUrl', title: 'Open incident', url: v.links.incident });
  return { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, actions };
}

/** The Workflows webhook message carrying the card. */
export function teamsPayload(v: MessageView): TeamsPayload {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(v) }] };
}
