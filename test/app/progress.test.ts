import { describe, expect, it } from 'vitest';
import { throttled, type Progress } from '../../src/app/progress.js';

describe('throttled progress', () => {
  it('reports at most once per interval, with the count and the seconds since the start', () => {
    let clock = 1000;
    const seen: Progress[] = [];
    const tick = throttled((p) => seen.push(p), { intervalMs: 1000, now: () => clock });
    tick(10); // at the start: nothing yet
    clock += 400;
    tick(20);
    clock += 700; // 1.1 s since the start
    tick(30);
    clock += 999;
    tick(40);
    clock += 1;
    tick(50);
    expect(seen).toEqual([
      { done: 30, seconds: 1.1 },
      { done: 50, seconds: 2.1 },
    ]);
  });

  it('says what it counts when it counts a later stage of the run', () => {
    let clock = 0;
    const seen: Progress[] = [];
    const tick = throttled((p) => seen.push(p), { intervalMs: 500, now: () => clock, counting: 'escalations handed to IR' });
    clock += 500;
    tick(500);
    expect(seen).toEqual([{ done: 500, seconds: 0.5, counting: 'escalations handed to IR' }]);
  });

  it('does nothing without a reporter', () => {
    expect(() => throttled(undefined)(5)).not.toThrow();
  });
});
