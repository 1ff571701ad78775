/**
 * The read views of the web application: "my work", the follow-through lists, the audit log and
 * an incident's timeline, the control's metrics and the settings page. Each names its response
 * schema (the use case's own output schema), from which the OpenAPI document and the web
 * application's client are typed.
 */
import { incidentTimeline, incidentTimelineInput, listAuditEvents, listAuditEventsInput, auditLogOutput, timelineOutput } from '../app/views/audit-log.js';
import {
  listRemediation,
  listRemediationInput,
  listRiskAcceptances,
  listRiskAcceptancesInput,
  listVendorNotices,
  listVendorNoticesInput,
  noticeListOutput,
  remediationBoardOutput,
  riskListOutput,
} from '../app/views/follow-through.js';
import { metrics, metricsInput, metricsOutput } from '../app/views/metrics.js';
import { myWork, myWorkOutput } from '../app/views/my-work.js';
import { settingsOutput, showSettings } from '../app/views/settings.js';
import { controlCardHistory } from '../app/control-card.js';
import { controlCardForApi, controlCardHistoryOutput, controlCardRouteInput, controlCardRouteOutput } from '../app/control-card-render.js';
import { evidenceZipOutput, exportEvidence, incidentEvidenceInput } from '../app/evidence.js';
import { exportPoam, exportPoamInput, poamDocumentOutput } from '../app/oscal/poam.js';
import { FileReply, op, view, type ApiRoute } from './route-kit.js';

export const READ_ROUTES: readonly ApiRoute[] = [
  view({
    method: 'GET', path: '/me/work', operationId: 'myWork', tag: 'incidents', response: myWorkOutput,
    summary: "What waits on the caller: acknowledgments owed by their roles, remediation items theirs or their roles' not yet verified, risk acceptances they may decide, vendor notices to chase, incidents they lead",
    handle: (ctx, caller) => myWork(ctx, caller),
  }),
  op({
    method: 'GET', path: '/incidents/:id/timeline', operationId: 'incidentTimeline', tag: 'incidents', response: timelineOutput,
    params: { id: { description: 'incident id, e.g. INC-2026-0001', field: 'id' } },
    summary: "Every audit event of the incident, oldest first (`limit`, default 1,000; `after` = the `next` of the previous page)",
    schema: incidentTimelineInput, from: 'query',
    handle: (ctx, caller, input) => incidentTimeline(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/incidents/:id/evidence', operationId: 'incidentEvidence', tag: 'incidents', response: evidenceZipOutput, produces: 'application/zip',
    params: { id: { description: 'incident id, e.g. INC-2026-0001', field: 'id' } },
    summary: "The incident's evidence bundle: a signed, byte-reproducible zip of its records with inclusion proofs of its audit events to the latest signed checkpoint (`checkpoint` = another's tree size); verify it with `closeloop evidence verify`. Audited as the caller's export",
    schema: incidentEvidenceInput, from: 'query',
    handle: async (ctx, caller, input) => {
      const r = await exportEvidence(ctx, caller, { incident: input.id, ...(input.checkpoint === undefined ? {} : { checkpoint: input.checkpoint }) });
      return new FileReply(r.bytes, 'application/zip', r.name);
    },
  }),
  op({
    method: 'GET', path: '/remediation', operationId: 'listRemediation', tag: 'follow-through', response: remediationBoardOutput,
    summary: 'The remediation board: every item with its incident, weakness, owner, status, due date, overdue flag and tickets; filters status, owner (role or assignee), overdue, incident; a page at a time',
    schema: listRemediationInput, from: 'query',
    handle: (ctx, caller, input) => listRemediation(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/risk-acceptances', operationId: 'listRiskAcceptances', tag: 'follow-through', response: riskListOutput,
    summary: 'Risk acceptances with their effective state (approved ones expire at their review date) and whether the caller may decide each (`can_decide`); filter by state or incident; a page at a time',
    schema: listRiskAcceptancesInput, from: 'query',
    handle: (ctx, caller, input) => listRiskAcceptances(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/vendor-notices', operationId: 'listVendorNotices', tag: 'follow-through', response: noticeListOutput,
    summary: 'Third-party notices with their state, response and chase dates; filter by status, vendor or incident; a page at a time',
    schema: listVendorNoticesInput, from: 'query',
    handle: (ctx, caller, input) => listVendorNotices(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/audit/events', operationId: 'listAuditEvents', tag: 'operations', response: auditLogOutput,
    summary: 'The audit log, newest first: filters incident, actor, action (a prefix), entity_type, entity_id, from/to (ISO times); `before` = the `next` of the previous page (ir_lead, grc_contact, auditor)',
    schema: listAuditEventsInput, from: 'query',
    handle: (ctx, caller, input) => listAuditEvents(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/metrics', operationId: 'metrics', tag: 'operations', response: metricsOutput,
    summary: 'The control\'s figures: incidents missing report-out, report-out and acknowledgment latency, remediation aging and overdue, risk acceptances awaiting review, escalations by trigger, incidents by state',
    schema: metricsInput, from: 'query',
    handle: (ctx, caller, input) => metrics(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/oscal/poam', operationId: 'oscalPoam', tag: 'operations', response: poamDocumentOutput,
    media: { 'text/csv': 'with `format=csv`: the FedRAMP POA&M template\'s columns, one row per POA&M item (RFC 4180, CRLF)' },
    summary: 'The Plan of Action and Milestones as OSCAL 1.1.3 JSON (valid against NIST\'s schema), or `format=csv` for the FedRAMP-style POA&M CSV: one item per weakness and per finding remediation item, with risk status, remediation milestones, risk log and approved deviations; identical for an unchanged store; audited as the caller\'s export (grc_contact, auditor, vuln_mgmt_owner)',
    schema: exportPoamInput, from: 'query',
    handle: async (ctx, caller, input) => {
      const r = await exportPoam(ctx, caller, input);
      return r.document ?? new FileReply(Buffer.from(r.text, 'utf8'), 'text/csv; charset=utf-8', 'poam.csv');
    },
  }),
  view({
    method: 'GET', path: '/settings', operationId: 'showSettings', tag: 'operations', response: settingsOutput,
    summary: 'The configuration, read-only (admin, grc_contact, auditor): control card, routing, workflow, gate, delivery (secrets as env:NAME references), people count, and the role matrix of the policy',
    handle: (ctx, caller) => showSettings(ctx, caller),
  }),
  op({
    method: 'GET', path: '/control-card', operationId: 'showControlCard', tag: 'operations', response: controlCardRouteOutput,
    summary: 'The IR-6(2) control card as recorded: the version in force, or `version`; with `format` md or html also rendered for people (`rendered`: Markdown, or one self-contained HTML page)',
    schema: controlCardRouteInput, from: 'query',
    handle: (ctx, caller, input) => controlCardForApi(ctx, caller, input),
  }),
  view({
    method: 'GET', path: '/control-card/history', operationId: 'controlCardHistory', tag: 'operations', response: controlCardHistoryOutput,
    summary: 'Every version of the control card the store has run with, oldest first: when each took effect, for whom, its SHA-256, and which is in force',
    handle: async (ctx, caller) => ({ versions: await controlCardHistory(ctx, caller) }),
  }),
];
