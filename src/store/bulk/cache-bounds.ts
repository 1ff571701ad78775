/**
 * How many assets and vulnerabilities a triage run's caches hold (RunDigester, StoreFacts in
 * src/app/decisions.ts) before they start over: a capability of the bulk session
 * (`BulkSession.cacheBounds`), since the right bound is the engine's, not the use case's.
 *
 * Reports list findings target by target, so a thousand assets cover a run's locality;
 * vulnerabilities recur across targets in no order, so a bounded cache of them hits little on a
 * large estate whatever its size. Every cached entry stays live, and V8 sizes the heap from what is
 * live: on SQLite, 10,000 → 1,000 assets and 50,000 → 10,000 vulnerabilities (with a lower heap
 * growth and page cache) took the million-finding import from ~480 to ~345 MiB at the same speed.
 * On PostgreSQL a miss is read in a round trip: the same bounds made its import of the million
 * 8–30 % slower (92.5 → 100.6 and 121.4 s), so it keeps the larger ones (docs/benchmarks.md).
 */
export interface CacheBounds {
  readonly assets: number;
  readonly vulnerabilities: number;
}

/** SQLite reads a miss in-process: small caches, a smaller heap. */
export const SQLITE_CACHE_BOUNDS: CacheBounds = Object.freeze({ assets: 1_000, vulnerabilities: 10_000 });

/** PostgreSQL reads a miss in a round trip: larger caches. */
export const POSTGRES_CACHE_BOUNDS: CacheBounds = Object.freeze({ assets: 10_000, vulnerabilities: 50_000 });
