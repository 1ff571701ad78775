/**
 * Control health checks over HTTP: run one (POST), list, show, add a reviewer's note, and the
 * worksheet (CSV text) and OSCAL assessment-results of a check, each in a JSON body with the file
 * name to save it under.
 */
import { addHealthCheckNote, healthCheckIdInput, healthCheckNoteInput, listHealthChecks, runHealthCheck, runHealthCheckInput, showHealthCheck } from '../app/healthcheck.js';
import {
  healthCheckListOutput,
  healthCheckNoteOutput,
  healthCheckOscalOutput,
  healthCheckOutput,
  healthCheckWorksheetOutput,
} from '../app/healthcheck-schemas.js';
import { healthCheckWorksheet } from '../app/healthcheck-worksheet.js';
import { healthCheckAssessmentResults } from '../app/oscal/assessment-results.js';
import { op, view, type ApiRoute } from './route-kit.js';

const checkParam = { id: { description: 'health check id, e.g. HC-0001', field: 'id' } };

export const HEALTHCHECK_ROUTES: readonly ApiRoute[] = [
  op({
    method: 'POST', path: '/health-checks', operationId: 'runHealthCheck', tag: 'assurance', status: 201, response: healthCheckOutput,
    summary: 'Run a control health check: a seeded sample (`sample`, `seed`, optional `stratify: severity`) of the incidents closed from `from` to `to`; each answers the four questions from its records, every gap becomes a control finding with a remediation item owned by the control card\'s owner; soft gate mode reopens a closed incident with gaps (grc_contact, auditor)',
    schema: runHealthCheckInput, from: 'body',
    handle: (ctx, caller, input) => runHealthCheck(ctx, caller, input),
  }),
  view({
    method: 'GET', path: '/health-checks', operationId: 'listHealthChecks', tag: 'assurance', response: healthCheckListOutput,
    summary: 'Every health check, newest first, with its tally and number of control findings (grc_contact, auditor, ir_lead)',
    handle: async (ctx, caller) => ({ checks: await listHealthChecks(ctx, caller) }),
  }),
  op({
    method: 'GET', path: '/health-checks/:id', operationId: 'showHealthCheck', tag: 'assurance', response: healthCheckOutput, params: checkParam,
    summary: 'A health check: each sampled incident with its four answers, evidence ids, control findings and reviewer notes',
    schema: healthCheckIdInput, from: 'query',
    handle: (ctx, caller, input) => showHealthCheck(ctx, caller, input),
  }),
  op({
    method: 'POST', path: '/health-checks/:id/notes', operationId: 'addHealthCheckNote', tag: 'assurance', status: 201, response: healthCheckNoteOutput, params: checkParam,
    summary: "Add a reviewer's note (`incident`, `text`) to a sampled incident of a check (grc_contact, auditor)",
    schema: healthCheckNoteInput, from: 'body',
    handle: (ctx, caller, input) => addHealthCheckNote(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/health-checks/:id/worksheet', operationId: 'healthCheckWorksheet', tag: 'assurance', response: healthCheckWorksheetOutput, params: checkParam,
    summary: 'The CSV worksheet of a check (one row per sampled incident: the four answers, evidence ids, gaps, control findings, reviewer notes) and its file name',
    schema: healthCheckIdInput, from: 'query',
    handle: (ctx, caller, input) => healthCheckWorksheet(ctx, caller, input),
  }),
  op({
    method: 'GET', path: '/health-checks/:id/oscal', operationId: 'healthCheckAssessmentResults', tag: 'assurance', response: healthCheckOscalOutput, params: checkParam,
    summary: 'The check as an OSCAL 1.1.3 assessment-results document (stable UUIDs) and its file name',
    schema: healthCheckIdInput, from: 'query',
    handle: (ctx, caller, input) => healthCheckAssessmentResults(ctx, caller, input),
  }),
];
