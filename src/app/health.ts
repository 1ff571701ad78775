/**
 * The health checks behind `/healthz` (liveness) and `/readyz` (readiness): whether the database
 * answers. Public (load balancers probe them without a token), so they take no caller and say
 * nothing but the engine and reachability.
 *
 * Liveness answers 200 as long as the process serves HTTP, whatever the database does: restarting
 * the server would not bring PostgreSQL back, and the pool reconnects by itself. Readiness answers
 * 503 while the database does not, so a load balancer sends traffic elsewhere meanwhile.
 */
import type { Engine } from '../store/db.js';
import { pingStore } from '../store/ping.js';
import type { AppContext } from './context.js';

export interface Health {
  status: 'ok' | 'unavailable';
  db: { engine: Engine; reachable: boolean };
}

/** The answer, and when the database did not answer, why (for the server log, never the client). */
export interface HealthCheck {
  health: Health;
  cause?: unknown;
}

/** A probe waits this long for the database's answer (ms) before it reports it unreachable. */
export const HEALTH_TIMEOUT_MS = 3000;

/** Asks the store for one round trip, for at most HEALTH_TIMEOUT_MS. */
export async function checkHealth(ctx: AppContext, timeoutMs = HEALTH_TIMEOUT_MS): Promise<HealthCheck> {
  const engine = ctx.store.engine;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([pingStore(ctx.store.db), late]);
    return { health: { status: 'ok', db: { engine, reachable: true } } };
  } catch (cause) {
    return { health: { status: 'unavailable', db: { engine, reachable: false } }, cause };
  } finally {
    clearTimeout(timer);
  }
}
