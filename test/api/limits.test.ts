/**
 * Limits at the HTTP edge, once per engine: names that could reach Object.prototype (`__proto__`,
 * `constructor`) are refused or unknown, never a 500; over-long fields are refused naming the
 * record and field; every refusal, including those Node's HTTP parser makes before Fastify (414,
 * 431, checked over a real socket), has the catalogue's body `{ code, message, details? }`.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentOut } from '../../src/api/presenters.js';
import { buildServer } from '../../src/api/server.js';
import { sha256Hex } from '../../src/audit/canonical.js';
import { insertApiToken } from '../../src/store/repositories/api-tokens.js';
import { ENGINES } from '../helpers/context.js';
import { makeApi, type Api, type ErrorBody } from './harness.js';

const expectCatalogueShape = (body: unknown): void => {
  expect(body).toEqual(expect.objectContaining({ code: expect.stringMatching(/^CL_[A-Z_]+$/), message: expect.any(String) }));
  expect(Object.keys(body as object).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
};

/** One raw HTTP/1.1 exchange over a socket: the status and the parsed JSON body. */
async function rawRequest(port: number, text: string): Promise<{ status: number; body: unknown; contentType: string }> {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(got) : reject(err)));
    socket.on('close', () => resolve(got));
    socket.write(text);
  });
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const contentType = /content-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '';
  return { status, body: JSON.parse(body) as unknown, contentType };
}

describe.each(ENGINES)('API limits on %s', (engine) => {
  let api: Api;
  let incident: string;

  beforeAll(async () => {
    api = await makeApi(engine);
    incident = (await api.ok<IncidentOut>('lead', 'POST', '/incidents', { title: 'Limits', severity: 'low', assets: ['a-1'] }, 201)).id;
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${incident}/move`, { state: 'triage' });
    await api.ok<IncidentOut>('lead', 'POST', `/incidents/${incident}/move`, { state: 'eradication' });
  });
  afterAll(async () => {
    await api.close();
  });

  describe('names that are properties of every object', () => {
    it.each(['__proto__', 'constructor', 'toString', 'prototype'])('a token acting as %s (nobody in the directory) is refused 401 in the catalogue shape, never a 500', async (actor) => {
      // A token row written straight to the store: createToken refuses such names up front.
      const token = `clt_${actor}_token`;
      await insertApiToken(api.tc.ctx.store.db, { id: `TK-${actor}`, actor, token_hash: sha256Hex(token), label: null, created_at: '2026-11-28T12:00:00.000Z', revoked_at: null });
      for (const [method, url, payload] of [
        ['GET', '/api/v1/incidents', undefined],
        ['POST', '/api/v1/incidents', { title: 't', severity: 'low' }],
        ['POST', `/api/v1/incidents/${incident}/acks`, { role: 'ir_lead' }],
      ] as const) {
        const res = await api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(401);
        expect(res.json<ErrorBody>().code).toBe('CL_UNAUTHENTICATED');
        expect(res.json<ErrorBody>().message).toContain('not in the people directory');
        expectCatalogueShape(res.json());
      }
    });

    it.each([
      ['POST', '/incidents', { title: 't', severity: 'low', ir_lead: '__proto__' }, 'ir_lead'],
      ['POST', '/incidents', { title: 't', severity: 'low', assets: ['constructor'] }, 'assets.0'],
      ['POST', '/incidents', { title: 't', severity: 'low', service: 'a\u0007b' }, 'service'],
      ['POST', '/incidents/__proto__/move', { state: 'triage' }, 'id'],
      ['POST', '/incidents/constructor/acks', { role: 'ir_lead' }, 'incident'],
      ['GET', '/incidents/__proto__', undefined, 'id'],
      ['GET', '/incidents/constructor/gate', undefined, 'id'],
      ['GET', `/incidents/${'x'.repeat(129)}`, undefined, 'id'],
    ] as const)('%s %s with a reserved or bad name → 400 naming the field', async (method, url, body, field) => {
      const before = await api.auditCount();
      const err = await api.fail('lead', method, url, body, 400, 'CL_BAD_INPUT');
      expect(err.details?.fields?.map((f) => f.field)).toContain(field);
      expect(await api.auditCount()).toBe(before);
    });

    it('an acknowledgment for a role named constructor is refused, not a 500', async () => {
      const res = await api.request('lead', 'POST', `/incidents/${incident}/acks`, { role: 'constructor' });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expectCatalogueShape(res.json());
    });
  });

  describe('field lengths', () => {
    const weakness = (notes: string) => ({ type: 'technical', relation: 'enabled', assets: ['a-1'], notes, action: 'patch' });

    it('takes notes of exactly 64 KiB and refuses one byte more, naming the record and the field', async () => {
      await api.ok('lead', 'POST', `/incidents/${incident}/weaknesses`, weakness('n'.repeat(64 * 1024)), 201);
      const before = await api.auditCount();
      const err = await api.fail('lead', 'POST', `/incidents/${incident}/weaknesses`, weakness('n'.repeat(64 * 1024 + 1)), 400, 'CL_BAD_INPUT');
      expect(err.details).toMatchObject({ record: 'weakness', fields: [{ field: 'notes' }] });
      expect(err.message).toContain('weakness');
      expect(err.message).toContain('notes');
      expect(err.message).toContain('65,536 bytes');
      expect(await api.auditCount()).toBe(before);
    });

    it('counts UTF-8 bytes, not characters', async () => {
      const err = await api.fail('lead', 'POST', `/incidents/${incident}/weaknesses`, weakness('é'.repeat(32 * 1024 + 1)), 400, 'CL_BAD_INPUT');
      expect(err.details?.fields?.[0]?.field).toBe('notes');
    });

    it('refuses a title over 1 KiB naming the incident and title', async () => {
      const err = await api.fail('lead', 'POST', '/incidents', { title: 't'.repeat(1025), severity: 'low' }, 400, 'CL_BAD_INPUT');
      expect(err.details).toMatchObject({ record: 'incident', fields: [{ field: 'title' }] });
    });

    it('refuses a body over 1 MiB with 413 CL_TOO_LARGE', async () => {
      const res = await api.request('lead', 'POST', `/incidents/${incident}/weaknesses`, weakness('n'.repeat(2 * 1024 * 1024)));
      expect(res.statusCode).toBe(413);
      expect(res.json<ErrorBody>().code).toBe('CL_TOO_LARGE');
      expectCatalogueShape(res.json());
    });
  });

  describe('every HTTP error in the catalogue shape', () => {
    it.each([
      ['bad JSON', 'POST', '/incidents', '{"title":', { 'content-type': 'application/json' }, 400],
      ['wrong media type', 'POST', '/incidents', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['unknown route', 'GET', '/nope', undefined, {}, 404],
      ['unknown method', 'DELETE', '/incidents', undefined, {}, 405],
      ['path parameter over maxParamLength', 'GET', `/incidents/${'x'.repeat(600)}`, undefined, {}, 414],
      ['malformed percent-encoding', 'GET', '/incidents/%E0%A4%A', undefined, {}, 400],
    ] as const)('%s', async (_what, method, url, body, headers, status) => {
      const res = await api.request('lead', method, url, body, { ...headers });
      expect(res.statusCode, res.body).toBe(status);
      expectCatalogueShape(res.json());
    });

    describe('over a real socket', () => {
      let port: number;
      const server = { close: async () => {} };
      beforeAll(async () => {
        const app = await buildServer(api.tc.ctx);
        await app.listen({ host: '127.0.0.1', port: 0 });
        port = (app.server.address() as AddressInfo).port;
        server.close = () => app.close();
      });
      afterAll(() => server.close());

      it('a URI longer than the parser takes → 414 CL_TOO_LARGE', async () => {
        const r = await rawRequest(port, `GET /api/v1/incidents?after=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect(r.status).toBe(414);
        expect(r.contentType).toContain('application/json');
        expectCatalogueShape(r.body);
        expect(r.body).toMatchObject({ code: 'CL_TOO_LARGE', details: { limit: 'uri' } });
      });

      it('headers larger than the parser takes → 431 CL_TOO_LARGE', async () => {
        const r = await rawRequest(port, `GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`);
        expect(r.status).toBe(431);
        expectCatalogueShape(r.body);
        expect(r.body).toMatchObject({ code: 'CL_TOO_LARGE', details: { limit: 'headers' } });
      });

      it('a malformed request → 400 CL_BAD_INPUT', async () => {
        const r = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
        expect(r.status).toBe(400);
        expectCatalogueShape(r.body);
      });

      it('a path parameter over maxParamLength → 414 over the socket too', async () => {
        const r = await rawRequest(port, `GET /api/v1/incidents/${'x'.repeat(600)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(r.status).toBe(414);
        expectCatalogueShape(r.body);
      });
    });
  });
});
