/**
 * Process-wide runtime tuning, applied by the CLI (and so the server) before any work starts.
 * Measured on the million-finding import with triage (docs/benchmarks.md, "Memory").
 *
 * V8 lets the old generation grow to up to four times what survived the last full collection
 * before it collects again. An import keeps bounded caches live (100–200 MB at the million), so
 * the heap grew past 1.1 GB, most of it garbage. `--heap-growing-percent=50` made the next limit
 * 1.5× the survivors: peak RSS 1,493 → ~580 MiB at the million, same time; 25 (1.25×), with
 * smaller triage caches and page cache, ~480 → ~345 MiB, same time (session 6). This flag is read at
 * every collection, so setting it here takes effect; heap and semi-space *size* flags would not
 * (they are fixed when the main isolate is created: the parser worker sets its own young
 * generation, src/app/parse-worker.ts). `CLOSELOOP_HEAP_GROWING_PERCENT` overrides the 25 (0:
 * V8's own policy). Workers started later follow the same flag.
 */
import v8 from 'node:v8';

let applied = false;

/** A whole number from the environment within [min, max], or the fallback (unset, blank or invalid). */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '' || !/^[0-9]+$/.test(raw)) return fallback;
  const n = Number(raw);
  return n >= min && n <= max ? n : fallback;
}

export function tuneRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (applied) return;
  applied = true;
  const growing = envInt(env, 'CLOSELOOP_HEAP_GROWING_PERCENT', 25, 0, 1000);
  if (growing > 0) v8.setFlagsFromString(`--heap-growing-percent=${growing}`);
}
