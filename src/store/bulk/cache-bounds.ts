/**
 * How many assets and vulnerabilities a triage run's caches hold (RunDigester, StoreFacts in
 * src/app/decisions.ts) before they start over: a capability of the bulk session
 * (`BulkSession.cacheBounds`), since the right bound is the engine's, not the use case's.
 *
 * Reports list findings target by target, so a thousand assets cover a run's locality;
 * vulnerabilities recur across targets in no order, so a bounded cache of them hits little on a
 * large estate whatever its size. Every cached entry stays live and V8 sizes the heap from what is
 * live, so SQLite keeps small caches (part of what keeps a million-finding import under 400 MB).
 * On PostgreSQL a miss is a round trip and the small bounds made its import 8–30 % slower, so it
 * keeps larger ones (docs/decisions/memory-budget.md).
 */
export interface CacheBounds {
  readonly assets: number;
  readonly vulnerabilities: number;
}

/** SQLite reads a miss in-process: small caches, a smaller heap. */
export const SQLITE_CACHE_BOUNDS: CacheBounds = Object.freeze({ assets: 1_000, vulnerabilities: 10_000 });

/** PostgreSQL reads a miss in a round trip: larger caches. */
export const POSTGRES_CACHE_BOUNDS: CacheBounds = Object.freeze({ assets: 10_000, vulnerabilities: 50_000 });
