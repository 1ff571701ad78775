/**
 * Process-wide runtime tuning, applied by the CLI (and so the server) before any work starts.
 *
 * Young generation: importers turn every report element into short-lived objects (a million
 * findings are tens of millions of them). With V8's default semi-space (16 MiB here) objects of
 * the batches in flight survive a scavenge or two and are copied each time; a 64 MiB semi-space
 * lets them die young. Measured on the 1,000,000-finding Trivy report (docs/benchmarks.md): parse
 * time 26.8 s → 19.5 s, peak RSS +40 MiB. Set before the first import allocates; workers started
 * later get the same size. `CLOSELOOP_SEMI_SPACE_MB` overrides it (0 keeps V8's default).
 */
import v8 from 'node:v8';

let applied = false;

export function tuneRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (applied) return;
  applied = true;
  const raw = env.CLOSELOOP_SEMI_SPACE_MB;
  const mb = raw === undefined || raw.trim() === '' ? 64 : Number(raw);
  if (!Number.isInteger(mb) || mb < 0 || mb > 1024) return;
  if (mb > 0) v8.setFlagsFromString(`--max-semi-space-size=${mb}`);
  const heap = env.CLOSELOOP_HEAP_MB;
  if (heap !== undefined && /^[0-9]+$/.test(heap.trim()) && Number(heap) >= 64) v8.setFlagsFromString(`--max-old-space-size=${Number(heap)}`);
}
