/**
 * The follow-through lists the web application shows: the remediation board, the risk
 * acceptances (with whether the caller may decide each) and the third-party notices with their
 * chase dates. Read-only, for those who may read incidents.
 */
import { z } from 'zod';
import { effectiveRiskState } from '../../domain/gate.js';
import { REMEDIATION_STATES, RISK_STATES } from '../../domain/incident.js';
import type { RemediationItem, RiskAcceptance, ThirdPartyNotice } from '../../store/schema.js';
import { boardPage, noticePage, riskPage, ticketsOfItems } from '../../store/repositories/views.js';
import { authorize, rolesOf, today, type AppContext, type Caller } from '../context.js';
import { identifier, parseInput } from '../validate.js';
import { flag, fromKeysetCursor, keysetCursor, PAGE, pageFields, pageOf } from './paging.js';

const date = z.string().describe('YYYY-MM-DD');
const time = z.string().describe('ISO-8601 time');

// ---- remediation board -----------------------------------------------------------------------

export const listRemediationInput = z.strictObject({
  status: z.enum(REMEDIATION_STATES).optional(),
  /** An owner role or an assignee. */
  owner: identifier('owner').optional(),
  /** true: past due and still open or in progress; false: the others. */
  overdue: flag.optional(),
  incident: identifier('incident id').optional(),
  ...pageFields,
});

export const boardItemOutput = z.object({
  id: z.string(),
  incident: z.string().nullable(),
  weakness: z.string().nullable(),
  finding: z.string().nullable(),
  owner_role: z.string(),
  assignee: z.string(),
  criteria: z.string(),
  status: z.enum(REMEDIATION_STATES),
  due: date.nullable(),
  /** Past its due date and still open or in progress. */
  overdue: z.boolean(),
  overdue_since: time.nullable(),
  /** The ticket reference given when the item was opened. */
  ticket: z.string().nullable(),
  /** Tickets the ticket channels created for it. */
  tickets: z.array(z.object({ system: z.string(), key: z.string(), url: z.string().nullable(), status: z.string().nullable() })),
  created_at: time,
  updated_at: time,
});
export const remediationBoardOutput = z.object({ items: z.array(boardItemOutput), next: z.string().nullable() });
export type RemediationBoard = z.infer<typeof remediationBoardOutput>;

/** Past its due date (before `day`) and still being worked, as the overdue timer finds it. */
export function isItemOverdue(item: Pick<RemediationItem, 'due' | 'status'>, day: string): boolean {
  return item.due !== null && item.due < day && (item.status === 'open' || item.status === 'in_progress');
}

/** The remediation board: every item with its incident, weakness, owner, status, due date, overdue flag and tickets. */
export async function listRemediation(ctx: AppContext, caller: Caller, input: z.input<typeof listRemediationInput>): Promise<RemediationBoard> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(listRemediationInput, input);
  const limit = p.limit ?? PAGE.default;
  const day = today(ctx);
  const rows = await boardPage(ctx.store.db, { status: p.status, owner: p.owner, overdue: p.overdue, incident: p.incident, today: day, after: fromKeysetCursor(p.after), limit: limit + 1 });
  const page = pageOf(rows, limit, keysetCursor);
  const tickets = await ticketsOfItems(ctx.store.db, page.rows.map((r) => r.id));
  return {
    items: page.rows.map((r) => ({
      id: r.id,
      incident: r.incident_id,
      weakness: r.weakness_id,
      finding: r.finding_id,
      owner_role: r.owner_role,
      assignee: r.assignee,
      criteria: r.criteria,
      status: r.status,
      due: r.due,
      overdue: isItemOverdue(r, day),
      overdue_since: r.overdue_since,
      ticket: r.ticket,
      tickets: tickets.filter((t) => t.item_id === r.id).map((t) => ({ system: t.system, key: t.key, url: t.url, status: t.external_status })),
      created_at: r.created_at,
      updated_at: r.updated_at,
    })),
    next: page.next,
  };
}

// ---- risk acceptances ------------------------------------------------------------------------

export const listRiskAcceptancesInput = z.strictObject({
  /** The effective state: an approved acceptance is `expired` from its review date on. */
  state: z.enum(RISK_STATES).optional(),
  incident: identifier('incident id').optional(),
  ...pageFields,
});

export const riskOutput = z.object({
  id: z.string(),
  incident: z.string(),
  weakness: z.string(),
  /** As stored; `effective_state` is what holds today. */
  state: z.enum(RISK_STATES),
  effective_state: z.enum(RISK_STATES),
  requester: z.string(),
  approver: z.string().nullable(),
  rationale: z.string(),
  controls: z.string(),
  review_by: date,
  reason: z.string().nullable(),
  created_at: time,
  decided_at: time.nullable(),
  /** Whether the caller may decide it now: requested, they hold an approver role and did not request it. */
  can_decide: z.boolean(),
});
export const riskListOutput = z.object({ risk_acceptances: z.array(riskOutput), next: z.string().nullable() });
export type RiskList = z.infer<typeof riskListOutput>;

/** Whether `actor` may decide the acceptance today (segregation of duties: never its requester). */
export function canDecide(ctx: AppContext, actor: string, roles: readonly string[], risk: Pick<RiskAcceptance, 'requester' | 'state' | 'review_by'>, day: string): boolean {
  const approving = ctx.config.control_card.exception_rules.approver_roles;
  return effectiveRiskState(risk, day) === 'requested' && risk.requester !== actor && roles.some((r) => approving.includes(r));
}

/** `roles`: the caller's, read once for a whole page. */
export function riskView(ctx: AppContext, caller: Caller, roles: readonly string[], r: RiskAcceptance, day: string): z.infer<typeof riskOutput> {
  return {
    id: r.id,
    incident: r.incident_id,
    weakness: r.weakness_id,
    state: r.state,
    effective_state: effectiveRiskState(r, day),
    requester: r.requester,
    approver: r.approver,
    rationale: r.rationale,
    controls: r.controls,
    review_by: r.review_by,
    reason: r.reason,
    created_at: r.created_at,
    decided_at: r.decided_at,
    can_decide: canDecide(ctx, caller.actor, roles, r, day),
  };
}

/** Risk acceptances with their effective state, and whether the caller may decide each. */
export async function listRiskAcceptances(ctx: AppContext, caller: Caller, input: z.input<typeof listRiskAcceptancesInput>): Promise<RiskList> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(listRiskAcceptancesInput, input);
  const limit = p.limit ?? PAGE.default;
  const day = today(ctx);
  const rows = await riskPage(ctx.store.db, { state: p.state, incident: p.incident, today: day, after: fromKeysetCursor(p.after), limit: limit + 1 });
  const page = pageOf(rows, limit, keysetCursor);
  const roles = await rolesOf(ctx, caller.actor);
  return { risk_acceptances: page.rows.map((r) => riskView(ctx, caller, roles, r, day)), next: page.next };
}

// ---- vendor notices --------------------------------------------------------------------------

/**
 * Days after a notice's sending (or its last chase) without a response before it is chased. A
 * constant until the control card names one.
 */
export const VENDOR_CHASE_DAYS = 7;

export const NOTICE_STATUSES = ['pending', 'sent', 'responded'] as const;

export const listVendorNoticesInput = z.strictObject({
  status: z.enum(NOTICE_STATUSES).optional(),
  vendor: identifier('vendor').optional(),
  incident: identifier('incident id').optional(),
  ...pageFields,
});

export const noticeOutput = z.object({
  id: z.string(),
  incident: z.string(),
  weakness: z.string(),
  vendor: z.string(),
  channel: z.string().nullable(),
  status: z.enum(NOTICE_STATUSES),
  sent_at: time.nullable(),
  response: z.string().nullable(),
  responded_at: time.nullable(),
  chased_at: time.nullable(),
  /** When an unanswered notice is to be chased (its sending or last chase plus the chase period); null once answered or while unsent. */
  chase_due: time.nullable(),
  /** The chase date has come and there is no response. */
  chase_overdue: z.boolean(),
  tracking_item: z.string().nullable(),
  created_at: time,
});
export const noticeListOutput = z.object({ notices: z.array(noticeOutput), next: z.string().nullable() });
export type NoticeList = z.infer<typeof noticeListOutput>;

/** When an unanswered, sent notice is to be chased; null otherwise. */
export function chaseDue(n: Pick<ThirdPartyNotice, 'sent_at' | 'chased_at' | 'response'>): string | null {
  if (n.sent_at === null || n.response !== null) return null;
  const from = n.chased_at ?? n.sent_at;
  return new Date(Date.parse(from) + VENDOR_CHASE_DAYS * 86_400_000).toISOString();
}

export function noticeView(n: ThirdPartyNotice, now: Date): z.infer<typeof noticeOutput> {
  const due = chaseDue(n);
  return {
    id: n.id,
    incident: n.incident_id,
    weakness: n.weakness_id,
    vendor: n.vendor,
    channel: n.channel,
    status: n.status,
    sent_at: n.sent_at,
    response: n.response,
    responded_at: n.responded_at,
    chased_at: n.chased_at,
    chase_due: due,
    chase_overdue: due !== null && Date.parse(due) <= now.getTime(),
    tracking_item: n.tracking_item,
    created_at: n.created_at,
  };
}

/** Third-party notices with their state and chase dates. */
export async function listVendorNotices(ctx: AppContext, caller: Caller, input: z.input<typeof listVendorNoticesInput>): Promise<NoticeList> {
  await authorize(ctx, caller, 'incident.read');
  const p = parseInput(listVendorNoticesInput, input);
  const limit = p.limit ?? PAGE.default;
  const rows = await noticePage(ctx.store.db, { status: p.status, vendor: p.vendor, incident: p.incident, after: fromKeysetCursor(p.after), limit: limit + 1 });
  const page = pageOf(rows, limit, keysetCursor);
  const now = ctx.now();
  return { notices: page.rows.map((n) => noticeView(n, now)), next: page.next };
}
