/**
 * The OpenAPI 3.1 document: served without a token, shaped as OpenAPI 3.1 requires for the parts
 * it uses, in step with the routes the server registers, and with request schemas that are valid
 * JSON Schema 2020-12 derived from the use cases' zod schemas.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_ROUTES } from '../../src/api/web.js';
import { openApiPath, type JsonSchema, type OpenApiDocument, type OpenApiOperation } from '../../src/api/openapi.js';
import { ROUTES } from '../../src/api/routes.js';
import { API_PREFIX } from '../../src/api/server.js';
import { INCIDENT_STATES } from '../../src/domain/incident.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api } from './harness.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(doc: OpenApiDocument): [string, string, OpenApiOperation][] {
  return Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([m, op]): [string, string, OpenApiOperation] => [p, m, op]));
}

/** Every `$ref` anywhere in a JSON value. */
function refs(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(refs);
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => (k === '$ref' && typeof x === 'string' ? [x] : refs(x)));
}

function resolve(doc: unknown, ref: string): unknown {
  let cur: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function bodySchema(doc: OpenApiDocument, operationId: string): JsonSchema {
  const op = operations(doc).find(([, , o]) => o.operationId === operationId)?.[2];
  const schema = op?.requestBody?.content['application/json']?.schema;
  if (schema === undefined) throw new Error(`${operationId} has no JSON request body`);
  return schema;
}

describe.each(ENGINES)('OpenAPI document (%s)', (engine) => {
  let api: Api;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    api = await makeApi(engine);
    const res = await api.request(null, 'GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json<OpenApiDocument>();
  });
  afterAll(async () => {
    await api.close();
  });

  it('is an OpenAPI 3.1 document in shape', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [p, method, op] of operations(doc)) {
      expect(p.startsWith('/'), p).toBe(true);
      expect(HTTP_METHODS).toContain(method);
      expect(ids.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId);
      for (const t of op.tags) expect(tags.has(t), `${op.operationId} tag ${t}`).toBe(true);
      // Path templating: each {name} is declared once as a required path parameter, and no more.
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
      expect(declared.map((x) => x.name).sort(), `${method} ${p}`).toEqual(templated.sort());
      expect(declared.every((x) => x.required)).toBe(true);
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(op.responses)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect('$ref' in r || typeof r.description === 'string', `${op.operationId} ${status}`).toBe(true);
      }
    }
    for (const ref of refs(doc)) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it('lists every operation of the route table, and every route the server registered', () => {
    for (const r of ROUTES) {
      const op = doc.paths[openApiPath(API_PREFIX + r.path)]?.[r.method === 'GET' ? 'get' : 'post'];
      expect(op?.operationId, `${r.method} ${r.path}`).toBe(r.operationId);
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining([String(r.status), '400', '401', '403', '404', '409']));
    }
    for (const r of api.app.registeredRoutes.filter((x) => x.method !== 'HEAD' && !(WEB_ROUTES as readonly string[]).includes(x.url))) {
      expect(doc.paths[openApiPath(r.url)]?.[r.method === 'GET' ? 'get' : 'post'], `${r.method} ${r.url}`).toBeDefined();
    }
  });

  it('declares bearer auth or the session cookie, required everywhere but healthz, readyz, the document itself, the acknowledgment-link page and signing in', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'closeloop_session' });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    const open = operations(doc).filter(([, , o]) => o.security !== undefined && o.security.length === 0).map(([p]) => p).sort();
    expect(open).toEqual(
      ['/ack/{token}', '/ack/{token}', `${API_PREFIX}/healthz`, `${API_PREFIX}/openapi.json`, `${API_PREFIX}/readyz`, '/healthz', '/readyz', `${API_PREFIX}/auth/config`, `${API_PREFIX}/session`, `${API_PREFIX}/password-links/{token}`, '/auth/oidc/login', '/auth/oidc/callback'].sort(),
    );
  });

  it('describes errors with one schema carrying the catalogue codes', () => {
    const err = doc.components.schemas.Error;
    expect(err?.required).toEqual(['code', 'message']);
    const code = err?.properties?.code;
    expect(typeof code === 'object' && code.enum).toEqual(expect.arrayContaining(['CL_BAD_INPUT', 'CL_UNAUTHENTICATED', 'CL_FORBIDDEN', 'CL_NOT_FOUND', 'CL_GATE_REFUSED', 'CL_INTERNAL']));
    for (const name of ['BadInput', 'Unauthenticated', 'Forbidden', 'NotFound', 'Conflict']) {
      expect(doc.components.responses[name]?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });

  it("derives request bodies from the use cases' schemas, without the fields the path supplies", () => {
    const open = bodySchema(doc, 'openIncident');
    expect(open.required).toEqual(['title', 'severity']);
    expect(open.properties?.severity).toMatchObject({ enum: ['low', 'moderate', 'high', 'critical'] });

    const move = bodySchema(doc, 'moveIncident');
    expect(Object.keys(move.properties ?? {})).toEqual(['state']);
    expect(move.properties?.state).toMatchObject({ enum: [...INCIDENT_STATES] });

    expect(Object.keys(bodySchema(doc, 'addWeakness').properties ?? {})).not.toContain('incident');
    expect(bodySchema(doc, 'requestRisk').properties?.review_by).toMatchObject({ type: 'string', pattern: expect.any(String) });
    for (const id of ['approveRisk', 'rejectRisk']) {
      expect(Object.keys(bodySchema(doc, id).properties ?? {})).toEqual(['reason']);
    }
    const list = operations(doc).find(([, , o]) => o.operationId === 'listIncidents')?.[2];
    expect(list?.requestBody).toBeUndefined();
    expect(list?.parameters).toEqual([
      expect.objectContaining({ name: 'state', in: 'query', required: false }),
      expect.objectContaining({ name: 'severity', in: 'query', required: false }),
      expect.objectContaining({ name: 'service', in: 'query', required: false }),
      expect.objectContaining({ name: 'missing_reportout', in: 'query', required: false }),
      expect.objectContaining({ name: 'overdue', in: 'query', required: false }),
      expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ minimum: 1, maximum: 1000 }) }),
      expect.objectContaining({ name: 'after', in: 'query', required: false }),
    ]);
  });

  it('holds request schemas that are valid JSON Schema 2020-12 and accept what the server accepts', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const [, , op] of operations(doc)) {
      const schema = op.requestBody?.content['application/json']?.schema;
      if (schema !== undefined) expect(() => ajv.compile(schema), op.operationId).not.toThrow();
    }
    const validate = ajv.compile(bodySchema(doc, 'openIncident'));
    expect(validate({ title: 'x', severity: 'low' })).toBe(true);
    expect(validate({ severity: 'low' })).toBe(false);
    expect(validate({ title: 'x', severity: 'urgent' })).toBe(false);
  });
});
