/**
 * HTTPS from `server.tls`: a self-signed certificate made with openssl for 127.0.0.1, the server
 * listening on a real socket and answered over TLS (the certificate trusted as the client's CA),
 * with HSTS and Secure session cookies.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPassword } from '../../src/app/passwords.js';
import { buildServer } from '../../src/api/server.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(port: number, ca: Buffer | undefined, method: string, url: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method, path: url, ca, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe.each(ENGINES)('HTTPS (%s)', (engine) => {
  let tc: TestContext;
  let app: FastifyInstance;
  let port: number;
  let ca: Buffer;

  beforeAll(async () => {
    tc = await makeTestContext(engine, { label: 'tls', config: { server: { tls: { cert: 'tls/cert.pem', key: 'tls/key.pem' } } } });
    const dir = path.join(tc.dir, 'tls');
    mkdirSync(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    ca = readFileSync(path.join(dir, 'cert.pem'));
    await setPassword(tc.ctx, { actor: 'admin' }, { name: 'lead', password: 'a password long enough' });
    app = await buildServer(tc.ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await tc.cleanup();
  });

  it('answers over TLS with HSTS', async () => {
    const res = await request(port, ca, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('marks the session cookie Secure', async () => {
    const res = await request(port, ca, 'POST', '/api/v1/session', { name: 'lead', password: 'a password long enough' });
    expect(res.status, res.body).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/^closeloop_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('refuses a client that does not trust the certificate', async () => {
    await expect(request(port, undefined, 'GET', '/healthz')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('names the key to fix when a file cannot be read', async () => {
    const broken = await makeTestContext(engine, { label: 'tlsbad', config: { server: { tls: { cert: 'missing.pem', key: 'missing-key.pem' } } } });
    try {
      await expect(buildServer(broken.ctx)).rejects.toThrow(/server\.tls\.cert: cannot read .*missing\.pem \(ENOENT\)/);
    } finally {
      await broken.cleanup();
    }
  });
});
