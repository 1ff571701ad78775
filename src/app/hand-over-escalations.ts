/**
 * Handing a triage run's escalations to incident response (`closeloop triage --escalate`): one
 * incident per event. Each escalation is grouped (domain/escalation/grouping.ts: by asset for what
 * happened on a host, by vulnerability for exposure) and links the open incident whose scope lists
 * its key, or opens one (after a closed one, recording which); its handoff note is stored, a
 * remediation item stays open for the finding, and each incident the run handed findings to gets
 * one handoff revision, queued to the `ir_lead` role. docs/decisions/incident-grouping.md.
 */
import { buildHandoffNote, evaluate, handoffSeverity, type Decision, type EvaluationInput, type Ruleset } from '../domain/escalation/index.js';
import { groupingOf, type Grouping } from '../domain/escalation/grouping.js';
import { handoffRevisionSubject, renderHandoffRevision, type AddedFinding } from '../domain/escalation/handoff-revision.js';
import type { VulnerabilityRecord } from '../domain/records.js';
import type { DeliveryEvent } from '../delivery/channel.js';
import { NOTIFICATION_PREFIX, notificationRecord } from '../delivery/outbox.js';
import { reserveCounter } from '../store/counters.js';
import { insertRows } from '../store/insert.js';
import { findingFromRow, vulnerabilityFromRow } from '../store/records.js';
import { findingsByIds, vulnerabilitiesByIds } from '../store/repositories/knowledge.js';
import { linkDecisionsToIncidents } from '../store/repositories/triage-decisions.js';
import { lockOpenIncidents } from '../store/repositories/incidents.js';
import { addIncidentKeys, findingsInRemediation, incidentsOfKeys, insertIncidentFollows, lastHandoffRevisions, linkIncidentAssets, notesForFindings } from '../store/repositories/triage-handoff.js';
import type { HandoffNotesTable, HandoffRevisionsTable, Incident, IncidentAssetsTable, IncidentFollowsTable, IncidentKeysTable, Notification, RemediationHistoryTable, RemediationItem } from '../store/schema.js';
import { auditMany, earliestDate, formatId, isoNow, reserveIds, type AppContext, type AuditEntry, type Caller, type Trx } from './context.js';
import type { StoreFacts } from './decisions.js';
import { vulnerabilityOfSnapshot } from './decision-snapshot.js';
import { incidentCounter, incidentRecord } from './incidents.js';
import { controlCardInForce } from './control-card.js';
import { incidentLink, notifySubscribers, type SubscribedEvent } from './outbox.js';
import { queueItemTickets } from './tickets.js';

/** What handing one escalation to IR did: the incident it went to, and whether a note was stored for it. */
export interface HandedOver {
  incident: string;
  decision: string;
  finding: string;
  /** The grouping key (`asset:<id>` or `vuln:<id>`) the escalation was grouped by. */
  grouping: string;
  created: boolean;
  handoff: string;
  resent: boolean;
}

/** One handoff revision a run queued to the IR lead. */
export interface HandoffRevised {
  incident: string;
  revision: number;
  findings: number;
  assets: number;
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
  /** The decision's stored vulnerability facts (canonical JSON): the note shows exactly these. */
  snapshot: string;
}

/**
 * Escalations handed to IR together: what they look up is read in one statement per kind and what
 * they write is written in a few multi-row statements (on PostgreSQL each statement is a round
 * trip). At the million, one triage escalated 20,398 findings.
 */
export const ESCALATION_CHUNK = 500;

const noteKey = (incident: string, finding: string, inputHash: string): string => JSON.stringify([incident, finding, inputHash]);

/** What the run handed to one incident, for its revision. */
interface Additions {
  grouping: string;
  opened: boolean;
  added: AddedFinding[];
  firstNote: string;
}

/**
 * Hands escalations to IR a chunk at a time, in run order, then (`finish`) one handoff revision per
 * incident. What they look up in the store is read for the chunk (`prefetch`) and kept up to date
 * as the escalations before them write: the open incident of each grouping key, the handoff notes
 * an incident already has, the finding's open remediation item and the vulnerability's words for
 * the note.
 */
export class Handoff {
  /** Open incident per grouping key (null: none), for the keys of the chunk and those escalated since. */
  private readonly openIncident = new Map<string, string | null>();
  /** The last closed incident of a grouping key: a new incident for the key follows it. */
  private readonly closedIncident = new Map<string, string>();
  /** Notes already with an incident (the first one's id), by incident, finding and input digest. */
  private readonly noted = new Map<string, string>();
  /** Findings with an open or in-progress remediation item. */
  private readonly remediating = new Set<string>();
  /** What the run handed to each incident, in the order it first did. */
  private readonly additions = new Map<string, Additions>();
  private vulnerabilities = new Map<string, VulnerabilityRecord>();
  /** The inputs and groupings of the last prefetched chunk's decisions, by decision id. */
  private inputs = new Map<string, EvaluationInput>();
  private groupings = new Map<string, Grouping>();

  constructor(
    private readonly trx: Trx,
    private readonly ctx: AppContext,
    private readonly caller: Caller,
    private readonly ruleset: Ruleset,
    private readonly facts: StoreFacts,
  ) {}

  /** Reads what the chunk's escalations look up (keys already known keep what this run made of them). */
  async prefetch(chunk: readonly Escalation[]): Promise<void> {
    const trx = this.trx;
    const findings = [...new Set(chunk.map((e) => e.decision.finding))];
    const rows = new Map((await findingsByIds(trx, findings)).map((r) => [r.id, r]));
    await this.facts.load([...rows.values()].map((r) => ({ asset: r.asset_id, vulnerability: r.vulnerability_id })));
    this.inputs = new Map();
    this.groupings = new Map();
    for (const e of chunk) {
      const row = rows.get(e.decision.finding);
      if (row === undefined) throw new Error(`escalation ${e.id}: finding ${e.decision.finding} is not stored`);
      const input = this.facts.inputFor(findingFromRow(row));
      this.inputs.set(e.id, input);
      this.groupings.set(e.id, groupingOf(e.decision, input.finding.aliases));
    }
    const keys = [...new Set([...this.groupings.values()].flatMap((g) => g.keys))].filter((k) => !this.openIncident.has(k));
    if (keys.length > 0) {
      const found = await incidentsOfKeys(trx, keys);
      for (const k of keys) this.openIncident.set(k, null);
      // Hold each incident found open until the run commits; one closed meanwhile is not reused.
      const open = await lockOpenIncidents(trx, [...new Set(found.map((r) => r.open).filter((x): x is string => x !== null))]);
      for (const r of found) {
        if (r.open !== null && open.has(r.open)) this.openIncident.set(r.key, r.open);
        // one found open but closed before its lock is the one closed last
        const closed = r.open !== null && !open.has(r.open) ? r.open : r.closed;
        if (closed !== null) this.closedIncident.set(r.key, closed);
      }
    }
    const incidents = [...new Set([...this.groupings.values()].flatMap((g) => g.keys.map((k) => this.openIncident.get(k))).filter((x): x is string => typeof x === 'string'))];
    if (incidents.length > 0) {
      for (const n of await notesForFindings(trx, incidents, findings)) this.note(noteKey(n.incident_id, n.finding_id, n.input_hash), n.id);
    }
    for (const id of await findingsInRemediation(trx, findings)) this.remediating.add(id);
    const vulnIds = [...new Set(chunk.map((e) => e.decision.vulnerability))];
    this.vulnerabilities = new Map((await vulnerabilitiesByIds(trx, vulnIds)).map((r) => [r.id, vulnerabilityFromRow(r)]));
  }

  private note(key: string, id: string): void {
    if (!this.noted.has(key)) this.noted.set(key, id);
  }

  /**
   * What each escalation of a chunk does, in run order: link the open incident of one of its keys
   * (the first that has one: canonical id, then the finding's id and aliases) or open one (those
   * opened in the chunk numbered by order, each following the incident its first key closed last),
   * store its note or not (IR has it already), open a remediation item or not.
   */
  private plan(chunk: readonly Escalation[]): { plans: EscalationPlan[]; opened: number; chunkIncident: Map<string, number> } {
    const chunkIncident = new Map<string, number>();
    let opened = 0;
    const plans = chunk.map((e): EscalationPlan => {
      const d = e.decision;
      const input = this.inputs.get(e.id);
      const grouping = this.groupings.get(e.id);
      if (input === undefined || grouping === undefined) throw new Error(`escalation ${e.id} was not prefetched`);
      let incident: string | number | undefined;
      for (const k of grouping.keys) {
        incident = this.openIncident.get(k) ?? chunkIncident.get(k) ?? undefined;
        if (incident !== undefined) break;
      }
      const create = incident === undefined;
      let follows: string | null = null;
      if (incident === undefined) {
        incident = opened++;
        follows = grouping.keys.map((k) => this.closedIncident.get(k)).find((x) => x !== undefined) ?? null;
      }
      // the escalation's other keys (an alias seen first here) now name its incident too
      for (const k of grouping.keys) {
        if (typeof this.openIncident.get(k) === 'string' || chunkIncident.has(k)) continue;
        if (typeof incident === 'string') this.openIncident.set(k, incident);
        else chunkIncident.set(k, incident);
      }
      const sent = typeof incident === 'string' ? this.noted.get(noteKey(incident, d.finding, e.inputHash)) : undefined;
      const remediate = sent === undefined && !this.remediating.has(d.finding);
      if (remediate) this.remediating.add(d.finding);
      return { e, input, grouping, incident, create, follows, sent, remediate };
    });
    return { plans, opened, chunkIncident };
  }

  /**
   * Hands a prefetched chunk of escalations to IR, in run order: each links the open incident of
   * its grouping key, or opens one; stores its handoff note (Markdown and JSON); keeps a
   * remediation item open for the finding so patching goes on in parallel. The chunk is planned
   * first, then its ids and audit sequence numbers are taken in one statement per counter and its
   * rows written a table at a time, with the same rows, ids and audit chain as escalating one by one.
   * The notes reach the IR lead through the run's revisions (`finish`).
   */
  async escalateChunk(chunk: readonly Escalation[]): Promise<HandedOver[]> {
    const { trx, ctx } = this;
    const { plans, opened, chunkIncident } = this.plan(chunk);
    const notes = plans.filter((p) => p.sent === undefined).length;
    const items = plans.filter((p) => p.remediate).length;
    // the new incidents are stamped with the card in force: recorded, if no start did
    if (opened > 0) await controlCardInForce(trx, ctx, this.caller);
    const year = ctx.now().getUTCFullYear();
    const ids = new ChunkIds(year, {
      incident: opened > 0 ? await reserveCounter(trx, incidentCounter(year), opened) : 0,
      HO: notes > 0 ? await reserveIds(trx, 'HO', notes) : 0,
      RI: items > 0 ? await reserveIds(trx, 'RI', items) : 0,
    });
    const rows = new ChunkRows();
    const results = plans.map((p) => this.handOver(p, ids, rows));
    for (const [key, n] of chunkIncident) this.openIncident.set(key, ids.opened(n));
    await rows.write(trx, ctx, this.caller);
    return results;
  }

  /** The incident a planned escalation goes to: its open one, or the chunk's new one (opened here for the first). */
  private incidentFor(p: EscalationPlan, ids: ChunkIds, rows: ChunkRows): string {
    if (typeof p.incident === 'string') return p.incident;
    if (!p.create) return ids.opened(p.incident);
    const d = p.e.decision;
    const asset = p.input.asset;
    const subject = p.grouping.kind === 'asset' ? (asset?.name ?? d.asset) : p.grouping.key.slice('vuln:'.length);
    const inc = incidentRecord(
      this.ctx,
      this.caller,
      // a campaign spans services: only a host's incident takes the host's service
      { title: `Escalation: ${subject} (${d.triggers.join(', ')})`, severity: handoffSeverity(d.triggers, this.ruleset), assets: [d.asset], service: p.grouping.kind === 'asset' ? (asset?.service ?? undefined) : undefined },
      ids.year,
      ids.incidentNumber(p.incident),
    );
    ids.open(p.incident, inc.row.id);
    rows.incidents.push(inc.row);
    if (p.follows !== null) rows.follows.push({ incident_id: inc.row.id, follows: p.follows });
    rows.audit.push({ ...inc.audit, state: { ...inc.row, assets: inc.assets, grouping: p.grouping.key, follows: p.follows } });
    return inc.row.id;
  }

  /** One planned escalation's rows and audit entries, in the order escalating one by one makes them. */
  private handOver(p: EscalationPlan, ids: ChunkIds, rows: ChunkRows): HandedOver {
    const { ctx, caller, ruleset } = this;
    const { id: decisionId, decision: d } = p.e;
    const at = isoNow(ctx);
    const incidentId = this.incidentFor(p, ids, rows);
    rows.linkAsset(incidentId, d.asset);
    for (const key of p.grouping.keys) rows.key(incidentId, key);
    rows.links.push([decisionId, incidentId]);
    const handed = { incident: incidentId, decision: decisionId, finding: d.finding, grouping: p.grouping.key, created: p.create };
    // Same finding, same facts as a decision already handed over: IR has this note; don't resend.
    if (p.sent !== undefined) return { ...handed, handoff: p.sent, resent: false };
    // The note shows the facts the decision used (its snapshot, which `why` replays) and the record's words.
    const input: EvaluationInput = { ...p.input, vulnerability: vulnerabilityOfSnapshot(JSON.parse(p.e.snapshot) as unknown, this.vulnerabilities.get(d.vulnerability)) };
    // Stored decisions carry no explanation; the handoff note quotes the rule lines, so build them.
    const explained = d.explanation.length > 0 ? d : evaluate(input, ruleset);
    const built = buildHandoffNote({ decision: explained, finding: input.finding, asset: input.asset, vulnerability: input.vulnerability, signals: input.signals, advisories: input.advisories, ruleset, now: ctx.now() });
    const handoffId = ids.next('HO');
    rows.notes.push({ id: handoffId, incident_id: incidentId, decision_id: decisionId, markdown: built.markdown, json: JSON.stringify(built.json), created_at: at });
    this.note(noteKey(incidentId, d.finding, p.e.inputHash), handoffId);
    rows.audit.push({ action: 'handoff.created', entityType: 'handoff_note', entityId: handoffId, incidentId, state: { id: handoffId, incident: incidentId, decision: decisionId, grouping: p.grouping.key, note: built.json } });
    this.added(incidentId, p, built.markdown).added.push({ finding: d.finding, asset: d.asset, vulnerability: d.vulnerability, triggers: [...d.triggers], note: handoffId });
    if (p.remediate) {
      const finding = input.finding;
      const opening: RemediationItem = {
        id: ids.next('RI'),
        incident_id: incidentId,
        weakness_id: null,
        finding_id: d.finding,
        owner_role: 'vuln_mgmt_owner',
        assignee: input.asset?.owner ?? 'unassigned',
        criteria: finding.fixed_version
          ? `${finding.component ?? 'component'} at ${finding.fixed_version} or later on ${d.asset}, or a verified mitigation`
          : `patch or verified mitigation of ${d.vulnerability} on ${d.asset}`,
        // the requested response time, or the CISA KEV due date when that is earlier
        due: earliestDate(built.json.requested_response.by.slice(0, 10), input.vulnerability?.kev?.dueDate),
        ticket: null,
        status: 'open',
        overdue_since: null,
        created_at: at,
        updated_at: at,
      };
      rows.items.push(opening);
      rows.history.push({ item_id: opening.id, seq: 1, status: 'open', actor: caller.actor, at });
      rows.audit.push({ action: 'remediation.opened', entityType: 'remediation_item', entityId: opening.id, incidentId, state: opening });
    }
    return { ...handed, handoff: handoffId, resent: true };
  }

  private added(incident: string, p: EscalationPlan, note: string): Additions {
    let a = this.additions.get(incident);
    if (a === undefined) {
      a = { grouping: p.grouping.key, opened: p.create, added: [], firstNote: note };
      this.additions.set(incident, a);
    }
    return a;
  }

  /**
   * Gives each incident the run handed new notes to one handoff revision (revision 1 for an
   * incident the run opened): stored, audited and queued once to each `ir_lead` route, however many
   * findings it added. A rerun on the same facts adds nothing, so sends nothing.
   */
  async finish(): Promise<HandoffRevised[]> {
    const { trx, ctx, caller } = this;
    if (this.additions.size === 0) return [];
    const routes = ctx.config.routing.roles.ir_lead ?? [];
    const incidents = [...this.additions.keys()];
    const last = await lastHandoffRevisions(trx, incidents.filter((i) => this.additions.get(i)?.opened !== true));
    const count = incidents.length * routes.length;
    const first = count > 0 ? await reserveIds(trx, NOTIFICATION_PREFIX, count) : 0;
    const at = isoNow(ctx);
    const revisions: HandoffRevisionsTable[] = [];
    const notifications: Notification[] = [];
    const audit: AuditEntry[] = [];
    const out: HandoffRevised[] = [];
    const subscribed: { event: DeliveryEvent; about: SubscribedEvent }[] = [];
    for (const [incident, a] of this.additions) {
      const revision = (last.get(incident) ?? 0) + 1;
      const text = { incident, revision, grouping: a.grouping, added: a.added, firstNote: a.firstNote };
      const markdown = renderHandoffRevision(text);
      revisions.push({ incident_id: incident, revision, added: JSON.stringify(a.added), markdown, created_at: at });
      const assets = new Set(a.added.map((f) => f.asset)).size;
      audit.push({ action: 'handoff.revised', entityType: 'incident', entityId: incident, incidentId: incident, state: { incident, revision, grouping: a.grouping, findings: a.added.map((f) => f.finding), notes: a.added.map((f) => f.note), assets } });
      const link = incidentLink(ctx, incident);
      const event: DeliveryEvent = {
        type: a.opened ? 'incident.escalated' : 'handoff.sent',
        incident: null,
        revision,
        lines: [
          { label: 'grouped by', text: a.grouping },
          { label: 'added', text: `${a.added.length} finding(s) on ${assets} asset(s)` },
          ...a.added.slice(0, 20).map((f) => ({ label: f.finding, text: `${f.vulnerability} on ${f.asset} (${f.triggers.join(', ')})` })),
        ],
        links: link === undefined ? {} : { incident: link },
        data: { incident, revision, findings: a.added.map((f) => f.finding), notes: a.added.map((f) => f.note) },
      };
      for (const route of routes) {
        const queued = notificationRecord(
          ctx,
          {
            incident,
            purpose: 'handoff',
            role: 'ir_lead',
            route,
            subject: handoffRevisionSubject(text),
            body: markdown,
            event,
            idempotencyKey: `handoff:${incident}:r${revision}:ir_lead:${route.channel}:${route.address}`,
          },
          formatId(NOTIFICATION_PREFIX, first + notifications.length),
        );
        notifications.push(queued.row);
        audit.push(queued.audit);
      }
      subscribed.push({ event, about: { incident, key: `${incident}:r${revision}`, subject: handoffRevisionSubject(text), body: markdown } });
      out.push({ incident, revision, findings: a.added.length, assets });
    }
    await insertRows(trx, 'handoff_revisions', revisions);
    await insertRows(trx, 'notifications', notifications);
    await auditMany(trx, ctx, caller, audit);
    for (const s of subscribed) await notifySubscribers(trx, ctx, caller, s.event, s.about);
    this.additions.clear();
    return out;
  }
}

/** What one escalation of a chunk does (Handoff.plan). */
interface EscalationPlan {
  e: Escalation;
  input: EvaluationInput;
  grouping: Grouping;
  /** The open incident it links (its id), or the chunk's new incident it opens or links (numbered from 0 in the chunk). */
  incident: string | number;
  create: boolean;
  /** For a new incident: the closed incident of its keys it follows. */
  follows: string | null;
  /** The note IR already has for this finding and input, if any: nothing is sent. */
  sent: string | undefined;
  remediate: boolean;
}

/** The ids a chunk reserved: the first of each kind, handed out in order; and the ids of the incidents it opened. */
class ChunkIds {
  private readonly taken = new Map<string, number>();
  private readonly incidents: string[] = [];

  constructor(
    readonly year: number,
    private readonly first: Readonly<Record<string, number>>,
  ) {}

  /** The number of the chunk's n-th new incident (from 0). */
  incidentNumber(n: number): number {
    return this.firstOf('incident') + n;
  }

  /** Records the id of the chunk's n-th new incident. */
  open(n: number, id: string): void {
    this.incidents[n] = id;
  }

  /** The id of the chunk's n-th new incident, opened by an escalation before. */
  opened(n: number): string {
    const id = this.incidents[n];
    if (id === undefined) throw new Error(`the chunk's incident ${n} was not opened`);
    return id;
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
  readonly follows: IncidentFollowsTable[] = [];
  private readonly incidentAssets = new Map<string, IncidentAssetsTable>();
  private readonly keys = new Map<string, IncidentKeysTable>();
  readonly links: [decision: string, incident: string][] = [];
  readonly notes: HandoffNotesTable[] = [];
  readonly items: RemediationItem[] = [];
  readonly history: RemediationHistoryTable[] = [];
  readonly audit: AuditEntry[] = [];

  linkAsset(incident: string, asset: string): void {
    const k = JSON.stringify([incident, asset]);
    if (!this.incidentAssets.has(k)) this.incidentAssets.set(k, { incident_id: incident, asset_id: asset });
  }

  key(incident: string, key: string): void {
    const k = JSON.stringify([incident, key]);
    if (!this.keys.has(k)) this.keys.set(k, { incident_id: incident, key });
  }

  /** Writes them, parents before the rows that refer to them, a table at a time. */
  async write(trx: Trx, ctx: AppContext, caller: Caller): Promise<void> {
    await insertRows(trx, 'incidents', this.incidents);
    await insertIncidentFollows(trx, this.follows);
    await linkIncidentAssets(trx, [...this.incidentAssets.values()]);
    await addIncidentKeys(trx, [...this.keys.values()]);
    await linkDecisionsToIncidents(trx, this.links);
    await insertRows(trx, 'handoff_notes', this.notes);
    await insertRows(trx, 'remediation_items', this.items);
    await insertRows(trx, 'remediation_history', this.history);
    await auditMany(trx, ctx, caller, this.audit);
    await queueItemTickets(trx, ctx, caller, this.items);
  }
}
