import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allocate, sampleIncidents } from '../../src/domain/sampling.js';

const population = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `INC-2026-${String(i + 1).padStart(4, '0')}`, stratum: ['low', 'moderate', 'high', 'critical'][i % 7 === 0 ? 3 : i % 3] as string }));

describe('sampling', () => {
  it('picks the same incidents for the same seed whatever the order, and the ones sha256 says', () => {
    const all = population(50);
    const a = sampleIncidents(all, 5, 'q3-2026');
    const b = sampleIncidents([...all].reverse(), 5, 'q3-2026');
    expect(a.picked.map((c) => c.id)).toEqual(b.picked.map((c) => c.id));
    const byHand = [...all].sort((x, y) => (createHash('sha256').update(`q3-2026:${x.id}`).digest('hex') < createHash('sha256').update(`q3-2026:${y.id}`).digest('hex') ? -1 : 1)).slice(0, 5);
    expect(a.picked.map((c) => c.id)).toEqual(byHand.map((c) => c.id));
    expect(sampleIncidents(all, 5, 'other').picked.map((c) => c.id)).not.toEqual(a.picked.map((c) => c.id));
  });

  it('stratifies in proportion, every stratum represented, never more than a stratum holds', () => {
    const all = population(70);
    const r = sampleIncidents(all, 10, 's', { stratify: true, strataOrder: ['low', 'moderate', 'high', 'critical'] });
    expect(r.picked).toHaveLength(10);
    expect(r.strata.map((s) => s.stratum)).toEqual(['low', 'moderate', 'high', 'critical']);
    for (const s of r.strata) expect(s.picked).toBeGreaterThanOrEqual(1);
    expect(r.strata.reduce((a, s) => a + s.population, 0)).toBe(70);
  });

  it('allocates exactly min(n, total) and respects stratum sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 100 }), (sizes, n) => {
        const out = allocate(sizes, n);
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(n, total));
        out.forEach((o, i) => expect(o).toBeLessThanOrEqual(sizes[i] as number));
      }),
    );
  });
});
