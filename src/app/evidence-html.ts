/**
 * The `index.html` of an evidence bundle: one static page a person opens from the unzipped folder
 * in any browser, with no server and no script: a summary, tables of who was told and what was
 * fixed or accepted, and how to verify the bundle. It holds no export time, so it is as
 * reproducible as the rest of the bundle.
 */
import type { BundleCheckpoint, BundleSubject } from '../audit/evidence-bundle.js';
import type { Config } from '../config/schema.js';
import type { IncidentView } from './incidents.js';

const esc = (v: string | number | boolean | null | undefined): string =>
  String(v ?? '—')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function table(head: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[], empty: string): string {
  if (rows.length === 0) return `<p class="none">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f6f8fa;padding:.7rem;overflow-x:auto}
.none{color:#57606a;font-style:italic}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
@media print{body{margin:0}h2{break-before:auto}}`;

export interface IndexInput {
  subject: BundleSubject;
  incidents: { view: IncidentView; events: number }[];
  checkpoint: BundleCheckpoint;
  keyId: string;
  sample: { method: string; strata: { stratum: string; population: number; picked: number }[]; population: string[] } | null;
  controlCard: Config['control_card'];
}

/** The files of an incident's folder, and what each holds when the name does not say. */
const RECORD_FILES: readonly (readonly [string, string])[] = [
  ['incident.json', ''],
  ['report-out.json', 'every revision as sent'],
  ['notifications.json', 'every delivery attempt and proof'],
  ['acknowledgments.json', ''],
  ['remediation.json', 'with status history'],
  ['risk-acceptances.json', 'with decision history'],
  ['third-party-notices.json', 'and responses'],
  ['escalation.json', 'decisions and handoff notes'],
  ['control-card.json', ''],
  ['audit-events.json', 'with inclusion proofs'],
];

function incidentSection({ view, events }: IndexInput['incidents'][number]): string {
  const inc = view.incident;
  const dir = `incidents/${inc.id}/`;
  const messages = view.evidence.flatMap((r) => r.messages.map((m) => [r.role, m.purpose, m.revision, m.channel, m.address, m.status, m.attempts, m.delivered_at, m.message_id]));
  const acks = view.evidence.map((r) => [r.role, r.acknowledgment?.actor, r.acknowledgment?.at, r.acknowledgment?.via, r.acknowledgment?.revision, r.superseded.length]);
  return `<section id="${esc(inc.id)}">
<h2>${esc(inc.id)}: ${esc(inc.title)}</h2>
<dl><dt>Severity</dt><dd>${esc(inc.severity)}</dd><dt>State</dt><dd>${esc(inc.state)}</dd><dt>Service</dt><dd>${esc(inc.service)}</dd><dt>IR lead</dt><dd>${esc(inc.ir_lead)}</dd>
<dt>Opened</dt><dd>${esc(inc.created_at)} by ${esc(inc.opened_by)}, under control card version ${esc(inc.control_card_version ?? 'not recorded')}</dd><dt>Closed</dt><dd>${esc(inc.closed_at)}</dd><dt>Determination</dt><dd>${esc(inc.determination)}</dd>
<dt>Report-out</dt><dd>opened ${esc(inc.reportout_opened_at)}, sent ${esc(inc.reportout_sent_at)}</dd><dt>Required roles</dt><dd>${esc(view.required_roles.join(', '))}</dd>
<dt>Gate flags at closure</dt><dd>${esc(view.gate_flags.map((g) => g.item).join(', ') || 'none')}</dd><dt>Audit events</dt><dd>${events} (each with its inclusion proof in <code>${esc(dir)}audit-events.json</code>)</dd></dl>
<h3>Weaknesses</h3>${table(['id', 'type', 'relation', 'vendor', 'notes'], view.weaknesses.map((w) => [w.id, w.type, w.relation, w.vendor, w.notes]), 'No weakness recorded.')}
${inc.none_identified_rationale === null ? '' : `<p>No weakness identified: ${esc(inc.none_identified_rationale)}</p>`}
<h3>Who was told (report-out and other notifications)</h3>${table(['role', 'purpose', 'revision', 'channel', 'address', 'status', 'attempts', 'delivered', 'message id'], messages, 'No notification was sent.')}
<h3>Acknowledgments</h3>${table(['role', 'by', 'at', 'via', 'revision', 'superseded'], acks, 'No role to acknowledge.')}
<h3>Remediation</h3>${table(['id', 'weakness', 'criteria', 'owner role', 'assignee', 'due', 'ticket', 'status', 'status history'], view.remediation.map((r) => [r.id, r.weakness_id, r.criteria, r.owner_role, r.assignee, r.due, r.ticket, r.status, r.history.map((h) => `${h.status} ${h.at} ${h.actor}`).join('; ')]), 'No remediation item.')}
<h3>Risk acceptances</h3>${table(['id', 'weakness', 'requester', 'approver', 'state', 'review by', 'decided'], view.risk_acceptances.map((r) => [r.id, r.weakness_id, r.requester, r.approver, r.effective_state, r.review_by, r.decided_at]), 'No risk acceptance.')}
<h3>Third-party notices</h3>${table(['id', 'vendor', 'status', 'sent', 'response', 'responded'], view.third_party_notices.map((t) => [t.id, t.vendor, t.status, t.sent_at, t.response, t.responded_at]), 'No third-party notice.')}
<h3>Escalation</h3>${table(['decision', 'finding', 'outcome', 'triggers'], view.decisions.map((d) => [d.id, d.finding_id, d.outcome, d.triggers.join(', ')]), 'Not opened by an escalation.')}
<p>Records (canonical JSON) in <code>${esc(dir)}</code>: ${RECORD_FILES.map(([f, what]) => `<a href="${esc(dir + f)}">${esc(f)}</a>${what === '' ? '' : ` (${esc(what)})`}`).join(', ')}.</p>
</section>`;
}

export function evidenceIndexHtml(i: IndexInput): string {
  const title = i.subject.kind === 'sample' && i.subject.sample !== undefined ? `Evidence: sample of ${i.incidents.length} incidents opened ${i.subject.sample.from} to ${i.subject.sample.to}` : `Evidence: ${i.incidents[0]?.view.incident.id ?? ''}`;
  const sample =
    i.sample === null || i.subject.sample === undefined
      ? ''
      : `<h2>Sample</h2><p>${esc(i.subject.sample.n)} requested with seed <code>${esc(i.subject.sample.seed)}</code>${i.subject.sample.stratify === null ? '' : `, stratified by ${esc(i.subject.sample.stratify)}`}, from ${i.sample.population.length} incidents opened ${esc(i.subject.sample.from)} to ${esc(i.subject.sample.to)}. ${esc(i.sample.method)}.</p>${table(['stratum', 'population', 'picked'], i.sample.strata.map((s) => [s.stratum, s.population, s.picked]), '')}<p>The population and the pick are in <code>sample.json</code>.</p>`;
  const cc = i.controlCard;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>Control ${esc(cc.id)} (control card version ${esc(cc.version)}): ${esc(cc.objective)}</p>
<h2>Summary</h2>
${table(['incident', 'title', 'severity', 'state', 'opened', 'closed', 'report-out sent', 'gate'], i.incidents.map(({ view: v }) => [v.incident.id, v.incident.title, v.incident.severity, v.incident.state, v.incident.created_at, v.incident.closed_at, v.incident.reportout_sent_at, v.gate.ready ? 'ready' : `${v.gate.missing.length} missing`]), 'No incident.')}
${sample}
${i.incidents.map(incidentSection).join('\n')}
<h2>How to verify this bundle</h2>
<p>The audit events are proven against signed checkpoint <strong>${i.checkpoint.tree_size}</strong> of the audit log (root <code>${esc(i.checkpoint.root_hash)}</code>, signed ${esc(i.checkpoint.at)} by key <code>${esc(i.checkpoint.key_id)}</code>). <code>manifest.json</code> lists every other file with its SHA-256 and is signed by key <code>${esc(i.keyId)}</code> (<code>manifest.sig</code>, Ed25519; the key is <code>public-key.pem</code>).</p>
<pre>closeloop evidence verify BUNDLE.zip --pubkey closeloop-public-key.pem</pre>
<p>The check needs no database and no configuration. With <code>--pubkey</code> it pins the key you obtained from the organisation (otherwise it trusts the key inside the bundle). It fails, naming the file, on any changed, added or removed file, another key, a changed audit event, a forged proof element or checkpoint signature.</p>
<p>By hand: <code>sha256sum</code> each file and compare with <code>manifest.json</code>; verify <code>manifest.sig</code> (base64) over <code>manifest.json</code> with the public key; recompute each event's RFC 9162 inclusion proof (leaf = SHA-256(0x00 || event hash bytes), nodes SHA-256(0x01 || left || right)) up to the checkpoint root; verify the checkpoint signature over the text <code>closeloop audit log\\n&lt;size&gt;\\n&lt;root, base64&gt;\\n&lt;time&gt;\\n</code>. See docs/evidence.md.</p>
</body></html>
`;
}
