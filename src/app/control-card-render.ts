/**
 * The control card rendered for people: Markdown, and a self-contained HTML page (no script, no
 * remote content, every value escaped). Both render one outline of the card, so they say the same.
 */
import { z } from 'zod';
import { escapeHtml } from '../delivery/render/email.js';
import type { AppContext, Caller } from './context.js';
import { controlCardVersionOutput, showControlCard, showControlCardInput, type ControlCardShown } from './control-card.js';
import { parseInput } from './validate.js';

interface Section {
  heading: string;
  /** A paragraph, a bulleted list, or numbered steps. */
  kind: 'text' | 'list' | 'steps';
  items: string[];
}

/** What the card says, in the order a reader needs it. */
function outline(r: ControlCardShown): { title: string; facts: string[]; sections: Section[] } {
  const c = r.card;
  const e = c.exception_rules;
  return {
    title: `Control card ${c.id}, version ${r.version}`,
    facts: [
      `${r.in_force ? 'In force' : 'Superseded'}; took effect ${r.recorded_at} (recorded by ${r.recorded_by})`,
      `SHA-256 of the card: ${r.digest}`,
    ],
    sections: [
      { heading: 'Objective', kind: 'text', items: [c.objective] },
      { heading: 'Owner role', kind: 'text', items: [c.owner_role] },
      { heading: 'Triggers', kind: 'list', items: c.triggers },
      { heading: 'Recipient roles', kind: 'list', items: c.recipient_roles },
      { heading: 'Workflow steps', kind: 'steps', items: c.workflow_steps },
      {
        heading: 'Exception rules',
        kind: 'list',
        items: [
          `Risk acceptances are approved by: ${e.approver_roles.join(', ')}`,
          `Review at most every ${e.max_review_days} days`,
          e.requester_may_not_approve ? 'The requester may not approve their own request' : 'The requester may approve their own request',
        ],
      },
      { heading: 'Evidence location', kind: 'text', items: [c.evidence_location] },
    ],
  };
}

/** Text as Markdown shows it literally: characters that would start markup or inline HTML are escaped. */
const md = (s: string): string => s.replace(/[\\`*_[\]<>#|&]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');

/** The card as Markdown. */
export function controlCardMarkdown(r: ControlCardShown): string {
  const o = outline(r);
  const out = [`# ${md(o.title)}`, '', ...o.facts.map((f) => `- ${md(f)}`)];
  for (const s of o.sections) {
    out.push('', `## ${s.heading}`, '');
    if (s.kind === 'text') out.push(...s.items.map(md));
    else out.push(...s.items.map((item, i) => `${s.kind === 'steps' ? `${i + 1}.` : '-'} ${md(item)}`));
  }
  return `${out.join('\n')}\n`;
}

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem;border-bottom:1px solid #ddd}.facts{color:#555}code{word-break:break-all}';

/** The card as one HTML page that opens with no server and runs nothing. */
export function controlCardHtml(r: ControlCardShown): string {
  const o = outline(r);
  const parts = [`<h1>${escapeHtml(o.title)}</h1>`, `<ul class="facts">${o.facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`];
  for (const s of o.sections) {
    parts.push(`<h2>${escapeHtml(s.heading)}</h2>`);
    if (s.kind === 'text') parts.push(...s.items.map((t) => `<p>${escapeHtml(t)}</p>`));
    else {
      const tag = s.kind === 'steps' ? 'ol' : 'ul';
      parts.push(`<${tag}>${s.items.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</${tag}>`);
    }
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    ...parts,
    '</body></html>',
    '',
  ].join('\n');
}

export const CONTROL_CARD_FORMATS = ['md', 'html', 'json'] as const;
export type ControlCardFormat = (typeof CONTROL_CARD_FORMATS)[number];

/** `GET /control-card`: a version (default the one in force) and how to render it besides the JSON. */
export const controlCardRouteInput = showControlCardInput.extend({ format: z.enum(CONTROL_CARD_FORMATS).default('json') });

/** The recorded card, and with `format` md or html its rendering as text. */
export const controlCardRouteOutput = controlCardVersionOutput.extend({ format: z.enum(CONTROL_CARD_FORMATS), rendered: z.string().nullable() });

/** The card for the API: as recorded, rendered when Markdown or HTML is asked for. */
export async function controlCardForApi(ctx: AppContext, caller: Caller, input: z.input<typeof controlCardRouteInput>): Promise<z.infer<typeof controlCardRouteOutput>> {
  const p = parseInput(controlCardRouteInput, input);
  const shown = await showControlCard(ctx, caller, p.version === undefined ? {} : { version: p.version });
  return { ...shown, format: p.format, rendered: p.format === 'json' ? null : renderControlCard(shown, p.format) };
}

export const controlCardHistoryOutput = z.strictObject({ versions: z.array(controlCardVersionOutput) });

/** The card in `format`: Markdown, HTML, or the recorded card as JSON. */
export function renderControlCard(r: ControlCardShown, format: ControlCardFormat): string {
  if (format === 'md') return controlCardMarkdown(r);
  if (format === 'html') return controlCardHtml(r);
  return `${JSON.stringify(r, null, 2)}\n`;
}
