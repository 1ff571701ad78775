import { createHash } from 'node:crypto';

/**
 * Reproducible samples of incidents for health checks and evidence exports. Each candidate's place
 * is the SHA-256 of `seed` and its id, so the same seed over the same population always picks the
 * same incidents, whatever order the store returned them in, and anyone can recompute the pick by
 * hand (`sha256("<seed>:<id>")`, smallest first). Stratified, the sample is split over the strata
 * in proportion to their sizes (largest remainder; every non-empty stratum gets at least one when
 * the sample is at least as large as the number of strata), then each stratum is drawn the same way.
 */

export interface SampleCandidate {
  id: string;
  /** The stratum (e.g. severity) when stratifying. */
  stratum?: string;
}

export interface SampleResult<T extends SampleCandidate> {
  picked: T[];
  /** Per stratum: population and how many were picked (one entry `all` when not stratified). */
  strata: { stratum: string; population: number; picked: number }[];
  /** How the sample was drawn, in words, for the record. */
  method: string;
}

const place = (seed: string, id: string): string => createHash('sha256').update(`${seed}:${id}`).digest('hex');

function draw<T extends SampleCandidate>(candidates: readonly T[], n: number, seed: string): T[] {
  return [...candidates]
    .map((c) => ({ c, key: place(seed, c.id) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.c.id < b.c.id ? -1 : 1))
    .slice(0, Math.max(0, n))
    .map((x) => x.c);
}

/** Splits `n` over strata of the given sizes in proportion (largest remainder, ties by stratum order). */
export function allocate(sizes: readonly number[], n: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const want = Math.min(n, total);
  if (want === 0) return sizes.map(() => 0);
  const nonEmpty = sizes.filter((s) => s > 0).length;
  const base: number[] = sizes.map((s) => (s > 0 && want >= nonEmpty ? 1 : 0));
  let left = want - base.reduce((a, b) => a + b, 0);
  const restTotal = sizes.reduce((a, s, i) => a + s - (base[i] ?? 0), 0);
  const exact = sizes.map((s, i) => (restTotal === 0 ? 0 : ((s - (base[i] ?? 0)) * left) / restTotal));
  const out = sizes.map((s, i) => Math.min(s, (base[i] ?? 0) + Math.floor(exact[i] ?? 0)));
  left = want - out.reduce((a, b) => a + b, 0);
  const order = sizes.map((_, i) => i).sort((a, b) => ((exact[b] ?? 0) % 1) - ((exact[a] ?? 0) % 1) || a - b);
  while (left > 0) {
    let moved = false;
    for (const i of order) {
      if (left === 0) break;
      if ((out[i] ?? 0) < (sizes[i] ?? 0)) {
        out[i] = (out[i] ?? 0) + 1;
        left -= 1;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}

/** Draws `n` of `candidates` with `seed`; by stratum when `stratify` is true (strata in the order given by `strataOrder`, then by name). */
export function sampleIncidents<T extends SampleCandidate>(
  candidates: readonly T[],
  n: number,
  seed: string,
  opts: { stratify?: boolean; strataOrder?: readonly string[] } = {},
): SampleResult<T> {
  if (opts.stratify !== true) {
    const picked = draw(candidates, n, seed);
    return { picked, strata: [{ stratum: 'all', population: candidates.length, picked: picked.length }], method: `seeded: the ${n} smallest sha256("${seed}:<incident id>") of ${candidates.length}` };
  }
  const names = [...new Set(candidates.map((c) => c.stratum ?? ''))];
  const rank = (s: string): number => {
    const i = opts.strataOrder?.indexOf(s) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const groups = names.map((s) => candidates.filter((c) => (c.stratum ?? '') === s));
  const counts = allocate(groups.map((g) => g.length), n);
  const picked: T[] = [];
  const strata = names.map((stratum, i) => {
    const got = draw(groups[i] ?? [], counts[i] ?? 0, seed);
    picked.push(...got);
    return { stratum, population: groups[i]?.length ?? 0, picked: got.length };
  });
  return { picked, strata, method: `seeded and stratified by ${names.length} strata in proportion to their size: in each, the smallest sha256("${seed}:<incident id>")` };
}
