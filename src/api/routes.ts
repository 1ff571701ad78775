/**
 * The API's route table: one entry per operation, mirroring the CLI. Each entry names the use
 * case's own zod input schema and where each of its fields arrives from (path, body or query, or
 * fixed by the route), so validation and the OpenAPI document both come from the schemas the use
 * cases export — nothing is restated here.
 *
 * Handlers stay thin: the request is assembled into the use case's input and validated at the
 * edge (a bad field is a 400 naming it before anything runs), then the use case is called (it
 * authorizes and validates again), and the result is presented.
 */
import { checkpointList, checkpointListOutput, checkpointOutput, createCheckpoint } from '../app/audit-checkpoints.js';
import { createToken, createTokenInput, listTokens, listTokensInput, revokeToken, revokeTokenInput, verifyAudit } from '../app/admin.js';
import { createPasswordLink, passwordLinkInput } from '../app/passwords.js';
import { addPerson, addPersonInput, listPeople, listPeopleInput, removePerson, removePersonInput, setRoles, setRolesInput } from '../app/people.js';
import {
  addRemediation,
  addRemediationInput,
  chaseVendor,
  decideRisk,
  decideRiskInput,
  moveRemediation,
  moveRemediationInput,
  notifyVendor,
  recordVendorResponse,
  requestRisk,
  requestRiskInput,
  vendorChaseInput,
  vendorNotifyInput,
  vendorResponseInput,
} from '../app/followthrough.js';
import {
  closeIncident,
  closeIncidentInput,
  listIncidents,
  listIncidentsInput,
  moveIncident,
  moveIncidentInput,
  openIncident,
  openIncidentInput,
  reopenIncident,
  reopenIncidentInput,
  showIncident,
} from '../app/incidents.js';
import {
  acknowledge,
  acknowledgeInput,
  addWeakness,
  addWeaknessInput,
  markNoneIdentified,
  noneIdentifiedInput,
  sendReportOut,
  sendReportOutInput,
} from '../app/reportout.js';
import { findingVerdictInput, setFindingVerdict } from '../app/finding-verdict.js';
import { runDelivery } from '../app/run-delivery.js';
import { listAssets, listAssetsInput, mergeAssets, mergeAssetsInput } from '../app/assets.js';
import { showFinding } from '../app/show-finding.js';
import { deliveryIdInput, listDeliveries, listDeliveriesInput, retryDelivery, showDelivery } from '../app/deliveries.js';
import { presentIncident, presentIncidentView, presentSendResult, presentWeakness } from './presenters.js';
import {
  acknowledgmentSchema,
  assetListSchema,
  closeResultSchema,
  deliveryDetailSchema,
  deliveryPageSchema,
  deliverySchema,
  dispatchSummarySchema,
  findingViewSchema,
  gateSchema,
  incidentPageSchema,
  addedPersonSchema,
  createdTokenSchema,
  peopleSchema,
  passwordLinkSchema,
  personSchema,
  removedPersonSchema,
  tokenListingSchema,
  tokensSchema,
  incidentSchema,
  incidentViewSchema,
  mergeResultSchema,
  remediationItemSchema,
  riskAcceptanceSchema,
  sendResultSchema,
  vendorNoticeSchema,
  verdictResultSchema,
  verifyResultSchema,
  weaknessSchema,
} from './schemas.js';

import { op, view, type ApiRoute, type PathParam } from './route-kit.js';
import { HEALTHCHECK_ROUTES } from './routes-healthcheck.js';
import { OPS_ROUTES } from './routes-ops.js';
import { READ_ROUTES } from './routes-read.js';
import { VR_ROUTES } from './routes-vr.js';

export type { ApiRoute, HttpMethod, PathParam, RequestParts, RouteInput } from './route-kit.js';

const incidentParam = (field?: string): Record<string, PathParam> => ({ id: { description: 'incident id, e.g. INC-2026-0001', ...(field ? { field } : {}) } });
const weaknessParam = { id: { description: 'weakness id, e.g. WK-0001', field: 'weakness' } };
const deliveryParam = { id: { description: 'outbox message id, e.g. NT-0001', field: 'id' } };

const WORKFLOW_ROUTES: readonly ApiRoute[] = [
  // ---- incidents ----------------------------------------------------------------------------
  op({
    method: 'POST', path: '/incidents', operationId: 'openIncident', tag: 'incidents', status: 201,
    response: incidentSchema,
    summary: 'Open an incident (state reported); it owes an IR-6(2) report-out from here on',
    schema: openIncidentInput, from: 'body',
    handle: async (ctx, caller, input) => presentIncident(await openIncident(ctx, caller, input)),
  }),
  op({
    method: 'GET', path: '/incidents', operationId: 'listIncidents', tag: 'incidents',
    response: incidentPageSchema,
    summary: 'List incidents in creation order, a page at a time (`limit`, default 100; `after` = the `next` of the previous page), optionally in one state',
    schema: listIncidentsInput, from: 'query',
    handle: async (ctx, caller, input) => {
      const page = await listIncidents(ctx, caller, input);
      return { incidents: page.incidents.map(presentIncident), next: page.next };
    },
  }),
  view({
    method: 'GET', path: '/incidents/:id', operationId: 'showIncident', tag: 'incidents', params: incidentParam(),
    response: incidentViewSchema,
    summary: 'Everything known about one incident: report-out, notifications, acknowledgments, follow-through, gate',
    handle: async (ctx, caller, p) => presentIncidentView(await showIncident(ctx, caller, p.id ?? '')),
  }),
  op({
    method: 'POST', path: '/incidents/:id/move', operationId: 'moveIncident', tag: 'incidents', params: incidentParam('id'),
    response: incidentSchema,
    summary: 'Move an incident one step along the workflow (closing goes through /close)',
    schema: moveIncidentInput, from: 'body',
    handle: async (ctx, caller, input) => presentIncident(await moveIncident(ctx, caller, input)),
  }),
  op({
    method: 'POST', path: '/incidents/:id/close', operationId: 'closeIncident', tag: 'incidents', params: incidentParam('id'),
    response: closeResultSchema,
    summary: 'Close through the closure gate (409 CL_GATE_REFUSED lists every missing item in details.missing), or as a non-incident with a rationale',
    schema: closeIncidentInput, from: 'body',
    handle: async (ctx, caller, input) => {
      const r = await closeIncident(ctx, caller, input);
      return { incident: presentIncident(r.incident), flagged: r.flagged };
    },
  }),
  op({
    method: 'POST', path: '/incidents/:id/reopen', operationId: 'reopenIncident', tag: 'incidents', params: incidentParam('id'),
    response: incidentSchema,
    summary: 'Reopen a closed incident, with the reason (audited)',
    schema: reopenIncidentInput, from: 'body',
    handle: async (ctx, caller, input) => presentIncident(await reopenIncident(ctx, caller, input)),
  }),
  view({
    method: 'GET', path: '/incidents/:id/gate', operationId: 'incidentGate', tag: 'incidents', params: incidentParam(),
    response: gateSchema,
    summary: "The closure gate: what is still missing before the incident can close",
    handle: async (ctx, caller, p) => {
      const v = await showIncident(ctx, caller, p.id ?? '');
      return { incident: v.incident.id, state: v.incident.state, ready: v.gate.ready, missing: v.gate.missing, flags: v.gate_flags };
    },
  }),
  // ---- report-out ---------------------------------------------------------------------------
  op({
    method: 'POST', path: '/incidents/:id/weaknesses', operationId: 'addWeakness', tag: 'report-out', status: 201, params: incidentParam('incident'),
    response: weaknessSchema,
    summary: 'Add a weakness (an IR-6(2) report-out line); third_party weaknesses name their vendor',
    schema: addWeaknessInput, from: 'body',
    handle: async (ctx, caller, input) => presentWeakness(await addWeakness(ctx, caller, input)),
  }),
  op({
    method: 'POST', path: '/incidents/:id/reportout/none', operationId: 'markNoneIdentified', tag: 'report-out', params: incidentParam('incident'),
    response: incidentSchema,
    summary: 'Record the report-out as "none identified", with its rationale',
    schema: noneIdentifiedInput, from: 'body',
    handle: async (ctx, caller, input) => presentIncident(await markNoneIdentified(ctx, caller, input)),
  }),
  op({
    method: 'POST', path: '/incidents/:id/reportout/send', operationId: 'sendReportOut', tag: 'report-out', params: incidentParam('incident'),
    response: sendResultSchema,
    summary: 'Send the report-out: queues one notification per recipient role and route, opens third-party notices',
    schema: sendReportOutInput, from: 'body',
    handle: async (ctx, caller, input) => {
      return presentSendResult(await sendReportOut(ctx, caller, input));
    },
  }),
  op({
    method: 'POST', path: '/incidents/:id/acks', operationId: 'acknowledge', tag: 'report-out', status: 201, params: incidentParam('incident'),
    response: acknowledgmentSchema,
    summary: 'Acknowledge the report-out for a role the caller holds',
    schema: acknowledgeInput, from: 'body',
    handle: (ctx, caller, input) => acknowledge(ctx, caller, input, 'api'),
  }),
  // ---- follow-through -----------------------------------------------------------------------
  op({
    method: 'POST', path: '/weaknesses/:id/remediation', operationId: 'addRemediation', tag: 'follow-through', status: 201, params: weaknessParam,
    response: remediationItemSchema,
    summary: 'Open a remediation item for a weakness (due date from the SLA policy unless given)',
    schema: addRemediationInput, from: 'body',
    handle: (ctx, caller, input) => addRemediation(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/remediation/:id/move', operationId: 'moveRemediation', tag: 'follow-through',
    response: remediationItemSchema,
    params: { id: { description: 'remediation item id, e.g. RI-0001', field: 'item' } },
    summary: 'Move a remediation item (open → in_progress → resolved → verified)',
    schema: moveRemediationInput, from: 'body',
    handle: (ctx, caller, input) => moveRemediation(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/weaknesses/:id/risk-acceptances', operationId: 'requestRisk', tag: 'follow-through', status: 201, params: weaknessParam,
    response: riskAcceptanceSchema,
    summary: 'Request a risk acceptance for a weakness (the exception path)',
    schema: requestRiskInput, from: 'body',
    handle: (ctx, caller, input) => requestRisk(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/risk-acceptances/:id/approve', operationId: 'approveRisk', tag: 'follow-through',
    response: riskAcceptanceSchema,
    params: { id: { description: 'risk acceptance id, e.g. RA-0001', field: 'risk' } },
    summary: 'Approve a requested risk acceptance (approver roles only; never the requester)',
    schema: decideRiskInput, from: 'body', fixed: { approve: true },
    handle: (ctx, caller, input) => decideRisk(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/risk-acceptances/:id/reject', operationId: 'rejectRisk', tag: 'follow-through',
    response: riskAcceptanceSchema,
    params: { id: { description: 'risk acceptance id, e.g. RA-0001', field: 'risk' } },
    summary: 'Reject a requested risk acceptance, with the reason',
    schema: decideRiskInput, from: 'body', fixed: { approve: false },
    handle: (ctx, caller, input) => decideRisk(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/weaknesses/:id/vendor-notices', operationId: 'notifyVendor', tag: 'follow-through', status: 201, params: weaknessParam,
    response: vendorNoticeSchema,
    summary: 'Record that the vendor of a third_party weakness was notified through its contract channel',
    schema: vendorNotifyInput, from: 'body',
    handle: (ctx, caller, input) => notifyVendor(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/vendor-notices/:id/response', operationId: 'recordVendorResponse', tag: 'follow-through',
    response: vendorNoticeSchema,
    params: { id: { description: 'third-party notice id, e.g. TP-0001', field: 'notice' } },
    summary: "Record the vendor's response or RCA statement",
    schema: vendorResponseInput, from: 'body',
    handle: (ctx, caller, input) => recordVendorResponse(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/vendor-notices/:id/chase', operationId: 'chaseVendor', tag: 'follow-through',
    response: vendorNoticeSchema,
    params: { id: { description: 'third-party notice id, e.g. TP-0001', field: 'notice' } },
    summary: 'Record that an unanswered vendor notice was chased',
    schema: vendorChaseInput, from: 'body',
    handle: (ctx, caller, input) => chaseVendor(ctx, caller, input),
  }),
  // ---- assets -------------------------------------------------------------------------------
  op({
    method: 'GET', path: '/assets', operationId: 'listAssets', tag: 'assets',
    response: assetListSchema,
    summary: 'List assets by id with their open findings; `unmatched=true`: only provisional ones (report targets no inventory asset matched: not in inventory, owner and exposure unknown)',
    schema: listAssetsInput, from: 'query',
    handle: async (ctx, caller, input) => ({ assets: await listAssets(ctx, caller, input) }),
  }),
  op({
    method: 'POST', path: '/assets/:id/merge', operationId: 'mergeAssets', tag: 'assets',
    response: mergeResultSchema,
    params: { id: { description: 'provisional asset id (URL-encoded), e.g. image%3Adocker.io%2Facme%2Fapp', field: 'provisional' } },
    summary: 'Merge a provisional asset into inventory asset `into`: findings and signals move, its target becomes an alias of `into`, the moved findings are decided again',
    schema: mergeAssetsInput, from: 'body',
    handle: (ctx, caller, input) => mergeAssets(ctx, caller, input),
  }),
  // ---- operations ---------------------------------------------------------------------------
  view({
    method: 'POST', path: '/delivery/run', operationId: 'runDelivery', tag: 'operations',
    response: dispatchSummarySchema,
    summary: 'Drain the outbox once now (the server also does this every few seconds)',
    handle: (ctx, caller) => runDelivery(ctx, caller),
  }),
  op({
    method: 'GET', path: '/deliveries', operationId: 'listDeliveries', tag: 'operations',
    response: deliveryPageSchema,
    summary: 'List outbox messages in the order they were queued, a page at a time (`limit`, `after` = the `next` of the previous page), optionally in one state (`queued`, `sending`, `delivered`, `failed`) or of one incident',
    schema: listDeliveriesInput, from: 'query',
    handle: (ctx, caller, input) => listDeliveries(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/deliveries/:id', operationId: 'showDelivery', tag: 'operations', params: deliveryParam,
    response: deliveryDetailSchema,
    summary: 'One outbox message with its delivery proof and every attempt (time, channel, outcome, response code, answer or error)',
    schema: deliveryIdInput, from: 'query',
    handle: (ctx, caller, input) => showDelivery(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/deliveries/:id/retry', operationId: 'retryDelivery', tag: 'operations', params: deliveryParam,
    response: deliverySchema,
    summary: 'Put a failed message (the dead letter) back in the queue with a new round of attempts; its attempts stay on record',
    schema: deliveryIdInput, from: 'body',
    handle: (ctx, caller, input) => retryDelivery(ctx, caller, input),
  }),
  view({
    method: 'GET', path: '/audit/verify', operationId: 'verifyAudit', tag: 'operations',
    response: verifyResultSchema,
    summary: 'Verify the audit hash chain (200 with ok:false and the first bad event when broken)',
    handle: (ctx, caller) => verifyAudit(ctx, caller),
  }),
  view({
    method: 'POST', path: '/audit/checkpoints', operationId: 'createAuditCheckpoint', tag: 'operations', status: 201,
    response: checkpointOutput,
    summary: 'Sign a checkpoint of the whole audit log now (RFC 9162 root, Ed25519) and send it to the witness (ir_lead, grc_contact, auditor); 409 without a signing key',
    handle: (ctx, caller) => createCheckpoint(ctx, caller),
  }),
  view({
    method: 'GET', path: '/audit/checkpoints', operationId: 'listAuditCheckpoints', tag: 'operations',
    response: checkpointListOutput,
    summary: 'The signed checkpoints of the audit log, smallest first: tree size, root, time, key id, signature (ir_lead, grc_contact, auditor)',
    handle: (ctx, caller) => checkpointList(ctx, caller),
  }),
  // ---- findings -----------------------------------------------------------------------------
  op({
    method: 'POST', path: '/findings/:id/verdict', operationId: 'setFindingVerdict', tag: 'findings', status: 201,
    response: verdictResultSchema,
    params: { id: { description: 'finding id', field: 'finding' } },
    summary: "Record an analyst's verdict on a finding (validation, reachability, containment; `note` says why) and decide it again with the shipped ruleset; an escalation is handed to IR",
    schema: findingVerdictInput, from: 'body',
    handle: async (ctx, caller, input) => {
      const r = await setFindingVerdict(ctx, caller, input);
      return { id: r.verdict, ...r };
    },
  }),
  view({
    method: 'GET', path: '/findings/:id', operationId: 'showFinding', tag: 'findings',
    response: findingViewSchema,
    params: { id: { description: 'finding id' } },
    summary: 'A finding, the analyst verdicts on it and its latest decision',
    handle: (ctx, caller, p) => showFinding(ctx, caller, p.id ?? ''),
  }),
  // ---- people and tokens --------------------------------------------------------------------
  op({
    method: 'GET', path: '/people', operationId: 'listPeople', tag: 'people',
    summary: 'The people directory: who holds which roles (`include_removed=true`: removed people too); admin, grc_contact and auditor',
    schema: listPeopleInput, from: 'query',
    response: peopleSchema,
    handle: async (ctx, caller, input) => ({ people: await listPeople(ctx, caller, input) }),
  }),
  op({
    method: 'POST', path: '/people', operationId: 'addPerson', tag: 'people', status: 201,
    summary: 'Add a person with their roles (409 CL_CONFLICT when already there: use /people/{name}/roles); a removed person is added back',
    schema: addPersonInput, from: 'body',
    response: addedPersonSchema,
    handle: async (ctx, caller, input) => {
      const p = await addPerson(ctx, caller, input);
      return { id: p.name, ...p };
    },
  }),
  op({
    method: 'POST', path: '/people/:name/roles', operationId: 'setRoles', tag: 'people',
    params: { name: { description: "the person's name", field: 'name' } },
    summary: "Replace a person's roles (the last admin keeps admin)",
    schema: setRolesInput, from: 'body',
    response: personSchema,
    handle: (ctx, caller, input) => setRoles(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/people/:name/remove', operationId: 'removePerson', tag: 'people',
    params: { name: { description: "the person's name", field: 'name' } },
    summary: 'Remove a person: they can no longer act, their tokens are revoked, their name stays in the audit chain (never yourself, never the last admin)',
    schema: removePersonInput, from: 'body',
    response: removedPersonSchema,
    handle: (ctx, caller, input) => removePerson(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/people/:name/password-link', operationId: 'createPasswordLink', tag: 'people', status: 201,
    params: { name: { description: "the person's name", field: 'name' } },
    summary: 'A one-time set-password link for a person (valid 24 hours unless `hours` says otherwise); the link is in this answer only, the store keeps its SHA-256',
    schema: passwordLinkInput, from: 'body',
    response: passwordLinkSchema,
    handle: async (ctx, caller, input) => {
      const l = await createPasswordLink(ctx, caller, input);
      return { id: l.name, ...l };
    },
  }),
  op({
    method: 'GET', path: '/tokens', operationId: 'listTokens', tag: 'people',
    summary: 'API tokens (optionally of one `actor`): id, actor, label, created, expires, last used, revoked; never a token or its hash',
    schema: listTokensInput, from: 'query',
    response: tokensSchema,
    handle: async (ctx, caller, input) => ({ tokens: await listTokens(ctx, caller, input) }),
  }),
  op({
    method: 'POST', path: '/tokens', operationId: 'createToken', tag: 'people', status: 201,
    summary: 'Create an API token for a person (`expires`: 90d or YYYY-MM-DD); the token is in this answer only, the store keeps its SHA-256',
    schema: createTokenInput, from: 'body',
    response: createdTokenSchema,
    handle: (ctx, caller, input) => createToken(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/tokens/:id/revoke', operationId: 'revokeToken', tag: 'people',
    params: { id: { description: 'token id, e.g. TK-0001', field: 'id' } },
    summary: 'Revoke an API token: refused (401) from the next request on',
    schema: revokeTokenInput, from: 'body',
    response: tokenListingSchema,
    handle: (ctx, caller, input) => revokeToken(ctx, caller, input),
  }),
];

/** Every operation of the API: the incident workflow's here, then the tables of the other files, one line each. */
export const ROUTES: readonly ApiRoute[] = [
  ...WORKFLOW_ROUTES,
  ...OPS_ROUTES,
  ...READ_ROUTES,
  ...VR_ROUTES,
  ...HEALTHCHECK_ROUTES,
];
