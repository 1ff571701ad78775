/**
 * The web application at `/`: the files `npm run build` puts in dist/web (Vite's output), served
 * without authentication (they hold no data: every datum comes from the API, which checks the
 * caller). Hashed assets are cached for a year; index.html never, so a new release is picked up.
 * Any other GET for HTML outside the API answers index.html (the application routes in the
 * browser, so `/incidents/INC-2026-0001` can be opened, bookmarked and reloaded).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageFallback } from './errors.js';

/** dist/web of this installation (the same two levels up from src/api and from dist/api). */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

/** The routes this module registers (the web application's, not the API's: not in the OpenAPI document). */
export const WEB_ROUTES = ['/', '/assets/*', '/favicon.svg'] as const;

/** Addresses that are never the web application's: the API and the server's own pages. */
const NOT_PAGES = ['/api/', '/auth/', '/ack/', '/assets/', '/healthz', '/readyz'];

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>closeloop</title></head><body><main><h1>closeloop</h1><p>The web application is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds what is missing), then reload. The API answers at <a href="/api/v1/openapi.json">/api/v1</a>.</p></main></body></html>`;

/**
 * The index with the response's style nonce in a meta element: the application hands it to the
 * library that inserts its dialogs' <style> element, which the Content Security Policy then allows
 * (that one element, for this page load) without allowing inline styles in general.
 */
function withNonce(index: string, reply: FastifyReply): string {
  const nonce = (reply as FastifyReply & { cspNonce?: { style?: string } }).cspNonce?.style;
  if (nonce === undefined || !/^[A-Za-z0-9+/=_-]+$/.test(nonce)) return index;
  return index.replace('<head>', `<head>\n    <meta name="csp-nonce" content="${nonce}" />`);
}

function wantsPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url.split('?')[0] ?? '';
  if (NOT_PAGES.some((p) => url === p.replace(/\/$/, '') || url.startsWith(p))) return false;
  if (path.extname(url) !== '') return false;
  const accept = req.headers.accept ?? '';
  return accept === '' || accept.includes('text/html') || accept.includes('*/*');
}

/**
 * Registers the asset routes and returns the fallback that answers index.html for the
 * application's addresses (given to registerErrorHandling's not-found handler).
 */
export async function registerWeb(app: FastifyInstance, root: string = WEB_ROOT): Promise<PageFallback> {
  const indexFile = path.join(root, 'index.html');
  const built = existsSync(indexFile);
  const index = built ? readFileSync(indexFile, 'utf8') : NOT_BUILT;
  const sendIndex = (reply: FastifyReply): FastifyReply => reply.status(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(withNonce(index, reply));

  // not built: the same routes, answering 404, so that what is registered does not depend on a build
  await app.register(fastifyStatic, { root: built ? root : path.dirname(root), serve: false });
  const notBuilt = (reply: FastifyReply) => reply.callNotFound();
  app.get('/assets/*', { config: { public: true } }, (req, reply) => {
    if (!built) return notBuilt(reply);
    const rel = (req.params as { '*': string })['*'];
    return reply.sendFile(path.posix.join('assets', rel), { maxAge: '365d', immutable: true });
  });
  app.get('/favicon.svg', { config: { public: true } }, (_req, reply) => (built ? reply.sendFile('favicon.svg', { maxAge: '1d' }) : notBuilt(reply)));
  app.get('/', { config: { public: true } }, (_req, reply) => sendIndex(reply));
  return (req, reply) => (wantsPage(req) ? sendIndex(reply) : null);
}
