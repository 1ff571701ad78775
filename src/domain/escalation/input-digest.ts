/**
 * The "hash of its inputs" every Decision records (SPEC §2): a SHA-256 over a canonical JSON of
 * exactly what the decision depends on, and of the whole ruleset. Two triage runs over the same
 * facts give the same digest even when unrelated signals or advisories arrived in between, and a
 * ruleset edited without a version bump still changes it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical.js';
import { statementsFor } from './advisory-match.js';
import type { EvaluationInput } from './engine.js';
import type { Ruleset } from './ruleset.js';

export { canonicalJson };

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
