/**
 * The version of the engine's code, recorded with every decision beside the ruleset version. The
 * ruleset file holds policy (thresholds, kinds, names); some rules are code, and when code changes
 * what a decision is, a decision made before the change must still replay as what it was
 * (`closeloop why`). So the engine keeps each older behaviour reachable behind this number, in the
 * few places a version changed it (docs/decisions/decision-records.md, "Engine versions").
 *
 * - 1: the engine before the SPEC §2 rulings on stay reasons and remote checks.
 * - 2: `ruled_out` and `unreachable` stay reasons (no `vendor_advisory_only` for those findings;
 *   any validation or reachability verdict is local evidence); a remote network check makes an
 *   unknown reachability `reachable`; the input digest covers the engine version and the
 *   finding's `check` and `ruled_out_by`.
 */
export const ENGINE_VERSIONS = [1, 2] as const;
export type EngineVersion = (typeof ENGINE_VERSIONS)[number];

/** The engine version new decisions are made and recorded with. */
export const ENGINE_VERSION: EngineVersion = 2;

/** The stored engine version as one this build can replay, or null when it is not one. */
export function engineVersionOf(value: unknown): EngineVersion | null {
  return ENGINE_VERSIONS.find((v) => v === Number(value)) ?? null;
}
