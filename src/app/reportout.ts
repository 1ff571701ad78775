import { z } from 'zod';
import type { Route } from '../config/schema.js';
import { reportsOutTo } from '../config/tickets.js';
import { WEAKNESS_RELATIONS, WEAKNESS_TYPES } from '../domain/incident.js';
import { ClError } from '../errors.js';
import type { DeliveryEvent } from '../delivery/channel.js';
import { eventOf } from '../delivery/outbox.js';
import type { AckVia, Acknowledgment, Incident, Notification, ThirdPartyNotice, Weakness } from '../store/schema.js';
import { acknowledgmentOf, alreadyAcknowledged, findAcknowledgment, insertAcknowledgment, supersedeAcknowledgment } from '../store/repositories/acknowledgments.js';
import { updateIncident } from '../store/repositories/incidents.js';
import { reportOutToRole } from '../store/repositories/notifications.js';
import { insertThirdPartyNotice, noticeOfWeakness } from '../store/repositories/third-party-notices.js';
import { insertWeakness, weaknessesOfIncident, weaknessIdsOfIncident } from '../store/repositories/weaknesses.js';
import { audit, authorize, inTransaction, isoNow, nextCounter, nextId, rolesOf, type AppContext, type Caller, type Trx } from './context.js';
import { assertIncidentOpen, lockIncident, requiredRoles } from './incidents.js';
import { identifier, nonEmpty, parseInput, plainText, recordInput } from './validate.js';
import { enqueue, eventIncident, incidentLink, notifySubscribers } from './outbox.js';

export const addWeaknessInput = z
  .strictObject({
    incident: identifier('incident id'),
    type: z.enum(WEAKNESS_TYPES),
    relation: z.enum(WEAKNESS_RELATIONS),
    assets: z.array(identifier('asset id')).min(1, 'at least one affected asset'),
    notes: nonEmpty('notes'),
    action: nonEmpty('action'),
    vulnerabilities: z.array(identifier('vulnerability id')).default([]),
    vendor: identifier('vendor').optional(),
  })
  .refine((w) => w.type !== 'third_party' || w.vendor !== undefined, { path: ['vendor'], message: 'a third_party weakness names its vendor' });

/** Adds one weakness (an IR-6(2) report-out line) to an incident. */
export async function addWeakness(ctx: AppContext, caller: Caller, input: z.input<typeof addWeaknessInput>): Promise<Weakness> {
  await authorize(ctx, caller, 'reportout.edit');
  const p = parseInput(addWeaknessInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.incident);
    assertIncidentOpen(inc);
    if (inc.none_identified_rationale !== null) {
      throw new ClError('CL_RULE_REFUSED', `${inc.id} is marked "none identified"; a weakness contradicts that determination`, { current: { none_identified_rationale: inc.none_identified_rationale } });
    }
    const row: Weakness = {
      id: await nextId(trx, 'WK'),
      incident_id: inc.id,
      type: p.type,
      relation: p.relation,
      assets: JSON.stringify(p.assets),
      vulnerabilities: JSON.stringify(p.vulnerabilities),
      notes: p.notes,
      action: p.action,
      vendor: p.vendor ?? null,
      created_by: caller.actor,
      created_at: isoNow(ctx),
    };
    await insertWeakness(trx, row);
    await audit(trx, ctx, caller, { action: 'weakness.added', entityType: 'weakness', entityId: row.id, incidentId: inc.id, state: row });
    return row;
  });
}

export const noneIdentifiedInput = z.strictObject({ incident: identifier('incident id'), rationale: nonEmpty('rationale') });

/** Records an explicit "none identified" report-out, with its rationale. */
export async function markNoneIdentified(ctx: AppContext, caller: Caller, input: z.input<typeof noneIdentifiedInput>): Promise<Incident> {
  await authorize(ctx, caller, 'reportout.edit');
  const p = parseInput(noneIdentifiedInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.incident);
    assertIncidentOpen(inc);
    const weaknesses = await weaknessIdsOfIncident(trx, inc.id);
    if (weaknesses.length > 0) throw new ClError('CL_RULE_REFUSED', `${inc.id} already lists ${weaknesses.length} weakness(es); "none identified" would contradict them`, { current: { weaknesses } });
    const at = isoNow(ctx);
    await updateIncident(trx, inc.id, { none_identified_rationale: p.rationale, updated_at: at });
    const next = { ...inc, none_identified_rationale: p.rationale, updated_at: at };
    await audit(trx, ctx, caller, { action: 'reportout.none_identified', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: next });
    return next;
  });
}

/** Routes for a role: the incident's service override when one exists, else the role's default. */
export function routesFor(ctx: AppContext, role: string, service: string | null): readonly Route[] {
  // Own-property lookups: a service or role name never reaches Object.prototype.
  const own = <T>(rec: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(rec, key) ? rec[key] : undefined);
  const byService = service ? own(ctx.config.routing.services, service) : undefined;
  const override = byService === undefined ? undefined : own(byService, role);
  return override ?? own(ctx.config.routing.roles, role) ?? [];
}

/** One line of a report-out as an event carries it: the weakness id, and what the role is told of it. */
export type ReportOutLine = { label: string; text: string };

/**
 * The part of the report-out addressed to `role`: a third-party role (`workflow.third_party_roles`)
 * is told the third-party weaknesses, every other recipient all of them; "none identified" is
 * told to everyone. A revision asks a role to acknowledge again only when this part changed.
 */
export function reportOutPart(ctx: AppContext, inc: Incident, weaknesses: readonly Weakness[], role: string): ReportOutLine[] {
  if (weaknesses.length === 0) return [{ label: 'none identified', text: inc.none_identified_rationale ?? '' }];
  const thirdPartyOnly = ctx.config.workflow.third_party_roles.includes(role) && !ctx.config.control_card.recipient_roles.includes(role);
  return weaknesses
    .filter((w) => !thirdPartyOnly || w.type === 'third_party')
    .map((w) => ({
      label: w.id,
      text: [
        `[${w.type}, ${w.relation}] assets: ${(JSON.parse(w.assets) as string[]).join(', ')}`,
        `notes: ${w.notes}`,
        `recommended corrective action: ${w.action}`,
        ...(w.vendor ? [`third party: ${w.vendor}`] : []),
      ].join('\n'),
    }));
}

/** The whole report-out (every weakness, as a recipient of all of them is told it): what a subscribed integration is sent. */
function fullReportOut(ctx: AppContext, inc: Incident, weaknesses: readonly Weakness[]): ReportOutLine[] {
  const everything = ctx.config.control_card.recipient_roles[0] ?? '';
  return reportOutPart(ctx, inc, weaknesses, everything);
}

function reportOutBody(inc: Incident, lines: readonly ReportOutLine[], role: string): { subject: string; body: string } {
  const text = [
    `Incident ${inc.id}: ${inc.title} (severity ${inc.severity}, state ${inc.state})`,
    `IR-6(2) vulnerability report-out for role ${role}. Please acknowledge: closeloop ack ${inc.id} --role ${role}`,
    '',
  ];
  for (const l of lines) {
    if (l.label === 'none identified') text.push(`No associated vulnerability identified. Rationale: ${l.text}`);
    else text.push(`- ${l.label} ${l.text.split('\n').join('\n  ')}`);
  }
  return { subject: `[closeloop] ${inc.id} ${inc.severity} vulnerability report-out (${role})`, body: text.join('\n') };
}

/** Whether two parts say the same (the role was told nothing new). */
const samePart = (a: readonly ReportOutLine[], b: readonly ReportOutLine[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether the role's acknowledgment still stands for a report-out whose part for it is `part`: it
 * does when the revision it acknowledged told the role the same lines.
 */
async function ackStands(trx: Trx, inc: Incident, ack: Acknowledgment, part: readonly ReportOutLine[]): Promise<boolean> {
  const sent = await reportOutToRole(trx, inc.id, ack.role);
  const acked = sent.find((m) => m.revision === ack.revision && m.event !== null);
  const lines = acked === undefined ? undefined : eventOf(acked)?.lines;
  return lines !== undefined && samePart(lines, part);
}

/** The counter of an incident's report-out revisions: each send takes the next. */
export const reportOutCounter = (incident: string): string => `reportout:${incident}`;

export const sendReportOutInput = z.strictObject({ incident: identifier('incident id') });

export interface SendResult {
  incident: Incident;
  revision: number;
  notifications: Notification[];
  notices_opened: string[];
  /** Roles whose acknowledgment stands because their part did not change: not asked again. */
  acks_kept: string[];
  /** Roles whose acknowledgment this revision superseded: asked again. */
  acks_superseded: string[];
}

/**
 * Sends the report-out: one queued Notification per recipient role and route (the outbox row is
 * written in this transaction; the dispatcher delivers it), and a ThirdPartyNotice for each
 * third-party weakness that has none. Each send is a new revision with its own idempotency keys.
 * A role that acknowledged an earlier revision telling it the same lines keeps its acknowledgment
 * and is sent nothing; a role whose part changed has its acknowledgment superseded and is asked again.
 */
export async function sendReportOut(ctx: AppContext, caller: Caller, input: z.input<typeof sendReportOutInput>): Promise<SendResult> {
  await authorize(ctx, caller, 'reportout.send');
  const p = parseInput(sendReportOutInput, input);
  return inTransaction(ctx, async (trx) => {
    const inc = await lockIncident(trx, p.incident);
    assertIncidentOpen(inc);
    if (inc.reportout_opened_at === null) {
      throw new ClError('CL_RULE_REFUSED', `${inc.id} has no report-out task yet: it opens when the incident reaches ${ctx.config.workflow.reportout_opens_on}`);
    }
    const weaknesses = await weaknessesOfIncident(trx, inc.id);
    if (weaknesses.length === 0 && inc.none_identified_rationale === null) {
      throw new ClError('CL_RULE_REFUSED', `${inc.id}: the report-out is empty; add weaknesses (\`closeloop reportout add\`) or record none identified (\`closeloop reportout none\`)`);
    }
    const revision = await nextCounter(trx, reportOutCounter(inc.id));
    const at = isoNow(ctx);
    const created: Notification[] = [];
    const kept: string[] = [];
    const superseded: string[] = [];
    for (const role of requiredRoles(ctx, weaknesses)) {
      const part = reportOutPart(ctx, inc, weaknesses, role);
      const ack = await acknowledgmentOf(trx, inc.id, role);
      if (ack !== undefined) {
        if (await ackStands(trx, inc, ack, part)) {
          kept.push(role);
          continue;
        }
        await supersedeAcknowledgment(trx, ack, at, revision);
        await audit(trx, ctx, caller, { action: 'reportout.ack_superseded', entityType: 'acknowledgment', entityId: ack.id, incidentId: inc.id, state: { ...ack, superseded_by: revision } });
        superseded.push(role);
      }
      const { subject, body } = reportOutBody(inc, part, role);
      const event: DeliveryEvent = { type: 'reportout.sent', incident: eventIncident(inc), revision, lines: part, links: linksOf(ctx, inc.id), data: { role } };
      // a ticket system takes the report-out only when configured to (delivery.<system>.reportout)
      for (const route of routesFor(ctx, role, inc.service).filter((r) => reportsOutTo(r, ctx.config.delivery))) {
        const n = await enqueue(trx, ctx, caller, {
          incident: inc.id,
          purpose: 'reportout',
          role,
          route,
          subject,
          body,
          event,
          idempotencyKey: `reportout:${inc.id}:r${revision}:${role}:${route.channel}:${route.address}`,
        });
        created.push(n);
      }
    }
    const notices: string[] = [];
    for (const w of weaknesses.filter((x) => x.type === 'third_party')) {
      if (await noticeOfWeakness(trx, w.id)) continue;
      const notice: ThirdPartyNotice = {
        id: await nextId(trx, 'TP'),
        incident_id: inc.id,
        weakness_id: w.id,
        vendor: w.vendor ?? 'unknown',
        channel: null,
        status: 'pending',
        sent_at: null,
        response: null,
        responded_at: null,
        chased_at: null,
        tracking_item: null,
        created_at: at,
      };
      await insertThirdPartyNotice(trx, notice);
      await audit(trx, ctx, caller, { action: 'third_party_notice.opened', entityType: 'third_party_notice', entityId: notice.id, incidentId: inc.id, state: notice });
      await queueVendorNotice(trx, ctx, caller, inc, w, notice);
      notices.push(notice.id);
    }
    await updateIncident(trx, inc.id, { reportout_sent_at: at, updated_at: at });
    const next = { ...inc, reportout_sent_at: at, updated_at: at };
    await audit(trx, ctx, caller, { action: 'reportout.sent', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: { incident: next, revision, notifications: created.map((n) => n.id), acks_kept: kept, acks_superseded: superseded } });
    const roles = [...new Set(created.map((n) => n.role))];
    await notifySubscribers(trx, ctx, caller, { type: 'reportout.sent', incident: eventIncident(next), revision, lines: fullReportOut(ctx, next, weaknesses), links: linksOf(ctx, inc.id), data: { roles, acks_kept: kept, acks_superseded: superseded } }, { incident: inc.id, key: `${inc.id}:r${revision}` });
    return { incident: next, revision, notifications: created, notices_opened: notices, acks_kept: kept, acks_superseded: superseded };
  });
}

export const acknowledgeInput = z.strictObject({ incident: identifier('incident id'), role: identifier('role'), comment: plainText('comment').optional() });

/**
 * A recipient role confirms receipt of the report-out, once per incident and role (the store's
 * unique key backs the check); the row records the revision last sent to the role and how the
 * acknowledgment came (`via`). The actor must hold that role.
 */
export async function acknowledge(ctx: AppContext, caller: Caller, input: z.input<typeof acknowledgeInput>, via: AckVia = 'cli'): Promise<Acknowledgment> {
  const p = parseInput(acknowledgeInput, input);
  const roles = await rolesOf(ctx, caller.actor);
  if (!roles.includes(p.role)) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} does not hold role ${p.role} (roles: ${roles.join(', ') || 'none'}); only a holder of the role can acknowledge for it`, { actor: caller.actor, role: p.role });
  }
  return inTransaction(ctx, (trx) => recordAcknowledgment(trx, ctx, caller, { incident: p.incident, role: p.role, comment: p.comment ?? null, via }));
}

/**
 * Records an acknowledgment in `trx` once the incident is open, its report-out was sent to the role
 * and the role has none: the one path of the CLI, the API and the link. `revision`, when given (a
 * link's), must be the latest revision sent to the role.
 */
export async function recordAcknowledgment(
  trx: Trx,
  ctx: AppContext,
  caller: Caller,
  a: { incident: string; role: string; comment: string | null; via: AckVia; revision?: number },
): Promise<Acknowledgment> {
  const inc = await lockIncident(trx, a.incident);
  assertIncidentOpen(inc);
  const already = await findAcknowledgment(trx, inc.id, a.role);
  if (already) throw alreadyAcknowledged(inc.id, a.role, already);
  if (inc.reportout_sent_at === null) throw new ClError('CL_RULE_REFUSED', `${inc.id}: the report-out has not been sent yet; there is nothing to acknowledge`);
  const sent = await reportOutToRole(trx, inc.id, a.role);
  const last = sent.reduce((m, x) => Math.max(m, x.revision), 0);
  if (sent.length === 0) throw new ClError('CL_RULE_REFUSED', `${inc.id}: the report-out was not sent to role ${a.role}`);
  if (a.revision !== undefined && a.revision !== last) {
    throw new ClError('CL_RULE_REFUSED', `${inc.id}: revision ${a.revision} of the report-out was replaced by revision ${last}, which asks role ${a.role} again; use the link in its message`, { current: { revision: last } });
  }
  const row: Acknowledgment = { id: await nextId(trx, 'AK'), incident_id: inc.id, role: a.role, actor: caller.actor, comment: a.comment, at: isoNow(ctx), revision: last, via: a.via };
  await insertAcknowledgment(trx, row);
  await audit(trx, ctx, caller, { action: 'reportout.acknowledged', entityType: 'acknowledgment', entityId: row.id, incidentId: inc.id, state: row });
  const lines = [{ label: 'role', text: row.role }, { label: 'acknowledged by', text: row.actor }];
  await notifySubscribers(trx, ctx, caller, { type: 'ack.recorded', incident: eventIncident(inc), revision: last, lines, links: linksOf(ctx, inc.id), data: { acknowledgment: row.id, role: row.role, actor: row.actor, via: row.via, comment: row.comment } }, { incident: inc.id, key: row.id });
  return row;
}

/**
 * Queues the notice of a third-party weakness to its vendor's routes (`routing.vendors.<vendor>`),
 * in the report-out's transaction; the notice counts as sent when the message is delivered (see
 * run-delivery). A vendor without routes is notified by hand (`closeloop vendor notify`).
 */
async function queueVendorNotice(trx: Trx, ctx: AppContext, caller: Caller, inc: Incident, w: Weakness, notice: ThirdPartyNotice): Promise<void> {
  const routes = Object.hasOwn(ctx.config.routing.vendors, notice.vendor) ? (ctx.config.routing.vendors[notice.vendor] ?? []) : [];
  const lines: ReportOutLine[] = [{ label: w.id, text: `notes: ${w.notes}\nrequested corrective action: ${w.action}` }];
  for (const route of routes) {
    await enqueue(trx, ctx, caller, {
      incident: inc.id,
      subjectRef: notice.id,
      purpose: 'vendor_notice',
      role: `vendor:${notice.vendor}`,
      route,
      subject: `[closeloop] ${inc.id} security notice to ${notice.vendor}: ${w.id}`,
      body: [`Security incident ${inc.id} (severity ${inc.severity}) involves a weakness in a product or service of ${notice.vendor}.`, '', `${w.id}: ${w.notes}`, `Requested corrective action: ${w.action}`, '', `Please reply with your response or RCA statement, quoting ${notice.id}.`].join('\n'),
      event: { type: 'vendor.notice', incident: eventIncident(inc), lines, data: { notice: notice.id, weakness: w.id, vendor: notice.vendor } },
      idempotencyKey: `vendor-notice:${notice.id}:${route.channel}:${route.address}`,
    });
  }
}

/** The links a report-out message offers (the acknowledgment link is added when it leaves: see run-delivery). */
function linksOf(ctx: AppContext, id: string): DeliveryEvent['links'] {
  const incident = incidentLink(ctx, id);
  return incident === undefined ? {} : { incident };
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('weakness', addWeaknessInput);
recordInput('report-out', noneIdentifiedInput);
recordInput('report-out', sendReportOutInput);
recordInput('acknowledgment', acknowledgeInput);
