/**
 * The server's background work: the workflow's timers and the outbox, run by the system callers
 * (TIMERS, DISPATCHER) rather than by a person.
 */
import type { AppContext } from './context.js';
import { runDelivery, type DispatchSummary } from './run-delivery.js';
import { DISPATCHER, TIMERS } from './system-caller.js';
import { runTimers } from './timers.js';

/** Where the loop reports: the two calls it makes of a pino-style logger (Fastify's fits). */
export interface LoopLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatchLoop {
  /** Stops scheduling and waits for a pass that is under way. */
  stop(): Promise<void>;
}

/**
 * Fires the timers that are due and drains the outbox in the background: one pass at start
 * (to catch up on anything queued while the server was down), then one every `everyMs` after the
 * previous pass ends — passes never overlap. A failing pass is logged and retried on the next
 * tick; it never takes the server down.
 */
export function startDispatchLoop(ctx: AppContext, log: LoopLogger, everyMs: number, onPass?: (s: DispatchSummary) => void): DispatchLoop {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  const tick = (): void => {
    timer = null;
    // Timers first, so a message a timer queues in this pass is delivered in the same pass.
    running = runTimers(ctx, TIMERS)
      .then(() => runDelivery(ctx, DISPATCHER))
      .then(
        (s) => {
          if (s.delivered + s.failed + s.retrying > 0) log.info({ outbox: s }, 'outbox pass');
          onPass?.(s);
        },
        (err: unknown) => {
          log.error({ err }, 'outbox pass failed');
        },
      )
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, everyMs);
      });
  };
  timer = setTimeout(tick, 0);

  return {
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (running !== null) await running;
    },
  };
}
