import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApi, type Api } from './harness.js';

describe('the web application at /', () => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi('sqlite', { label: 'web' });
  });
  afterAll(async () => api.close());

  it('serves the application at / and at its own addresses, uncached, with no token', async () => {
    for (const url of ['/', '/incidents', '/incidents/INC-2026-0001', '/work?x=1']) {
      const res = await api.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('test application');
    }
  });

  it("hands the page its Content Security Policy nonce for styles, and that nonce only", async () => {
    const res = await api.app.inject({ method: 'GET', url: '/incidents', headers: { accept: 'text/html' } });
    const csp = String(res.headers['content-security-policy']);
    const styleSrc = /style-src ([^;]*)/.exec(csp)?.[1] ?? '';
    const nonce = /<meta name="csp-nonce" content="([^"]+)"/.exec(res.body)?.[1];
    expect(nonce).toBeDefined();
    expect(styleSrc).toContain(`'nonce-${nonce ?? ''}'`);
    expect(styleSrc).not.toContain("'unsafe-inline'");
    // a new page load, a new nonce
    const again = await api.app.inject({ method: 'GET', url: '/incidents', headers: { accept: 'text/html' } });
    expect(/<meta name="csp-nonce" content="([^"]+)"/.exec(again.body)?.[1]).not.toBe(nonce);
  });

  it('serves hashed assets for a year and the icon', async () => {
    const js = await api.app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toContain('test asset');
    expect((await api.app.inject({ method: 'GET', url: '/favicon.svg' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'GET', url: '/assets/../../package.json' })).statusCode).not.toBe(200);
  });

  it('never answers the application for the API, the server pages or a file name', async () => {
    for (const url of ['/api/v1/nothing-here', '/api/nothing', '/ack', '/auth/x', '/missing.png']) {
      const res = await api.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('test application');
    }
    // a script asking for JSON at an unknown address gets the API's 404, not a page
    const json = await api.app.inject({ method: 'GET', url: '/incidents', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(404);
    expect(json.json()).toMatchObject({ code: 'CL_NOT_FOUND' });
  });
});
