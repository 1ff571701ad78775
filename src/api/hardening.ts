/**
 * HTTP hardening, each piece by its Fastify plugin:
 *
 * - @fastify/helmet: a strict Content-Security-Policy for the web application (scripts and styles
 *   from this server only; style attributes allowed, as the charts set them; no frames, no
 *   plugins, forms post here only), no framing, no MIME sniffing, no referrer; HSTS only when the
 *   server is reached over HTTPS (its own TLS, or a public URL in https).
 * - @fastify/cors: only when `server.cors.origins` lists origins; otherwise no CORS header at all,
 *   and browsers keep other sites from reading the API.
 * - @fastify/rate-limit: a generous limit per API token (TOKEN_LIMIT a minute), and the limiters
 *   the sign-in routes apply (SIGN_IN_LIMITS): failed sign-ins per address and name, so that one
 *   attacker cannot lock the real person out from another address, and a looser limit on every
 *   attempt from one address, since each costs a deliberately slow password hash.
 *
 * The counters are kept in each server's memory: with several servers behind a load balancer each
 * counts on its own (docs/security.md).
 */
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { ClError } from '../errors.js';
import { bearerToken } from './auth.js';

/** Requests one API token may make a minute. */
export const TOKEN_LIMIT = 600;

export const SIGN_IN_LIMITS = {
  /** Failed sign-ins a minute for one name from one address. */
  failuresPerAddressAndName: 5,
  /** Sign-in attempts (and set-password and single sign-on starts) a minute from one address, whoever is named. */
  attemptsPerAddress: 30,
} as const;

const MINUTE = 60_000;

/** The CSP directives (helmet's defaults are not used: each one is chosen here). */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  // the charts of the web application position their parts with style attributes
  styleSrcAttr: ["'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

/** Whether browsers reach this server over HTTPS: its own TLS, or a public URL in https behind a proxy that terminates it. */
export function servedOverHttps(config: Config, tls: boolean): boolean {
  return tls || (config.server.public_url?.startsWith('https:') ?? false);
}

function rateLimited(message: string, retryAfterSeconds: number): ClError {
  return new ClError('CL_RATE_LIMITED', message, { retryAfterSeconds });
}

export async function registerHardening(app: FastifyInstance, config: Config, opts: { https: boolean }): Promise<void> {
  await app.register(fastifyHelmet, {
    // a nonce per response: the web application's dialogs insert one <style> element (scroll
    // locking), which carries the nonce its index page was served with (see src/api/web.ts)
    enableCSPNonces: true,
    contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES, ...(opts.https ? { upgradeInsecureRequests: [] } : {}) } },
    hsts: opts.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // the web application loads nothing from elsewhere; no need to vouch for cross-origin resources
    crossOriginEmbedderPolicy: false,
  });

  const origins = config.server.cors?.origins;
  if (origins !== undefined) {
    await app.register(fastifyCors, {
      origin: origins.map((o) => new URL(o).origin),
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['authorization', 'content-type'],
      credentials: false,
      maxAge: 600,
    });
  }

  await app.register(fastifyRateLimit, {
    global: true,
    max: TOKEN_LIMIT,
    timeWindow: MINUTE,
    // only requests with a bearer token count here; browsers and public routes are limited where it matters (sign-in)
    allowList: (req: FastifyRequest) => bearerToken(req.headers.authorization) === null,
    keyGenerator: (req: FastifyRequest) => `token:${createHash('sha256').update(bearerToken(req.headers.authorization) ?? '').digest('hex')}`,
    errorResponseBuilder: (_req, c) => rateLimited(`more than ${c.max} requests a minute with this API token; retry in ${c.after}`, Math.ceil(c.ttl / 1000)),
  });
}

/** The sign-in limiters of a server (see SIGN_IN_LIMITS). */
export interface SignInLimiter {
  /** Counts an attempt from the request's address; refuses (429) past the address's limit. */
  attempt(req: FastifyRequest): Promise<void>;
  /** Refuses (429) when the name of the request's body failed too often from its address lately; counts nothing. */
  checkName(req: FastifyRequest): Promise<void>;
  /** Counts a failed sign-in of the name of the request's body from its address. */
  failed(req: FastifyRequest): Promise<void>;
}

export function signInLimiter(app: FastifyInstance): SignInLimiter {
  const nameKey = (req: FastifyRequest): string => {
    const body: unknown = req.body;
    const name = typeof body === 'object' && body !== null && 'name' in body && typeof body.name === 'string' ? body.name.slice(0, 128) : '';
    return `sign-in:${req.ip}:${name}`;
  };
  const perAddress = app.createRateLimit({ max: SIGN_IN_LIMITS.attemptsPerAddress, timeWindow: MINUTE, allowList: () => false, keyGenerator: (req) => `sign-in:${req.ip}` });
  const perName = app.createRateLimit({ max: SIGN_IN_LIMITS.failuresPerAddressAndName, timeWindow: MINUTE, allowList: () => false, keyGenerator: nameKey });
  return {
    async attempt(req) {
      const r = await perAddress(req);
      if (!r.isAllowed && r.isExceeded) throw rateLimited(`too many sign-in attempts from your address; retry in ${r.ttlInSeconds} s`, r.ttlInSeconds);
    },
    async checkName(req) {
      const r = await perName(req, { increment: false });
      if (!r.isAllowed && r.remaining === 0) throw rateLimited(`too many failed sign-ins for this name from your address; retry in ${r.ttlInSeconds} s`, r.ttlInSeconds);
    },
    async failed(req) {
      await perName(req);
    },
  };
}
