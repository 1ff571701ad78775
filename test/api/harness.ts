/**
 * Drives the API in-process with `inject()`: a real AppContext on a real engine, one API token per
 * person in the directory, and small typed helpers that assert the status they expect.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createToken } from '../../src/app/admin.js';
import { API_PREFIX, buildServer, type LoggerOption } from '../../src/api/server.js';

/** A stand-in for the built web application (dist/web), so that API tests do not depend on a build. */
export const WEB_FIXTURE = new URL('../fixtures/web', import.meta.url).pathname;
import type { Engine } from '../../src/store/db.js';
import { makeTestContext, type TestContext, type TestContextOptions } from '../helpers/context.js';

export interface ErrorBody {
  code: string;
  message: string;
  details?: {
    fields?: { field: string; message: string }[];
    missing?: { item: string; subject: string | null; message: string }[];
    [k: string]: unknown;
  };
}

type Method = 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export interface Api {
  app: FastifyInstance;
  tc: TestContext;
  /** Bearer token of every person in the directory. */
  tokens: Record<string, string>;
  /** A raw request; `as` is a person (their token), a literal `Authorization` value via headers, or null. */
  request(as: string | null, method: Method, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Expects `status` (default 200) and returns the JSON body. */
  ok<T>(as: string, method: Method, url: string, body?: unknown, status?: number): Promise<T>;
  /** Expects an error `status` with the error body shape, and returns it. */
  fail(as: string | null, method: Method, url: string, body: unknown, status: number, code: string): Promise<ErrorBody>;
  auditCount(): Promise<number>;
  close(): Promise<void>;
}

export const fullUrl = (url: string): string => (url.startsWith('/api/') ? url : `${API_PREFIX}${url}`);

export async function makeApi(engine: Engine, opts: TestContextOptions & { logger?: LoggerOption } = {}): Promise<Api> {
  const tc = await makeTestContext(engine, { label: 'api', ...opts });
  const app = await buildServer(tc.ctx, { logger: opts.logger ?? false, webRoot: WEB_FIXTURE });
  const tokens: Record<string, string> = {};
  for (const actor of Object.keys(tc.people)) {
    tokens[actor] = (await createToken(tc.ctx, { actor: 'admin' }, { actor, label: 'test' })).token;
  }

  const request: Api['request'] = async (as, method, url, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (as !== null) {
      const token = tokens[as];
      if (token === undefined) throw new Error(`no token for ${as}`);
      h.authorization = `Bearer ${token}`;
    }
    const o: InjectOptions = { method, url: fullUrl(url), headers: h };
    if (body !== undefined) o.payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (body !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json';
    return app.inject(o);
  };

  return {
    app,
    tc,
    tokens,
    request,
    async ok<T>(as: string, method: Method, url: string, body?: unknown, status = 200): Promise<T> {
      const res = await request(as, method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
      return res.json<T>();
    },
    async fail(as, method, url, body, status, code) {
      const res = await request(as, method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
      const err = res.json<ErrorBody>();
      expect(err.code).toBe(code);
      expect(typeof err.message).toBe('string');
      expect(Object.keys(err).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
      return err;
    },
    async auditCount() {
      const r = await tc.ctx.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async close() {
      await app.close();
      await tc.cleanup();
    },
  };
}
