/**
 * The "hash of its inputs" every Decision records (SPEC §2): a SHA-256 over a canonical JSON of
 * exactly what the decision depends on. Two triage runs over the same facts give the same digest
 * even when unrelated signals or advisories arrived in between.
 *
 * Each part is what the engine reads of it, no more: a title, a description or a scanner's extra
 * fields changing later does not make an old decision look as if its facts had changed. The parts,
 * under their keys in canonical (sorted) order:
 * - `advisories`: the statements about this finding, each as canonical JSON, sorted;
 * - `asset`: the asset's facts (`assetFacts`), or null;
 * - `engine`: the engine version (from engine 2; an engine-1 digest has no such key, so the
 *   digests stored before engine versions existed are still the ones a replay computes);
 * - `finding`: the finding's facts (`findingFacts`; engine 1 read neither `check` nor `ruled_out_by`);
 * - `ruleset`: the ruleset's own digest (`rulesetDigest`): a ruleset edited without a version
 *   bump still changes every decision's digest, and the ruleset is stored once per digest;
 * - `signals`: the signals on the finding's asset, sorted by id;
 * - `vulnerability`: the vulnerability facts the engine reads (`vulnerabilityFacts`), which are
 *   also what a decision stores as its snapshot, so a replay can rebuild them exactly.
 */
import * as crypto from 'node:crypto';
import { FINDING_FACT_KEYS, type AdvisoryStatement, type AssetRecord, type FindingFacts, type SignalRecord, type VulnerabilityRecord } from '../records.js';
import { canonicalJson } from '../canonical.js';
import { statementsFor } from './advisory-match.js';
import type { EvaluationInput } from './engine.js';
import { ENGINE_VERSION, type EngineVersion } from './engine-version.js';
import type { Ruleset } from './ruleset.js';

export { canonicalJson };

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// One-shot hashing where the runtime has it (Node ≥ 20.12): no Hash object per call.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Text(text: string): string {
  return oneShot !== undefined ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** The vulnerability as the engine reads it: everything but its title, references and extra. */
export type VulnerabilityFacts = Omit<VulnerabilityRecord, 'title' | 'references' | 'extra'>;

/** JSON text of a string or null. */
const text = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));

/**
 * `canonicalJson(vulnerabilityFacts(v))` written directly (keys in sorted order), without sorting
 * keys for each of a million findings. Records of another shape go through canonicalJson.
 */
export function canonicalVulnerabilityFacts(v: VulnerabilityRecord | null): string {
  if (v === null) return 'null';
  const { cvss, kev, epss } = v;
  if (
    (cvss !== null && (Object.keys(cvss).length !== 3 || typeof cvss.base_score !== 'number')) ||
    (kev !== null && Object.keys(kev).length !== 3) ||
    (epss !== null && Object.keys(epss).length !== 3) ||
    typeof v.fix_available === 'undefined'
  ) {
    return canonicalJson(vulnerabilityFacts(v));
  }
  const c = cvss === null ? 'null' : `{"base_score":${JSON.stringify(cvss.base_score)},"vector":${text(cvss.vector)},"version":${text(cvss.version)}}`;
  const e = epss === null ? 'null' : `{"date":${text(epss.date)},"percentile":${JSON.stringify(epss.percentile)},"score":${JSON.stringify(epss.score)}}`;
  const k = kev === null ? 'null' : `{"dateAdded":${text(kev.dateAdded)},"dueDate":${text(kev.dueDate)},"knownRansomwareCampaignUse":${JSON.stringify(kev.knownRansomwareCampaignUse)}}`;
  return `{"cvss":${c},"epss":${e},"exploitation":${text(v.exploitation)},"fix_available":${JSON.stringify(v.fix_available)},"id":${text(v.id)},"kev":${k},"public_poc":${JSON.stringify(v.public_poc)},"vendor_advisory":${JSON.stringify(v.vendor_advisory)}}`;
}

export function vulnerabilityFacts(v: VulnerabilityRecord | null): VulnerabilityFacts | null {
  if (v === null) return null;
  return { id: v.id, cvss: v.cvss, exploitation: v.exploitation, public_poc: v.public_poc, vendor_advisory: v.vendor_advisory, fix_available: v.fix_available, kev: v.kev, epss: v.epss };
}

/** `sha256:<hex>` of the ruleset's canonical JSON. */
export function rulesetDigest(ruleset: Ruleset): string {
  return `sha256:${sha256Text(canonicalJson(ruleset))}`;
}

export type { FindingFacts };

/** The finding facts engine 1 read: it had no `check` or `ruled_out_by`. */
const ENGINE_1_FINDING_KEYS = FINDING_FACT_KEYS.filter((k) => k !== 'check' && k !== 'ruled_out_by');

/** The finding's facts that `engine` reads (all of FINDING_FACT_KEYS for the current engine). */
export function findingFacts(f: FindingFacts, engine: EngineVersion = ENGINE_VERSION): Partial<FindingFacts> {
  const out: Partial<Record<keyof FindingFacts, unknown>> = {};
  for (const k of engine === 1 ? ENGINE_1_FINDING_KEYS : FINDING_FACT_KEYS) out[k] = f[k];
  return out as Partial<FindingFacts>;
}

/**
 * `canonicalJson(findingFacts(f))` for each of a million findings: the facts are flat (strings,
 * booleans, null, a list of strings), so JSON.stringify of an object literal written in sorted key
 * order is the same text (it drops undefined keys and writes undefined list items as null, as
 * canonicalJson does), built in one pass.
 */
export function canonicalFindingFacts(f: FindingFacts, engine: EngineVersion = ENGINE_VERSION): string {
  for (const a of f.aliases) if (typeof a !== 'string') return canonicalJson(findingFacts(f, engine));
  if (typeof f.containment_needed === 'object' && f.containment_needed !== null) return canonicalJson(findingFacts(f, engine));
  if (engine === 1) {
    return JSON.stringify({
      affected_version_known: f.affected_version_known,
      aliases: f.aliases,
      asset: f.asset,
      component: f.component,
      containment_needed: f.containment_needed,
      id: f.id,
      reachability: f.reachability,
      validation: f.validation,
      vendor_scope_known: f.vendor_scope_known,
      version: f.version,
      vulnerability: f.vulnerability,
    });
  }
  return JSON.stringify({
    affected_version_known: f.affected_version_known,
    aliases: f.aliases,
    asset: f.asset,
    check: f.check,
    component: f.component,
    containment_needed: f.containment_needed,
    id: f.id,
    reachability: f.reachability,
    ruled_out_by: f.ruled_out_by,
    validation: f.validation,
    vendor_scope_known: f.vendor_scope_known,
    version: f.version,
    vulnerability: f.vulnerability,
  } satisfies Record<(typeof FINDING_FACT_KEYS)[number], unknown>);
}

/** The asset as the engine reads it: its exposure, impact, ownership and telemetry facts, and its analyst containment flag. */
function assetFacts(a: AssetRecord | null): Record<string, unknown> | null {
  if (a === null) return null;
  return {
    id: a.id,
    name: a.name,
    exposure: a.exposure,
    auth_required: a.auth_required,
    privileged: a.privileged,
    business_critical: a.business_critical,
    regulated: a.regulated,
    customer_facing: a.customer_facing,
    safety: a.safety,
    owner: a.owner,
    telemetry: a.telemetry,
    containment_needed: a.extra['containment_needed'] ?? null,
  };
}

/** The canonical JSON parts of a decision input, one string each, keyed as in the digest. */
export interface DigestParts {
  advisories: string;
  asset: string;
  /** The engine version the decision is made with. */
  engine: EngineVersion;
  finding: string;
  ruleset: string;
  signals: string;
  vulnerability: string;
}

/** The `advisories` part: the statements that cover the finding, each as canonical JSON, sorted. */
export function canonicalAdvisories(advisories: readonly AdvisoryStatement[], finding: FindingFacts, asset: AssetRecord | null): string {
  if (advisories.length === 0) return '[]';
  return canonicalJson(statementsFor(advisories, finding, asset).map((a) => canonicalJson(a)).sort());
}

/** The `asset` part. */
export function canonicalAssetFacts(asset: AssetRecord | null): string {
  return canonicalJson(assetFacts(asset));
}

/** The `signals` part: the signals on the asset, sorted by id. */
export function canonicalSignals(signals: readonly SignalRecord[], assetId: string): string {
  return canonicalJson(signals.filter((s) => s.asset === assetId).sort(byId));
}

function digestParts(input: EvaluationInput<FindingFacts>, rulesetDigestText: string, engine: EngineVersion): DigestParts {
  return {
    advisories: canonicalAdvisories(input.advisories ?? [], input.finding, input.asset),
    asset: canonicalAssetFacts(input.asset),
    engine,
    finding: canonicalFindingFacts(input.finding, engine),
    ruleset: JSON.stringify(rulesetDigestText),
    signals: canonicalSignals(input.signals, input.finding.asset),
    vulnerability: canonicalVulnerabilityFacts(input.vulnerability),
  };
}

/** The digest of the parts: the same text as canonicalJson of the object they came from. */
export function digestOfParts(p: DigestParts): string {
  const engine = p.engine === 1 ? '' : `"engine":${p.engine},`;
  return `sha256:${sha256Text(`{"advisories":${p.advisories},"asset":${p.asset},${engine}"finding":${p.finding},"ruleset":${p.ruleset},"signals":${p.signals},"vulnerability":${p.vulnerability}}`)}`;
}

/** `sha256:<hex>` of the inputs the decision for `input.finding` depends on, the ruleset and the engine version. */
export function decisionInputDigest(input: EvaluationInput<FindingFacts>, ruleset: Ruleset, engine: EngineVersion = ENGINE_VERSION): string {
  return digestOfParts(digestParts(input, rulesetDigest(ruleset), engine));
}
