/**
 * Rule cases: policy tests written as YAML next to the ruleset (`rules/cases/*.yaml`). A policy
 * owner who changes a threshold runs the cases to see which decisions move, without writing code.
 * Each case gives partial records (FORMATS.md defaults fill the rest) and the expected decision.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ClError } from '../../errors.js';
import { CONFIDENCES, EXPLOITATIONS, EXPOSURES, FINDING_CHECKS, REACHABILITIES, FINDING_SEVERITIES, SIGNAL_KINDS, VALIDATIONS } from '../records.js';
import type { AdvisoryStatement } from '../records.js';
import { assetWithDefaults, findingWithDefaults, signalWithDefaults, vulnerabilityWithDefaults } from './defaults.js';
import { evaluate } from './engine.js';
import type { Decision } from './engine.js';
import { describeIssues } from './ruleset.js';
import type { Ruleset } from './ruleset.js';
import { FLAGS, NEXT_ACTIONS, OUTCOMES, SSVC_OUTCOMES, STAY_REASONS, TRIGGERS } from './vocabulary.js';

/** Ids used when a case leaves them out, so short cases stay short. */
export const CASE_DEFAULTS = Object.freeze({
  asset: 'asset-1',
  vulnerability: 'CVE-2026-0001',
  signalTime: '2026-01-01T00:00:00Z',
});

const extra = z.record(z.string(), z.unknown());

const assetCase = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().nullable().optional(),
  service: z.string().nullable().optional(),
  owner: z.string().nullable().optional(),
  business_critical: z.boolean().optional(),
  exposure: z.enum(EXPOSURES).optional(),
  auth_required: z.boolean().optional(),
  privileged: z.boolean().optional(),
  regulated: z.array(z.string()).optional(),
  customer_facing: z.boolean().optional(),
  safety: z.boolean().optional(),
  third_party: z.string().nullable().optional(),
  telemetry: z.boolean().optional(),
  components: z.array(z.strictObject({ product: z.string(), version: z.string().nullable().optional() })).optional(),
  extra: extra.optional(),
});

const vulnerabilityCase = z.strictObject({
  id: z.string().min(1).optional(),
  cvss: z
    .strictObject({ version: z.string().optional(), base_score: z.number().min(0).max(10), vector: z.string().nullable().optional() })
    .nullable()
    .optional(),
  exploitation: z.enum(EXPLOITATIONS).optional(),
  public_poc: z.boolean().optional(),
  vendor_advisory: z.boolean().optional(),
  fix_available: z.boolean().nullable().optional(),
  kev: z
    .strictObject({
      dateAdded: z.string(),
      dueDate: z.string().nullable().optional(),
      knownRansomwareCampaignUse: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  epss: z
    .strictObject({ score: z.number().min(0).max(1), percentile: z.number().min(0).max(1), date: z.string().nullable().optional() })
    .nullable()
    .optional(),
  title: z.string().nullable().optional(),
  references: z.array(z.string()).optional(),
  extra: extra.optional(),
});

const findingCase = z.strictObject({
  id: z.string().min(1).optional(),
  fingerprint: z.string().min(1).optional(),
  vulnerability: z.string().min(1).optional(),
  asset: z.string().min(1).optional(),
  component: z.string().nullable().optional(),
  version: z.string().nullable().optional(),
  source: z.string().nullable().optional(),
  validation: z.enum(VALIDATIONS).optional(),
  reachability: z.enum(REACHABILITIES).optional(),
  affected_version_known: z.boolean().optional(),
  vendor_scope_known: z.boolean().optional(),
  containment_needed: z.union([z.boolean(), z.string()]).optional(),
  check: z.enum(FINDING_CHECKS).nullable().optional(),
  ruled_out_by: z.string().min(1).nullable().optional(),
  title: z.string().nullable().optional(),
  severity: z.enum(FINDING_SEVERITIES).nullable().optional(),
  aliases: z.array(z.string()).optional(),
  extra: extra.optional(),
});

const signalCase = z.strictObject({
  id: z.string().min(1).optional(),
  time: z.string().optional(),
  asset: z.string().min(1).optional(),
  kind: z.enum(SIGNAL_KINDS),
  vulnerability: z.string().nullable().optional(),
  component: z.string().nullable().optional(),
  source: z.string().nullable().optional(),
  indicator: z.string().nullable().optional(),
  payload: z.string().nullable().optional(),
  alert: z.string().nullable().optional(),
  confidence: z.enum(CONFIDENCES).nullable().optional(),
  extra: extra.optional(),
});

const advisoryCase = z.strictObject({
  vulnerability: z.string().min(1).optional(),
  product: z.string().nullable().optional(),
  status: z.enum(['not_affected', 'affected', 'fixed', 'under_investigation']),
  justification: z.string().nullable().optional(),
  statement: z.string().nullable().optional(),
  source: z.string().optional(),
});

const expectation = z.strictObject({
  outcome: z.enum(OUTCOMES),
  triggers: z.array(z.enum(TRIGGERS)).optional(),
  stay_reasons: z.array(z.enum(STAY_REASONS)).optional(),
  flags: z.array(z.enum(FLAGS)).optional(),
  next_actions: z.array(z.enum(NEXT_ACTIONS)).optional(),
  ssvc: z.enum(SSVC_OUTCOMES).optional(),
  /** Evidence refs the decision must list (among others: a decision lists every fact it read). */
  evidence: z.array(z.string()).optional(),
  /** Texts that must each appear in the explanation's facts (e.g. who ruled the finding out). */
  explains: z.array(z.string()).optional(),
});
export type CaseExpectation = z.infer<typeof expectation>;

const ruleCase = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  asset: assetCase.nullable().optional(),
  vulnerability: vulnerabilityCase.nullable().optional(),
  finding: findingCase.optional(),
  signals: z.array(signalCase).optional(),
  advisories: z.array(advisoryCase).optional(),
  expect: expectation,
});

const casesFile = z.strictObject({
  description: z.string().optional(),
  cases: z.array(z.unknown()).min(1),
});

/** What a case produced, in the same shape as its expectation. */
export interface CaseActual {
  outcome: Decision['outcome'];
  triggers: Decision['triggers'];
  stay_reasons: Decision['stay_reasons'];
  flags: Decision['flags'];
  next_actions: Decision['next_actions'];
  ssvc: Decision['ssvc'];
  evidence: Decision['evidence'];
}

export interface CaseResult {
  name: string;
  ok: boolean;
  expected: CaseExpectation | null;
  actual: CaseActual | null;
  /** What differs, one line per key; or why the case could not run. */
  problems: string[];
}

export interface CaseRun {
  passed: number;
  failed: number;
  results: CaseResult[];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && new Set(a).size === new Set([...a, ...b]).size;

function compare(expected: CaseExpectation, actual: CaseActual, explanation: Decision['explanation']): string[] {
  const problems: string[] = [];
  if (expected.outcome !== actual.outcome) problems.push(`outcome: expected ${expected.outcome}, got ${actual.outcome}`);
  const lists = ['triggers', 'stay_reasons', 'flags', 'next_actions'] as const;
  for (const key of lists) {
    const want = expected[key];
    if (want !== undefined && !sameSet(want, actual[key])) {
      problems.push(`${key}: expected [${want.join(', ')}], got [${actual[key].join(', ')}]`);
    }
  }
  if (expected.ssvc !== undefined && expected.ssvc !== actual.ssvc) {
    problems.push(`ssvc: expected ${expected.ssvc}, got ${actual.ssvc}`);
  }
  const missing = (expected.evidence ?? []).filter((e) => !actual.evidence.includes(e));
  if (missing.length > 0) problems.push(`evidence: expected [${missing.join(', ')}] among [${actual.evidence.join(', ')}]`);
  const facts = explanation.flatMap((l) => l.facts);
  for (const text of expected.explains ?? []) {
    if (!facts.some((f) => f.includes(text))) problems.push(`explanation: no fact mentions "${text}"`);
  }
  return problems;
}

function runOne(raw: unknown, index: number, ruleset: Ruleset, source: string): CaseResult {
  const parsed = ruleCase.safeParse(raw);
  const fallbackName =
    typeof raw === 'object' && raw !== null && 'name' in raw && typeof raw.name === 'string' ? raw.name : `case ${index}`;
  if (!parsed.success) {
    return {
      name: fallbackName,
      ok: false,
      expected: null,
      actual: null,
      problems: [describeIssues(`${source} cases[${index}]`, parsed.error.issues, raw)],
    };
  }
  const c = parsed.data;
  const asset = c.asset === null ? null : assetWithDefaults({ ...c.asset, id: c.asset?.id ?? c.finding?.asset ?? CASE_DEFAULTS.asset });
  const vulnerability =
    c.vulnerability === null
      ? null
      : vulnerabilityWithDefaults({
          ...c.vulnerability,
          id: c.vulnerability?.id ?? c.finding?.vulnerability ?? CASE_DEFAULTS.vulnerability,
        });
  const finding = findingWithDefaults({
    ...c.finding,
    id: c.finding?.id ?? `finding-${index}`,
    asset: c.finding?.asset ?? asset?.id ?? CASE_DEFAULTS.asset,
    vulnerability: c.finding?.vulnerability ?? vulnerability?.id ?? CASE_DEFAULTS.vulnerability,
  });
  const signals = (c.signals ?? []).map((s, i) =>
    signalWithDefaults({
      ...s,
      id: s.id ?? `signal-${i + 1}`,
      time: s.time ?? CASE_DEFAULTS.signalTime,
      asset: s.asset ?? finding.asset,
    }),
  );
  const advisories: AdvisoryStatement[] = (c.advisories ?? []).map((a, i) => ({
    vulnerability: a.vulnerability ?? finding.vulnerability,
    product: a.product ?? null,
    status: a.status,
    justification: a.justification ?? null,
    statement: a.statement ?? null,
    source: a.source ?? `advisory-${i + 1}`,
  }));
  try {
    const d = evaluate({ finding, asset, vulnerability, signals, advisories }, ruleset);
    const actual: CaseActual = {
      outcome: d.outcome,
      triggers: d.triggers,
      stay_reasons: d.stay_reasons,
      flags: d.flags,
      next_actions: d.next_actions,
      ssvc: d.ssvc,
      evidence: d.evidence,
    };
    const problems = compare(c.expect, actual, d.explanation);
    return { name: c.name, ok: problems.length === 0, expected: c.expect, actual, problems };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { name: c.name, ok: false, expected: c.expect, actual: null, problems: [message] };
  }
}

/**
 * Runs every case in a cases file against a ruleset. A malformed file throws `CL_BAD_INPUT`; a
 * malformed case fails on its own, so one typo does not hide the other results.
 */
export function runRuleCases(casesYamlText: string, ruleset: Ruleset, source = 'rule cases'): CaseRun {
  let raw: unknown;
  try {
    raw = parseYaml(casesYamlText);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ClError('CL_BAD_INPUT', `${source}: not valid YAML: ${message}`, { source });
  }
  const file = casesFile.safeParse(raw);
  if (!file.success) throw new ClError('CL_BAD_INPUT', describeIssues(source, file.error.issues, raw), { source });
  const seen = new Set<string>();
  const results = file.data.cases.map((c, i) => {
    const result = runOne(c, i, ruleset, source);
    if (seen.has(result.name)) {
      return { ...result, ok: false, problems: [...result.problems, `duplicate case name "${result.name}"`] };
    }
    seen.add(result.name);
    return result;
  });
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, results };
}
