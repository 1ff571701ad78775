import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isClError } from '../../../src/errors.js';
import { runRuleCases } from '../../../src/domain/escalation/rule-cases.js';
import { loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import { STAY_REASONS, TRIGGERS } from '../../../src/domain/escalation/vocabulary.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const casesFile = path.join(repoRoot, 'rules', 'cases', 'default.yaml');
const ruleset = loadDefaultRuleset();

describe('rules/cases/default.yaml', () => {
  const run = runRuleCases(readFileSync(casesFile, 'utf8'), ruleset, 'rules/cases/default.yaml');

  it('passes every case with the default ruleset', () => {
    const failures = run.results.filter((r) => !r.ok).map((r) => ({ name: r.name, problems: r.problems }));
    expect(failures).toEqual([]);
    expect(run.failed).toBe(0);
    expect(run.passed).toBe(run.results.length);
  });

  it('has at least 30 cases', () => {
    expect(run.results.length).toBeGreaterThanOrEqual(30);
  });

  it('covers every trigger and the flag', () => {
    const triggers = new Set(run.results.flatMap((r) => r.expected?.triggers ?? []));
    const reasons = new Set(run.results.flatMap((r) => r.expected?.stay_reasons ?? []));
    const flags = new Set(run.results.flatMap((r) => r.expected?.flags ?? []));
    expect([...TRIGGERS].filter((t) => !triggers.has(t))).toEqual([]);
    expect([...STAY_REASONS].filter((s) => !reasons.has(s) && s !== 'ruled_out' && s !== 'unreachable')).toEqual([]);
    expect(flags.has('validate_urgently')).toBe(true);
  });
});

describe('rules/cases/rulings.yaml', () => {
  const file = path.join(repoRoot, 'rules', 'cases', 'rulings.yaml');
  const run = runRuleCases(readFileSync(file, 'utf8'), ruleset, 'rules/cases/rulings.yaml');

  it('passes every case with the default ruleset', () => {
    expect(run.results.filter((r) => !r.ok).map((r) => ({ name: r.name, problems: r.problems }))).toEqual([]);
    expect(run.passed).toBe(run.results.length);
  });

  it('has cases for each of the six engine rulings, named after them', () => {
    for (const n of [1, 2, 3, 4, 5, 6]) expect(run.results.filter((r) => r.name.startsWith(`ruling ${n}: `)).length).toBeGreaterThanOrEqual(3);
  });

  it('covers the ruled_out and unreachable stay reasons', () => {
    const reasons = new Set(run.results.flatMap((r) => r.expected?.stay_reasons ?? []));
    expect(reasons.has('ruled_out') && reasons.has('unreachable')).toBe(true);
  });

  it('fails a case whose evidence or explanation is not there', () => {
    const yaml = `
cases:
  - name: evidence missing
    finding: { validation: not_affected, ruled_out_by: alice }
    expect: { outcome: stay, evidence: ["ruled_out_by:bob"], explains: ["analyst bob"] }
`;
    const r = runRuleCases(yaml, ruleset);
    expect(r.failed).toBe(1);
    expect(r.results[0]?.problems).toEqual([
      'evidence: expected [ruled_out_by:bob] among [ruled_out_by:alice]',
      'explanation: no fact mentions "analyst bob"',
    ]);
  });
});

describe('runRuleCases', () => {
  it('reports a wrong expectation as a failed case with what differs', () => {
    const yaml = `
cases:
  - name: wrong on purpose
    signals: [{ kind: webshell }]
    expect: { outcome: stay, triggers: [] }
  - name: right
    signals: [{ kind: webshell }]
    expect: { outcome: escalate, triggers: [confirmed_compromise] }
`;
    const run = runRuleCases(yaml, ruleset);
    expect(run).toMatchObject({ passed: 1, failed: 1 });
    const [wrong] = run.results;
    expect(wrong?.ok).toBe(false);
    expect(wrong?.actual?.outcome).toBe('escalate');
    expect(wrong?.problems).toEqual([
      'outcome: expected stay, got escalate',
      'triggers: expected [], got [confirmed_compromise]',
    ]);
  });

  it('fails a malformed case on its own, naming the key', () => {
    const yaml = `
cases:
  - name: typo
    asset: { exposre: internet }
    expect: { outcome: stay }
  - name: bad enum
    finding: { validation: maybe }
    expect: { outcome: stay }
  - name: fine
    expect: { outcome: stay }
`;
    const run = runRuleCases(yaml, ruleset, 'x.yaml');
    expect(run.passed).toBe(1);
    expect(run.results[0]?.problems.join(' ')).toContain('x.yaml cases[0]: asset.exposre: unknown key');
    expect(run.results[1]?.problems.join(' ')).toContain('finding.validation');
  });

  it('fails duplicate case names', () => {
    const yaml = `
cases:
  - { name: same, expect: { outcome: stay } }
  - { name: same, expect: { outcome: stay } }
`;
    const run = runRuleCases(yaml, ruleset);
    expect(run.failed).toBe(1);
    expect(run.results[1]?.problems).toContain('duplicate case name "same"');
  });

  it('throws CL_BAD_INPUT for a file that is not a cases file', () => {
    for (const bad of ['cases: 3', 'nope: []', 'cases: [', '']) {
      let caught: unknown;
      try {
        runRuleCases(bad, ruleset, 'bad.yaml');
      } catch (err) {
        caught = err;
      }
      expect(isClError(caught) && caught.code === 'CL_BAD_INPUT').toBe(true);
      expect(String((caught as Error).message)).toContain('bad.yaml');
    }
  });
});
