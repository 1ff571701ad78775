import { describe, expect, it } from 'vitest';
import {
  assetsCsvParser,
  assetsJsonParser,
  assetsNdjsonParser,
  assetsParser,
  detectAssetFormat,
  parseComponentList,
} from '../../src/ingest/assets.js';
import { assertRobust, bytes, collect, expectImportError, importError, recordsOf } from './ingest-helpers.js';

const FULL = {
  id: 'web-01',
  name: 'Public web',
  service: 'shop',
  owner: 'team-web',
  business_critical: true,
  exposure: 'internet',
  auth_required: false,
  privileged: true,
  regulated: ['pii', 'pci'],
  customer_facing: true,
  safety: false,
  third_party: 'acme',
  telemetry: false,
  components: [{ product: 'nginx', version: '1.25.3' }, { product: 'openssl' }],
  rack: 'B7',
};

const CSV = [
  'id,name,owner,business_critical,exposure,auth_required,privileged,regulated,customer_facing,safety,third_party,telemetry,components,rack',
  'web-01,Public web,team-web,yes,internet,0,TRUE,pii;pci,1,no,acme,false,nginx@1.25.3;@angular/core@15.0.0;openssl,B7',
  '',
  'db-01,"Database, primary",,,,,,,,,,,,',
].join('\n');

describe('assets parsers', () => {
  it('reads every field of a JSON array and keeps unknown fields in extra', async () => {
    const items = await collect(assetsJsonParser.parse(bytes(JSON.stringify([FULL, { id: 'bare' }]), 7), { file: 'a.json' }));
    const assets = recordsOf(items, 'asset');
    expect(assets).toHaveLength(2);
    expect(assets[0]).toEqual({
      id: 'web-01',
      name: 'Public web',
      service: 'shop',
      owner: 'team-web',
      business_critical: true,
      exposure: 'internet',
      auth_required: false,
      privileged: true,
      regulated: ['pii', 'pci'],
      customer_facing: true,
      safety: false,
      third_party: 'acme',
      telemetry: false,
      components: [
        { product: 'nginx', version: '1.25.3' },
        { product: 'openssl', version: null },
      ],
      extra: { rack: 'B7' },
    });
  });

  it('applies the FORMATS.md defaults', async () => {
    const items = await collect(assetsNdjsonParser.parse(bytes('{"id":"bare","owner":""}\n\n{"id":"n","owner":null}\n'), { file: 'a.ndjson' }));
    const [a, b] = recordsOf(items, 'asset');
    expect(a).toEqual({
      id: 'bare',
      name: null,
      service: null,
      owner: null,
      business_critical: false,
      exposure: 'internal',
      auth_required: true,
      privileged: false,
      regulated: [],
      customer_facing: false,
      safety: false,
      third_party: null,
      telemetry: true,
      components: [],
      extra: {},
    });
    expect(b?.owner).toBeNull();
  });

  it('reads CSV: boolean words, ;-separated regulated and product@version components', async () => {
    const items = await collect(assetsCsvParser.parse(bytes(CSV, 5), { file: 'a.csv' }));
    const [web, db] = recordsOf(items, 'asset');
    expect(web).toMatchObject({
      id: 'web-01',
      business_critical: true,
      exposure: 'internet',
      auth_required: false,
      privileged: true,
      regulated: ['pii', 'pci'],
      customer_facing: true,
      safety: false,
      telemetry: false,
      third_party: 'acme',
      components: [
        { product: 'nginx', version: '1.25.3' },
        { product: '@angular/core', version: '15.0.0' },
        { product: 'openssl', version: null },
      ],
      extra: { rack: 'B7' },
    });
    expect(db).toMatchObject({
      id: 'db-01',
      name: 'Database, primary',
      owner: null,
      exposure: 'internal',
      auth_required: true,
      telemetry: true,
      regulated: [],
      components: [],
    });
  });

  it('keeps a field named __proto__ as data, never as a prototype', async () => {
    const items = await collect(assetsNdjsonParser.parse(bytes('{"id":"a","__proto__":{"polluted":true}}\n'), { file: 'a.ndjson' }));
    const [a] = recordsOf(items, 'asset');
    expect(Object.getPrototypeOf(a?.extra)).toBe(Object.prototype);
    expect(Object.keys(a?.extra ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses component lists', () => {
    expect(parseComponentList(' a@1 ; ;b; @s/c@2@rc1')).toEqual([
      { product: 'a', version: '1' },
      { product: 'b', version: null },
      { product: '@s/c@2', version: 'rc1' },
    ]);
  });

  it('detects the layout from content, then file name', async () => {
    expect(detectAssetFormat(Buffer.from('  [{"id":1}]'), 'x.csv')).toBe('assets-json');
    expect(detectAssetFormat(Buffer.from('\uFEFF{"id":"a"}\n'), 'x.json')).toBe('assets-ndjson');
    expect(detectAssetFormat(Buffer.from('id,name\n'), 'x.txt')).toBe('assets-csv');
    expect(detectAssetFormat(Buffer.alloc(0), 'x.jsonl')).toBe('assets-ndjson');
    expect(detectAssetFormat(Buffer.alloc(0), 'x.json')).toBe('assets-json');
    for (const [text, name] of [
      [JSON.stringify([FULL]), 'a.json'],
      [JSON.stringify(FULL), 'a.ndjson'],
      [CSV, 'a.csv'],
    ] as const) {
      const items = await collect(assetsParser.parse(bytes(text, 3), { file: name }));
      expect(recordsOf(items, 'asset')[0]?.id).toBe('web-01');
    }
  });

  describe('bad input names file, record and field', () => {
    it('missing id in each layout', async () => {
      await expectImportError(assetsJsonParser, '[{"id":"a"},{"name":"x"}]', { record: 1, field: 'id', message: /missing/ });
      await expectImportError(assetsNdjsonParser, '{"id":"a"}\n\n{"name":"x"}\n', { record: 3, field: 'id' });
      await expectImportError(assetsCsvParser, 'id,name\na,b\n,c\n', { record: 3, field: 'id' });
      await expectImportError(assetsCsvParser, 'name\nc\n', { record: 2, field: 'id' });
    });

    it('wrong types', async () => {
      await expectImportError(assetsJsonParser, '[{"id":7}]', { record: 0, field: 'id', message: /expected a string/ });
      await expectImportError(assetsJsonParser, '[{"id":"a","business_critical":"yes"}]', {
        record: 0,
        field: 'business_critical',
        message: /expected a boolean/,
      });
      await expectImportError(assetsJsonParser, '[{"id":"a","regulated":"pii"}]', { record: 0, field: 'regulated' });
      await expectImportError(assetsJsonParser, '[{"id":"a","regulated":["pii",3]}]', { record: 0, field: 'regulated[1]' });
      await expectImportError(assetsJsonParser, '[{"id":"a","components":{"a":1}}]', { record: 0, field: 'components' });
      await expectImportError(assetsJsonParser, '[{"id":"a","components":["nginx@1"]}]', { record: 0, field: 'components[0]' });
      await expectImportError(assetsJsonParser, '[{"id":"a","components":[{"version":"1"}]}]', {
        record: 0,
        field: 'components[0].product',
      });
      await expectImportError(assetsJsonParser, '[{"id":"a","owner":["x"]}]', { record: 0, field: 'owner' });
      await expectImportError(assetsJsonParser, '[1]', { record: 0, field: null, message: /JSON object/ });
      await expectImportError(assetsCsvParser, 'id,telemetry\na,maybe\n', { record: 2, field: 'telemetry', message: /true\/false\/1\/0\/yes\/no/ });
    });

    it('bad vocabularies', async () => {
      await expectImportError(assetsJsonParser, '[{"id":"a","exposure":"public"}]', {
        record: 0,
        field: 'exposure',
        message: /internet, internal, isolated/,
      });
      await expectImportError(assetsCsvParser, 'id,exposure\na,dmz\n', { record: 2, field: 'exposure' });
    });

    it('malformed and truncated input', async () => {
      await expectImportError(assetsJsonParser, '{"id":"a"}', { record: null, field: null, message: /JSON array/ });
      const truncated = await importError(assetsJsonParser, '[{"id":"a"},{"id":"b"', 'a.json');
      expect(truncated.message).toMatch(/file a\.json, record byte \d+ .*truncated/);
      const broken = await importError(assetsJsonParser, '[{"id":"a"} {"id":"b"}]', 'a.json');
      expect(broken.record).toMatch(/^byte 12 /);
      await expectImportError(assetsNdjsonParser, '{"id":"a"}\n{"id":\n', { record: 2, field: null, message: /invalid JSON/ });
      await expectImportError(assetsCsvParser, 'id,name\na,b\nc,d,e\n', { record: 3, field: null, message: /malformed CSV/ });
      await expectImportError(assetsCsvParser, 'id,name\na,"b\n', { record: 2, field: null, message: /malformed CSV/ });
    });
  });

  it('streams CSV and JSON: the first asset arrives long before the source is exhausted', async () => {
    for (const [parser, head, row, sep, tail] of [
      [assetsCsvParser, 'id,exposure,components\n', (i: number) => `h${i},internet,nginx@1.${i}\n`, '', ''],
      [assetsJsonParser, '[', (i: number) => JSON.stringify({ id: `h${i}`, exposure: 'internet' }), ',', ']'],
    ] as const) {
      let produced = 0;
      async function* source(): AsyncGenerator<string> {
        yield head;
        for (let i = 0; i < 50_000; i += 500) {
          const rows: string[] = [];
          for (let j = i; j < i + 500; j++) rows.push(row(j));
          produced += 500;
          yield (i === 0 ? '' : sep) + rows.join(sep);
        }
        yield tail;
      }
      const gen = parser.parse(source(), { file: 'big' });
      const first = await gen.next();
      expect(first.done).toBe(false);
      expect(produced).toBeLessThan(50_000);
      let count = 1;
      for await (const item of gen) if (item.kind === 'asset') count++;
      expect(count).toBe(50_000);
    }
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(assetsParser, [JSON.stringify([FULL, { id: 'b' }]), `${JSON.stringify(FULL)}\n{"id":"x"}\n`, CSV]);
    await assertRobust(assetsCsvParser, [CSV], 50);
  });
});
