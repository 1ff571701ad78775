/**
 * The "hash of its inputs" every Decision records (SPEC §2): a SHA-256 over a canonical JSON of
 * exactly what the decision depends on. Two triage runs over the same facts give the same digest
 * even when unrelated signals or advisories arrived in between.
 *
 * The parts, under their keys in canonical (sorted) order:
 * - `advisories`: the statements about this finding, each as canonical JSON, sorted;
 * - `asset`: the asset record (or null);
 * - `finding`: the finding record;
 * - `ruleset`: the ruleset's own digest (`rulesetDigest`): a ruleset edited without a version
 *   bump still changes every decision's digest, and the ruleset is stored once per digest;
 * - `signals`: the signals on the finding's asset, sorted by id;
 * - `vulnerability`: the vulnerability facts the engine reads (`vulnerabilityFacts`), which are
 *   also what a decision stores as its snapshot, so a replay can rebuild them exactly.
 */
import * as crypto from 'node:crypto';
import type { FindingRecord, VulnerabilityRecord } from '../records.js';
import { canonicalJson } from '../canonical.js';
import { statementsFor } from './advisory-match.js';
import type { EvaluationInput } from './engine.js';
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

/** FindingRecord's keys in canonical (sorted) order. */
const FINDING_KEYS = [
  'affected_version_known', 'aliases', 'asset', 'component', 'containment_needed', 'cwe', 'extra', 'file_path', 'fingerprint',
  'fixed_version', 'id', 'line', 'reachability', 'severity', 'source', 'title', 'validation', 'vendor_scope_known', 'version',
  'vulnerability',
] as const satisfies readonly (keyof FindingRecord)[];
const FINDING_KEY_SET: ReadonlySet<string> = new Set(FINDING_KEYS);
const FINDING_KEY_TEXT = FINDING_KEYS.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`);

/**
 * `canonicalJson(finding)` without sorting the keys of every finding: the same text whenever the
 * record has exactly FindingRecord's keys (anything else goes through canonicalJson itself).
 */
export function canonicalFinding(f: FindingRecord): string {
  const keys = Object.keys(f);
  if (keys.length !== FINDING_KEYS.length || !keys.every((k) => FINDING_KEY_SET.has(k))) return canonicalJson(f);
  let s = '';
  for (let i = 0; i < FINDING_KEYS.length; i++) {
    const key = FINDING_KEYS[i];
    const v: unknown = key === undefined ? undefined : f[key];
    if (v === undefined) return canonicalJson(f);
    s += `${FINDING_KEY_TEXT[i] ?? ''}${typeof v === 'object' && v !== null ? canonicalJson(v) : (JSON.stringify(v) ?? 'null')}`;
  }
  return `${s}}`;
}

/** The canonical JSON parts of a decision input, one string each, keyed as in the digest. */
export interface DigestParts {
  advisories: string;
  asset: string;
  finding: string;
  ruleset: string;
  signals: string;
  vulnerability: string;
}

export function digestParts(input: EvaluationInput, rulesetDigestText: string): DigestParts {
  return {
    advisories: canonicalJson(statementsFor(input.advisories ?? [], input.finding, input.asset).map((a) => canonicalJson(a)).sort()),
    asset: canonicalJson(input.asset),
    finding: canonicalFinding(input.finding),
    ruleset: JSON.stringify(rulesetDigestText),
    signals: canonicalJson(input.signals.filter((s) => s.asset === input.finding.asset).sort(byId)),
    vulnerability: canonicalVulnerabilityFacts(input.vulnerability),
  };
}

/** The digest of the parts: the same text as canonicalJson of the object they came from. */
export function digestOfParts(p: DigestParts): string {
  return `sha256:${sha256Text(`{"advisories":${p.advisories},"asset":${p.asset},"finding":${p.finding},"ruleset":${p.ruleset},"signals":${p.signals},"vulnerability":${p.vulnerability}}`)}`;
}

/** `sha256:<hex>` of the inputs the decision for `input.finding` depends on, and the ruleset. */
export function decisionInputDigest(input: EvaluationInput, ruleset: Ruleset): string {
  return digestOfParts(digestParts(input, rulesetDigest(ruleset)));
}
