/**
 * Handing a triage run's escalations to incident response (`closeloop triage --escalate`): each
 * escalation links the open incident for its asset and vulnerability or opens one, stores its
 * handoff note, queues it to the `ir_lead` role and keeps a remediation item open for the finding.
 */
import { buildHandoffNote, evaluate, handoffSeverity, vulnerabilityFacts, type Decision, type EvaluationInput, type Ruleset } from '../domain/escalation/index.js';
import type { VulnerabilityRecord } from '../domain/records.js';
import { NOTIFICATION_PREFIX, notificationRecord } from '../delivery/outbox.js';
import type { Route } from '../config/schema.js';
import { reserveCounter } from '../store/counters.js';
import { insertRows } from '../store/insert.js';
import { findingFromRow, vulnerabilityFromRow } from '../store/records.js';
import { findingsByIds, vulnerabilitiesByIds } from '../store/repositories/knowledge.js';
import { linkDecisionsToIncidents, openIncidentsOfPairs } from '../store/repositories/triage-decisions.js';
import { lockOpenIncidents } from '../store/repositories/incidents.js';
import { findingsInRemediation, linkIncidentAssets, notesForFindings } from '../store/repositories/triage-handoff.js';
import type { HandoffNotesTable, Incident, IncidentAssetsTable, Notification, RemediationHistoryTable, RemediationItem } from '../store/schema.js';
import { auditMany, formatId, isoNow, reserveIds, type AppContext, type AuditEntry, type Caller, type Trx } from './context.js';
import type { StoreFacts } from './decisions.js';
import { incidentCounter, incidentRecord } from './incidents.js';
import { queueItemTickets } from './tickets.js';

/** What handing one escalation to IR did: the incident it went to, and whether a note was sent. */
export interface HandedOver {
  incident: string;
  decision: string;
  finding: string;
  created: boolean;
  handoff: string;
  resent: boolean;
}

/**
 * One escalation of a run, to hand to IR once the run's decisions are stored. Its input is read
 * again with its chunk (`Handoff.prefetch`): the run writes only decisions, so the finding and its
 * facts are those the decision read, and 20,398 escalations do not hold ~100 MiB of inputs.
 */
export interface Escalation {
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
export const ESCALATION_CHUNK = 500;

const pairKey = (asset: string, vulnerability: string): string => JSON.stringify([asset, vulnerability]);
const noteKey = (incident: string, finding: string, inputHash: string): string => JSON.stringify([incident, finding, inputHash]);

/**
 * Hands escalations to IR a chunk at a time, in run order. What they look up in the store is read
 * for the chunk (`prefetch`) and kept up to date as the escalations before them write: the open
 * incident of an asset and vulnerability, the handoff notes an incident already has, the finding's
 * open remediation item and the vulnerability's words for the note.
 */
export class Handoff {
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
      const linked = await openIncidentsOfPairs(trx, pairs.map(([, d]) => d));
      for (const [k] of pairs) this.openIncident.set(k, null);
      // Hold each incident found open until the run commits; one closed meanwhile is not reused.
      const open = await lockOpenIncidents(trx, [...new Set(linked.map((r) => r.incident).filter((x): x is string => x !== null))]);
      for (const r of linked) this.openIncident.set(pairKey(r.asset_id, r.vulnerability_id), r.incident !== null && open.has(r.incident) ? r.incident : null);
    }
    const findings = [...new Set(chunk.map((e) => e.decision.finding))];
    const incidents = [...new Set(chunk.map((e) => this.openIncident.get(pairKey(e.decision.asset, e.decision.vulnerability))).filter((x): x is string => typeof x === 'string'))];
    if (incidents.length > 0) {
      for (const n of await notesForFindings(trx, incidents, findings)) this.note(noteKey(n.incident_id, n.finding_id, n.input_hash), n.id);
    }
    for (const id of await findingsInRemediation(trx, findings)) this.remediating.add(id);
    const vulnIds = [...new Set(chunk.map((e) => e.decision.vulnerability))];
    this.vulnerabilities = new Map((await vulnerabilitiesByIds(trx, vulnIds)).map((r) => [r.id, vulnerabilityFromRow(r)]));
    const rows = new Map((await findingsByIds(trx, findings)).map((r) => [r.id, r]));
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
  async escalateChunk(chunk: readonly Escalation[]): Promise<HandedOver[]> {
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
  private handOver(p: EscalationPlan, ids: ChunkIds, routes: readonly Route[], rows: ChunkRows): HandedOver {
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
    } else {
      // an incident an earlier escalation of this chunk opened for the same pair
      const opened = this.openIncident.get(p.pair);
      if (typeof opened !== 'string') throw new Error(`escalation ${decisionId}: the chunk's incident for ${p.pair} was not opened`);
      incidentId = opened;
    }
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
    return this.firstOf('incident') + n;
  }

  /** The next id of a kind (`HO-0042`). */
  next(prefix: string): string {
    const n = this.taken.get(prefix) ?? 0;
    this.taken.set(prefix, n + 1);
    return formatId(prefix, this.firstOf(prefix) + n);
  }

  private firstOf(kind: string): number {
    const first = this.first[kind];
    if (first === undefined) throw new Error(`no ${kind} ids were reserved for the chunk`);
    return first;
  }
}

/** The rows a chunk of escalations writes, and its audit entries in order. */
class ChunkRows {
  readonly incidents: Incident[] = [];
  private readonly incidentAssets = new Map<string, IncidentAssetsTable>();
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
    await linkIncidentAssets(trx, [...this.incidentAssets.values()]);
    await linkDecisionsToIncidents(trx, this.links);
    await insertRows(trx, 'handoff_notes', this.notes);
    await insertRows(trx, 'notifications', this.notifications);
    await insertRows(trx, 'remediation_items', this.items);
    await insertRows(trx, 'remediation_history', this.history);
    await auditMany(trx, ctx, caller, this.audit);
    await queueItemTickets(trx, ctx, caller, this.items);
  }
}

