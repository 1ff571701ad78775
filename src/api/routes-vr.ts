/**
 * The vulnerability side of the API: uploads of what `closeloop import` takes (run as jobs), stored
 * triage (a job too), the latest decisions, `why`, and the handoff notes of an incident. Long work
 * answers 202 with the job and its `Location`; `GET /jobs/{id}` follows it.
 */
import type { Multipart } from '@fastify/multipart';
import { listDecisions, listDecisionsInput } from '../app/decision-list.js';
import { explainFinding } from '../app/explain-finding.js';
import { handoffNotes, handoffRevisions } from '../app/handoff-notes.js';
import { jobRunnerOf, showJob, type JobView } from '../app/jobs.js';
import { triageJobInput, startTriageJob } from '../app/triage-job.js';
import { listImports, listImportsInput, startUploadImport, uploadImportInput, uploadName, uploadTooLarge } from '../app/upload-import.js';
import type { AppContext, Caller } from '../app/context.js';
import { badInput } from '../errors.js';
import { op, upload, view, type ApiRoute } from './route-kit.js';
import { decisionPageSchema, handoffSchema, importListSchema, jobAcceptedSchema, jobSchema, whySchema } from './schemas.js';

const jobLocation = (out: unknown): string | null => {
  const job = (out as { job?: { id?: unknown } }).job;
  return typeof job?.id === 'string' ? `/jobs/${job.id}` : null;
};

/** The form fields of an upload, as the use case's input (the file's name comes from its part). */
const uploadFields = uploadImportInput.omit({ name: true });

function flag(v: string | undefined): boolean | string | undefined {
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v; // refused by the use case's schema, naming the field
}

function isTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE';
}

/** Reads the form: text fields first, then the one file, whose bytes go to the use case as a stream. */
async function receiveImport(ctx: AppContext, caller: Caller, parts: AsyncIterableIterator<Multipart>): Promise<{ job: JobView }> {
  const fields: Record<string, string> = {};
  for await (const part of parts) {
    if (part.type === 'field') {
      if (typeof part.value !== 'string') throw badInput(`field ${part.fieldname} must be text`, { fields: [{ field: part.fieldname, message: 'text' }] });
      fields[part.fieldname] = part.value;
      continue;
    }
    if (part.fieldname !== 'file') throw badInput(`the file goes in the field named file, not ${part.fieldname}`, { fields: [{ field: part.fieldname, message: 'the file field is named file' }] });
    const unknown = Object.keys(fields).filter((k) => !['kind', 'format', 'triage', 'force'].includes(k));
    if (unknown.length > 0) throw badInput(`unknown field(s): ${unknown.join(', ')}; an upload takes kind, format, triage, force and file`, { fields: unknown.map((f) => ({ field: f, message: 'unknown field' })) });
    if (fields.kind === undefined) throw badInput('send the kind field before the file (kind, then file)', { fields: [{ field: 'kind', message: 'required, before the file' }] });
    const input = {
      kind: fields.kind,
      name: uploadName(part.filename),
      ...(fields.format !== undefined ? { format: fields.format } : {}),
      ...(fields.triage !== undefined ? { triage: flag(fields.triage) } : {}),
      ...(fields.force !== undefined ? { force: flag(fields.force) } : {}),
    };
    try {
      // the use case's schema validates every field (a wrong kind or flag is a 400 naming it)
      const job = await startUploadImport(ctx, caller, input as never, part.file, jobRunnerOf(ctx));
      return { job };
    } catch (err) {
      if (isTooLarge(err)) throw uploadTooLarge(ctx);
      throw err;
    }
  }
  throw badInput('the upload has no file: send the fields kind and file as multipart/form-data', { fields: [{ field: 'file', message: 'required' }] });
}

export const VR_ROUTES: readonly ApiRoute[] = [
  upload({
    method: 'POST', path: '/imports', operationId: 'uploadImport', tag: 'vulnerabilities', status: 202,
    response: jobAcceptedSchema, location: jobLocation,
    summary: 'Upload a file to import (what `closeloop import KIND FILE` takes), as multipart/form-data: `kind` first, then `file`. Answers 202 with the job at once; the import runs in the background (GET /jobs/{id}); a file over server.upload_limit_mb is refused with 413',
    upload: { fields: uploadFields, file: { name: 'file', description: 'the file: a scanner report, an inventory, a KEV catalog, an EPSS CSV, signals or advisories' } },
    handle: receiveImport,
  }),
  op({
    method: 'GET', path: '/imports', operationId: 'listImports', tag: 'vulnerabilities',
    response: importListSchema,
    summary: 'The most recent imports, newest first: file, kind, format, counts, when and by whom',
    schema: listImportsInput, from: 'query',
    handle: async (ctx, caller, input) => ({ imports: await listImports(ctx, caller, input) }),
  }),
  view({
    method: 'GET', path: '/jobs/:id', operationId: 'showJob', tag: 'vulnerabilities',
    params: { id: { description: 'job id, e.g. JB-0001' } },
    response: jobSchema,
    summary: "A job: its state (queued, running, succeeded, failed), progress, result (an import's or a triage's summary) or error in words. Only its actor or an admin sees it",
    handle: (ctx, caller, p) => showJob(ctx, caller, p.id ?? '', jobRunnerOf(ctx)),
  }),
  op({
    method: 'POST', path: '/triage', operationId: 'startTriage', tag: 'vulnerabilities', status: 202,
    response: jobAcceptedSchema, location: jobLocation,
    summary: 'Decide every open finding in the store (`closeloop triage`); `escalate: true` hands each escalation to incident response. Runs as a job (202); its result is the triage summary',
    schema: triageJobInput, from: 'body',
    handle: async (ctx, caller, input) => ({ job: await startTriageJob(ctx, caller, input, jobRunnerOf(ctx)) }),
  }),
  op({
    method: 'GET', path: '/decisions', operationId: 'listDecisions', tag: 'vulnerabilities',
    response: decisionPageSchema,
    summary: 'The latest decision of each finding in finding order, a page at a time (`limit`, `after` = the `next` of the previous page), optionally of one outcome, trigger, stay reason or incident',
    schema: listDecisionsInput, from: 'query',
    handle: (ctx, caller, input) => listDecisions(ctx, caller, input),
  }),
  view({
    method: 'GET', path: '/findings/:id/why', operationId: 'whyFinding', tag: 'findings',
    params: { id: { description: 'finding id (any unique prefix of it)' } },
    response: whySchema,
    summary: 'Why a finding was decided as it was (`closeloop why`): the latest decision, its facts, and the rule lines of its replay with the stored ruleset',
    handle: (ctx, caller, p) => explainFinding(ctx, caller, p.id ?? ''),
  }),
  view({
    method: 'GET', path: '/incidents/:id/handoff', operationId: 'incidentHandoff', tag: 'incidents',
    params: { id: { description: 'incident id, e.g. INC-2026-0001' } },
    response: handoffSchema,
    summary: 'The handoff notes escalations stored with an incident (Markdown to show and copy, and their structured form), and the revisions sent to the IR lead',
    handle: async (ctx, caller, p) => {
      const id = p.id ?? '';
      return { incident: id, notes: await handoffNotes(ctx, caller, id), revisions: await handoffRevisions(ctx, caller, id) };
    },
  }),
];
