/**
 * CVSS for the scanner importers: many reports give a vector without a score (OSV, some CycloneDX
 * ratings, Qualys), a score without a vector, or a vector whose version only its shape tells, and
 * the escalation engine needs a base score. Vectors of every version (2.0, 3.0, 3.1, 4.0) are
 * parsed and scored with `ae-cvss-calculator` (metaeffekt's implementation of the FIRST
 * specifications); nothing here computes a score by hand (docs/decisions/cvss-library.md).
 */
import cvssCalculator from 'ae-cvss-calculator';
import type { Cvss, FindingSeverity } from '../../domain/records.js';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/** The qualitative severity of a CVSS (v3/v4) base score, with 0 as `info`. */
export function severityFromScore(score: number): FindingSeverity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** `CVSS:3.1/…` → `3.1`, `CVSS:4.0/…` → `4.0`; a vector without the prefix → null (version unknown). */
function vectorVersion(vector: string): string | null {
  const m = /^CVSS:(\d+\.\d+)\//i.exec(vector.trim());
  return m?.[1] ?? null;
}

/** True for a v2 vector (`AV:N/AC:M/Au:N/…`): v2 has `Au`, v3 has `PR`/`UI`. */
function isV2Vector(vector: string): boolean {
  return /(^|\/)Au:/.test(vector) && !/(^|\/)PR:/.test(vector);
}

/** The v2 vector without a `CVSS:2.0/` prefix or the `(…)` some scanners wrap it in. */
function bareV2(vector: string): string {
  return vector.replace(/^\(|\)$/g, '').replace(/^CVSS:2\.0\//i, '');
}

/**
 * Every metric of a vector is known to the library and the base metrics are complete (a typo, a
 * missing metric or a value of another version gives false: the library itself fills gaps with
 * "not defined", so its score alone does not tell).
 */
function completeBase(vector: string, version: string): number | null {
  // `metric:value` parts only: the library warns on stderr about anything else
  const parts = vector.replace(/^CVSS:\d\.\d\//i, '').replace(/^\(|\)$/g, '').split('/');
  if (!parts.every((p) => /^[A-Za-z]{1,3}:[A-Za-z0-9]{1,3}$/.test(p))) return null;
  try {
    let v: { isBaseFullyDefined(): boolean; toString(): string; calculateScores(): { base?: number; overall: number } };
    if (version === '2.0') v = new Cvss2(bareV2(vector));
    else if (version === '3.0') v = new Cvss3P0(vector);
    else if (version === '3.1') v = new Cvss3P1(vector);
    else if (version === '4.0') v = new Cvss4P0(vector);
    else return null;
    if (!v.isBaseFullyDefined()) return null;
    // the library drops metrics it does not know: a vector it would rewrite has one
    const given = new Set(vector.replace(/^CVSS:\d\.\d\//i, '').replace(/^\(|\)$/g, '').split('/'));
    const kept = v.toString().replace(/^CVSS:\d\.\d\//i, '').split('/').filter((p) => !p.endsWith(':X') && !p.endsWith(':ND'));
    for (const part of kept) if (!given.has(part)) return null;
    const scores = v.calculateScores();
    const base = scores.base ?? scores.overall;
    return Number.isFinite(base) ? base : null;
  } catch {
    return null;
  }
}


/**
 * Builds a `Cvss` from a vector and/or a score. `defaultVersion` is used for a v3 vector without
 * its `CVSS:3.x/` prefix (the vector is then written with that prefix). A score the report gives
 * (0.0–10.0; anything else is ignored) is kept as given; a missing one is computed from a complete
 * vector. An incomplete or malformed vector is dropped (the score stays). Returns null when there
 * is no valid score and no complete vector.
 */
export function cvssOf(vector: string | null, score: number | null, defaultVersion = '3.1'): Cvss | null {
  const v = vector === null || vector.trim() === '' ? null : vector.trim();
  // a base score is 0.0–10.0: anything else is no score
  const given = score !== null && Number.isFinite(score) && score >= 0 && score <= 10 ? score : null;
  if (v === null) return given === null ? null : { version: defaultVersion, base_score: given, vector: null };
  let version = vectorVersion(v);
  let full = v;
  if (version === null) {
    if (isV2Vector(v)) {
      version = '2.0';
      full = bareV2(v);
    } else {
      version = defaultVersion;
      full = `CVSS:${defaultVersion}/${v}`;
    }
  } else if (version === '2.0') full = bareV2(v);
  // the vector is kept only when it is complete and well formed, even beside a given score
  const computed = completeBase(full, version);
  if (computed === null) return given === null ? null : { version, base_score: given, vector: null };
  return { version, base_score: given ?? computed, vector: full };
}

/** The base score of a vector of any version (a bare v3 one read as 3.1), or null when it is not a complete base vector. */
export function cvssBaseScore(vector: string): number | null {
  return cvssOf(vector, null)?.base_score ?? null;
}

/** Chooses the best of several CVSS entries: the highest version, then the first given. */
export function bestCvss(candidates: readonly (Cvss | null)[]): Cvss | null {
  let best: Cvss | null = null;
  for (const c of candidates) {
    if (c === null) continue;
    if (best === null || Number.parseFloat(c.version) > Number.parseFloat(best.version)) best = c;
  }
  return best;
}
