import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findingFacts } from '../../src/domain/escalation/input-digest.js';
import type { FindingRecord } from '../../src/domain/records.js';
import { findingValues } from '../../src/store/bulk/columns.js';
import { findingFactsFromValues, findingFromRow, findingToRow } from '../../src/store/records.js';
import { findingRow } from '../../src/store/bulk/columns.js';
import { scenario } from '../domain/escalation/builders.js';

describe('findingFactsFromValues', () => {
  it('reads the same facts from row values as the whole record read back from the row', () => {
    const base = scenario({}).finding;
    const finding = fc.record({
      id: fc.string({ unit: 'binary' }),
      vulnerability: fc.string({ unit: 'binary' }),
      asset: fc.string({ unit: 'binary' }),
      component: fc.option(fc.string({ unit: 'binary' })),
      version: fc.option(fc.string({ unit: 'binary' })),
      validation: fc.constantFrom('unvalidated', 'validated', 'not_affected', 'false_positive'),
      reachability: fc.constantFrom('unknown', 'reachable', 'unreachable'),
      affected_version_known: fc.boolean(),
      vendor_scope_known: fc.boolean(),
      containment_needed: fc.oneof(fc.boolean(), fc.string({ unit: 'binary', minLength: 1 }).filter((s) => s !== 'true')),
      aliases: fc.array(fc.string({ unit: 'binary' })),
      title: fc.option(fc.string()),
      cwe: fc.array(fc.string()),
      extra: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(
      fc.property(finding, fc.option(fc.string()), (g, scanKey) => {
        const record = { ...base, ...g } as FindingRecord;
        const values = findingValues(findingToRow(record, { at: '2026-11-28T12:00:00Z', scanKey, importId: 'IMP-0001' }));
        const facts = findingFactsFromValues(values);
        expect(facts).toStrictEqual(findingFacts(findingFromRow(findingRow(values))));
        expect(facts).toStrictEqual(findingFacts(record));
      }),
    );
  });
});
