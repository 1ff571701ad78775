/**
 * The HTTP edge. `buildServer` assembles a Fastify instance (no socket: tests drive it with
 * `inject()`); `startServer` listens and runs the outbox dispatcher beside it.
 *
 * Authentication: every route needs `Authorization: Bearer <token>` or a signed-in browser's
 * session cookie (with its CSRF token on every POST: auth.ts) except the public ones —
 * `GET /healthz` and `GET /readyz`, also under `/api/v1/` (load balancers probe them; they say
 * only whether the database answers), and
 * `GET /api/v1/openapi.json` (it describes the API, holds no data, and clients need it before they
 * have a token), `GET /metrics` when `server.metrics_public` says so, and signing in (session.ts, oidc.ts). Routes are private by default (see
 * auth.ts); `test/api/auth.test.ts` walks every registered route to prove it. Security headers,
 * CORS and rate limits: hardening.ts; HTTPS when `server.tls` names a certificate and key.
 *
 * Logging: pino through Fastify. The request serializer records method, url and address — never
 * headers or bodies — and `authorization` is redacted anyway in case a header ever gets logged.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { InboundSecrets } from '../app/tickets.js';
import { startDispatchLoop, type DispatchLoop } from '../app/dispatch-loop.js';
import { checkHealth } from '../app/health.js';
import { prometheusMetrics } from '../app/prometheus.js';
import { METRICS_SCRAPER } from '../app/system-caller.js';
import { OidcProvider, oidcSettings, type OidcSettings } from '../app/oidc-login.js';
import { ClError } from '../errors.js';
import { failInterruptedJobs, jobRunnerOf } from '../app/jobs.js';
import { uploadLimitBytes } from '../app/upload-import.js';
import { registerAckPage } from './ack-page.js';
import { callerOf, registerAuth } from './auth.js';
import { registerHardening, servedOverHttps, signInLimiter } from './hardening.js';
import { registerOidcRoutes } from './oidc.js';
import { registerSessionRoutes } from './session.js';
import { BODY_LIMIT, clientErrorHandler, frameworkErrorHandler, MAX_PARAM_LENGTH, registerErrorHandling, RETRY_AFTER_SECONDS } from './errors.js';
import { registerInbound } from './inbound.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';
import { FileReply } from './route-kit.js';
import { ROUTES } from './routes.js';
import { registerWeb } from './web.js';

export const API_PREFIX = '/api/v1';

/** Fastify's logger options: pino's (level, stream, redact, …) plus Fastify's serializers. */
export type LoggerConfig = Exclude<FastifyServerOptions['logger'], boolean | undefined>;
export type LoggerOption = boolean | LoggerConfig;

export interface BuildOptions {
  /** false (default) for none, true for pino at `info`, or pino options (level, stream, …). */
  logger?: LoggerOption;
  /** Secrets of the inbound ticket webhooks (see inbound.ts); a system left out refuses its webhook. */
  inbound?: InboundSecrets;
  /** Where the built web application is (default dist/web of this installation). */
  webRoot?: string;
  /**
   * Single sign-on settings with the client secret resolved (see oidcSettings); by default read
   * from the configuration and this process's environment when `server.oidc` is set.
   */
  oidc?: OidcSettings | null;
}

/** A route as registered with Fastify (collected by the onRoute hook). */
export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this instance, HEAD routes included, in registration order. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization', 'token'];

function redactPaths(existing: LoggerConfig['redact']): string[] {
  if (existing === undefined) return REDACT;
  const more = Array.isArray(existing) ? existing : existing.paths;
  return [...new Set([...REDACT, ...more])];
}

function loggerOptions(logger: LoggerOption): false | LoggerConfig {
  if (logger === false) return false;
  const base = logger === true ? {} : logger;
  return { level: 'info', ...base, redact: { paths: redactPaths(base.redact), censor: '[redacted]' } };
}

/** The OpenAPI document the server publishes at /api/v1/openapi.json (the web application's client is generated from it). */
export function apiDocument(): OpenApiDocument {
  return buildOpenApi(ROUTES, API_PREFIX);
}

/** The certificate and key of `server.tls` (paths relative to closeloop.yaml), or null when the server speaks plain HTTP. */
function tlsFiles(ctx: AppContext): { cert: Buffer; key: Buffer } | null {
  const tls = ctx.config.server.tls;
  if (tls === undefined) return null;
  const read = (file: string, key: string): Buffer => {
    const full = path.resolve(path.dirname(ctx.configPath), file);
    try {
      return readFileSync(full);
    } catch (err) {
      throw new ClError('CL_CONFIG_INVALID', `server.tls.${key}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { key: `server.tls.${key}` });
    }
  };
  return { cert: read(tls.cert, 'cert'), key: read(tls.key, 'key') };
}

/** Builds the API over an application context. Nothing listens until `listen()` (see startServer). */
export async function buildServer(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const tls = tlsFiles(ctx);
  const oidc = opts.oidc !== undefined ? opts.oidc : oidcSettings(ctx.config, process.env);
  const options = {
    logger: loggerOptions(opts.logger ?? false),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  };
  // the HTTPS instance answers as the HTTP one does: only the server beneath differs
  const app = tls === null ? Fastify(options) : (Fastify({ ...options, https: tls }) as unknown as FastifyInstance);
  const https = servedOverHttps(ctx.config, tls !== null);

  const registered: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', registered);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) registered.push({ method, url: r.url, public: r.config?.public === true });
  });

  // An empty body on a JSON request means "no fields" (e.g. POST …/reportout/send with a
  // Content-Type but nothing in it); anything else goes through Fastify's hardened parser.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void jsonParser(req, text, done);
  });

  await registerHardening(app, ctx.config, { https });
  await registerAuth(app, ctx, { secureCookies: https });
  registerErrorHandling(app, await registerWeb(app, opts.webRoot));
  const limiter = signInLimiter(app);
  registerSessionRoutes(app, ctx, { prefix: API_PREFIX, secureCookies: https, oidc: oidc === null ? undefined : { label: oidc.label }, limiter });
  registerOidcRoutes(app, ctx, { provider: oidc === null ? null : new OidcProvider(oidc), secureCookies: https, limiter });

  const document = apiDocument();
  app.get(`${API_PREFIX}/openapi.json`, { config: { public: true } }, async () => document);
  // Probed at the root (load balancers, orchestrators) and under the API prefix. Liveness stays 200
  // while the database is away (its body says so); readiness answers 503 until it is back.
  for (const url of ['/healthz', `${API_PREFIX}/healthz`]) {
    app.get(url, { config: { public: true } }, async (req) => {
      const { health, cause } = await checkHealth(ctx);
      if (health.status !== 'ok') req.log.warn({ err: cause }, 'health check: database unreachable');
      return health;
    });
  }
  for (const url of ['/readyz', `${API_PREFIX}/readyz`]) {
    app.get(url, { config: { public: true } }, async (req, reply) => {
      const { health, cause } = await checkHealth(ctx);
      if (health.status !== 'ok') {
        req.log.warn({ err: cause }, 'readiness check: database unreachable');
        void reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS));
      }
      return health;
    });
  }

  // The control's figures as Prometheus text, at the root where scrapers look: a bearer token whose
  // person may metrics.read, unless server.metrics_public opens it to anyone who reaches the server.
  const metricsPublic = ctx.config.server.metrics_public;
  app.get('/metrics', { config: { public: metricsPublic } }, async (req, reply) => {
    const out = await prometheusMetrics(ctx, metricsPublic ? METRICS_SCRAPER : callerOf(req));
    return reply.type(out.contentType).send(out.text);
  });

  await registerAckPage(app, ctx);
  await registerInbound(app, ctx, opts.inbound ?? {}, API_PREFIX);

  // Jobs started by requests run in this process; the server waits for them before it closes.
  const jobs = jobRunnerOf(ctx, (job, err) => app.log.error({ err, job }, 'job: unexpected error'));
  app.addHook('onClose', async () => {
    await jobs.idle();
  });
  for (const route of ROUTES) {
    const url = API_PREFIX + route.path;
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const parts = route.upload !== null && req.isMultipart() ? req.parts() : undefined;
      const out = await route.run(ctx, callerOf(req), { params: req.params, query: req.query, body: req.body, ...(parts !== undefined ? { parts } : {}) });
      void reply.status(route.status);
      const location = route.location?.(out) ?? null;
      if (location !== null) void reply.header('location', API_PREFIX + location);
      if (out instanceof FileReply) {
        void reply.type(out.mediaType).header('content-disposition', `attachment; filename="${out.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`).header('cache-control', 'no-store');
        return Buffer.from(out.bytes);
      }
      return out;
    };
    if (route.upload === null) {
      app.route({ method: route.method, url, handler });
    } else {
      // the multipart parser only where an upload is expected; the file streams, bounded by server.upload_limit_mb
      await app.register(async (scope) => {
        await scope.register(multipart, { limits: { fileSize: uploadLimitBytes(ctx), files: 1, fields: 20, fieldSize: 64 * 1024, parts: 21 } });
        scope.route({ method: route.method, url, handler });
      });
    }
  }
  return app;
}

export interface StartOptions extends BuildOptions {
  host?: string;
  port?: number;
  /** Pause between outbox passes (default 5 s). */
  dispatchEveryMs?: number;
}

/**
 * Listens, and drains the outbox every few seconds in the background; `app.close()` stops the
 * dispatcher (waiting for a pass under way) before the store is released by the caller.
 */
export async function startServer(ctx: AppContext, opts: StartOptions = {}): Promise<FastifyInstance> {
  const { host = '127.0.0.1', port = 8080, dispatchEveryMs = 5000 } = opts;
  const app = await buildServer(ctx, { logger: opts.logger ?? true, ...(opts.inbound !== undefined ? { inbound: opts.inbound } : {}), ...(opts.oidc !== undefined ? { oidc: opts.oidc } : {}) });
  // a job a stopped server left queued or running will never finish: say so on the job
  const interrupted = await failInterruptedJobs(ctx);
  if (interrupted.length > 0) app.log.warn({ jobs: interrupted }, 'jobs interrupted by a server stop were marked failed');
  let loop: DispatchLoop | null = null;
  app.addHook('onClose', async () => {
    if (loop !== null) await loop.stop();
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw err;
  }
  loop = startDispatchLoop(ctx, app.log, dispatchEveryMs);
  return app;
}
