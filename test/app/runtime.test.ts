/**
 * Runtime tuning: the environment knobs are read strictly (a typo falls back to the default rather
 * than to something V8 would misread). The effect of the heap-growth flag is measured by the
 * benchmark (docs/benchmarks.md), not here.
 */
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, envInt, heapGrowingPercent } from '../../src/runtime.js';

describe('envInt', () => {
  it('takes whole numbers within range and falls back otherwise', () => {
    const env = { A: '25', B: ' 7 ', C: '-1', D: '3.5', E: 'lots', F: '', G: '5000' };
    expect(envInt(env, 'A', 50, 0, 1000)).toBe(25);
    expect(envInt(env, 'B', 50, 0, 1000)).toBe(7);
    for (const name of ['C', 'D', 'E', 'F', 'G', 'MISSING']) expect(envInt(env, name, 50, 0, 1000)).toBe(50);
  });
});

describe('heapGrowingPercent', () => {
  it("is the workload's own unless the environment sets one, which then holds for every workload", () => {
    expect(heapGrowingPercent('default', {})).toBe(25);
    expect(heapGrowingPercent('stored-triage', {})).toBe(50);
    expect(HEAP_GROWING_PERCENT['stored-triage']).toBeGreaterThan(HEAP_GROWING_PERCENT.default);
    for (const workload of ['default', 'stored-triage'] as const) {
      expect(heapGrowingPercent(workload, { CLOSELOOP_HEAP_GROWING_PERCENT: '40' })).toBe(40);
      expect(heapGrowingPercent(workload, { CLOSELOOP_HEAP_GROWING_PERCENT: '0' })).toBe(0);
      expect(heapGrowingPercent(workload, { CLOSELOOP_HEAP_GROWING_PERCENT: 'fast' })).toBe(HEAP_GROWING_PERCENT[workload]);
    }
  });
});
