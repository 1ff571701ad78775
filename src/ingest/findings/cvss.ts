/**
 * CVSS helpers for the scanner importers: many reports give a vector without a score (OSV, some
 * CycloneDX ratings) or a score without a severity, and the escalation engine needs a base score.
 * Only CVSS v3.x base scores are computed here (FIRST CVSS v3.1 specification, section 7); v2 and
 * v4.0 scores are taken from the report when it gives them, never computed.
 */
import type { Cvss, FindingSeverity } from '../../domain/records.js';

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC: Record<string, number> = { L: 0.77, H: 0.44 };
const UI: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/** CVSS v3.1 "Roundup": the smallest number with one decimal that is >= the input. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** Parses `AV:N/AC:L/…` (with or without a `CVSS:3.x/` prefix) into its metrics. */
function metrics(vector: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of vector.split('/')) {
    const i = part.indexOf(':');
    if (i <= 0) continue;
    out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

/** The v3.x base score of a vector, or null when the vector is not a complete v3 base vector. */
export function cvss3BaseScore(vector: string): number | null {
  const m = metrics(vector.trim());
  const av = AV[m.get('AV') ?? ''];
  const ac = AC[m.get('AC') ?? ''];
  const ui = UI[m.get('UI') ?? ''];
  const s = m.get('S');
  const c = CIA[m.get('C') ?? ''];
  const i = CIA[m.get('I') ?? ''];
  const a = CIA[m.get('A') ?? ''];
  const prWord = m.get('PR');
  if (av === undefined || ac === undefined || ui === undefined || c === undefined || i === undefined || a === undefined) {
    return null;
  }
  if (s !== 'U' && s !== 'C') return null;
  const changed = s === 'C';
  let pr: number;
  if (prWord === 'N') pr = 0.85;
  else if (prWord === 'L') pr = changed ? 0.68 : 0.62;
  else if (prWord === 'H') pr = changed ? 0.5 : 0.27;
  else return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return changed ? roundUp(Math.min(1.08 * (impact + exploitability), 10)) : roundUp(Math.min(impact + exploitability, 10));
}

/** The qualitative severity of a CVSS (v3/v4) base score, with 0 as `info`. */
export function severityFromScore(score: number): FindingSeverity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** `CVSS:3.1/…` → `3.1`, `CVSS:4.0/…` → `4.0`; a bare v3 vector → null (version unknown). */
function vectorVersion(vector: string): string | null {
  const m = /^CVSS:(\d+\.\d+)\//i.exec(vector.trim());
  return m?.[1] ?? null;
}

/** True for a v2 vector (`AV:N/AC:M/Au:N/…`): v2 has `Au`, v3 has `PR`/`UI`. */
function isV2Vector(vector: string): boolean {
  return /(^|\/)Au:/.test(vector) && !/(^|\/)PR:/.test(vector);
}

/**
 * Builds a `Cvss` from a vector and/or a score. `defaultVersion` is used for a v3 vector without
 * its `CVSS:3.x/` prefix (the vector is then written with that prefix). Returns null when no base
 * score is given and none can be computed (v2 and v4.0 scores are never computed).
 */
export function cvssOf(vector: string | null, score: number | null, defaultVersion = '3.1'): Cvss | null {
  const v = vector === null || vector.trim() === '' ? null : vector.trim();
  if (v === null) {
    if (score === null || !Number.isFinite(score)) return null;
    return { version: defaultVersion, base_score: score, vector: null };
  }
  let version = vectorVersion(v);
  let full = v;
  if (version === null) {
    if (isV2Vector(v)) version = '2.0';
    else {
      version = defaultVersion;
      full = `CVSS:${defaultVersion}/${v}`;
    }
  }
  let base = score !== null && Number.isFinite(score) ? score : null;
  if (base === null && version.startsWith('3')) base = cvss3BaseScore(full);
  if (base === null) return null;
  return { version, base_score: base, vector: full };
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
