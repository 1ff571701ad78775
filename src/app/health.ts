/**
 * The health check behind `/healthz`: whether the database answers. Public (load balancers probe
 * it without a token), so it takes no caller and says nothing but the engine and reachability.
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

/** Asks the store for one round trip. */
export async function checkHealth(ctx: AppContext): Promise<HealthCheck> {
  const engine = ctx.store.engine;
  try {
    await pingStore(ctx.store.db);
    return { health: { status: 'ok', db: { engine, reachable: true } } };
  } catch (cause) {
    return { health: { status: 'unavailable', db: { engine, reachable: false } }, cause };
  }
}
