/** How far a long import or triage run has got (for a progress line; never part of a result). */
export interface Progress {
  /** Items of the file's own kind read so far (import), or findings decided so far (triage). */
  done: number;
  seconds: number;
  /** What `done` counts when it is not the run's own items: a later stage of the run (`escalations handed to IR`). */
  counting?: string;
}

export interface ThrottleOptions {
  /** At most one report per this many milliseconds (default 1,000). */
  intervalMs?: number | undefined;
  /** The clock, in milliseconds (default `performance.now`). */
  now?: () => number;
  /** What the count counts, when it is a later stage of the run (`Progress.counting`). */
  counting?: string;
}

/**
 * Calls `report` at most once per `intervalMs` (and never when absent): a progress line a second
 * is plenty for a person watching a million-finding import.
 */
export function throttled(report: ((p: Progress) => void) | undefined, options: ThrottleOptions = {}): (done: number) => void {
  if (report === undefined) return () => undefined;
  const { intervalMs = 1000, now = () => performance.now(), counting } = options;
  const t0 = now();
  let last = t0;
  return (done: number) => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    report(counting === undefined ? { done, seconds: (t - t0) / 1000 } : { done, seconds: (t - t0) / 1000, counting });
  };
}
