import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FindingRecord } from '../domain/records.js';
import {
  buildHandoffNote,
  canonicalJson,
  handoffSeverity,
  loadDefaultRuleset,
  parseRuleset,
  type Decision,
  type EvaluationInput,
  type ExplanationLine,
  type Ruleset,
} from '../domain/escalation/index.js';
import { ClError, notFound } from '../errors.js';
import { openItems, type ImportKind } from '../ingest/index.js';
import { advisoryFromRow, assetFromRow, findingFromRow, signalFromRow, vulnerabilityFromRow } from '../store/records.js';
import { statementsFor } from '../domain/escalation/advisory-match.js';
import type { AdvisoryStatement, AssetRecord, SignalRecord } from '../domain/records.js';
import { withBulkTransaction, type BulkSession, type DecisionValues } from '../store/bulk/index.js';
import { audit, authorize, isoNow, nextId, type AppContext, type Caller, type Trx } from './context.js';
import { createIncident } from './incidents.js';
import { Knowledge, presentDecision, type PresentedDecision } from './knowledge.js';
import { enqueue } from '../delivery/outbox.js';

/** Loads the ruleset from a file, or the shipped default. */
export async function loadRuleset(file?: string): Promise<Ruleset> {
  if (!file) return loadDefaultRuleset();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ClError('CL_BAD_INPUT', `ruleset file ${file} cannot be read`);
  }
  return parseRuleset(text, file);
}

export interface TriageFiles {
  assets?: string[];
  vulnerabilities?: string[];
  findings: string[];
  kev?: string[];
  epss?: string[];
  signals?: string[];
  advisories?: string[];
}

async function feed(k: Knowledge, kind: ImportKind, files: readonly string[] | undefined): Promise<void> {
  for (const file of files ?? []) {
    const { items } = await openItems(kind, file);
    for await (const item of items) {
      if (item.kind === 'vulnerability' && kind === 'vulnerabilities') k.addVulnerability(item.record, true);
      else k.add(item);
    }
  }
}

/**
 * `closeloop triage --findings F …`: evaluates every finding of the given files against the facts of
 * the other files, without touching the store. Context files are read first; findings then stream
 * through, each decided as it arrives (a scanner's own advisory facts fill gaps, never override).
 */
export async function triageFiles(files: TriageFiles, ruleset: Ruleset, onDecision: (d: Decision) => void): Promise<void> {
  const k = new Knowledge();
  await feed(k, 'assets', files.assets);
  await feed(k, 'vulnerabilities', files.vulnerabilities);
  await feed(k, 'kev', files.kev);
  await feed(k, 'epss', files.epss);
  await feed(k, 'signals', files.signals);
  await feed(k, 'advisories', files.advisories);
  for (const file of files.findings) {
    const { items } = await openItems('findings', file);
    for await (const item of items) {
      if (item.kind === 'finding') onDecision(k.decide(item.record, ruleset).decision);
      else k.add(item);
    }
  }
}

/**
 * The knowledge index for stored triage. Signals and advisory statements are loaded whole (the
 * engine reads them by asset and by vulnerability); assets and vulnerabilities are loaded as the
 * findings being decided name them, a page at a time, so a store with 250,000 EPSS rows loads only
 * the vulnerabilities its open findings have.
 */
async function knowledgeForTriage(trx: Trx): Promise<Knowledge> {
  const k = new Knowledge();
  for (const r of await trx.selectFrom('signals').selectAll().orderBy('time').execute()) k.add({ kind: 'signal', record: signalFromRow(r) });
  for (const r of await trx.selectFrom('advisory_statements').selectAll().execute()) k.add({ kind: 'advisory', record: advisoryFromRow(r) });
  return k;
}

/** Assets (and vulnerabilities) kept loaded at once: past this the index starts over, so memory stays flat. */
const LOADED_LIMIT = 25_000;

/** Loads the assets and vulnerabilities a page of findings names that the index lacks. */
async function loadFor(k: Knowledge, bulk: BulkSession, page: readonly FindingRecord[], seenAssets: Set<string>, seenVulns: Set<string>, digester: RunDigester): Promise<void> {
  if (seenAssets.size > LOADED_LIMIT) {
    k.assets.clear();
    seenAssets.clear();
    digester.forgetAssets();
  }
  if (seenVulns.size > LOADED_LIMIT) {
    k.vulnerabilities.clear();
    seenVulns.clear();
    digester.forgetVulnerabilities();
  }
  const assets = new Set<string>();
  const vulns = new Set<string>();
  for (const f of page) {
    if (!seenAssets.has(f.asset)) assets.add(f.asset);
    if (!seenVulns.has(f.vulnerability)) vulns.add(f.vulnerability);
  }
  if (assets.size > 0) {
    for (const [id, r] of await bulk.lookup('assets', [...assets])) k.assets.set(id, assetFromRow(r));
    for (const id of assets) seenAssets.add(id);
  }
  if (vulns.size > 0) {
    for (const [id, r] of await bulk.lookup('vulnerabilities', [...vulns])) k.vulnerabilities.set(id, vulnerabilityFromRow(r));
    for (const id of vulns) seenVulns.add(id);
  }
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** FindingRecord's keys in canonical (sorted) order. */
const FINDING_KEYS = [
  'affected_version_known', 'aliases', 'asset', 'component', 'containment_needed', 'cwe', 'extra', 'file_path', 'fingerprint',
  'fixed_version', 'id', 'line', 'reachability', 'severity', 'source', 'title', 'validation', 'vendor_scope_known', 'version',
  'vulnerability',
] as const satisfies readonly (keyof FindingRecord)[];
const FINDING_KEY_SET: ReadonlySet<string> = new Set(FINDING_KEYS);
const FINDING_KEY_TEXT = FINDING_KEYS.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`);

/**
 * `canonicalJson(finding)` without sorting the keys of every finding: the same text whenever the
 * record has exactly FindingRecord's keys (anything else goes through canonicalJson itself).
 */
function canonicalFinding(f: FindingRecord): string {
  const keys = Object.keys(f);
  if (keys.length !== FINDING_KEYS.length || !keys.every((k) => FINDING_KEY_SET.has(k))) return canonicalJson(f);
  let s = '';
  for (let i = 0; i < FINDING_KEYS.length; i++) {
    const key = FINDING_KEYS[i];
    const v: unknown = key === undefined ? undefined : f[key];
    if (v === undefined) return canonicalJson(f);
    s += `${FINDING_KEY_TEXT[i] ?? ''}${typeof v === 'object' && v !== null ? canonicalJson(v) : (JSON.stringify(v) ?? 'null')}`;
  }
  return `${s}}`;
}

/**
 * `decisionInputDigest` (domain/escalation/input-digest.ts) for many findings of one run: the
 * same SHA-256 over the same canonical JSON, with the parts that do not change within a run
 * (the ruleset; an asset, a vulnerability, an asset's signals) serialised once. The canonical
 * JSON of `{advisories, asset, finding, ruleset, signals, vulnerability}` is those parts in that
 * (sorted) key order, so hashing the pieces in sequence gives the identical digest.
 */
export class RunDigester {
  private readonly ruleset: string;
  private readonly assets = new Map<string, string>();
  private readonly vulns = new Map<string, string>();
  private readonly signals = new Map<string, string>();

  constructor(ruleset: Ruleset) {
    this.ruleset = canonicalJson(ruleset);
  }

  digest(input: EvaluationInput): string {
    const f = input.finding;
    const adv: readonly AdvisoryStatement[] = input.advisories ?? [];
    const advisories = adv.length === 0 ? '[]' : canonicalJson(statementsFor(adv, f, input.asset).map((a) => canonicalJson(a)).sort());
    const asset = this.cached(this.assets, f.asset, input.asset, (a: AssetRecord | null) => canonicalJson(a));
    const vuln = this.cached(this.vulns, f.vulnerability, input.vulnerability, (v) => canonicalJson(v));
    const signals = this.cached(this.signals, f.asset, input.signals, (list: readonly SignalRecord[]) => canonicalJson(list.filter((x) => x.asset === f.asset).sort(byId)));
    const h = createHash('sha256');
    h.update('{"advisories":');
    h.update(advisories);
    h.update(',"asset":');
    h.update(asset);
    h.update(',"finding":');
    h.update(canonicalFinding(f));
    h.update(',"ruleset":');
    h.update(this.ruleset);
    h.update(',"signals":');
    h.update(signals);
    h.update(',"vulnerability":');
    h.update(vuln);
    h.update('}');
    return `sha256:${h.digest('hex')}`;
  }

  forgetAssets(): void {
    this.assets.clear();
    this.signals.clear();
  }

  forgetVulnerabilities(): void {
    this.vulns.clear();
  }

  private cached<T>(cache: Map<string, string>, key: string, value: T, make: (v: T) => string): string {
    let s = cache.get(key);
    if (s === undefined) {
      s = make(value);
      cache.set(key, s);
    }
    return s;
  }
}

export interface TriageSummary {
  run: string;
  ruleset: string;
  evaluated: number;
  by_outcome: Record<string, number>;
  by_trigger: Record<string, number>;
  escalations: PresentedDecision[];
  decisions: PresentedDecision[] | null;
  incidents: { incident: string; decision: string; finding: string; created: boolean; handoff: string; resent: boolean }[];
}

export const triageStoredInput = z.object({ escalate: z.boolean().default(false), all: z.boolean().default(false) });

const PLACEHOLDER = '\u0001';
/** An id as it appears inside JSON text. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;
const jsonText = (id: string): string => (NEEDS_ESCAPE.test(id) ? JSON.stringify(id).slice(1, -1) : id);

/** Writes the decision's ids back into a stored line (the inverse of the templating in ExplanationEncoder). */
export function restoreLine(text: string, ids: { finding: string; asset: string; vulnerability: string }): string {
  if (!text.includes(PLACEHOLDER)) return text;
  return text
    .replaceAll(`${PLACEHOLDER}V`, jsonText(ids.vulnerability))
    .replaceAll(`${PLACEHOLDER}A`, jsonText(ids.asset))
    .replaceAll(`${PLACEHOLDER}F`, jsonText(ids.finding));
}

/**
 * Stores explanations compactly and losslessly: each line (`{rule, holds, facts}` as JSON) with
 * the decision's finding, asset and vulnerability ids replaced by placeholders is numbered once
 * per run; a decision stores the JSON array of its line numbers. A line is templated only when
 * putting the ids back gives the exact original text, so `why` always shows what the engine said.
 * At most MAX_LINES lines are remembered (then numbering goes on without reuse): memory stays flat.
 */
export class ExplanationEncoder {
  private static readonly MAX_LINES = 50_000;
  private readonly lines = new Map<string, number>();
  private next = 0;
  /** New lines to write: [run, n, text]. */
  pending: [string, number, string][] = [];

  constructor(private readonly run: string) {}

  encode(d: Decision): string {
    const ids = { finding: d.finding, asset: d.asset, vulnerability: d.vulnerability };
    const f = jsonText(d.finding);
    const a = jsonText(d.asset);
    const v = jsonText(d.vulnerability);
    let out = '';
    for (const line of d.explanation) {
      const text = JSON.stringify(line);
      let t = text;
      if (f !== '') t = t.replaceAll(f, `${PLACEHOLDER}F`);
      if (a !== '') t = t.replaceAll(a, `${PLACEHOLDER}A`);
      if (v !== '') t = t.replaceAll(v, `${PLACEHOLDER}V`);
      if (t !== text && restoreLine(t, ids) !== text) t = text;
      let n = this.lines.get(t);
      if (n === undefined) {
        if (this.lines.size >= ExplanationEncoder.MAX_LINES) this.lines.clear();
        n = this.next++;
        this.lines.set(t, n);
        this.pending.push([this.run, n, t]);
      }
      out += out === '' ? `${n}` : `,${n}`;
    }
    return `[${out}]`;
  }
}

function decisionValues(id: string, d: Decision, input: EvaluationInput, ruleset: Ruleset, inputHash: string, explanation: string, at: string): DecisionValues {
  const v = input.vulnerability;
  return [
    id,
    d.finding,
    d.asset,
    d.vulnerability,
    d.outcome,
    JSON.stringify(d.triggers),
    JSON.stringify(d.stay_reasons),
    JSON.stringify(d.flags),
    JSON.stringify(d.next_actions),
    d.ssvc,
    JSON.stringify(d.evidence),
    explanation,
    ruleset.version,
    inputHash,
    JSON.stringify({ kev: v?.kev ?? null, epss: v?.epss ?? null, cvss: v?.cvss ?? null, exploitation: v?.exploitation ?? null }),
    null,
    at,
  ];
}

/** Decision rows per bulk write. */
const DECISION_BATCH = 2000;

/**
 * `closeloop triage` over the store: decides every open finding, records each Decision (ruleset
 * version, input hash, the KEV/EPSS values as they were), and with `escalate` hands each escalation
 * to incident response. One transaction: a triage run is recorded whole or not at all. Findings
 * stream a page at a time and decisions are written through the bulk path, so memory stays flat
 * whatever the number of findings (escalations, and with `all` every decision, are kept for the
 * summary).
 */
export async function triageStored(ctx: AppContext, caller: Caller, input: z.input<typeof triageStoredInput>, ruleset: Ruleset): Promise<TriageSummary> {
  authorize(ctx, caller, input.escalate ? 'vr.escalate' : 'vr.triage');
  const p = triageStoredInput.parse(input);
  return withBulkTransaction(ctx.store, async (trx, bulk) => {
    const at = isoNow(ctx);
    const run = await nextId(trx, 'TR');
    const k = await knowledgeForTriage(trx);
    const digester = new RunDigester(ruleset);
    const encoder = new ExplanationEncoder(run);
    const seenAssets = new Set<string>();
    const seenVulns = new Set<string>();
    const summary: TriageSummary = { run, ruleset: ruleset.version, evaluated: 0, by_outcome: { escalate: 0, stay: 0 }, by_trigger: {}, escalations: [], decisions: p.all ? [] : null, incidents: [] };
    const escalated: { id: string; decision: Decision; input: EvaluationInput }[] = [];
    let batch: DecisionValues[] = [];
    for await (const rows of bulk.openFindings(5000)) {
      const page = rows.map(findingFromRow);
      await loadFor(k, bulk, page, seenAssets, seenVulns, digester);
      for (const finding of page) {
        const { input: ein, decision } = k.decide(finding, ruleset);
        summary.evaluated += 1;
        const id = `${run}/${String(summary.evaluated).padStart(7, '0')}`;
        batch.push(decisionValues(id, decision, ein, ruleset, digester.digest(ein), encoder.encode(decision), at));
        if (batch.length >= DECISION_BATCH) {
          await bulk.insertDecisionLines(encoder.pending);
          encoder.pending = [];
          await bulk.insertDecisions(batch);
          batch = [];
        }
        summary.by_outcome[decision.outcome] = (summary.by_outcome[decision.outcome] ?? 0) + 1;
        for (const t of decision.triggers) summary.by_trigger[t] = (summary.by_trigger[t] ?? 0) + 1;
        if (p.all || decision.outcome === 'escalate') {
          const presented = presentDecision(decision);
          summary.decisions?.push(presented);
          if (decision.outcome === 'escalate') {
            summary.escalations.push(presented);
            if (p.escalate) escalated.push({ id, decision, input: ein });
          }
        }
      }
    }
    await bulk.insertDecisionLines(encoder.pending);
    encoder.pending = [];
    if (batch.length > 0) await bulk.insertDecisions(batch);
    if (p.escalate) {
      for (const e of escalated) summary.incidents.push(await escalate(trx, ctx, caller, e.id, e.decision, e.input, ruleset));
    }
    await audit(trx, ctx, caller, {
      action: p.escalate ? 'triage.escalated' : 'triage.run',
      entityType: 'triage_run',
      entityId: run,
      incidentId: null,
      state: { run, ruleset: ruleset.version, evaluated: summary.evaluated, by_outcome: summary.by_outcome, by_trigger: summary.by_trigger, incidents: summary.incidents },
    });
    return summary;
  });
}

/**
 * Hands one escalation to IR: links the open incident for the same asset and vulnerability, or
 * opens one; stores the handoff note (Markdown and JSON); queues it to the `ir_lead` role; keeps a
 * remediation item open for the finding so patching goes on in parallel.
 */
async function escalate(trx: Trx, ctx: AppContext, caller: Caller, decisionId: string, d: Decision, input: EvaluationInput, ruleset: Ruleset) {
  const at = isoNow(ctx);
  const linked = await trx
    .selectFrom('decisions')
    .innerJoin('incidents', 'incidents.id', 'decisions.incident_id')
    .select('incidents.id')
    // implied by the join; stated so the partial index decisions_link (incident_id IS NOT NULL) applies
    .where('decisions.incident_id', 'is not', null)
    .where('decisions.asset_id', '=', d.asset)
    .where('decisions.vulnerability_id', '=', d.vulnerability)
    .where('incidents.state', 'not in', ['closed', 'closed_non_incident'])
    .orderBy('incidents.id')
    .executeTakeFirst();
  const note = buildHandoffNote({ decision: d, finding: input.finding, asset: input.asset, vulnerability: input.vulnerability, signals: input.signals, advisories: input.advisories, ruleset, now: ctx.now() });
  let incidentId: string;
  let created = false;
  if (linked) {
    incidentId = linked.id;
    await trx.insertInto('incident_assets').values({ incident_id: incidentId, asset_id: d.asset }).onConflict((oc) => oc.columns(['incident_id', 'asset_id']).doNothing()).execute();
  } else {
    const inc = await createIncident(trx, ctx, caller, {
      title: `Escalation: ${d.vulnerability} on ${input.asset?.name ?? d.asset} (${d.triggers.join(', ')})`,
      severity: handoffSeverity(d.triggers, ruleset),
      assets: [d.asset],
      service: input.asset?.service ?? undefined,
    });
    incidentId = inc.id;
    created = true;
  }
  await trx.updateTable('decisions').set({ incident_id: incidentId }).where('id', '=', decisionId).execute();
  if (linked) {
    // Same finding, same facts as a decision already handed over: IR has this note; don't resend.
    const current = await trx.selectFrom('decisions').select('input_hash').where('id', '=', decisionId).executeTakeFirstOrThrow();
    const handed = await trx
      .selectFrom('handoff_notes')
      .innerJoin('decisions', 'decisions.id', 'handoff_notes.decision_id')
      .select('handoff_notes.id')
      .where('handoff_notes.incident_id', '=', incidentId)
      .where('decisions.finding_id', '=', d.finding)
      .where('decisions.input_hash', '=', current.input_hash)
      .executeTakeFirst();
    if (handed) return { incident: incidentId, decision: decisionId, finding: d.finding, created, handoff: handed.id, resent: false };
  }
  const handoffId = await nextId(trx, 'HO');
  await trx.insertInto('handoff_notes').values({ id: handoffId, incident_id: incidentId, decision_id: decisionId, markdown: note.markdown, json: JSON.stringify(note.json), created_at: at }).execute();
  await audit(trx, ctx, caller, { action: 'handoff.created', entityType: 'handoff_note', entityId: handoffId, incidentId, state: { id: handoffId, incident: incidentId, decision: decisionId, note: note.json } });
  for (const route of ctx.config.routing.roles.ir_lead ?? []) {
    await enqueue(trx, ctx, caller, {
      incident: incidentId,
      purpose: 'handoff',
      role: 'ir_lead',
      route,
      subject: `[closeloop] ${incidentId} IR escalation: ${d.vulnerability} on ${d.asset} (${d.triggers.join(', ')})`,
      body: note.markdown,
      idempotencyKey: `handoff:${handoffId}:ir_lead:${route.channel}:${route.address}`,
    });
  }
  const openItem = await trx.selectFrom('remediation_items').select('id').where('finding_id', '=', d.finding).where('status', 'in', ['open', 'in_progress']).executeTakeFirst();
  if (!openItem) {
    const item = {
      id: await nextId(trx, 'RI'),
      incident_id: incidentId,
      weakness_id: null,
      finding_id: d.finding,
      owner_role: 'vuln_mgmt_owner',
      assignee: input.asset?.owner ?? 'unassigned',
      criteria: input.finding.fixed_version
        ? `${input.finding.component ?? 'component'} at ${input.finding.fixed_version} or later on ${d.asset}, or a verified mitigation`
        : `patch or verified mitigation of ${d.vulnerability} on ${d.asset}`,
      due: note.json.requested_response.by.slice(0, 10),
      ticket: null,
      status: 'open',
      created_at: at,
      updated_at: at,
    };
    await trx.insertInto('remediation_items').values(item).execute();
    await trx.insertInto('remediation_history').values({ item_id: item.id, seq: 1, status: 'open', actor: caller.actor, at }).execute();
    await audit(trx, ctx, caller, { action: 'remediation.opened', entityType: 'remediation_item', entityId: item.id, incidentId, state: item });
  }
  return { incident: incidentId, decision: decisionId, finding: d.finding, created, handoff: handoffId, resent: true };
}

/** `closeloop why FINDING`: the latest stored decision with its facts and rule lines. */
export async function explainFinding(ctx: AppContext, caller: Caller, findingId: string) {
  authorize(ctx, caller, 'vr.triage');
  const row = await ctx.store.db.selectFrom('decisions').selectAll().where('finding_id', '=', findingId).orderBy('decided_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  if (!row) {
    const exists = await ctx.store.db.selectFrom('findings').select('id').where('id', '=', findingId).executeTakeFirst();
    if (!exists) throw notFound('finding', findingId);
    throw new ClError('CL_NOT_FOUND', `finding ${findingId} has no decision yet; run \`closeloop triage\` first`);
  }
  return {
    decision: row.id,
    finding: row.finding_id,
    asset: row.asset_id,
    vulnerability: row.vulnerability_id,
    outcome: row.outcome,
    triggers: JSON.parse(row.triggers) as string[],
    stay_reasons: JSON.parse(row.stay_reasons) as string[],
    flags: JSON.parse(row.flags) as string[],
    next_actions: JSON.parse(row.next_actions) as string[],
    ssvc: row.ssvc,
    evidence: JSON.parse(row.evidence) as string[],
    ruleset: row.ruleset_version,
    input_hash: row.input_hash,
    snapshot: JSON.parse(row.snapshot) as unknown,
    incident: row.incident_id,
    decided_at: row.decided_at,
    explanation: await storedExplanation(ctx, row),
  };
}

/** A stored decision's explanation: its run's lines, with the decision's ids written back. */
async function storedExplanation(ctx: AppContext, row: { id: string; finding_id: string; asset_id: string; vulnerability_id: string; explanation: string }): Promise<Decision['explanation']> {
  const stored = JSON.parse(row.explanation) as unknown;
  if (!Array.isArray(stored) || !stored.every((n): n is number => typeof n === 'number')) return stored as Decision['explanation'];
  if (stored.length === 0) return [];
  const run = row.id.slice(0, row.id.indexOf('/'));
  const lines = await ctx.store.db.selectFrom('decision_lines').select(['n', 'text']).where('run', '=', run).where('n', 'in', [...new Set(stored)]).execute();
  const byN = new Map(lines.map((l) => [Number(l.n), l.text]));
  const ids = { finding: row.finding_id, asset: row.asset_id, vulnerability: row.vulnerability_id };
  return stored.map((n) => {
    const text = byN.get(n);
    if (text === undefined) throw new ClError('CL_INTERNAL', `decision ${row.id}: explanation line ${n} of ${run} is missing`);
    return JSON.parse(restoreLine(text, ids)) as ExplanationLine;
  });
}

/** `closeloop handoff show INC`: the handoff notes stored with an incident. */
export async function handoffNotes(ctx: AppContext, caller: Caller, incidentId: string) {
  authorize(ctx, caller, 'incident.read');
  const inc = await ctx.store.db.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst();
  if (!inc) throw notFound('incident', incidentId);
  const rows = await ctx.store.db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, decision: r.decision_id, created_at: r.created_at, markdown: r.markdown, note: JSON.parse(r.json) as unknown }));
}
