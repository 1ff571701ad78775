/**
 * A revision of an incident's handoff: what one triage run handed to the incident (SPEC §2: an
 * escalation "links to an open one for the same asset/vulnerability"), said once per incident and
 * run so the IR lead hears of new scope without a message per finding. Pure.
 */
import { markdownText as md } from './handoff.js';
import type { Trigger } from './vocabulary.js';

/** One finding a run added to an incident, with the note stored for it. */
export interface AddedFinding {
  finding: string;
  asset: string;
  vulnerability: string;
  triggers: Trigger[];
  note: string;
}

/** Findings listed one by one in a revision; past this the rest are counted (`handoff show` lists them all). */
export const REVISION_LISTED = 50;

export interface HandoffRevisionText {
  incident: string;
  revision: number;
  /** The grouping key the incident was opened for (`asset:…`, `vuln:…`). */
  grouping: string;
  added: readonly AddedFinding[];
  /** The Markdown note of the first finding added, quoted whole so the message carries the facts. */
  firstNote: string;
}

/** The subject line of the revision's message. */
export function handoffRevisionSubject(r: Pick<HandoffRevisionText, 'incident' | 'revision' | 'grouping' | 'added'>): string {
  const assets = new Set(r.added.map((a) => a.asset)).size;
  const what = r.revision === 1 ? 'IR escalation' : `handoff revision ${r.revision}`;
  return `[closeloop] ${r.incident} ${what} (${r.grouping}): ${r.added.length} finding(s) on ${assets} asset(s)`;
}

/**
 * The revision as Markdown: "added: F-…, assets …", every trigger fired, then the first added
 * finding's whole note. Revision 1 is the opening handoff of the incident.
 */
export function renderHandoffRevision(r: HandoffRevisionText): string {
  const assets = [...new Set(r.added.map((a) => a.asset))].sort();
  const triggers = [...new Set(r.added.flatMap((a) => a.triggers))];
  const out: string[] = [];
  out.push(r.revision === 1 ? `# ${md(r.incident)}: IR handoff (revision 1)` : `# ${md(r.incident)}: handoff revision ${r.revision}`, '');
  out.push(`**Grouped by:** ${md(r.grouping)}`);
  out.push(`**${r.revision === 1 ? 'Findings' : 'Added'}:** ${r.added.length} finding(s) on ${assets.length} asset(s); triggers: ${triggers.map((t) => t.replace(/_/g, ' ')).join(', ')}`);
  out.push(`**Assets:** ${assets.slice(0, REVISION_LISTED).map(md).join(', ')}${assets.length > REVISION_LISTED ? `, and ${assets.length - REVISION_LISTED} more` : ''}`);
  for (const a of r.added.slice(0, REVISION_LISTED)) out.push(`- ${md(a.finding)}: ${md(a.vulnerability)} on ${md(a.asset)} (${a.triggers.join(', ')}), note ${md(a.note)}`);
  if (r.added.length > REVISION_LISTED) out.push(`- and ${r.added.length - REVISION_LISTED} more finding(s)`);
  out.push('', `Every note: \`closeloop handoff show ${r.incident}\`. The note of ${md(r.added[0]?.finding ?? '-')} follows.`, '', '---', '', r.firstNote.trimEnd());
  return `${out.join('\n')}\n`;
}
