import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assetWithDefaults,
  findingWithDefaults,
  signalWithDefaults,
  vulnerabilityWithDefaults,
} from '../../../src/domain/escalation/defaults.js';
import { evaluate } from '../../../src/domain/escalation/engine.js';
import type { Decision, EvaluationInput } from '../../../src/domain/escalation/engine.js';
import { buildHandoffNote } from '../../../src/domain/escalation/handoff.js';
import { loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import { FLAGS, NEXT_ACTIONS, STAY_REASONS, TRIGGERS } from '../../../src/domain/escalation/vocabulary.js';
import {
  EXPLOITATIONS,
  EXPOSURES,
  REACHABILITIES,
  SIGNAL_KINDS,
  VALIDATIONS,
} from '../../../src/domain/records.js';
import type { AdvisoryStatement } from '../../../src/domain/records.js';

const ruleset = loadDefaultRuleset();
const ASSET = 'asset-1';
const CVE = 'CVE-2026-0001';
const COMPONENTS = ['log4j-core', 'openssl', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'];
const VECTORS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N',
  'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
];

const assetArb = fc.option(
  fc
    .record({
      exposure: fc.constantFrom(...EXPOSURES),
      auth_required: fc.boolean(),
      privileged: fc.boolean(),
      business_critical: fc.boolean(),
      owner: fc.option(fc.constantFrom('team-a', ''), { nil: null }),
      regulated: fc.subarray(['pii', 'phi', 'pci']),
      customer_facing: fc.boolean(),
      safety: fc.boolean(),
      telemetry: fc.boolean(),
      third_party: fc.option(fc.constant('acme'), { nil: null }),
      extra: fc.constantFrom<Record<string, unknown>>({}, { containment_needed: 'isolation' }, { containment_needed: false }),
    })
    .map((a) => assetWithDefaults({ id: ASSET, ...a })),
  { nil: null },
);

const vulnerabilityArb = fc.option(
  fc
    .record({
      kev: fc.option(fc.record({ dateAdded: fc.constant('2024-01-01'), knownRansomwareCampaignUse: fc.boolean() }), { nil: null }),
      exploitation: fc.constantFrom(...EXPLOITATIONS),
      public_poc: fc.boolean(),
      vendor_advisory: fc.boolean(),
      fix_available: fc.option(fc.boolean(), { nil: null }),
      epss: fc.option(
        fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }), percentile: fc.double({ min: 0, max: 1, noNaN: true }) }),
        { nil: null },
      ),
      cvss: fc.option(
        fc.record({
          base_score: fc.double({ min: 0, max: 10, noNaN: true }),
          vector: fc.option(fc.constantFrom(...VECTORS), { nil: null }),
        }),
        { nil: null },
      ),
    })
    .map((v) => vulnerabilityWithDefaults({ id: CVE, ...v })),
  { nil: null },
);

const findingArb = fc
  .record({
    validation: fc.constantFrom(...VALIDATIONS),
    reachability: fc.constantFrom(...REACHABILITIES),
    affected_version_known: fc.boolean(),
    vendor_scope_known: fc.boolean(),
    containment_needed: fc.constantFrom<boolean | string>(false, false, false, true, 'isolation', 'no', 'pull the plug'),
    component: fc.option(fc.constantFrom(...COMPONENTS), { nil: null }),
    check: fc.constantFrom<'remote' | 'local' | null>(null, null, 'remote', 'local'),
    ruled_out_by: fc.option(fc.constant('alice'), { nil: null }),
  })
  // as the store keeps it: only a ruled-out finding names who ruled it out
  .map(({ ruled_out_by, ...f }) => findingWithDefaults({ id: 'finding-1', asset: ASSET, vulnerability: CVE, ...f, ruled_out_by: f.validation === 'not_affected' || f.validation === 'false_positive' ? ruled_out_by : null }));

const signalsArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom(...SIGNAL_KINDS),
      asset: fc.constantFrom(ASSET, ASSET, 'asset-2'),
      vulnerability: fc.option(fc.constantFrom(CVE, 'CVE-1999-0001'), { nil: null }),
      component: fc.option(fc.constantFrom(...COMPONENTS), { nil: null }),
    }),
    { maxLength: 5 },
  )
  .map((xs) => xs.map((s, i) => signalWithDefaults({ id: `sig-${i}`, time: '2026-11-02T10:00:00Z', ...s })));

const advisoriesArb = fc.array(
  fc.record({
    vulnerability: fc.constant(CVE),
    product: fc.option(fc.constantFrom('log4j-core', 'pkg:npm/left-pad'), { nil: null }),
    status: fc.constantFrom<AdvisoryStatement['status']>('not_affected', 'affected', 'fixed', 'under_investigation'),
    justification: fc.constant(null),
    statement: fc.constant(null),
    source: fc.constant('vex.json'),
  }),
  { maxLength: 2 },
);

const inputArb: fc.Arbitrary<EvaluationInput> = fc.record({
  finding: findingArb,
  asset: assetArb,
  vulnerability: vulnerabilityArb,
  signals: signalsArb,
  advisories: advisoriesArb,
});

const RUNS = { numRuns: 500 };

function isOrderedSubset(vocabulary: readonly string[], values: readonly string[]): boolean {
  const positions = values.map((v) => vocabulary.indexOf(v));
  return positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] ?? -1)));
}

const triageFields = (d: Decision) => ({
  outcome: d.outcome,
  triggers: d.triggers,
  stay_reasons: d.stay_reasons,
  flags: d.flags,
  next_actions: d.next_actions,
  ssvc: d.ssvc,
  evidence: d.evidence,
});

describe('escalation engine properties', () => {
  it('not_affected / false_positive never fire dangerous_exposure or scope_unknown, nor the flag', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom('not_affected' as const, 'false_positive' as const), (input, validation) => {
        const d = evaluate({ ...input, finding: { ...input.finding, validation } }, ruleset);
        expect(d.triggers).not.toContain('dangerous_exposure');
        expect(d.triggers).not.toContain('scope_unknown');
        expect(d.flags).not.toContain('validate_urgently');
      }),
      RUNS,
    );
  });

  it('removing all signals never adds a trigger (so never adds observed_exploitation)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const withSignals = evaluate(input, ruleset).triggers;
        const without = evaluate({ ...input, signals: [] }, ruleset).triggers;
        expect(without.filter((t) => !withSignals.includes(t))).toEqual([]);
        expect(without).not.toContain('observed_exploitation');
        expect(without).not.toContain('confirmed_compromise');
      }),
      RUNS,
    );
  });

  it('escalates iff a trigger fired; stay reasons only on stay; next actions never empty', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        expect(d.outcome === 'escalate').toBe(d.triggers.length > 0);
        if (d.outcome === 'escalate') expect(d.stay_reasons).toEqual([]);
        expect(d.next_actions.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it('lists vocabulary values once each, in vocabulary order', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        expect(isOrderedSubset(TRIGGERS, d.triggers)).toBe(true);
        expect(isOrderedSubset(STAY_REASONS, d.stay_reasons)).toBe(true);
        expect(isOrderedSubset(FLAGS, d.flags)).toBe(true);
        expect(isOrderedSubset(NEXT_ACTIONS, d.next_actions)).toBe(true);
        expect(new Set(d.evidence).size).toBe(d.evidence.length);
      }),
      RUNS,
    );
  });

  it('decides the same without building the explanation (what stored triage records)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const full = evaluate(input, ruleset);
        const lean = evaluate(input, ruleset, { explain: false });
        expect(lean.explanation).toEqual([]);
        expect({ ...lean, explanation: full.explanation }).toEqual(full);
      }),
      RUNS,
    );
  });

  it('explains every trigger: a holding line for each fired one, a failing line for the rest', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        for (const t of TRIGGERS) {
          const line = d.explanation.find((l) => l.rule === t);
          expect(line?.holds).toBe(d.triggers.includes(t));
          expect(line?.facts.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('signals on other assets never change the decision', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const own = input.signals.filter((s) => s.asset === input.finding.asset);
        expect(triageFields(evaluate({ ...input, signals: own }, ruleset))).toEqual(triageFields(evaluate(input, ruleset)));
      }),
      RUNS,
    );
  });

  it('evidence names only signals on the finding\'s asset', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        const foreign = new Set(input.signals.filter((s) => s.asset !== input.finding.asset).map((s) => s.id));
        expect(d.evidence.filter((e) => foreign.has(e))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a compromise signal on the asset always escalates', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...ruleset.signals.confirmed_compromise), (input, kind) => {
        const signal = signalWithDefaults({ id: 'c', time: '2026-11-02T10:00:00Z', asset: input.finding.asset, kind });
        const d = evaluate({ ...input, signals: [...input.signals, signal] }, ruleset);
        expect(d.outcome).toBe('escalate');
        expect(d.triggers).toContain('confirmed_compromise');
        expect(d.evidence).toContain('c');
      }),
      RUNS,
    );
  });

  it('validate_urgently ⇔ unvalidated and dangerous_exposure would fire once validated', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        const asValidated = evaluate({ ...input, finding: { ...input.finding, validation: 'validated' }, advisories: [] }, ruleset);
        const expected = input.finding.validation === 'unvalidated' && asValidated.triggers.includes('dangerous_exposure');
        const vexMadeItNotAffected = d.explanation.find((l) => l.rule === 'applicability')?.holds === false;
        expect(d.flags.includes('validate_urgently')).toBe(expected && !vexMadeItNotAffected);
      }),
      RUNS,
    );
  });

  it('stay reasons say why: ruled_out and unreachable exactly when they apply, vendor_advisory_only only without local evidence', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        if (d.outcome !== 'stay') return;
        const f = input.finding;
        const ruledOut = d.explanation.find((l) => l.rule === 'applicability')?.holds === false;
        expect(d.stay_reasons.includes('ruled_out')).toBe(ruledOut);
        expect(d.stay_reasons.includes('unreachable')).toBe(f.reachability === 'unreachable');
        if (d.stay_reasons.includes('vendor_advisory_only')) {
          expect(ruledOut || f.validation !== 'unvalidated' || f.reachability !== 'unknown' || f.check === 'remote').toBe(false);
          expect(input.signals.some((x) => x.asset === f.asset)).toBe(false);
        }
        if (ruledOut) expect(d.evidence.includes('ruled_out_by:alice')).toBe(f.ruled_out_by === 'alice');
      }),
      RUNS,
    );
  });

  it('engine 1 and engine 2 differ only in stay reasons and their evidence, unless a remote check sets reachability', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const one = evaluate(input, ruleset, { engine: 1 });
        const two = evaluate(input, ruleset, { engine: 2 });
        if (input.finding.check === 'remote' && input.finding.reachability === 'unknown') return;
        const same = (d: Decision) => ({ outcome: d.outcome, triggers: d.triggers, flags: d.flags, next_actions: d.next_actions, ssvc: d.ssvc, evidence: d.evidence.filter((e) => !e.startsWith('ruled_out_by:')) });
        expect(same(two)).toEqual(same(one));
        expect(one.stay_reasons.filter((r) => r !== 'vendor_advisory_only')).toEqual(two.stay_reasons.filter((r) => r !== 'vendor_advisory_only' && r !== 'ruled_out' && r !== 'unreachable'));
      }),
      RUNS,
    );
  });

  it('is deterministic and independent of signal order', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = evaluate(input, ruleset);
        const b = evaluate({ ...input, signals: [...input.signals].reverse() }, ruleset);
        expect(b.triggers).toEqual(a.triggers);
        expect(b.outcome).toEqual(a.outcome);
        expect([...b.evidence].sort()).toEqual([...a.evidence].sort());
        expect(evaluate(input, ruleset)).toEqual(a);
      }),
      RUNS,
    );
  });

  it('every escalation yields a complete handoff note', () => {
    const now = new Date('2026-11-02T12:00:00Z');
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluate(input, ruleset);
        fc.pre(d.outcome === 'escalate');
        const { json, markdown } = buildHandoffNote({ decision: d, ...input, ruleset, now });
        expect(json.triggers).toEqual(d.triggers);
        expect(json.decision_needed.length).toBeGreaterThan(0);
        expect(Date.parse(json.requested_response.by)).toBeGreaterThan(now.getTime());
        expect(json.recommended_route).toHaveLength(4);
        expect(markdown).toContain('**Requested response time:**');
      }),
      RUNS,
    );
  });
});
