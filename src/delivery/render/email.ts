/**
 * An email's two parts from one view: plain text for every client, HTML for the ones that show
 * it. Both carry the incident, the lines, the incident link and the one-click acknowledgment link.
 */
import { lineText, type MessageView } from './view.js';

function incidentLine(v: MessageView): string | null {
  if (v.incident === null) return null;
  return `Incident ${v.incident.id}: ${v.incident.title} (severity ${v.incident.severity}, state ${v.incident.state})${v.revision === null ? '' : `, report-out revision ${v.revision}`}`;
}

/** The plain-text part. */
export function emailText(v: MessageView): string {
  const out: string[] = [];
  const inc = incidentLine(v);
  if (inc !== null) out.push(inc, '');
  out.push(...v.lines.map((l) => `- ${lineText(l)}`));
  if (v.links.incident !== undefined || v.links.ack !== undefined) out.push('');
  if (v.links.incident !== undefined) out.push(`Incident: ${v.links.incident}`);
  if (v.links.ack !== undefined) out.push(`Acknowledge (one click): ${v.links.ack}`);
  return `${out.join('\n')}\n`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The HTML part: minimal markup, no remote content, links as plain anchors. */
export function emailHtml(v: MessageView): string {
  const parts: string[] = [`<h1 style="font-size:18px">${escapeHtml(v.subject)}</h1>`];
  const inc = incidentLine(v);
  if (inc !== null) parts.push(`<p>${escapeHtml(inc)}</p>`);
  const item = (l: { label: string; text: string }) => (l.label === '' ? `<li>${escapeHtml(l.text)}</li>` : `<li><strong>${escapeHtml(l.label)}</strong>: ${escapeHtml(l.text)}</li>`);
  if (v.lines.length > 0) parts.push(`<ul>\n${v.lines.map(item).join('\n')}\n</ul>`);
  if (v.links.incident !== undefined) parts.push(`<p><a href="${escapeHtml(v.links.incident)}">Open the incident</a></p>`);
  if (v.links.ack !== undefined) parts.push(`<p><a href="${escapeHtml(v.links.ack)}"><strong>Acknowledge</strong></a> (one click)</p>`);
  return `<!doctype html>\n<html><body>\n${parts.join('\n')}\n</body></html>\n`;
}
