/**
 * How a route of the API is declared: `op` for an operation whose input is a use case's zod schema
 * (filled from the path and the body or query), `view` for one that takes only path parameters,
 * `upload` for one whose request is a multipart/form-data upload.
 * The route tables (routes.ts and the files it assembles) are lists of these.
 */
import type { Multipart } from '@fastify/multipart';
import type { z } from 'zod';
import type { AppContext, Caller } from '../app/context.js';
import { parseInput } from '../app/validate.js';
import { identifierProblem } from '../domain/limits.js';
import { badInput } from '../errors.js';

export type HttpMethod = 'GET' | 'POST';

/** The parts of a request a route reads (Fastify's `params`, `query`, `body`). */
export interface RequestParts {
  params: unknown;
  query: unknown;
  body: unknown;
  /** The parts of a multipart/form-data request, on an upload route only. */
  parts?: AsyncIterableIterator<Multipart>;
}

/** A route whose request is a multipart/form-data upload: its text fields and its one file. */
export interface UploadSpec {
  /** The text fields, as a zod object (documented; the route reads and validates them itself). */
  fields: z.ZodType;
  /** The file part's field name and what it holds. */
  file: { name: string; description: string };
}

export interface PathParam {
  description: string;
  /** The use-case input field this path parameter fills. */
  field?: string;
}

export interface RouteInput {
  schema: z.ZodType;
  /** Where the fields not supplied by the path or the route arrive from. */
  from: 'body' | 'query';
  /** Fields the path or the route itself supplies: not part of the request body / query. */
  supplied: readonly string[];
}

/** One operation of the API, type-erased so the table can hold them all. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** Relative to the API prefix; `:name` marks a path parameter. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Success status: 201 when the operation creates a resource (returned with its `id`), 202 when it starts a job. */
  readonly status: 200 | 201 | 202;
  readonly params: Readonly<Record<string, PathParam>>;
  readonly input: RouteInput | null;
  /** The success body's schema (zod, as the server sends it): documented in the OpenAPI document, from which the web application's client is typed. */
  readonly response: z.ZodType | null;
  /** A multipart/form-data upload route (its request body is the upload, not JSON). */
  readonly upload: UploadSpec | null;
  /** Media types a JSON route may also answer with (a FileReply), each with what it holds. */
  readonly media: Readonly<Record<string, string>>;
  /** The `Location` header of a success (the job a 202 started), from the body. */
  readonly location: ((out: unknown) => string | null) | null;
  /** The media type of a route that answers a file (a FileReply) instead of JSON. */
  readonly produces: string | null;
  run(ctx: AppContext, caller: Caller, req: RequestParts): Promise<unknown>;
}

export interface RouteMeta {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  status?: 200 | 201 | 202;
  params?: Record<string, PathParam>;
  /** The success body's schema; every route should name one (test/api/response-schemas.test.ts). */
  response?: z.ZodType;
  location?: (out: unknown) => string | null;
  /** A route answering a file: its media type (the handler returns a FileReply). */
  produces?: string;
  /** Media types a JSON route may also answer with (a FileReply, e.g. `?format=csv`), each with what it holds. */
  media?: Record<string, string>;
}

/** A download: the bytes, their media type and the file name offered to save them as. */
export class FileReply {
  constructor(
    readonly bytes: Uint8Array,
    readonly mediaType: string,
    readonly fileName: string,
  ) {}
}

export interface OpDef<S extends z.ZodType> extends RouteMeta {
  schema: S;
  from: 'body' | 'query';
  /** Input fields the route fixes (e.g. `approve: true` on the approve route). */
  fixed?: Record<string, unknown>;
  handle(ctx: AppContext, caller: Caller, input: z.output<S>): Promise<unknown>;
}

export interface ViewDef extends RouteMeta {
  handle(ctx: AppContext, caller: Caller, params: Record<string, string>): Promise<unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pathParams(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Path parameters of a view are record ids: refused, naming the parameter, unless identifiers. */
function checkedIds(params: Record<string, string>): Record<string, string> {
  const fields = Object.entries(params).flatMap(([name, v]) => {
    const problem = identifierProblem(v);
    return problem === null ? [] : [{ field: name, message: `${name} ${problem}` }];
  });
  if (fields.length > 0) throw badInput(`invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
  return params;
}

/** An operation whose input is a use case's zod schema, filled from path + body (or query). */
export function op<S extends z.ZodType>(d: OpDef<S>): ApiRoute {
  const params = d.params ?? {};
  const fromPath = Object.entries(params).flatMap(([name, p]) => (p.field === undefined ? [] : [[name, p.field] as const]));
  const fixed = d.fixed ?? {};
  return {
    method: d.method,
    path: d.path,
    operationId: d.operationId,
    summary: d.summary,
    tag: d.tag,
    status: d.status ?? 200,
    params,
    input: { schema: d.schema, from: d.from, supplied: [...fromPath.map(([, f]) => f), ...Object.keys(fixed)] },
    response: d.response ?? null,
    upload: null,
    media: d.media ?? {},
    location: d.location ?? null,
    produces: d.produces ?? null,
    async run(ctx, caller, req) {
      const src = d.from === 'body' ? req.body : req.query;
      if (src !== undefined && src !== null && !isRecord(src)) {
        throw badInput(`invalid input: (${d.from}): expected a JSON object`, { fields: [{ field: `(${d.from})`, message: 'a JSON object' }] });
      }
      const given = pathParams(req.params);
      const assembled: Record<string, unknown> = { ...(src ?? {}) };
      for (const [name, field] of fromPath) assembled[field] = given[name];
      const input = parseInput(d.schema, { ...assembled, ...fixed });
      return d.handle(ctx, caller, input);
    },
  };
}

/** An operation that takes only its path parameters (reads, and actions without input). */
export function view(d: ViewDef): ApiRoute {
  return {
    method: d.method,
    path: d.path,
    operationId: d.operationId,
    summary: d.summary,
    tag: d.tag,
    status: d.status ?? 200,
    params: d.params ?? {},
    input: null,
    response: d.response ?? null,
    upload: null,
    media: d.media ?? {},
    location: d.location ?? null,
    produces: d.produces ?? null,
    run: (ctx, caller, req) => d.handle(ctx, caller, checkedIds(pathParams(req.params))),
  };
}

export interface UploadDef extends RouteMeta {
  upload: UploadSpec;
  handle(ctx: AppContext, caller: Caller, parts: AsyncIterableIterator<Multipart>): Promise<unknown>;
}

/** An operation whose request is a multipart/form-data upload (registered with a multipart parser of its own). */
export function upload(d: UploadDef): ApiRoute {
  return {
    method: d.method,
    path: d.path,
    operationId: d.operationId,
    summary: d.summary,
    tag: d.tag,
    status: d.status ?? 200,
    params: d.params ?? {},
    input: null,
    response: d.response ?? null,
    upload: d.upload,
    media: d.media ?? {},
    location: d.location ?? null,
    produces: d.produces ?? null,
    run: (ctx, caller, req) => {
      if (req.parts === undefined) throw badInput('send the upload as multipart/form-data', { fields: [{ field: '(body)', message: 'multipart/form-data' }] });
      return d.handle(ctx, caller, req.parts);
    },
  };
}

