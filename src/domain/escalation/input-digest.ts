/**
 * The "hash of its inputs" every Decision records (SPEC §2): a SHA-256 over a canonical JSON of
 * exactly what the decision depends on, and of the whole ruleset. Two triage runs over the same
 * facts give the same digest even when unrelated signals or advisories arrived in between, and a
 * ruleset edited without a version bump still changes it.
 */
import { createHash } from 'node:crypto';
import { statementsFor } from './advisory-match.js';
import type { EvaluationInput } from './engine.js';
import type { Ruleset } from './ruleset.js';

/** JSON with object keys sorted at every level, so equal data always serialises equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** `sha256:<hex>` of the inputs the decision for `input.finding` depends on, and the ruleset. */
export function decisionInputDigest(input: EvaluationInput, ruleset: Ruleset): string {
  const relevant = {
    ruleset,
    finding: input.finding,
    asset: input.asset,
    vulnerability: input.vulnerability,
    signals: input.signals.filter((s) => s.asset === input.finding.asset).sort(byId),
    advisories: statementsFor(input.advisories ?? [], input.finding, input.asset)
      .map((a) => canonicalJson(a))
      .sort(),
  };
  return `sha256:${createHash('sha256').update(canonicalJson(relevant)).digest('hex')}`;
}
