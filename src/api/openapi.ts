/**
 * The OpenAPI 3.1 document, built from the route table and the use cases' zod schemas
 * (`z.toJSONSchema`, JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses), so it cannot drift from
 * what the server validates. Refinements that JSON Schema cannot say (e.g. "a third_party
 * weakness names its vendor") are enforced by the server and named in the 400 response.
 */
import { z } from 'zod';
import { apiErrorSchema } from './errors.js';
import type { ApiRoute } from './routes.js';
import { SESSION_SCHEMA, signInOperations } from './session.js';

export type JsonSchema = z.core.JSONSchema.BaseSchema;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema | boolean;
}

export interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: JsonSchema | { $ref: string } }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Partial<Record<'get' | 'post', OpenApiOperation>>>;
  components: {
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string } | { type: 'apiKey'; in: 'header' | 'cookie'; name: string; description: string }>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
  };
}

const ERROR_RESPONSES = {
  '400': ['BadInput', 'Invalid input (CL_BAD_INPUT): details.fields names each bad field'],
  '401': ['Unauthenticated', 'No valid bearer token (CL_UNAUTHENTICATED)'],
  '403': ['Forbidden', "The caller's roles do not allow this (CL_FORBIDDEN)"],
  '404': ['NotFound', 'No such incident, weakness, item or route (CL_NOT_FOUND)'],
  '409': ['Conflict', 'Refused by the workflow, a rule or the closure gate, or another writer got there first (CL_INVALID_TRANSITION, CL_RULE_REFUSED, CL_GATE_REFUSED with details.missing, CL_CONFLICT with details.current)'],
  '413': ['TooLarge', 'The request or upload is larger than the server takes (CL_TOO_LARGE); the message names the limit'],
  '500': ['Internal', 'Unexpected server error (CL_INTERNAL); the message is generic, the server log has the details'],
  '503': ['Unavailable', 'The store cannot take the request now (CL_UNAVAILABLE): the database is unreachable, or another process holds its write lock; nothing was done; retry after the `Retry-After` header\'s seconds'],
  '429': ['RateLimited', 'Too many requests: sign-in attempts from an address, or calls with one API token (CL_RATE_LIMITED); retry after the `Retry-After` header\'s seconds'],
  '507': ['StorageFull', 'The disk under the database is full (CL_STORAGE_FULL): the change was rolled back whole; run it again once space is freed'],
} as const;

/** JSON Schema of a zod schema as a client sends it (defaults make fields optional). */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** JSON Schema of a zod schema as the server sends it. */
export function outputJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  return rest;
}

/** Drops the fields the path or the route supplies from an object schema. */
function withoutFields(schema: JsonSchema, drop: readonly string[]): JsonSchema {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => !drop.includes(k)));
  const required = (schema.required ?? []).filter((k) => !drop.includes(k));
  const out: JsonSchema = { ...schema, properties };
  if (required.length > 0) out.required = required;
  else delete out.required;
  return out;
}

/** `/incidents/:id/move` → `/incidents/{id}/move` */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const json = (schema: JsonSchema | { $ref: string }) => ({ 'application/json': { schema } });

function operationFor(r: ApiRoute): OpenApiOperation {
  const parameters: OpenApiParameter[] = Object.entries(r.params).map(([name, p]) => ({
    name,
    in: 'path',
    required: true,
    description: p.description,
    schema: { type: 'string', minLength: 1 },
  }));
  const o: OpenApiOperation = { operationId: r.operationId, summary: r.summary, tags: [r.tag], responses: {} };
  if (r.input !== null) {
    const schema = withoutFields(inputJsonSchema(r.input.schema), r.input.supplied);
    if (r.input.from === 'query') {
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: (schema.required ?? []).includes(name), schema: s });
      }
    } else {
      o.requestBody = { required: (schema.required ?? []).length > 0, content: { 'application/json': { schema } } };
    }
  }
  if (r.upload !== null) {
    const fields = inputJsonSchema(r.upload.fields);
    const schema: JsonSchema = {
      type: 'object',
      properties: { ...fields.properties, [r.upload.file.name]: { type: 'string', contentMediaType: 'application/octet-stream', description: r.upload.file.description } },
      required: [...(fields.required ?? []), r.upload.file.name],
    };
    o.requestBody = { required: true, content: { 'multipart/form-data': { schema } } };
  }
  if (parameters.length > 0) o.parameters = parameters;
  o.responses[String(r.status)] = {
    description: r.status === 201 ? 'Created: the new object, with its id' : r.status === 202 ? 'Accepted: the job that does the work; poll the `Location` header\'s URL (GET /jobs/{id})' : 'OK',
    content: {
      ...(r.produces !== null ? { [r.produces]: { schema: { type: 'string', contentMediaType: r.produces } } } : json(r.response === null ? { type: 'object' } : outputJsonSchema(r.response))),
      ...Object.fromEntries(Object.entries(r.media).map(([type, description]) => [type, { schema: { type: 'string', contentMediaType: type, description } }])),
    },
  };
  for (const [status, [name]] of Object.entries(ERROR_RESPONSES)) o.responses[status] = { $ref: `#/components/responses/${name}` };
  return o;
}

/** Builds the document for the routes under `prefix`, plus the public health and description routes. */
export function buildOpenApi(routes: readonly ApiRoute[], prefix: string, version = '0.1.0'): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const add = (path: string, method: 'get' | 'post', operation: OpenApiOperation) => {
    paths[path] = { ...paths[path], [method]: operation };
  };
  for (const r of routes) add(openApiPath(prefix + r.path), r.method === 'GET' ? 'get' : 'post', operationFor(r));

  for (const [path, operationId] of [['/healthz', 'healthzRoot'], [`${prefix}/healthz`, 'healthz']] as const) {
    add(path, 'get', {
      operationId,
      summary: 'Liveness, with the database\'s reachability in the body (no authentication)',
      tags: ['operations'],
      security: [],
      responses: {
        '200': { description: 'The server is up; `db.reachable` says whether the database answers (200 either way)', content: json({ $ref: '#/components/schemas/Health' }) },
      },
    });
  }
  for (const [path, operationId] of [['/readyz', 'readyzRoot'], [`${prefix}/readyz`, 'readyz']] as const) {
    add(path, 'get', {
      operationId,
      summary: 'Readiness: whether the server can serve requests now, i.e. the database answers (no authentication)',
      tags: ['operations'],
      security: [],
      responses: {
        '200': { description: 'The database answers', content: json({ $ref: '#/components/schemas/Health' }) },
        '503': { description: 'The database does not answer; `Retry-After` says when to ask again', content: json({ $ref: '#/components/schemas/Health' }) },
      },
    });
  }
  add('/metrics', 'get', {
    operationId: 'prometheusMetrics',
    summary: 'The control\'s figures as Prometheus text (needs `metrics.read`, or no authentication at all when `server.metrics_public` is set): docs/metrics.md',
    tags: ['operations'],
    responses: {
      '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
      '401': { $ref: '#/components/responses/Unauthenticated' },
      '403': { $ref: '#/components/responses/Forbidden' },
    },
  });
  add(`${prefix}/openapi.json`, 'get', {
    operationId: 'openapi',
    summary: 'This document (no authentication: it describes the API and holds no data)',
    tags: ['operations'],
    security: [],
    responses: { '200': { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) } },
  });

  const html: JsonSchema = { type: 'string' };
  const page = (description: string): OpenApiResponse => ({ description, content: { 'text/html': { schema: html } } });
  const ackPage = (operationId: string, summary: string): OpenApiOperation => ({
    operationId,
    summary,
    tags: ['report-out'],
    security: [],
    parameters: [{ name: 'token', in: 'path', required: true, description: 'the signed acknowledgment link token', schema: html }],
    responses: {
      '200': page('The page: what is acknowledged and one button (GET), or that it is acknowledged (POST)'),
      '404': page('Not a valid link, or links are not enabled'),
      '409': page('The role has already acknowledged'),
      '410': page('The link expired, was used, was superseded by a newer revision, or the incident is closed'),
    },
  });
  add('/ack/{token}', 'get', ackPage('ackPage', 'The page an acknowledgment link opens (no authentication: the signed link is the credential); never acknowledges'));
  add('/ack/{token}', 'post', ackPage('ackByLink', 'Acknowledge the report-out by link: the page\'s one button (no authentication: the signed link is the credential)'));
  // The inbound ticket webhooks: no bearer token, their system's signature or shared secret instead (see inbound.ts).
  for (const [system, operationId, scheme, payload] of [
    ['jira', 'inboundJira', 'jiraSignature', 'a Jira `jira:issue_updated` webhook (issue.key, issue.fields.status)'],
    ['servicenow', 'inboundServiceNow', 'servicenowSecret', '`{ sys_id, number, state }` from a ServiceNow business rule'],
  ] as const) {
    add(`${prefix}/inbound/${system}`, 'post', {
      operationId,
      summary: `A ${system} ticket's status, applied to its remediation item through tickets.status_map: ${payload}`,
      tags: ['follow-through'],
      security: [{ [scheme]: [] }],
      requestBody: { required: true, content: json({ type: 'object' }) },
      responses: {
        '200': { description: 'One result per ticket: { system, ticket, item, status, from, to, applied, note? }', content: json({ type: 'object' }) },
        '400': { $ref: '#/components/responses/BadInput' },
        '401': { $ref: '#/components/responses/Unauthenticated' },
      },
    });
  }

  // Signing in (session.ts): the password form, the session, set-password links, single sign-on.
  for (const [path, method, operation] of signInOperations(prefix)) add(path, method, operation);

  const responses: OpenApiDocument['components']['responses'] = {};
  for (const [name, description] of Object.values(ERROR_RESPONSES)) responses[name] = { description, content: json({ $ref: '#/components/schemas/Error' }) };

  return {
    openapi: '3.1.0',
    info: {
      title: 'closeloop API',
      version,
      description: 'System of record for NIST SP 800-53 IR-6(2): incidents, vulnerability report-outs, acknowledgments, follow-through and the closure gate. Every route except healthz, readyz, this document, the acknowledgment-link page `/ack/{token}` (the signed link is its credential) the inbound ticket webhooks (authenticated by their system\'s signature or shared secret) and signing in needs `Authorization: Bearer <token>` or the session cookie of a signed-in browser (with `x-csrf-token` on every POST).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'incidents', description: 'The incident workflow and its closure gate' },
      { name: 'report-out', description: 'The IR-6(2) vulnerability report-out, its delivery and acknowledgments' },
      { name: 'follow-through', description: 'Remediation, risk acceptance and third-party notices' },
      { name: 'assets', description: 'Asset identity: provisional assets and merging them into the inventory' },
      { name: 'operations', description: 'Delivery, audit and health' },
      { name: 'findings', description: 'Analyst verdicts on vulnerability findings, and why a finding was decided as it was' },
      { name: 'vulnerabilities', description: 'Imports (uploads), stored triage, decisions, and the jobs that run the long work' },
      { name: 'people', description: 'The people directory and API tokens (admin)' },
      { name: 'sign-in', description: 'Signing in to the web application: password, session, set-password links, single sign-on' },
    ],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token from `closeloop token create`' },
        session: { type: 'apiKey', in: 'cookie', name: 'closeloop_session', description: 'A signed-in browser (POST /api/v1/session); every POST made with it also needs the header x-csrf-token' },
        jiraSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature', description: 'sha256=<hex HMAC-SHA256 of the body with delivery.jira.webhook_secret>, as Jira admin webhooks sign' },
        servicenowSecret: { type: 'apiKey', in: 'header', name: 'X-Closeloop-Secret', description: 'The shared secret delivery.servicenow.inbound_secret names' },
      },
      schemas: {
        Error: inputJsonSchema(apiErrorSchema),
        Session: SESSION_SCHEMA,
        Health: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['ok', 'unavailable'] },
            db: { type: 'object', properties: { engine: { type: 'string', enum: ['sqlite', 'postgres'] }, reachable: { type: 'boolean' } }, required: ['engine', 'reachable'] },
          },
          required: ['status', 'db'],
        },
      },
      responses,
    },
  };
}
