import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/domain/escalation/engine.js';
import { loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import {
  CISA_COORDINATOR_TABLE,
  computeSsvc,
  parseCvssVector,
  ssvcOutcome,
} from '../../../src/domain/escalation/ssvc.js';
import type { SsvcPoints } from '../../../src/domain/escalation/ssvc.js';
import type { SsvcOutcome } from '../../../src/domain/escalation/vocabulary.js';
import { CVE, KEV, scenario } from './builders.js';
import type { Scenario } from './builders.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'ssvc');
const ruleset = loadDefaultRuleset();

const OUTCOME_BY_NAME: Record<string, SsvcOutcome> = { track: 'Track', 'track*': 'Track*', attend: 'Attend', act: 'Act' };
const EXPLOITATION_BY_NAME: Record<string, SsvcPoints['exploitation']> = { none: 'none', 'public poc': 'poc', active: 'active' };

function pick<T>(map: Record<string, T>, key: string | undefined): T {
  const value = key === undefined ? undefined : map[key.toLowerCase()];
  if (value === undefined) throw new Error(`unexpected corpus value ${String(key)}`);
  return value;
}

/** Every row of the published CSV: row, Exploitation, Automatable, Technical Impact, MWI, CISA Levels. */
function csvRows(): Array<[string, SsvcPoints, SsvcOutcome]> {
  const text = readFileSync(path.join(corpus, 'csv', 'cisa', 'cisa_coordinator_2_0_3.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  expect(header).toBe(
    'row,Exploitation v1.1.0,Automatable v2.0.0,Technical Impact v1.0.0,Mission and Well-Being Impact v1.0.0,CISA Levels v1.1.0 (cisa)',
  );
  return lines.map((line) => {
    const [row, e, a, ti, mwi, outcome] = line.split(',');
    const points: SsvcPoints = {
      exploitation: pick(EXPLOITATION_BY_NAME, e),
      automatable: pick({ no: 'no', yes: 'yes' } as const, a),
      technical_impact: pick({ partial: 'partial', total: 'total' } as const, ti),
      mission_wellbeing: pick({ low: 'low', medium: 'medium', high: 'high' } as const, mwi),
    };
    return [`row ${row ?? '?'}`, points, pick(OUTCOME_BY_NAME, outcome)];
  });
}

interface JsonTable {
  key: string;
  version: string;
  outcome: string;
  decision_points: Record<string, { values: Array<{ key: string; name: string }> }>;
  mapping: Array<Record<string, string>>;
}

/** Every mapping of the published JSON decision table, decoded through its own value names. */
function jsonRows(): Array<[string, SsvcPoints, SsvcOutcome]> {
  const table = JSON.parse(
    readFileSync(path.join(corpus, 'json', 'decision_tables', 'cisa', 'cisa_coordinator_2_0_3.json'), 'utf8'),
  ) as JsonTable;
  expect(table).toMatchObject({ key: 'DT_CO', version: '2.0.3', outcome: 'cisa:CISA:1.1.0' });
  const name = (point: string, key: string | undefined): string => {
    const found = table.decision_points[point]?.values.find((v) => v.key === key);
    if (found === undefined) throw new Error(`no value ${String(key)} in ${point}`);
    return found.name.toLowerCase();
  };
  return table.mapping.map((m, i) => {
    const points: SsvcPoints = {
      exploitation: pick(EXPLOITATION_BY_NAME, name('ssvc:E:1.1.0', m['ssvc:E:1.1.0'])),
      automatable: pick({ no: 'no', yes: 'yes' } as const, name('ssvc:A:2.0.0', m['ssvc:A:2.0.0'])),
      technical_impact: pick({ partial: 'partial', total: 'total' } as const, name('ssvc:TI:1.0.0', m['ssvc:TI:1.0.0'])),
      mission_wellbeing: pick({ low: 'low', medium: 'medium', high: 'high' } as const, name('ssvc:MWI:1.0.0', m['ssvc:MWI:1.0.0'])),
    };
    return [`mapping ${i}`, points, pick(OUTCOME_BY_NAME, name('cisa:CISA:1.1.0', m['cisa:CISA:1.1.0']))];
  });
}

describe('CISA coordinator table against the published corpus', () => {
  const csv = csvRows();
  const json = jsonRows();

  it('has all 36 rows in both published forms and in the encoding', () => {
    expect(csv).toHaveLength(36);
    expect(json).toHaveLength(36);
    expect(Object.keys(CISA_COORDINATOR_TABLE)).toHaveLength(36);
  });

  it.each(csv)('CSV %s: %j → %s', (_row, points, outcome) => {
    expect(ssvcOutcome(points)).toBe(outcome);
  });

  it.each(json)('JSON %s: %j → %s', (_row, points, outcome) => {
    expect(ssvcOutcome(points)).toBe(outcome);
  });
});

describe('closeloop facts → SSVC decision points', () => {
  const AV_N = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  type Row = [string, Scenario, Partial<SsvcPoints>];
  const rows: Row[] = [
    ['KEV → active', { vulnerability: KEV }, { exploitation: 'active' }],
    ['exploitation active → active', { vulnerability: { exploitation: 'active' } }, { exploitation: 'active' }],
    ['public PoC → poc', { vulnerability: { public_poc: true } }, { exploitation: 'poc' }],
    ['exploitation poc → poc', { vulnerability: { exploitation: 'poc' } }, { exploitation: 'poc' }],
    ['nothing → none', {}, { exploitation: 'none' }],
    ['observed exploitation on the asset → active', { signals: [{ kind: 'exploit_attempt', vulnerability: CVE }] }, { exploitation: 'active' }],
    ['AV:N/PR:N/UI:N → automatable', { vulnerability: { cvss: { base_score: 9.8, vector: AV_N } } }, { automatable: 'yes', technical_impact: 'total' }],
    ['UI:R → not automatable', { vulnerability: { cvss: { base_score: 8.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' } } }, { automatable: 'no' }],
    ['PR:L → not automatable', { vulnerability: { cvss: { base_score: 8.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' } } }, { automatable: 'no' }],
    ['AV:L → not automatable', { vulnerability: { cvss: { base_score: 7.8, vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } } }, { automatable: 'no' }],
    ['CVSS 4 AV:N/AT:N/PR:N/UI:N → automatable, VC/VI high → total', { vulnerability: { cvss: { base_score: 9.3, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' } } }, { automatable: 'yes', technical_impact: 'total' }],
    ['CVSS 4 AT:P → not automatable', { vulnerability: { cvss: { base_score: 8.1, vector: 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N' } } }, { automatable: 'no', technical_impact: 'partial' }],
    ['CVSS 2 AV:N/Au:N, C:C/I:C → automatable, total', { vulnerability: { cvss: { version: '2.0', base_score: 10, vector: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' } } }, { automatable: 'yes', technical_impact: 'total' }],
    ['C:H only → partial', { vulnerability: { cvss: { base_score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' } } }, { technical_impact: 'partial' }],
    ['C:H only on a privileged asset → total', { asset: { privileged: true }, vulnerability: { cvss: { base_score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' } } }, { technical_impact: 'total' }],
    ['no vector, score 9.8 → total, not automatable', { vulnerability: { cvss: { base_score: 9.8 } } }, { technical_impact: 'total', automatable: 'no' }],
    ['no vector, score 8 → partial', { vulnerability: { cvss: { base_score: 8 } } }, { technical_impact: 'partial' }],
    ['business-critical → high', { asset: { business_critical: true } }, { mission_wellbeing: 'high' }],
    ['safety → high', { asset: { safety: true } }, { mission_wellbeing: 'high' }],
    ['regulated → medium', { asset: { regulated: ['pii'] } }, { mission_wellbeing: 'medium' }],
    ['customer-facing → medium', { asset: { customer_facing: true } }, { mission_wellbeing: 'medium' }],
    ['plain asset → low', {}, { mission_wellbeing: 'low' }],
    ['asset unknown → ruleset default (medium)', { asset: null }, { mission_wellbeing: 'medium' }],
  ];
  it.each(rows)('%s', (_name, s, expected) => {
    const input = scenario(s);
    const d = evaluate(input, ruleset);
    const observed = d.triggers.includes('observed_exploitation');
    const r = computeSsvc({ vulnerability: input.vulnerability, asset: input.asset, observedExploitation: observed }, ruleset);
    expect(r.points).toMatchObject(expected);
    expect(d.ssvc).toBe(r.outcome);
    expect(r.facts).toHaveLength(5);
    // without the explanation: the same points and outcome, no fact lines
    const quiet = computeSsvc({ vulnerability: input.vulnerability, asset: input.asset, observedExploitation: observed }, ruleset, { explain: false });
    expect(quiet).toEqual({ points: r.points, outcome: r.outcome, facts: [] });
  });

  it('Act for a KEV, automatable, total-impact vulnerability on a business-critical asset', () => {
    const d = evaluate(
      scenario({ asset: { business_critical: true }, vulnerability: { ...KEV, cvss: { base_score: 10, vector: AV_N } } }),
      ruleset,
    );
    expect(d.ssvc).toBe('Act');
  });

  it('parses vectors with or without the CVSS prefix', () => {
    expect(Object.fromEntries(parseCvssVector('CVSS:3.1/AV:N/PR:N'))).toEqual({ AV: 'N', PR: 'N' });
    expect(Object.fromEntries(parseCvssVector('(AV:N/Au:N)'))).toEqual({ AV: 'N', AU: 'N' });
  });
});
