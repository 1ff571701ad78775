import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { FindingRecord } from '../domain/records.js';
import {
  buildHandoffNote,
  decisionInputDigest,
  handoffSeverity,
  loadDefaultRuleset,
  parseRuleset,
  type Decision,
  type EvaluationInput,
  type Ruleset,
} from '../domain/escalation/index.js';
import { ClError, notFound } from '../errors.js';
import { openItems, type ImportKind } from '../ingest/index.js';
import { advisoryFromRow, assetFromRow, findingFromRow, signalFromRow, vulnerabilityFromRow } from '../store/records.js';
import type { DecisionsTable } from '../store/schema.js';
import { audit, authorize, inTransaction, isoNow, nextId, type AppContext, type Caller, type Trx } from './context.js';
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

/** Builds the knowledge index from the store (everything but findings, which stream). */
export async function knowledgeFromStore(ctx: AppContext): Promise<Knowledge> {
  const db = ctx.store.db;
  const k = new Knowledge();
  for (const r of await db.selectFrom('assets').selectAll().execute()) k.assets.set(r.id, assetFromRow(r));
  for (const r of await db.selectFrom('vulnerabilities').selectAll().execute()) k.vulnerabilities.set(r.id, vulnerabilityFromRow(r));
  for (const r of await db.selectFrom('signals').selectAll().orderBy('time').execute()) k.add({ kind: 'signal', record: signalFromRow(r) });
  for (const r of await db.selectFrom('advisory_statements').selectAll().execute()) k.add({ kind: 'advisory', record: advisoryFromRow(r) });
  return k;
}

/** Open findings in id order, a page at a time. */
async function* openFindings(db: Trx, page = 2000): AsyncGenerator<FindingRecord> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('findings').selectAll().where('status', '=', 'open').where('id', '>', after).orderBy('id').limit(page).execute();
    if (rows.length === 0) return;
    for (const r of rows) yield findingFromRow(r);
    after = rows[rows.length - 1]?.id ?? after;
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

function decisionRow(id: string, d: Decision, input: EvaluationInput, ruleset: Ruleset, at: string): DecisionsTable {
  const v = input.vulnerability;
  return {
    id,
    finding_id: d.finding,
    asset_id: d.asset,
    vulnerability_id: d.vulnerability,
    outcome: d.outcome,
    triggers: JSON.stringify(d.triggers),
    stay_reasons: JSON.stringify(d.stay_reasons),
    flags: JSON.stringify(d.flags),
    next_actions: JSON.stringify(d.next_actions),
    ssvc: d.ssvc,
    evidence: JSON.stringify(d.evidence),
    explanation: JSON.stringify(d.explanation),
    ruleset_version: ruleset.version,
    input_hash: decisionInputDigest(input, ruleset),
    snapshot: JSON.stringify({ kev: v?.kev ?? null, epss: v?.epss ?? null, cvss: v?.cvss ?? null, exploitation: v?.exploitation ?? null }),
    incident_id: null,
    decided_at: at,
  };
}

/**
 * `closeloop triage` over the store: decides every open finding, records each Decision (ruleset
 * version, input hash, the KEV/EPSS values as they were), and with `escalate` hands each escalation
 * to incident response. One transaction: a triage run is recorded whole or not at all.
 */
export async function triageStored(ctx: AppContext, caller: Caller, input: z.input<typeof triageStoredInput>, ruleset: Ruleset): Promise<TriageSummary> {
  authorize(ctx, caller, input.escalate ? 'vr.escalate' : 'vr.triage');
  const p = triageStoredInput.parse(input);
  const k = await knowledgeFromStore(ctx);
  return inTransaction(ctx, async (trx) => {
    const at = isoNow(ctx);
    const run = await nextId(trx, 'TR');
    const summary: TriageSummary = { run, ruleset: ruleset.version, evaluated: 0, by_outcome: { escalate: 0, stay: 0 }, by_trigger: {}, escalations: [], decisions: p.all ? [] : null, incidents: [] };
    const escalated: { id: string; decision: Decision; input: EvaluationInput }[] = [];
    let batch: DecisionsTable[] = [];
    for await (const finding of openFindings(trx)) {
      const { input: ein, decision } = k.decide(finding, ruleset);
      summary.evaluated += 1;
      const id = `${run}/${String(summary.evaluated).padStart(7, '0')}`;
      batch.push(decisionRow(id, decision, ein, ruleset, at));
      if (batch.length >= 100) {
        await trx.insertInto('decisions').values(batch).execute();
        batch = [];
      }
      summary.by_outcome[decision.outcome] = (summary.by_outcome[decision.outcome] ?? 0) + 1;
      for (const t of decision.triggers) summary.by_trigger[t] = (summary.by_trigger[t] ?? 0) + 1;
      const presented = presentDecision(decision);
      summary.decisions?.push(presented);
      if (decision.outcome === 'escalate') {
        summary.escalations.push(presented);
        escalated.push({ id, decision, input: ein });
      }
    }
    if (batch.length > 0) await trx.insertInto('decisions').values(batch).execute();
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
    explanation: JSON.parse(row.explanation) as Decision['explanation'],
  };
}

/** `closeloop handoff show INC`: the handoff notes stored with an incident. */
export async function handoffNotes(ctx: AppContext, caller: Caller, incidentId: string) {
  authorize(ctx, caller, 'incident.read');
  const inc = await ctx.store.db.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst();
  if (!inc) throw notFound('incident', incidentId);
  const rows = await ctx.store.db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, decision: r.decision_id, created_at: r.created_at, markdown: r.markdown, note: JSON.parse(r.json) as unknown }));
}
