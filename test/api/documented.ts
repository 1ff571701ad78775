/**
 * Checks responses against the OpenAPI document the server serves: each 2xx body is validated
 * with ajv (JSON Schema 2020-12) against the schema documented for its operation and status, and
 * the operations seen are recorded so a test can say which it exercised.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { JsonSchema, OpenApiDocument } from '../../src/api/openapi.js';
import { fullUrl, type Api } from './harness.js';

type Method = 'GET' | 'POST';

interface DocumentedOperation {
  operationId: string;
  method: string;
  pattern: RegExp;
  responses: Record<string, JsonSchema | undefined>;
}

export class Documented {
  readonly seen = new Set<string>();
  private readonly ops: DocumentedOperation[];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(readonly doc: OpenApiDocument) {
    this.ops = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.entries(item).map(([method, op]) => ({
        operationId: op.operationId,
        method: method.toUpperCase(),
        pattern: new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        responses: Object.fromEntries(
          Object.entries(op.responses).map(([status, r]) => [status, '$ref' in r ? undefined : (r.content?.['application/json']?.schema)]),
        ),
      })),
    );
  }

  /** The documented operation a request goes to. */
  operation(method: string, url: string): DocumentedOperation {
    const pathOnly = fullUrl(url).split('?')[0] ?? '';
    const op = this.ops.find((o) => o.method === method && o.pattern.test(pathOnly));
    if (op === undefined) throw new Error(`no documented operation for ${method} ${url}`);
    return op;
  }

  /** The documented schema of an operation's success status, compiled once. */
  validator(operationId: string, status: number): ValidateFunction {
    const key = `${operationId} ${status}`;
    let v = this.validators.get(key);
    if (v === undefined) {
      const op = this.ops.find((o) => o.operationId === operationId);
      const schema = op?.responses[String(status)];
      if (schema === undefined) throw new Error(`${operationId} documents no JSON body for ${status}`);
      v = this.ajv.compile(schema);
      this.validators.set(key, v);
    }
    return v;
  }

  /** Validates a 2xx response body against its documented schema; returns the body. */
  check<T>(method: string, url: string, res: LightMyRequestResponse): T {
    const op = this.operation(method, url);
    const body: unknown = res.json();
    const validate = this.validator(op.operationId, res.statusCode);
    const ok = validate(body);
    expect(ok, `${op.operationId} ${res.statusCode} does not match its documented schema: ${this.ajv.errorsText(validate.errors)}\n${res.body.slice(0, 2000)}`).toBe(true);
    this.seen.add(op.operationId);
    return body as T;
  }

  /** Sends a request expecting `status`, validates the body against the document, returns it. */
  async call<T>(api: Api, as: string, method: Method, url: string, body?: unknown, status = 200): Promise<T> {
    const res = await api.request(as, method, url, body);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return this.check<T>(method, url, res);
  }
}
