/**
 * Process-wide runtime tuning, applied by the CLI (and so the server) before any work starts.
 *
 * V8 lets the old generation grow to up to four times what survived the last full collection
 * before it collects again. An import keeps bounded caches live, so under V8's own policy most of
 * its heap is garbage; a lower growth keeps the peak near what is live at the same speed
 * (docs/decisions/memory-budget.md). This flag is read at
 * every collection, so setting it here takes effect; heap and semi-space *size* flags would not
 * (they are fixed when the main isolate is created: the parser worker sets its own young
 * generation, src/app/parse-worker.ts). `CLOSELOOP_HEAP_GROWING_PERCENT` overrides the growth of
 * every workload (0: V8's own policy). Workers started later follow the same flag.
 */
import v8 from 'node:v8';

let applied = false;

/**
 * Heap growth (percent) by the one workload a CLI process runs. `default`: everything, the import
 * and the server included. `stored-triage` (`closeloop triage` over the store): no parser worker
 * and no page cache for a first load, so it can afford the larger growth, and runs measurably
 * faster with it; the import gains nothing from it and would come near 400 MB
 * (docs/decisions/memory-budget.md).
 */
export const HEAP_GROWING_PERCENT = { default: 25, 'stored-triage': 50 } as const;
export type Workload = keyof typeof HEAP_GROWING_PERCENT;

const GROWTH_VARIABLE = 'CLOSELOOP_HEAP_GROWING_PERCENT';

/** A whole number from the environment within [min, max], or the fallback (unset, blank or invalid). */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '' || !/^[0-9]+$/.test(raw)) return fallback;
  const n = Number(raw);
  return n >= min && n <= max ? n : fallback;
}

/** The heap growth a workload runs with: the environment's, when it sets a valid one. */
export function heapGrowingPercent(workload: Workload, env: NodeJS.ProcessEnv = process.env): number {
  return envInt(env, GROWTH_VARIABLE, HEAP_GROWING_PERCENT[workload], 0, 1000);
}

export function tuneRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (applied) return;
  applied = true;
  tuneFor('default', env);
}

/**
 * Sets the heap growth for the workload this process is about to run (the CLI knows it once it
 * has parsed its command). The flag is V8's, for the whole process: the server keeps `default`.
 */
export function tuneFor(workload: Workload, env: NodeJS.ProcessEnv = process.env): void {
  const growing = heapGrowingPercent(workload, env);
  if (growing > 0) v8.setFlagsFromString(`--heap-growing-percent=${growing}`);
}
