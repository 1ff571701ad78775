import http from 'node:http';
import type { Duplex } from 'node:stream';
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
    // A body over bodyLimit (413) or a path parameter over maxParamLength (414).
    if (err.statusCode === 413 || err.statusCode === 414) {
      const what = err.statusCode === 413 ? `request body larger than ${BODY_LIMIT.toLocaleString('en')} bytes` : `path parameter longer than ${MAX_PARAM_LENGTH} characters`;
      return { status: err.statusCode, body: { code: 'CL_TOO_LARGE', message: `${what}; see docs/reliability.md, "Limits"`, details: { limit: err.statusCode === 413 ? 'body' : 'path parameter' } } };
    }
    // 415 (media type) keeps its HTTP meaning; the rest are plain 400s.
    const status = err.statusCode === 415 ? err.statusCode : 400;
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

/** Largest request body the API reads (Fastify's bodyLimit): 1 MiB, room for several 64 KiB texts. */
export const BODY_LIMIT = 1024 * 1024;
/** Longest path parameter (Fastify's maxParamLength); a record id is at most 128 bytes, percent-encoded up to 3 characters a byte. */
export const MAX_PARAM_LENGTH = 512;

/**
 * Errors Fastify's router raises before any hook (a malformed URL, a path parameter over
 * maxParamLength): answered with the same body as every other error.
 */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = mapError(err, req.id);
  req.log.info({ code: body.code, status }, body.message);
  void reply.status(status).send(body);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers over maxHeaderSize, a
 * malformed request line, a request that took too long): the answer is written on the socket by
 * hand, still as the catalogue's JSON. An overflow that is mostly the request line is a URI too long
 * (414); otherwise it is the headers' (431).
 */
export function clientErrorHandler(err: Error, socket: Duplex): void {
  const code = 'code' in err ? err.code : undefined;
  const raw: unknown = 'rawPacket' in err ? err.rawPacket : undefined;
  if (code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let body: ApiErrorBody = { code: 'CL_BAD_INPUT', message: 'malformed HTTP request', details: { fields: [{ field: '(request)', message: 'malformed HTTP request' }] } };
  if (code === 'HPE_HEADER_OVERFLOW') {
    // The request line is most of what overflowed: the URI is too long, not the headers.
    const lineEnd = Buffer.isBuffer(raw) ? raw.indexOf('\r\n') : 0;
    const uriTooLong = Buffer.isBuffer(raw) && (lineEnd === -1 || lineEnd > raw.length / 2);
    status = uriTooLong ? 414 : 431;
    const what = uriTooLong ? 'request URI' : 'request headers';
    body = { code: 'CL_TOO_LARGE', message: `${what} larger than the server accepts (${http.maxHeaderSize.toLocaleString('en')} bytes for the request line and headers); see docs/reliability.md, "Limits"`, details: { limit: uriTooLong ? 'uri' : 'headers' } };
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = { code: 'CL_BAD_INPUT', message: 'the request took too long to arrive', details: { fields: [{ field: '(request)', message: 'request timeout' }] } };
  }
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy();
}

/** The methods some registered route answers on `path` (its `:param` segments match any one segment). */
function methodsFor(app: FastifyInstance, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.registeredRoutes) {
    const pattern = r.url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    if (new RegExp(`^${pattern}$`).test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}

/**
 * A page for an address no route answers, when it is one of the web application's own (a GET for
 * HTML outside the API): the application's index, which routes it in the browser. Null: a 404.
 */
export type PageFallback = (req: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

export function registerErrorHandling(app: FastifyInstance, pageFallback: PageFallback | null = null): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = mapError(err, req.id);
    if (body.code === 'CL_UNAVAILABLE') {
      // expected while PostgreSQL restarts or another process holds the write lock: one warning with the reason, no stack
      req.log.warn({ code: body.code, details: body.details }, body.message);
    } else if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, status }, body.message);
    if (body.code === 'CL_UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
    if (status === 503 || status === 429) void reply.header('retry-after', String(retryAfterSeconds(body.details)));
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const page = pageFallback?.(req, reply) ?? null;
    if (page !== null) return page;
    const path = req.url.split('?')[0] ?? '';
    const allowed = methodsFor(app, path);
    // a route answers the path with another method (one answering this method found nothing: a 404)
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      const body: ApiErrorBody = { code: 'CL_METHOD_NOT_ALLOWED', message: `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, details: { method: req.method, allowed } };
      return reply.status(405).header('allow', allowed.join(', ')).send(body);
    }
    const body: ApiErrorBody = { code: 'CL_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, details: { what: 'route', method: req.method } };
    return reply.status(404).send(body);
  });
}
