import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openVexParser } from '../../src/ingest/openvex.js';
import { corpusPath } from '../helpers/corpus.js';
import { assertRobust, bytes, collect, corpusSource, expectImportError, importError, recordsOf } from './ingest-helpers.js';

const files = ['advisories/openvex/go-vex', 'advisories/openvex/vexctl'].flatMap((dir) =>
  readdirSync(corpusPath(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${dir}/${f}`),
);

async function advisories(rel: string) {
  return recordsOf(await collect(openVexParser.parse(corpusSource(rel), { file: rel })), 'advisory');
}

const STATEMENT = {
  vulnerability: { name: 'CVE-2023-0001', aliases: ['GHSA-aaaa-bbbb-cccc'] },
  products: [{ '@id': 'pkg:oci/app@sha256%3Aabc', subcomponents: [{ '@id': 'pkg:golang/x/net@0.1.0' }] }],
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  impact_statement: 'The vulnerable handler is never registered.',
};
const docOf = (statements: unknown[], over: Record<string, unknown> = {}): string =>
  JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://ex.example/vex/1', author: 'Ex', timestamp: '2024-01-01T00:00:00Z', version: 1, statements, ...over });

describe('OpenVEX parser', () => {
  it('parses every corpus file, including the lenient ones', async () => {
    expect(files).toHaveLength(13);
    const counts: Record<string, number> = {};
    for (const rel of files) {
      const adv = await advisories(rel);
      counts[rel.split('/').slice(-1)[0] ?? rel] = adv.length;
      for (const a of adv) {
        expect(a.vulnerability).not.toBe('');
        expect(a.source).toMatch(/^openvex:/);
      }
    }
    expect(counts).toMatchObject({
      'v0.0.1.json': 2,
      'v001-1.vex.json': 1,
      'v020-1.vex.json': 1,
      'v020-2.vex.json': 1,
      'images.vex.json': 4,
      'sample-2vulns.openvex.json': 2,
    });
  });

  it('legacy v0.0.1: string vulnerability and string products', async () => {
    expect(await advisories('advisories/openvex/go-vex/v0.0.1.json')).toEqual([
      { vulnerability: 'CVE-2023-12345', product: 'pkg:apk/wolfi/git@2.39.0-r1?arch=armv7', status: 'fixed', justification: null, statement: null, source: 'openvex:https://openvex.dev/docs/example/vex-9fb3463de1b57' },
      { vulnerability: 'CVE-2023-12345', product: 'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64', status: 'fixed', justification: null, statement: null, source: 'openvex:https://openvex.dev/docs/example/vex-9fb3463de1b57' },
    ]);
    const images = await advisories('advisories/openvex/vexctl/images.vex.json');
    expect(images.map((a) => a.product)).toContain('nginx');
    expect(images.every((a) => a.status === 'under_investigation' && a.statement === null)).toBe(true);
  });

  it('not_affected keeps justification; the free-text statement property is kept', async () => {
    expect(await advisories('advisories/openvex/vexctl/oci-vexctl.openvex.json')).toEqual([
      {
        vulnerability: 'CVE-2014-12345678',
        product: 'pkg:oci/vexctl',
        status: 'not_affected',
        justification: 'vulnerable_code_not_present',
        statement: null,
        source: 'openvex:https://openvex.dev/docs/public/vex-4d0ddb41ceda9b98b3fb2d17c5a1b8e264a0c1aca03c726cf0486f7e602f65d2',
      },
    ]);
    const [na, fixed] = await advisories('advisories/openvex/vexctl/sample-2vulns.openvex.json');
    expect(na).toMatchObject({ status: 'not_affected', justification: 'component_not_present', statement: 'This is a sample OpenVEX file, it is not a real security assessment.' });
    expect(fixed).toMatchObject({ vulnerability: 'CVE-2007-5686', status: 'fixed', justification: null });
  });

  it('v0.2.0 objects: impact_statement, identifiers, action_statement, no products, @id after statements', async () => {
    const text = JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [
        STATEMENT,
        { vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2023-0002' }, products: [{ identifiers: { purl: 'pkg:npm/a@1.0.0' } }], status: 'affected', action_statement: 'Upgrade a to 1.0.1.' },
        { vulnerability: { name: 'CVE-2023-0003' }, status: 'under_investigation', justification: 'ignored' },
      ],
      '@id': 'https://ex.example/vex/late-id',
    });
    const items = await collect(openVexParser.parse(bytes(text, 7), { file: 'v.json' }));
    expect(recordsOf(items, 'advisory')).toEqual([
      { vulnerability: 'CVE-2023-0001', product: 'pkg:oci/app@sha256%3Aabc', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'The vulnerable handler is never registered.', source: 'openvex:https://ex.example/vex/late-id' },
      { vulnerability: 'https://nvd.nist.gov/vuln/detail/CVE-2023-0002', product: 'pkg:npm/a@1.0.0', status: 'affected', justification: null, statement: 'Upgrade a to 1.0.1.', source: 'openvex:https://ex.example/vex/late-id' },
      { vulnerability: 'CVE-2023-0003', product: null, status: 'under_investigation', justification: null, statement: null, source: 'openvex:https://ex.example/vex/late-id' },
    ]);
  });

  describe('bad input names file, record and field', () => {
    it('each required field missing', async () => {
      await expectImportError(openVexParser, docOf([STATEMENT, { ...STATEMENT, vulnerability: undefined }]), { record: 'statements[1]', field: 'vulnerability', message: /missing/ });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, vulnerability: { aliases: ['x'] } }]), { record: 'statements[0]', field: 'vulnerability.name' });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, status: undefined }]), { record: 'statements[0]', field: 'status', message: /missing/ });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, products: [{ subcomponents: [] }] }]), { record: 'statements[0]', field: 'products[0].@id' });
      await expectImportError(openVexParser, JSON.stringify({ author: 'x' }), { record: null, field: 'statements', message: /not an OpenVEX document/ });
    });

    it('wrong types and vocabularies', async () => {
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, status: 'patched' }]), {
        record: 'statements[0]',
        field: 'status',
        message: /not_affected, affected, fixed, under_investigation/,
      });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, vulnerability: 42 }]), { record: 'statements[0]', field: 'vulnerability' });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, products: 'pkg:npm/a@1' }]), { record: 'statements[0]', field: 'products' });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, products: [7] }]), { record: 'statements[0]', field: 'products[0]' });
      await expectImportError(openVexParser, docOf([{ ...STATEMENT, justification: ['x'] }]), { record: 'statements[0]', field: 'justification' });
      await expectImportError(openVexParser, docOf([null]), { record: 'statements[0]', field: 'status' });
      await expectImportError(openVexParser, docOf([], { statements: { a: STATEMENT } }), { record: null, field: 'statements' });
      await expectImportError(openVexParser, docOf([STATEMENT], { '@context': 'https://cyclonedx.org' }), { record: null, field: '@context' });
    });

    it('malformed and truncated JSON', async () => {
      const text = docOf([STATEMENT, STATEMENT]);
      const err = await importError(openVexParser, text.slice(0, -40), 'v.json');
      expect(err.message).toMatch(/^file v\.json, record byte \d+ \(line 1, column \d+\).*truncated/);
      const trailing = await importError(openVexParser, `${text} {}`, 'v.json');
      expect(trailing.message).toMatch(/after the end of the JSON document/);
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(openVexParser, [
      docOf([STATEMENT, { vulnerability: 'CVE-1', products: ['pkg:npm/a@1'], status: 'fixed' }]),
      JSON.stringify({ '@context': 'https://openvex.dev/ns', '@id': 'x', statements: [{ vulnerability: 'CVE-1', products: ['p'], status: 'under_investigation' }] }),
    ]);
  });
});
