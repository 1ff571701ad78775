/**
 * The OSCAL 1.1.3 Plan of Action and Milestones (and its FedRAMP-style CSV) from the store: one
 * POA&M item per weakness, and one per remediation item opened for a finding without a weakness.
 * Each item has its observation (the weakness as the incident found it) and its risk (status,
 * remediation plan with milestones, risk log from the status history and the risk acceptances,
 * the deviation of an approved acceptance in force). See docs/oscal.md and docs/decisions/oscal.md.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { effectiveRiskState } from '../../domain/gate.js';
import type { RiskState } from '../../domain/incident.js';
import { ClError } from '../../errors.js';
import { poamRecords, type PoamRecords } from '../../store/repositories/oscal.js';
import type { Db, RemediationHistoryEntry, RemediationItem, RiskAcceptance, ThirdPartyNotice } from '../../store/schema.js';
import { audit, authorize, inTransaction, today, type AppContext, type Caller } from '../context.js';
import { parseInput } from '../validate.js';
import {
  contentVersion,
  FEDRAMP_NS,
  newest,
  OSCAL_VERSION,
  oscalDateTime,
  oscalIdsOf,
  oscalString,
  PartyBook,
  prop,
  writeExportFile,
  type OscalIds,
  type OscalMetadata,
  type OscalProperty,
} from './common.js';
import { poamCsv } from './poam-csv.js';

export const POAM_FORMATS = ['json', 'csv'] as const;
export type PoamFormat = (typeof POAM_FORMATS)[number];

export const exportPoamInput = z.strictObject({
  format: z.enum(POAM_FORMATS).default('json'),
});

/**
 * The POA&M as the API answers it, in outline (the whole is NIST's OSCAL 1.1.3 POA&M schema, which
 * the tests validate it against): the top-level keys and the metadata a client reads first.
 */
export const poamDocumentOutput = z.object({
  'plan-of-action-and-milestones': z.looseObject({
    uuid: z.string(),
    metadata: z.looseObject({ title: z.string(), 'last-modified': z.string(), version: z.string(), 'oscal-version': z.literal('1.1.3') }),
    observations: z.array(z.looseObject({ uuid: z.string(), description: z.string(), collected: z.string() })).optional(),
    risks: z.array(z.looseObject({ uuid: z.string(), title: z.string(), status: z.string() })).optional(),
    'poam-items': z.array(z.looseObject({ uuid: z.string(), title: z.string(), description: z.string() })),
  }),
});

/** OSCAL's risk statuses, as closeloop uses them (see riskStatus). */
export type PoamRiskStatus = 'open' | 'investigating' | 'remediating' | 'deviation-requested' | 'deviation-approved' | 'closed';

/**
 * A default mapping from a weakness's type to the NIST SP 800-53 control it is a deficiency of (the
 * POA&M's "Controls"); a finding from a scanner is a flaw (SI-2) found by vulnerability monitoring (RA-5).
 */
export const WEAKNESS_CONTROLS: Readonly<Record<string, readonly string[]>> = {
  technical: ['si-2'],
  configuration: ['cm-6'],
  identity_access: ['ac-2'],
  detection_gap: ['si-4'],
  operational: ['ir-4'],
  third_party: ['sa-9'],
  finding: ['ra-5', 'si-2'],
};

type Rec = PoamRecords;

/** One line of the POA&M: a weakness, or a finding's remediation item, with everything about it. */
export interface PoamUnit {
  /** WK-0001, or the remediation item's id for a finding. */
  id: string;
  kind: 'weakness' | 'finding';
  title: string;
  description: string;
  /** What the weakness is of (type, relation), or the finding's scanner. */
  weaknessType: string;
  relation: string | null;
  incident: Rec['incidents'][number] | null;
  finding: Rec['findings'][number] | null;
  createdBy: string | null;
  detectedAt: string;
  assets: string[];
  vulnerabilities: Rec['vulnerabilities'];
  vulnerabilityIds: string[];
  action: string | null;
  vendor: string | null;
  items: RemediationItem[];
  history: RemediationHistoryEntry[];
  acceptances: RiskAcceptance[];
  /** The approved acceptance in force (not past its review date), the latest reviewed when several. */
  inForce: RiskAcceptance | null;
  notices: ThirdPartyNotice[];
  status: PoamRiskStatus;
  /** The newest time of any of its records. */
  updatedAt: string;
  controls: readonly string[];
  /** The original risk rating: the incident's severity for a weakness, the scanner's for a finding. */
  severity: string | null;
  /** Every expired acceptance (approved, review date reached). */
  expired: RiskAcceptance[];
}

function groupBy<T>(rows: readonly T[], key: (r: T) => string | null): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const list = m.get(k);
    if (list === undefined) m.set(k, [r]);
    else list.push(r);
  }
  return m;
}

/**
 * The status of a line's risk: closed once every remediation item is verified; else
 * deviation-approved while an approved acceptance is in force; remediating while an item is in
 * progress or resolved (awaiting verification); deviation-requested while an acceptance awaits a
 * decision; open with a plan not yet started; investigating with neither plan nor acceptance.
 */
export function riskStatus(items: readonly Pick<RemediationItem, 'status'>[], acceptances: readonly Pick<RiskAcceptance, 'state' | 'review_by'>[], day: string): PoamRiskStatus {
  if (items.length > 0 && items.every((i) => i.status === 'verified')) return 'closed';
  if (acceptances.some((a) => effectiveRiskState(a, day) === 'approved')) return 'deviation-approved';
  if (items.some((i) => i.status === 'in_progress' || i.status === 'resolved')) return 'remediating';
  if (acceptances.some((a) => a.state === 'requested')) return 'deviation-requested';
  return items.length > 0 ? 'open' : 'investigating';
}

function firstLine(text: string, max = 80): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The lines of the POA&M, weaknesses first then findings' items, each in id order; `day` decides expiry. */
export function poamUnits(r: Rec, day: string): PoamUnit[] {
  const itemsByWeakness = groupBy(r.items, (i) => i.weakness_id);
  const historyByItem = groupBy(r.history, (h) => h.item_id);
  const risksByWeakness = groupBy(r.risks, (a) => a.weakness_id);
  const noticesByWeakness = groupBy(r.notices, (n) => n.weakness_id);
  const incidents = new Map(r.incidents.map((i) => [i.id, i]));
  const findings = new Map(r.findings.map((f) => [f.id, f]));
  const vulns = new Map(r.vulnerabilities.map((v) => [v.id, v]));
  const known = (ids: readonly string[]) => ids.flatMap((id) => vulns.get(id) ?? []);

  const unit = (u: Omit<PoamUnit, 'history' | 'inForce' | 'status' | 'updatedAt' | 'expired'>): PoamUnit => {
    const history = u.items.flatMap((i) => historyByItem.get(i.id) ?? []);
    const approved = u.acceptances.filter((a) => effectiveRiskState(a, day) === 'approved').sort((a, b) => (a.review_by < b.review_by ? 1 : a.review_by > b.review_by ? -1 : 0));
    const expired = u.acceptances.filter((a) => effectiveRiskState(a, day) === 'expired');
    const updatedAt =
      newest([
        u.detectedAt,
        ...u.items.map((i) => i.updated_at),
        ...history.map((h) => h.at),
        ...u.acceptances.flatMap((a) => [a.created_at, a.decided_at]),
        ...u.notices.flatMap((n) => [n.created_at, n.sent_at, n.responded_at, n.chased_at]),
      ]) ?? u.detectedAt;
    return { ...u, history, inForce: approved[0] ?? null, expired, status: riskStatus(u.items, u.acceptances, day), updatedAt };
  };

  // ids in code-unit order here, whatever the engine's collation ordered them by
  const byId = <T extends { id: string }>(rows: readonly T[]): T[] => [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: PoamUnit[] = [];
  for (const w of byId(r.weaknesses)) {
    const incident = incidents.get(w.incident_id) ?? null;
    const vulnerabilityIds = JSON.parse(w.vulnerabilities) as string[];
    out.push(
      unit({
        id: w.id,
        kind: 'weakness',
        title: `${w.id}: ${w.type.replace(/_/g, ' ')} weakness (${w.relation.replace(/_/g, ' ')}) in ${w.incident_id}: ${firstLine(w.notes)}`,
        description: w.notes,
        weaknessType: w.type,
        relation: w.relation,
        incident,
        finding: null,
        createdBy: w.created_by,
        detectedAt: w.created_at,
        assets: JSON.parse(w.assets) as string[],
        vulnerabilities: known(vulnerabilityIds),
        vulnerabilityIds,
        action: w.action,
        vendor: w.vendor,
        items: itemsByWeakness.get(w.id) ?? [],
        acceptances: risksByWeakness.get(w.id) ?? [],
        notices: noticesByWeakness.get(w.id) ?? [],
        controls: WEAKNESS_CONTROLS[w.type] ?? [],
        severity: incident?.severity ?? null,
      }),
    );
  }
  for (const item of byId(r.items)) {
    if (item.weakness_id !== null) continue;
    const finding = item.finding_id === null ? null : (findings.get(item.finding_id) ?? null);
    const vulnerabilityIds = finding === null ? [] : [finding.vulnerability_id];
    const what = finding === null ? item.criteria : `${finding.vulnerability_id} on ${finding.asset_id}${finding.component === null ? '' : ` (${finding.component}${finding.version === null ? '' : ` ${finding.version}`})`}`;
    out.push(
      unit({
        id: item.id,
        kind: 'finding',
        title: `${item.id}: ${firstLine(finding?.title ?? what)}${finding?.title == null ? '' : ` (${what})`}`,
        description: finding === null ? item.criteria : `${what}${finding.title === null ? '' : `: ${finding.title}`}`,
        weaknessType: 'finding',
        relation: null,
        incident: item.incident_id === null ? null : (incidents.get(item.incident_id) ?? null),
        finding,
        createdBy: null,
        detectedAt: finding?.first_seen ?? item.created_at,
        assets: finding === null ? [] : [finding.asset_id],
        vulnerabilities: known(vulnerabilityIds),
        vulnerabilityIds,
        action: item.criteria,
        vendor: null,
        items: [item],
        acceptances: [],
        notices: [],
        controls: WEAKNESS_CONTROLS.finding ?? [],
        severity: finding?.severity ?? (item.incident_id === null ? null : (incidents.get(item.incident_id)?.severity ?? null)),
      }),
    );
  }
  return out;
}

// ---- the OSCAL document -------------------------------------------------------------------------

type Json = Record<string, unknown>;

const ITEM_LIFECYCLE: Record<RemediationItem['status'], 'planned' | 'completed'> = { open: 'planned', in_progress: 'planned', resolved: 'planned', verified: 'completed' };

/** `[]` of an empty list is not allowed in OSCAL: the key is left out instead. */
function some<K extends string, T>(key: K, list: readonly T[]): Partial<Record<K, T[]>> {
  return list.length > 0 ? ({ [key]: [...list] } as Partial<Record<K, T[]>>) : {};
}

function props(...lists: OscalProperty[][]): { props?: OscalProperty[] } {
  return some('props', lists.flat());
}

function remarks(text: string | null | undefined): { remarks?: string } {
  const v = oscalString(text);
  return v === null ? {} : { remarks: v };
}

const ACCEPTANCE_LOG: Record<Exclude<RiskState, 'expired'>, PoamRiskStatus | null> = { requested: 'deviation-requested', approved: 'deviation-approved', rejected: null };

class PoamBuilder {
  readonly parties: PartyBook;

  constructor(
    private readonly ids: OscalIds,
    private readonly day: string,
  ) {
    this.parties = new PartyBook(ids);
  }

  observation(u: PoamUnit): Json {
    const origin = u.createdBy === null ? [] : [this.parties.origin(u.createdBy)];
    return {
      uuid: this.ids.of('observation', u.id),
      title: u.title,
      description: oscalString(u.description) ?? u.title,
      ...props(
        prop('weakness-id', u.kind === 'weakness' ? u.id : null),
        prop('weakness-type', u.weaknessType),
        prop('relation', u.relation),
        prop('incident-id', u.incident?.id),
        prop('finding-id', u.finding?.id),
        prop('scanner', u.finding?.source),
        ...u.vulnerabilityIds.map((v) => prop('vulnerability-id', v)),
        ...u.assets.map((a) => prop('asset-id', a)),
        prop('vendor', u.vendor),
      ),
      methods: [u.kind === 'weakness' ? 'EXAMINE' : 'TEST'],
      types: ['finding'],
      ...some('origins', origin),
      ...some(
        'subjects',
        u.assets.map((a) => ({ 'subject-uuid': this.ids.of('asset', a), type: 'inventory-item', title: a })),
      ),
      ...(u.incident === null ? {} : { 'relevant-evidence': [{ description: `The record of incident ${u.incident.id} (${u.incident.title}); its evidence bundle: closeloop evidence export ${u.incident.id}` }] }),
      collected: oscalDateTime(u.detectedAt),
      ...remarks(u.action === null ? null : `Recommended corrective action: ${u.action}`),
    };
  }

  private itemResponse(u: PoamUnit, item: RemediationItem): Json {
    const role = this.parties.role(item.owner_role);
    return {
      uuid: this.ids.of('remediation', item.id),
      lifecycle: ITEM_LIFECYCLE[item.status],
      title: `${item.id}: remediation by ${item.assignee} (${item.owner_role})`,
      description: item.criteria,
      ...props(
        prop('remediation-item-id', item.id),
        prop('remediation-status', item.status),
        prop('owner-role', item.owner_role),
        prop('assignee', item.assignee),
        prop('ticket', item.ticket),
        prop('overdue-since', item.overdue_since),
      ),
      origins: [this.parties.origin(u.history.find((h) => h.item_id === item.id)?.actor ?? item.assignee)],
      ...some(
        'tasks',
        item.due === null
          ? []
          : [
              {
                uuid: this.ids.of('milestone', item.id),
                type: 'milestone',
                title: `${item.id} complete: ${firstLine(item.criteria)}`,
                description: `Closure criteria met and verified by ${item.due}`,
                timing: { 'on-date': { date: oscalDateTime(item.due) } },
                'responsible-roles': [{ 'role-id': role }],
              },
            ],
      ),
    };
  }

  /** The deviation of an approved acceptance in force: the accepted risk, its compensating controls and its review date. */
  private deviation(a: RiskAcceptance): Json {
    return {
      uuid: this.ids.of('deviation', a.id),
      lifecycle: 'planned',
      title: `${a.id}: risk accepted until ${a.review_by} (deviation)`,
      description: a.rationale,
      ...props(
        prop('risk-acceptance-id', a.id),
        prop('deviation-status', 'approved'),
        prop('approver', a.approver),
        prop('requester', a.requester),
        prop('review-date', a.review_by),
        prop('compensating-controls', a.controls),
      ),
      origins: [this.parties.origin(a.approver ?? a.requester)],
      tasks: [
        {
          uuid: this.ids.of('review', a.id),
          type: 'milestone',
          title: `${a.id} re-review`,
          description: 'The acceptance expires on this date and the risk is reviewed again',
          timing: { 'on-date': { date: oscalDateTime(a.review_by) } },
        },
      ],
    };
  }

  private riskLog(u: PoamUnit): Json[] {
    const entries: (Json & { start: string; uuid: string })[] = [];
    for (const h of u.history) {
      entries.push({
        uuid: this.ids.of('tracking', `${h.item_id}:${h.seq}`),
        title: `${h.item_id} ${h.status.replace(/_/g, ' ')}`,
        description: `Remediation item ${h.item_id} moved to ${h.status} by ${h.actor}`,
        start: oscalDateTime(h.at),
        ...props(prop('remediation-status', h.status), prop('remediation-item-id', h.item_id)),
        'logged-by': [{ 'party-uuid': this.parties.actor(h.actor) }],
        'related-responses': [{ 'response-uuid': this.ids.of('remediation', h.item_id) }],
      });
    }
    for (const a of u.acceptances) {
      entries.push({
        uuid: this.ids.of('acceptance-requested', a.id),
        title: `${a.id} requested`,
        description: `Risk acceptance requested by ${a.requester}: ${a.rationale}`,
        start: oscalDateTime(a.created_at),
        ...props(prop('risk-acceptance-id', a.id), prop('compensating-controls', a.controls), prop('review-date', a.review_by)),
        'logged-by': [{ 'party-uuid': this.parties.actor(a.requester) }],
        'status-change': 'deviation-requested',
      });
      if (a.decided_at !== null && a.state !== 'requested') {
        const status = ACCEPTANCE_LOG[a.state === 'expired' ? 'approved' : a.state];
        entries.push({
          uuid: this.ids.of('acceptance-decided', a.id),
          title: `${a.id} ${a.state === 'rejected' ? 'rejected' : 'approved'}`,
          description: a.state === 'rejected' ? `Rejected by ${a.approver ?? 'unknown'}${a.reason === null ? '' : `: ${a.reason}`}` : `Approved by ${a.approver ?? 'unknown'} until ${a.review_by}`,
          start: oscalDateTime(a.decided_at),
          ...props(prop('risk-acceptance-id', a.id), prop('decision', a.state === 'rejected' ? 'rejected' : 'approved')),
          ...(a.approver === null ? {} : { 'logged-by': [{ 'party-uuid': this.parties.actor(a.approver) }] }),
          ...(status === null ? {} : { 'status-change': status }),
          // the deviation is a response of the risk only while the acceptance is in force
          ...(u.inForce?.id === a.id ? { 'related-responses': [{ 'response-uuid': this.ids.of('deviation', a.id) }] } : {}),
        });
      }
    }
    for (const a of u.expired) {
      entries.push({
        uuid: this.ids.of('acceptance-expired', a.id),
        title: `${a.id} expired`,
        description: `The acceptance reached its review date ${a.review_by}: the risk is to be reviewed again`,
        start: oscalDateTime(a.review_by),
        ...props(prop('risk-acceptance-id', a.id)),
        'status-change': 'open',
      });
    }
    entries.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : x.uuid < y.uuid ? -1 : x.uuid > y.uuid ? 1 : 0));
    return entries;
  }

  risk(u: PoamUnit): Json {
    const open = u.items.filter((i) => i.status !== 'verified' && i.due !== null).map((i) => i.due as string);
    const deadline = u.inForce !== null ? u.inForce.review_by : open.length > 0 ? open.reduce((a, b) => (a < b ? a : b)) : null;
    const severity = u.severity;
    const pending = u.acceptances.some((a) => a.state === 'requested');
    const log = this.riskLog(u);
    return {
      uuid: this.ids.of('risk', u.id),
      title: u.title,
      description: oscalString(u.description) ?? u.title,
      statement:
        u.kind === 'weakness'
          ? `A ${u.weaknessType.replace(/_/g, ' ')} weakness that ${u.relation === 'enabled' ? 'enabled' : u.relation === 'worsened_impact' ? 'worsened the impact of' : 'delayed the detection of'} incident ${u.incident?.id ?? ''}${u.assets.length > 0 ? ` on ${u.assets.join(', ')}` : ''}.`
          : `An open vulnerability finding${u.assets.length > 0 ? ` on ${u.assets.join(', ')}` : ''}${u.incident === null ? '' : `, escalated to incident ${u.incident.id}`}.`,
      ...props(
        u.controls.map((c) => ({ name: 'impacted-control-id', ns: FEDRAMP_NS, value: c })),
        prop('operational-requirement', u.inForce !== null ? 'approved' : pending ? 'pending' : null, FEDRAMP_NS),
        prop('vendor-dependency', u.vendor === null ? null : 'vendor-dependency', FEDRAMP_NS),
        prop('vendor-name', u.vendor, FEDRAMP_NS),
      ),
      status: u.status,
      ...(severity === null
        ? {}
        : {
            characterizations: [
              {
                origin: u.createdBy === null ? { actors: [{ type: 'tool', 'actor-uuid': this.ids.of('tool', u.finding?.source ?? 'scanner') }] } : this.parties.origin(u.createdBy),
                facets: [{ name: 'risk', system: FEDRAMP_NS, value: severity, props: [{ name: 'state', value: 'initial' }] }],
              },
            ],
          }),
      ...some(
        'mitigating-factors',
        u.inForce === null ? [] : [{ uuid: this.ids.of('mitigation', u.inForce.id), description: u.inForce.controls, ...props(prop('risk-acceptance-id', u.inForce.id)) }],
      ),
      ...(deadline === null ? {} : { deadline: oscalDateTime(deadline) }),
      ...some('remediations', [...u.items.map((i) => this.itemResponse(u, i)), ...(u.inForce === null ? [] : [this.deviation(u.inForce)])]),
      ...(log.length > 0 ? { 'risk-log': { entries: log } } : {}),
      'related-observations': [{ 'observation-uuid': this.ids.of('observation', u.id) }],
    };
  }

  poamItem(u: PoamUnit): Json {
    return {
      uuid: this.ids.of('poam-item', u.id),
      title: u.title,
      description: oscalString(u.description) ?? u.title,
      ...props(prop('POAM-ID', u.id, FEDRAMP_NS), prop('incident-id', u.incident?.id), prop('risk-status', u.status)),
      ...some('origins', u.createdBy === null ? [] : [this.parties.origin(u.createdBy)]),
      'related-observations': [{ 'observation-uuid': this.ids.of('observation', u.id) }],
      'related-risks': [{ 'risk-uuid': this.ids.of('risk', u.id) }],
    };
  }

  /** Inventory items for the assets the observations name, so their subjects resolve. */
  localDefinitions(units: readonly PoamUnit[]): Json {
    const assets = [...new Set(units.flatMap((u) => u.assets))].sort();
    return {
      'inventory-items': assets.map((a) => ({ uuid: this.ids.of('asset', a), description: `Asset ${a}`, props: [{ name: 'asset-id', value: a }] })),
    };
  }

  /** The document (unreachable for none: OSCAL requires at least one POA&M item). */
  async document(db: Db, units: readonly PoamUnit[], title: string): Promise<Json> {
    const observations = units.map((u) => this.observation(u));
    const risks = units.map((u) => this.risk(u));
    const items = units.map((u) => this.poamItem(u));
    const local = units.some((u) => u.assets.length > 0) ? { 'local-definitions': this.localDefinitions(units) } : {};
    const who = await this.parties.build(db);
    const lastModified = newest(units.map((u) => u.updatedAt)) ?? this.day;
    const body = { ...local, observations, risks, 'poam-items': items };
    const metadata: OscalMetadata = {
      title,
      'last-modified': oscalDateTime(lastModified),
      version: contentVersion({ who, body }),
      'oscal-version': OSCAL_VERSION,
      props: [{ name: 'marking', value: 'Controlled Unclassified Information' }, ...prop('expiry-evaluated-on', this.day)],
      ...who,
      remarks: `Generated by closeloop from its records: ${units.length} POA&M item${units.length === 1 ? '' : 's'}. Risk acceptances are evaluated for expiry as of ${this.day}.`,
    };
    return { 'plan-of-action-and-milestones': { uuid: this.ids.of('poam', 'store'), metadata, ...body } };
  }
}

export interface PoamExport {
  format: PoamFormat;
  /** The document as written: JSON (two-space indent, final newline) or CSV. */
  text: string;
  /** The OSCAL document (JSON format only). */
  document: Json | null;
  items: number;
  last_modified: string | null;
  sha256: string;
  /** Where it was written, when a file was named. */
  file: string | null;
}

/** Builds the POA&M of the store as of `day` (expiry of acceptances): pure reads, no audit. */
export async function buildPoam(db: Db, format: PoamFormat, day: string, title: string): Promise<Omit<PoamExport, 'file' | 'sha256'>> {
  const records = await poamRecords(db);
  const units = poamUnits(records, day);
  const lastModified = newest(units.map((u) => u.updatedAt));
  if (format === 'csv') return { format, text: poamCsv(units), document: null, items: units.length, last_modified: lastModified };
  if (units.length === 0) {
    throw new ClError('CL_NOT_FOUND', 'nothing to export: the store has no weaknesses and no remediation items, and an OSCAL POA&M needs at least one item (the CSV format may be empty)', { items: 0 });
  }
  const ids = await oscalIdsOf(db);
  const document = await new PoamBuilder(ids, day).document(db, units, title);
  return { format, text: `${JSON.stringify(document, null, 2)}\n`, document, items: units.length, last_modified: lastModified };
}

/**
 * `closeloop oscal poam` and GET /oscal/poam: the POA&M as OSCAL JSON or FedRAMP-style CSV,
 * written to `output` when given (0600, whole or not at all), audited as the exporter's event in
 * the same transaction, so an export that could not be written is not recorded as made.
 */
export async function exportPoam(ctx: AppContext, caller: Caller, input: z.input<typeof exportPoamInput>, output?: string): Promise<PoamExport> {
  await authorize(ctx, caller, 'oscal.export');
  const p = parseInput(exportPoamInput, input);
  return inTransaction(ctx, async (trx) => {
    const built = await buildPoam(trx, p.format, today(ctx), `${ctx.config.control_card.id} Plan of Action and Milestones`);
    const sha256 = createHash('sha256').update(built.text).digest('hex');
    await audit(trx, ctx, caller, {
      action: 'oscal.poam.exported',
      entityType: 'oscal_export',
      entityId: 'poam',
      incidentId: null,
      state: { format: built.format, items: built.items, last_modified: built.last_modified, sha256, file: output ?? null },
    });
    if (output !== undefined) writeExportFile(output, built.text);
    return { ...built, sha256, file: output ?? null };
  });
}

