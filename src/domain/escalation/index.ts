/**
 * The escalation core's public surface (SPEC §2): import from here at the edges (CLI, API, app
 * use cases) so the module layout inside can change freely.
 */
export { evaluate } from './engine.js';
export type { Decision, EvaluateOptions, EvaluationInput, ExplanationLine } from './engine.js';
export { buildHandoffNote, handoffSeverity, DECISIONS_BY_TRIGGER, UNCERTAINTY_KINDS } from './handoff.js';
export type { HandoffContext, HandoffEvidence, HandoffNote, UncertaintyKind } from './handoff.js';
export { computeSsvc, ssvcOutcome, CISA_COORDINATOR_TABLE } from './ssvc.js';
export type { SsvcFacts, SsvcPoints, SsvcResult } from './ssvc.js';
export { RulesetSchema, durationMs, parseRuleset } from './ruleset.js';
export type { Ruleset } from './ruleset.js';
export { runRuleCases, CASE_DEFAULTS } from './rule-cases.js';
export type { CaseActual, CaseExpectation, CaseResult, CaseRun } from './rule-cases.js';
export {
  assetWithDefaults,
  fileLocation,
  findingFingerprint,
  findingWithDefaults,
  signalWithDefaults,
  vulnerabilityWithDefaults,
} from './defaults.js';
export type { AssetInput, FindingInput, FingerprintParts, SignalInput, VulnerabilityInput } from './defaults.js';
export { canonicalAdvisories, canonicalAssetFacts, canonicalFindingFacts, canonicalSignals, canonicalVulnerabilityFacts, findingFacts, canonicalJson, decisionInputDigest, digestOfParts, rulesetDigest, sha256Text, vulnerabilityFacts } from './input-digest.js';
export type { DigestParts, FindingFacts, VulnerabilityFacts } from './input-digest.js';
export * from './vocabulary.js';
export { ENGINE_VERSION, ENGINE_VERSIONS, engineVersionOf } from './engine-version.js';
export type { EngineVersion } from './engine-version.js';
