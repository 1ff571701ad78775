/**
 * The escalation ruleset: thresholds and rule vocabulary as versioned policy (SPEC §2), parsed from
 * YAML (or an already-parsed value), validated once, then frozen. The engine only ever sees a
 * parsed `Ruleset`. Pure: reading ruleset files is the edge's job (`src/config/ruleset-file.ts`).
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ClError } from '../../errors.js';
import { EXPLOITATIONS, EXPOSURES, SIGNAL_KINDS } from '../records.js';
import { SSVC_MISSION_WELLBEING } from './ssvc.js';
import { INCIDENT_SEVERITIES } from './vocabulary.js';
import type { IncidentSeverity, Trigger } from './vocabulary.js';

const signalKinds = z.array(z.enum(SIGNAL_KINDS));
const severity = z.enum(INCIDENT_SEVERITIES);
const score01 = z.number().min(0).max(1);

/** `<number><m|h|d>`, e.g. `4h`: short enough to read in a policy file. */
const DURATION = /^([1-9][0-9]*)(m|h|d)$/;
const duration = z.string().regex(DURATION, 'expected a duration like 30m, 4h or 3d');

/** The schema of a ruleset file; strict objects, so a misspelt key is an error, not a silent default. */
export const RulesetSchema = z.strictObject({
  version: z.string().min(1),
  description: z.string().optional(),
  thresholds: z.strictObject({
    cvss_high_score: z.number().min(0).max(10),
    epss_exploit_pressure: score01.nullable(),
    epss_exploitability_evidence: score01.nullable(),
  }),
  exploit_pressure: z.strictObject({
    kev: z.boolean(),
    ransomware: z.boolean(),
    exploitation: z.array(z.enum(EXPLOITATIONS)),
    public_poc: z.boolean(),
  }),
  critical_reachability: z.strictObject({
    exposure: z.array(z.enum(EXPOSURES)),
    unauthenticated: z.boolean(),
    privileged: z.boolean(),
    business_critical: z.boolean(),
  }),
  regulated_scope: z.strictObject({
    regulated_classes: z.union([z.literal('any'), z.array(z.string().min(1))]),
    customer_facing: z.boolean(),
    safety: z.boolean(),
  }),
  scope_gaps: z.strictObject({
    no_owner: z.boolean(),
    no_telemetry: z.boolean(),
    affected_version_unknown: z.boolean(),
    vendor_scope_unknown: z.boolean(),
  }),
  signals: z.strictObject({
    observed_exploitation: signalKinds,
    observed_exploitation_inapplicable: signalKinds,
    confirmed_compromise: signalKinds,
    regulated_impact: signalKinds,
  }),
  containment: z.strictObject({
    actions: z.record(z.string().min(1), z.array(z.string())),
    not_flagged: z.array(z.string()),
  }),
  severity: z.strictObject({
    by_trigger: z.strictObject({
      observed_exploitation: severity,
      confirmed_compromise: severity,
      dangerous_exposure: severity,
      containment_needed: severity,
      scope_unknown: severity,
      regulated_impact: severity,
    } satisfies Record<Trigger, typeof severity>),
    response_time: z.strictObject({
      critical: duration,
      high: duration,
      moderate: duration,
      low: duration,
    } satisfies Record<IncidentSeverity, typeof duration>),
  }),
  ssvc: z.strictObject({
    total_impact_score_without_vector: z.number().min(0).max(10),
    unknown_asset_mission_impact: z.enum(SSVC_MISSION_WELLBEING),
  }),
});

/** A validated, deeply frozen ruleset. */
export type Ruleset = Readonly<z.infer<typeof RulesetSchema>>;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** The value at a zod issue path, or undefined when any step is absent. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Reflect.get(cur, key);
  }
  return cur;
}

/**
 * Turns zod issues into one message that names every offending key, so whoever edits the policy
 * file sees exactly what to fix. Shared with the rule-case runner.
 */
export function describeIssues(source: string, issues: readonly z.core.$ZodIssue[], input?: unknown): string {
  const lines = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => `${issuePath([...issue.path, k])}: unknown key (check the spelling)`)
        .join('; ');
    }
    if (issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined) {
      return `${issuePath(issue.path)}: required key is missing (expected ${issue.expected})`;
    }
    return `${issuePath(issue.path)}: ${issue.message}`;
  });
  return `${source}: ${lines.join('; ')}`;
}

/**
 * Parses and validates a ruleset: YAML text (a ruleset file), or a value already parsed from YAML
 * or JSON (a ruleset stored beside a triage run). Errors are `CL_CONFIG_INVALID` naming `origin`
 * and every bad key, because a ruleset is configuration that must be right before any decision
 * is made.
 */
export function parseRuleset(source: unknown, origin: string): Ruleset {
  const raw = typeof source === 'string' ? parseRulesetYaml(source, origin) : source;
  const parsed = RulesetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ClError('CL_CONFIG_INVALID', describeIssues(origin, parsed.error.issues, raw), {
      source: origin,
      issues: parsed.error.issues.map((i) => ({ path: issuePath(i.path), message: i.message })),
    });
  }
  const ruleset = parsed.data;
  const unknownActions = crossCheck(ruleset);
  if (unknownActions.length > 0) {
    throw new ClError('CL_CONFIG_INVALID', `${origin}: ${unknownActions.join('; ')}`, { source: origin });
  }
  return deepFreeze(ruleset);
}

function parseRulesetYaml(text: string, origin: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ClError('CL_CONFIG_INVALID', `${origin}: not valid YAML: ${message}`, { source: origin });
  }
}

/**
 * Checks a schema cannot express: an alias must not name two containment actions, and a more
 * severe incident must not be given longer to respond than a less severe one.
 */
function crossCheck(ruleset: z.infer<typeof RulesetSchema>): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  const times = ruleset.severity.response_time;
  for (let i = 1; i < INCIDENT_SEVERITIES.length; i += 1) {
    const less = INCIDENT_SEVERITIES[i - 1];
    const more = INCIDENT_SEVERITIES[i];
    if (less !== undefined && more !== undefined && durationMs(times[more]) > durationMs(times[less])) {
      problems.push(`severity.response_time.${more}: ${times[more]} is longer than ${less} (${times[less]})`);
    }
  }
  for (const [action, aliases] of Object.entries(ruleset.containment.actions)) {
    for (const name of [action, ...aliases]) {
      const key = normaliseActionName(name);
      const owner = seen.get(key);
      if (owner !== undefined && owner !== action) {
        problems.push(`containment.actions.${action}: "${name}" is already a name of ${owner}`);
      }
      seen.set(key, action);
    }
  }
  return problems;
}

/** Lower-case, spaces/hyphens/slashes to `_`: how analysts' free text meets the policy names. */
export function normaliseActionName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s\-/]+/g, '_');
}

/**
 * Parses a response-time duration (`30m`, `4h`, `3d`) into milliseconds. The schema has already
 * checked the shape; a malformed value here is a programming error.
 */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (m === null) throw new ClError('CL_INTERNAL', `bad duration ${text}`);
  const n = Number(m[1]);
  const unit = m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000;
  return n * unit;
}
