import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  buildHandoffNote,
  decisionInputDigest,
  vulnerabilityFacts,
  evaluate,
  handoffSeverity,
  parseRuleset,
  type Decision,
  type EvaluationInput,
  type ExplanationLine,
  type Ruleset,
} from '../domain/escalation/index.js';
import { loadDefaultRuleset } from '../config/ruleset-file.js';
import { ClError, notFound } from '../errors.js';
import { openItems, type ImportKind } from '../ingest/index.js';
import { advisoryFromRow, assetFromRow, findingFactsFromValues, findingFromRow, signalFromRow, vulnerabilityFromRow } from '../store/records.js';
import type { VulnerabilityRecord } from '../domain/records.js';
import { withBulkTransaction, type DecisionValues } from '../store/bulk/index.js';
import { audit, auditMany, authorize, formatId, isoNow, reserveIds, type AppContext, type AuditEntry, type Caller, type Trx } from './context.js';
import { incidentCounter, incidentRecord } from './incidents.js';
import { Knowledge, presentDecision, type PresentedDecision } from './knowledge.js';
import { CACHE_BOUNDS, StoreFacts, TriageRun } from './decisions.js';
import { throttled, type Progress } from './progress.js';
import { NOTIFICATION_PREFIX, notificationRecord } from '../delivery/outbox.js';
import type { Route } from '../config/schema.js';
import { reserveCounter } from '../store/counters.js';
import { ROWS_PER_INSERT, insertRows, slices } from '../store/insert.js';
import type { HandoffNotesTable, Incident, Notification, RemediationHistoryTable, RemediationItem } from '../store/schema.js';
import { sql } from 'kysely';

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
      if (item.kind === 'finding') onDecision(k.decide(item.record, ruleset, { explain: false }).decision);
      else k.add(item);
    }
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
export async function triageStored(ctx: AppContext, caller: Caller, input: z.input<typeof triageStoredInput>, ruleset: Ruleset, options: { onProgress?: (p: Progress) => void; progressIntervalMs?: number } = {}): Promise<TriageSummary> {
  authorize(ctx, caller, input.escalate ? 'vr.escalate' : 'vr.triage');
  const p = triageStoredInput.parse(input);
  return withBulkTransaction(ctx.store, async (trx, bulk) => {
    const bounds = CACHE_BOUNDS[bulk.engine];
    const run = await TriageRun.start(trx, ruleset, isoNow(ctx), bounds, 'triage');
    const facts = await StoreFacts.open(trx, bulk, bounds);
    const summary: TriageSummary = { run: run.id, ruleset: ruleset.version, evaluated: 0, by_outcome: run.counts.by_outcome, by_trigger: run.counts.by_trigger, escalations: [], decisions: p.all ? [] : null, incidents: [] };
    const escalated: Escalation[] = [];
    let batch: DecisionValues[] = [];
    const progress = throttled(options.onProgress, { intervalMs: options.progressIntervalMs });
    for await (const rows of bulk.openFindings(5000)) {
      progress(run.counts.evaluated);
      await facts.loadRows(rows);
      for (const row of rows) {
        const ein = facts.inputFor(findingFactsFromValues(row));
        const { id, decision, values } = run.decide(ein);
        batch.push(values);
        if (batch.length >= DECISION_BATCH) {
          await bulk.insertDecisions(batch);
          batch = [];
        }
        if (p.all || decision.outcome === 'escalate') {
          const presented = presentDecision(decision);
          summary.decisions?.push(presented);
          if (decision.outcome === 'escalate') {
            summary.escalations.push(presented);
            if (p.escalate) escalated.push({ id, decision, inputHash: values[12] });
          }
        }
      }
    }
    if (batch.length > 0) await bulk.insertDecisions(batch);
    summary.evaluated = run.counts.evaluated;
    await run.finish(trx, caller);
    if (p.escalate) {
      // escalation queries the decisions just written (decisions_link, by finding): indexes first
      await bulk.settle();
      const handoff = new Handoff(trx, ctx, caller, ruleset, facts);
      const handed = throttled(options.onProgress, { intervalMs: options.progressIntervalMs, counting: 'escalations handed to IR' });
      for (let i = 0; i < escalated.length; i += ESCALATION_CHUNK) {
        const chunk = escalated.slice(i, i + ESCALATION_CHUNK);
        await handoff.prefetch(chunk);
        summary.incidents.push(...(await handoff.escalateChunk(chunk)));
        handed(summary.incidents.length);
      }
    }
    await audit(trx, ctx, caller, {
      action: p.escalate ? 'triage.escalated' : 'triage.run',
      entityType: 'triage_run',
      entityId: run.id,
      incidentId: null,
      state: { run: run.id, ruleset: ruleset.version, ruleset_digest: run.rulesetDigest, evaluated: summary.evaluated, by_outcome: summary.by_outcome, by_trigger: summary.by_trigger, incidents: summary.incidents },
    });
    return summary;
  });
}

/**
 * One escalation of a run, to hand to IR once the run's decisions are stored. Its input is read
 * again with its chunk (`Handoff.prefetch`): the run writes only decisions, so the finding and its
 * facts are those the decision read, and 20,398 escalations do not hold ~100 MiB of inputs.
 */
interface Escalation {
  /** The decision's id (its row is stored). */
  id: string;
  decision: Decision;
  /** The decision's input digest. */
  inputHash: string;
}

/**
 * Escalations handed to IR together: what they look up is read in one statement per kind and what
 * they write is written in a few multi-row statements (on PostgreSQL each statement is a round
 * trip). At the million, one triage escalated 20,398 findings.
 */
const ESCALATION_CHUNK = 500;

const pairKey = (asset: string, vulnerability: string): string => JSON.stringify([asset, vulnerability]);
const noteKey = (incident: string, finding: string, inputHash: string): string => JSON.stringify([incident, finding, inputHash]);

/**
 * Hands escalations to IR a chunk at a time, in run order. What they look up in the store is read
 * for the chunk (`prefetch`) and kept up to date as the escalations before them write: the open
 * incident of an asset and vulnerability, the handoff notes an incident already has, the finding's
 * open remediation item and the vulnerability's words for the note.
 */
class Handoff {
  /** Open incident (the lowest id) per asset and vulnerability, for the chunk's pairs and those escalated since. */
  private readonly openIncident = new Map<string, string | null>();
  /** Notes already with an incident (the first one's id), by incident, finding and input digest. */
  private readonly noted = new Map<string, string>();
  /** Findings with an open or in-progress remediation item. */
  private readonly remediating = new Set<string>();
  private vulnerabilities = new Map<string, VulnerabilityRecord>();
  /** The inputs of the last prefetched chunk's decisions, by decision id (the finding's whole record: the note quotes its words). */
  private inputs = new Map<string, EvaluationInput>();

  constructor(
    private readonly trx: Trx,
    private readonly ctx: AppContext,
    private readonly caller: Caller,
    private readonly ruleset: Ruleset,
    private readonly facts: StoreFacts,
  ) {}

  /** Reads what the chunk's escalations look up (pairs already known keep what this run made of them). */
  async prefetch(chunk: readonly Escalation[]): Promise<void> {
    const trx = this.trx;
    const pairs = [...new Map(chunk.map((e) => [pairKey(e.decision.asset, e.decision.vulnerability), e.decision] as const)).entries()].filter(([k]) => !this.openIncident.has(k));
    if (pairs.length > 0) {
      const linked = await trx
        .selectFrom('decisions')
        .innerJoin('incidents', 'incidents.id', 'decisions.incident_id')
        .select((eb) => ['decisions.asset_id', 'decisions.vulnerability_id', eb.fn.min('incidents.id').as('incident')])
        // implied by the join; stated so the partial index decisions_link (incident_id IS NOT NULL) applies
        .where('decisions.incident_id', 'is not', null)
        .where((eb) => eb(eb.refTuple('decisions.asset_id', 'decisions.vulnerability_id'), 'in', pairs.map(([, d]) => eb.tuple(d.asset, d.vulnerability))))
        .where('incidents.state', 'not in', ['closed', 'closed_non_incident'])
        .groupBy(['decisions.asset_id', 'decisions.vulnerability_id'])
        .execute();
      for (const [k] of pairs) this.openIncident.set(k, null);
      for (const r of linked) this.openIncident.set(pairKey(r.asset_id, r.vulnerability_id), r.incident);
    }
    const findings = [...new Set(chunk.map((e) => e.decision.finding))];
    const incidents = [...new Set(chunk.map((e) => this.openIncident.get(pairKey(e.decision.asset, e.decision.vulnerability))).filter((x): x is string => typeof x === 'string'))];
    if (incidents.length > 0) {
      const notes = await trx
        .selectFrom('handoff_notes')
        .innerJoin('decisions', 'decisions.id', 'handoff_notes.decision_id')
        .select(['handoff_notes.id', 'handoff_notes.incident_id', 'decisions.finding_id', 'decisions.input_hash'])
        .where('handoff_notes.incident_id', 'in', incidents)
        .where('decisions.finding_id', 'in', findings)
        .orderBy('handoff_notes.id')
        .execute();
      for (const n of notes) this.note(noteKey(n.incident_id, n.finding_id, n.input_hash), n.id);
    }
    const items = await trx.selectFrom('remediation_items').select('finding_id').where('finding_id', 'in', findings).where('status', 'in', ['open', 'in_progress']).execute();
    for (const r of items) if (r.finding_id !== null) this.remediating.add(r.finding_id);
    const vulnIds = [...new Set(chunk.map((e) => e.decision.vulnerability))];
    this.vulnerabilities = new Map((await trx.selectFrom('vulnerabilities').selectAll().where('id', 'in', vulnIds).execute()).map((r) => [r.id, vulnerabilityFromRow(r)]));
    const rows = new Map((await trx.selectFrom('findings').selectAll().where('id', 'in', findings).execute()).map((r) => [r.id, r]));
    await this.facts.load([...rows.values()].map((r) => ({ asset: r.asset_id, vulnerability: r.vulnerability_id })));
    this.inputs = new Map();
    for (const e of chunk) {
      const row = rows.get(e.decision.finding);
      if (row === undefined) throw new Error(`escalation ${e.id}: finding ${e.decision.finding} is not stored`);
      this.inputs.set(e.id, this.facts.inputFor(findingFromRow(row)));
    }
  }

  private note(key: string, id: string): void {
    if (!this.noted.has(key)) this.noted.set(key, id);
  }

  /**
   * What each escalation of a chunk does, in run order: link an open incident or open one (those
   * opened in the chunk numbered by order), send its note or not (IR has it already), open a
   * remediation item or not.
   */
  private plan(chunk: readonly Escalation[]): { plans: EscalationPlan[]; opened: number } {
    const opened = new Map<string, number>();
    const plans = chunk.map((e): EscalationPlan => {
      const d = e.decision;
      const input = this.inputs.get(e.id);
      if (input === undefined) throw new Error(`escalation ${e.id} was not prefetched`);
      const pair = pairKey(d.asset, d.vulnerability);
      let incident: string | number | null = this.openIncident.get(pair) ?? opened.get(pair) ?? null;
      const create = incident === null;
      if (incident === null) {
        incident = opened.size;
        opened.set(pair, incident);
      }
      const sent = typeof incident === 'string' ? this.noted.get(noteKey(incident, d.finding, e.inputHash)) : undefined;
      const remediate = sent === undefined && !this.remediating.has(d.finding);
      if (remediate) this.remediating.add(d.finding);
      return { e, input, pair, incident, create, sent, remediate };
    });
    return { plans, opened: opened.size };
  }

  /**
   * Hands a prefetched chunk of escalations to IR, in run order: each links the open incident for
   * the same asset and vulnerability, or opens one; stores its handoff note (Markdown and JSON);
   * queues the note to the `ir_lead` role; keeps a remediation item open for the finding so
   * patching goes on in parallel. The chunk is planned first, then its ids and audit sequence
   * numbers are taken in one statement per counter and its rows written a table at a time, with
   * the same rows, ids and audit chain as escalating one by one.
   */
  async escalateChunk(chunk: readonly Escalation[]): Promise<TriageSummary['incidents']> {
    const { trx, ctx } = this;
    const routes = ctx.config.routing.roles.ir_lead ?? [];
    const { plans, opened } = this.plan(chunk);
    const notes = plans.filter((p) => p.sent === undefined).length;
    const items = plans.filter((p) => p.remediate).length;
    const year = ctx.now().getUTCFullYear();
    const ids = new ChunkIds(year, {
      incident: opened > 0 ? await reserveCounter(trx, incidentCounter(year), opened) : 0,
      HO: notes > 0 ? await reserveIds(trx, 'HO', notes) : 0,
      [NOTIFICATION_PREFIX]: notes * routes.length > 0 ? await reserveIds(trx, NOTIFICATION_PREFIX, notes * routes.length) : 0,
      RI: items > 0 ? await reserveIds(trx, 'RI', items) : 0,
    });
    const rows = new ChunkRows();
    const results = plans.map((p) => this.handOver(p, ids, routes, rows));
    await rows.write(trx, ctx, this.caller);
    return results;
  }

  /** One planned escalation's rows and audit entries, in the order escalating one by one makes them. */
  private handOver(p: EscalationPlan, ids: ChunkIds, routes: readonly Route[], rows: ChunkRows): TriageSummary['incidents'][number] {
    const { ctx, caller, ruleset } = this;
    const { id: decisionId, decision: d } = p.e;
    const input = p.input;
    const at = isoNow(ctx);
    let incidentId: string;
    if (typeof p.incident === 'string') incidentId = p.incident;
    else if (p.create) {
      const inc = incidentRecord(
        ctx,
        caller,
        { title: `Escalation: ${d.vulnerability} on ${input.asset?.name ?? d.asset} (${d.triggers.join(', ')})`, severity: handoffSeverity(d.triggers, ruleset), assets: [d.asset], service: input.asset?.service ?? undefined },
        ids.year,
        ids.incidentNumber(p.incident),
      );
      incidentId = inc.row.id;
      rows.incidents.push(inc.row);
      rows.audit.push(inc.audit);
      this.openIncident.set(p.pair, incidentId);
    } else incidentId = this.openIncident.get(p.pair)!;
    rows.linkAsset(incidentId, d.asset);
    rows.links.push([decisionId, incidentId]);
    // Same finding, same facts as a decision already handed over: IR has this note; don't resend.
    if (p.sent !== undefined) return { incident: incidentId, decision: decisionId, finding: d.finding, created: p.create, handoff: p.sent, resent: false };
    // Stored triage reads only the facts of a vulnerability; the note also gives its title and references.
    const full = this.vulnerabilities.get(d.vulnerability);
    const vulnerability = full === undefined || input.vulnerability === null ? input.vulnerability : { ...full, ...vulnerabilityFacts(input.vulnerability) };
    // Stored decisions carry no explanation; the handoff note quotes the rule lines, so build them.
    const explained = d.explanation.length > 0 ? d : evaluate(input, ruleset);
    const built = buildHandoffNote({ decision: explained, finding: input.finding, asset: input.asset, vulnerability, signals: input.signals, advisories: input.advisories, ruleset, now: ctx.now() });
    const handoffId = ids.next('HO');
    rows.notes.push({ id: handoffId, incident_id: incidentId, decision_id: decisionId, markdown: built.markdown, json: JSON.stringify(built.json), created_at: at });
    this.note(noteKey(incidentId, d.finding, p.e.inputHash), handoffId);
    rows.audit.push({ action: 'handoff.created', entityType: 'handoff_note', entityId: handoffId, incidentId, state: { id: handoffId, incident: incidentId, decision: decisionId, note: built.json } });
    for (const route of routes) {
      const queued = notificationRecord(
        ctx,
        {
          incident: incidentId,
          purpose: 'handoff',
          role: 'ir_lead',
          route,
          subject: `[closeloop] ${incidentId} IR escalation: ${d.vulnerability} on ${d.asset} (${d.triggers.join(', ')})`,
          body: built.markdown,
          idempotencyKey: `handoff:${handoffId}:ir_lead:${route.channel}:${route.address}`,
        },
        ids.next(NOTIFICATION_PREFIX),
      );
      rows.notifications.push(queued.row);
      rows.audit.push(queued.audit);
    }
    if (p.remediate) {
      const opening: RemediationItem = {
        id: ids.next('RI'),
        incident_id: incidentId,
        weakness_id: null,
        finding_id: d.finding,
        owner_role: 'vuln_mgmt_owner',
        assignee: input.asset?.owner ?? 'unassigned',
        criteria: input.finding.fixed_version
          ? `${input.finding.component ?? 'component'} at ${input.finding.fixed_version} or later on ${d.asset}, or a verified mitigation`
          : `patch or verified mitigation of ${d.vulnerability} on ${d.asset}`,
        due: built.json.requested_response.by.slice(0, 10),
        ticket: null,
        status: 'open',
        created_at: at,
        updated_at: at,
      };
      rows.items.push(opening);
      rows.history.push({ item_id: opening.id, seq: 1, status: 'open', actor: caller.actor, at });
      rows.audit.push({ action: 'remediation.opened', entityType: 'remediation_item', entityId: opening.id, incidentId, state: opening });
    }
    return { incident: incidentId, decision: decisionId, finding: d.finding, created: p.create, handoff: handoffId, resent: true };
  }
}

/** What one escalation of a chunk does (Handoff.plan). */
interface EscalationPlan {
  e: Escalation;
  input: EvaluationInput;
  pair: string;
  /** The open incident it links (its id), or the chunk's new incident it opens or links (numbered from 0 in the chunk). */
  incident: string | number;
  create: boolean;
  /** The note IR already has for this finding and input, if any: nothing is sent. */
  sent: string | undefined;
  remediate: boolean;
}

/** The ids a chunk reserved: the first of each kind, handed out in order. */
class ChunkIds {
  private readonly taken = new Map<string, number>();

  constructor(
    readonly year: number,
    private readonly first: Readonly<Record<string, number>>,
  ) {}

  /** The number of the chunk's n-th new incident (from 0). */
  incidentNumber(n: number): number {
    return this.first['incident']! + n;
  }

  /** The next id of a kind (`HO-0042`). */
  next(prefix: string): string {
    const n = this.taken.get(prefix) ?? 0;
    this.taken.set(prefix, n + 1);
    return formatId(prefix, this.first[prefix]! + n);
  }
}

/** The rows a chunk of escalations writes, and its audit entries in order. */
class ChunkRows {
  readonly incidents: Incident[] = [];
  private readonly incidentAssets = new Map<string, { incident_id: string; asset_id: string }>();
  readonly links: [decision: string, incident: string][] = [];
  readonly notes: HandoffNotesTable[] = [];
  readonly notifications: Notification[] = [];
  readonly items: RemediationItem[] = [];
  readonly history: RemediationHistoryTable[] = [];
  readonly audit: AuditEntry[] = [];

  linkAsset(incident: string, asset: string): void {
    const key = pairKey(incident, asset);
    if (!this.incidentAssets.has(key)) this.incidentAssets.set(key, { incident_id: incident, asset_id: asset });
  }

  /** Writes them, parents before the rows that refer to them, a table at a time. */
  async write(trx: Trx, ctx: AppContext, caller: Caller): Promise<void> {
    await insertRows(trx, 'incidents', this.incidents);
    for (const part of slices([...this.incidentAssets.values()], ROWS_PER_INSERT)) {
      await trx.insertInto('incident_assets').values(part).onConflict((oc) => oc.columns(['incident_id', 'asset_id']).doNothing()).execute();
    }
    for (const part of slices(this.links, ROWS_PER_INSERT / 2)) {
      const incidentOf = sql<string>`CASE id ${sql.join(part.map(([dec, inc]) => sql`WHEN ${dec} THEN ${inc}`), sql` `)} END`;
      await trx.updateTable('decisions').set({ incident_id: incidentOf }).where('id', 'in', part.map(([dec]) => dec)).execute();
    }
    await insertRows(trx, 'handoff_notes', this.notes);
    await insertRows(trx, 'notifications', this.notifications);
    await insertRows(trx, 'remediation_items', this.items);
    await insertRows(trx, 'remediation_history', this.history);
    await auditMany(trx, ctx, caller, this.audit);
  }
}

/** How `why` rebuilt a decision's explanation, and whether the rebuild is exact. */
export interface Replay {
  /** The replay's input digest equals the stored one: the lines are exactly those behind the decision. */
  verified: boolean;
  input_hash: string | null;
  message: string;
}

/**
 * `closeloop why FINDING`: the latest stored decision with its facts and rule lines. The lines come
 * from replaying the engine (see src/app/decisions.ts) with the run's stored ruleset, the stored
 * vulnerability facts and the finding, asset, signals and advisories as stored now; the replay's
 * input digest is checked against the decision's.
 */
export async function explainFinding(ctx: AppContext, caller: Caller, findingId: string) {
  authorize(ctx, caller, 'vr.triage');
  const db = ctx.store.db;
  const row = await db.selectFrom('decisions').selectAll().where('finding_id', '=', findingId).orderBy('decided_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  const findingRow = await db.selectFrom('findings').selectAll().where('id', '=', findingId).executeTakeFirst();
  if (!row) {
    if (!findingRow) throw notFound('finding', findingId);
    throw new ClError('CL_NOT_FOUND', `finding ${findingId} has no decision yet; run \`closeloop triage\` first`);
  }
  const snapshot = JSON.parse(row.snapshot) as unknown;
  const decided = {
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
    snapshot,
    incident: row.incident_id,
    decided_at: row.decided_at,
  };
  const runId = row.id.slice(0, row.id.indexOf('/'));
  const run = await db
    .selectFrom('triage_runs')
    .innerJoin('rulesets', 'rulesets.digest', 'triage_runs.ruleset_digest')
    .select(['rulesets.body'])
    .where('triage_runs.id', '=', runId)
    .executeTakeFirst();
  if (!findingRow || !run) {
    const replay: Replay = { verified: false, input_hash: null, message: !findingRow ? `finding ${findingId} is no longer stored: the decision cannot be replayed` : `triage run ${runId} has no stored ruleset: the decision cannot be replayed` };
    return { ...decided, explanation: [] as ExplanationLine[], replay };
  }
  const finding = findingFromRow(findingRow);
  const ruleset = JSON.parse(run.body) as Ruleset;
  const assetRow = await db.selectFrom('assets').selectAll().where('id', '=', finding.asset).executeTakeFirst();
  const vulnRow = await db.selectFrom('vulnerabilities').selectAll().where('id', '=', finding.vulnerability).executeTakeFirst();
  const signals = (await db.selectFrom('signals').selectAll().where('asset_id', '=', finding.asset).orderBy('time').execute()).map(signalFromRow);
  const advisories = (await db.selectFrom('advisory_statements').selectAll().where('vulnerability_id', 'in', [finding.vulnerability, ...finding.aliases]).execute()).map(advisoryFromRow);
  const today = vulnRow ? vulnerabilityFromRow(vulnRow) : null;
  // The engine reads only the facts the snapshot holds (title, references and extra are words).
  const vulnerability = snapshot === null ? null : { title: today?.title ?? null, references: today?.references ?? [], extra: today?.extra ?? {}, ...(snapshot as object) } as VulnerabilityRecord;
  const input: EvaluationInput = { finding, asset: assetRow ? assetFromRow(assetRow) : null, vulnerability, signals, advisories };
  const replayed = evaluate(input, ruleset);
  const digest = decisionInputDigest(input, ruleset);
  const verified = digest === row.input_hash;
  const replay: Replay = {
    verified,
    input_hash: digest,
    message: verified
      ? 'replayed with the run\'s ruleset and the stored vulnerability facts: the input digest matches, these are the lines behind the decision'
      : `the finding, its asset, signals or advisories have changed since ${row.decided_at} (input digest ${digest}): the lines below are for the facts as they are now${replayed.outcome === row.outcome ? '' : `, which would give ${replayed.outcome}`}; run \`closeloop triage\` for a current decision`,
  };
  return { ...decided, explanation: replayed.explanation, replay };
}

/** `closeloop handoff show INC`: the handoff notes stored with an incident. */
export async function handoffNotes(ctx: AppContext, caller: Caller, incidentId: string) {
  authorize(ctx, caller, 'incident.read');
  const inc = await ctx.store.db.selectFrom('incidents').select('id').where('id', '=', incidentId).executeTakeFirst();
  if (!inc) throw notFound('incident', incidentId);
  const rows = await ctx.store.db.selectFrom('handoff_notes').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, decision: r.decision_id, created_at: r.created_at, markdown: r.markdown, note: JSON.parse(r.json) as unknown }));
}
