import { z } from 'zod';
import type { Route } from '../config/schema.js';
import { reportsOutTo } from '../config/tickets.js';
import { WEAKNESS_RELATIONS, WEAKNESS_TYPES } from '../domain/incident.js';
import { ClError } from '../errors.js';
import type { Acknowledgment, Incident, Notification, ThirdPartyNotice, Weakness } from '../store/schema.js';
import { alreadyAcknowledged, findAcknowledgment, insertAcknowledgment } from '../store/repositories/acknowledgments.js';
import { counterValue } from '../store/counters.js';
import { updateIncident } from '../store/repositories/incidents.js';
import { reportOutSentTo } from '../store/repositories/notifications.js';
import { insertThirdPartyNotice, noticeOfWeakness } from '../store/repositories/third-party-notices.js';
import { insertWeakness, weaknessesOfIncident, weaknessIdsOfIncident } from '../store/repositories/weaknesses.js';
import { audit, authorize, inTransaction, isoNow, nextCounter, nextId, rolesOf, type AppContext, type Caller, type Trx } from './context.js';
import { assertIncidentOpen, lockIncident, requiredRoles } from './incidents.js';
import { identifier, nonEmpty, parseInput, plainText, recordInput } from './validate.js';
import { enqueue } from './outbox.js';


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
  authorize(ctx, caller, 'reportout.edit');
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
  authorize(ctx, caller, 'reportout.edit');
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

function reportOutBody(inc: Incident, weaknesses: readonly Weakness[], role: string): { subject: string; body: string } {
  const lines = [
    `Incident ${inc.id}: ${inc.title} (severity ${inc.severity}, state ${inc.state})`,
    `IR-6(2) vulnerability report-out for role ${role}. Please acknowledge: closeloop ack ${inc.id} --role ${role}`,
    '',
  ];
  if (weaknesses.length === 0) {
    lines.push(`No associated vulnerability identified. Rationale: ${inc.none_identified_rationale ?? ''}`);
  }
  for (const w of weaknesses) {
    lines.push(
      `- ${w.id} [${w.type}, ${w.relation}] assets: ${(JSON.parse(w.assets) as string[]).join(', ')}`,
      `  notes: ${w.notes}`,
      `  recommended corrective action: ${w.action}`,
      ...(w.vendor ? [`  third party: ${w.vendor}`] : []),
    );
  }
  return { subject: `[closeloop] ${inc.id} vulnerability report-out (${role})`, body: lines.join('\n') };
}

/** The counter of an incident's report-out revisions: each send takes the next. */
export const reportOutCounter = (incident: string): string => `reportout:${incident}`;

export const sendReportOutInput = z.strictObject({ incident: identifier('incident id') });

export interface SendResult {
  incident: Incident;
  revision: number;
  notifications: Notification[];
  notices_opened: string[];
}

/**
 * Sends the report-out: one queued Notification per recipient role and route (the outbox row is
 * written in this transaction; the dispatcher delivers it), and a ThirdPartyNotice for each
 * third-party weakness that has none. Each send is a new revision with its own idempotency keys.
 */
export async function sendReportOut(ctx: AppContext, caller: Caller, input: z.input<typeof sendReportOutInput>): Promise<SendResult> {
  authorize(ctx, caller, 'reportout.send');
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
    for (const role of requiredRoles(ctx, weaknesses)) {
      const routes = routesFor(ctx, role, inc.service).filter((r) => reportsOutTo(r, ctx.config.delivery));
      const { subject, body } = reportOutBody(inc, weaknesses, role);
      for (const route of routes) {
        const n = await enqueue(trx, ctx, caller, {
          incident: inc.id,
          purpose: 'reportout',
          role,
          route,
          subject,
          body,
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
      notices.push(notice.id);
    }
    await updateIncident(trx, inc.id, { reportout_sent_at: at, updated_at: at });
    const next = { ...inc, reportout_sent_at: at, updated_at: at };
    await audit(trx, ctx, caller, { action: 'reportout.sent', entityType: 'incident', entityId: inc.id, incidentId: inc.id, state: { incident: next, revision, notifications: created.map((n) => n.id) } });
    return { incident: next, revision, notifications: created, notices_opened: notices };
  });
}

export const acknowledgeInput = z.strictObject({ incident: identifier('incident id'), role: identifier('role'), comment: plainText('comment').optional() });

/**
 * A recipient role confirms receipt of the report-out, once per incident and role (the store's
 * unique key backs the check); the row records the revision last sent. The actor must hold that role.
 */
export async function acknowledge(ctx: AppContext, caller: Caller, input: z.input<typeof acknowledgeInput>): Promise<Acknowledgment> {
  const p = parseInput(acknowledgeInput, input);
  const roles = rolesOf(ctx, caller.actor);
  if (!roles.includes(p.role)) {
    throw new ClError('CL_FORBIDDEN', `${caller.actor} does not hold role ${p.role} (roles: ${roles.join(', ') || 'none'}); only a holder of the role can acknowledge for it`, { actor: caller.actor, role: p.role });
  }
  return inTransaction(ctx, async (trx: Trx) => {
    const inc = await lockIncident(trx, p.incident);
    assertIncidentOpen(inc);
    const already = await findAcknowledgment(trx, inc.id, p.role);
    if (already) throw alreadyAcknowledged(inc.id, p.role, already);
    if (inc.reportout_sent_at === null) throw new ClError('CL_RULE_REFUSED', `${inc.id}: the report-out has not been sent yet; there is nothing to acknowledge`);
    if (!(await reportOutSentTo(trx, inc.id, p.role))) throw new ClError('CL_RULE_REFUSED', `${inc.id}: the report-out was not sent to role ${p.role}`);
    const revision = await counterValue(trx, reportOutCounter(inc.id));
    const row: Acknowledgment = { id: await nextId(trx, 'AK'), incident_id: inc.id, role: p.role, actor: caller.actor, comment: p.comment ?? null, at: isoNow(ctx), revision };
    await insertAcknowledgment(trx, row);
    await audit(trx, ctx, caller, { action: 'reportout.acknowledged', entityType: 'acknowledgment', entityId: row.id, incidentId: inc.id, state: row });
    return row;
  });
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('weakness', addWeaknessInput);
recordInput('report-out', noneIdentifiedInput);
recordInput('report-out', sendReportOutInput);
recordInput('acknowledgment', acknowledgeInput);
