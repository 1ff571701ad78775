import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, isClError, type ErrorCode } from '../errors.js';

const CODES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The one error body every failure answers with; clients match on `code`, never on `message`. */
export const apiErrorSchema = z
  .object({
    code: z.enum(CODES),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ description: 'An error: a stable code from the closeloop error catalogue, a readable message, and structured details (e.g. details.fields for bad input, details.missing for a refused close).' });
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

interface Mapped {
  status: number;
  body: ApiErrorBody;
}

function hasFrameworkShape(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as Partial<FastifyError>).statusCode === 'number';
}

/** Ajv-style validation entries (a route with a JSON schema) → `{ field, message }`, field dotted. */
function validationFields(err: FastifyError): { field: string; message: string }[] {
  const where = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const missing = typeof v.params.missingProperty === 'string' ? v.params.missingProperty : null;
    const pathPart = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [pathPart, missing].filter((s) => s !== null && s !== '').join('.') || `(${where})`;
    return { field, message: v.message ?? 'invalid' };
  });
}

/**
 * Maps any thrown value to a status and body. ClErrors use the catalogue's status; framework
 * client errors (bad JSON, wrong media type, schema validation) become CL_BAD_INPUT; anything else
 * is a CL_INTERNAL whose message is generic — the details go to the server log only.
 */
export function mapError(err: unknown, requestId: string): Mapped {
  if (isClError(err)) {
    const body: ApiErrorBody = { code: err.code, message: err.message };
    if (err.details !== undefined) body.details = err.details;
    return { status: ERROR_CODES[err.code].status, body };
  }
  if (hasFrameworkShape(err) && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    if (err.validation) {
      const fields = validationFields(err);
      return { status: 400, body: { code: 'CL_BAD_INPUT', message: `invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, details: { fields } } };
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return { status: 400, body: { code: 'CL_BAD_INPUT', message: 'invalid input: (body): not valid JSON', details: { fields: [{ field: '(body)', message: 'not valid JSON' }] } } };
    }
    // 413 (too large) and 415 (media type) keep their HTTP meaning; the rest are plain 400s.
    const status = err.statusCode === 413 || err.statusCode === 415 ? err.statusCode : 400;
    return { status, body: { code: 'CL_BAD_INPUT', message: err.message, details: { fields: [{ field: '(request)', message: err.message }] } } };
  }
  return { status: 500, body: { code: 'CL_INTERNAL', message: `internal error (request ${requestId}); the server log has the details` } };
}

/** Seconds a client is told to wait (`Retry-After`) when the database is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** Retry-After of a 503: the error's `details.retryAfterSeconds` when it gives one (a busy write lock), else RETRY_AFTER_SECONDS. */
function retryAfterSeconds(details: unknown): number {
  if (typeof details === 'object' && details !== null && 'retryAfterSeconds' in details && typeof details.retryAfterSeconds === 'number') return details.retryAfterSeconds;
  return RETRY_AFTER_SECONDS;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = mapError(err, req.id);
    if (body.code === 'CL_UNAVAILABLE') {
      // expected while PostgreSQL restarts or another process holds the write lock: one warning with the reason, no stack
      req.log.warn({ code: body.code, details: body.details }, body.message);
    } else if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, status }, body.message);
    if (body.code === 'CL_UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
    if (status === 503) void reply.header('retry-after', String(retryAfterSeconds(body.details)));
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const body: ApiErrorBody = { code: 'CL_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, details: { what: 'route', method: req.method } };
    return reply.status(404).send(body);
  });
}
