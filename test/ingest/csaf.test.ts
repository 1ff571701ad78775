import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csafParser } from '../../src/ingest/csaf.js';
import { corpusPath } from '../helpers/corpus.js';
import { assertRobust, bytes, collect, corpusSource, expectImportError, importError, recordsOf } from './ingest-helpers.js';

const files = ['advisories/csaf/examples', 'advisories/csaf/vex'].flatMap((dir) =>
  readdirSync(corpusPath(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${dir}/${f}`),
);

async function parse(rel: string) {
  return collect(csafParser.parse(corpusSource(rel), { file: rel }));
}

/** A small CSAF VEX document with overrides. */
function doc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    document: { category: 'csaf_vex', csaf_version: '2.0', title: 'T', tracking: { id: 'EX-1' } },
    product_tree: {
      branches: [
        {
          category: 'vendor',
          name: 'Ex',
          branches: [
            { category: 'product_version', name: '1.0', product: { product_id: 'P1', name: 'Ex App 1.0', product_identification_helper: { purl: 'pkg:npm/ex-app@1.0.0' } } },
            { category: 'product_version', name: '2.0', product: { product_id: 'P2', name: 'Ex App 2.0', product_identification_helper: { cpe: 'cpe:2.3:a:ex:app:2.0:*:*:*:*:*:*:*' } } },
          ],
        },
      ],
      full_product_names: [{ product_id: 'P3', name: 'Ex Lib 3' }],
      product_groups: [{ group_id: 'G1', product_ids: ['P1', 'P3'] }],
    },
    vulnerabilities: [
      {
        cve: 'CVE-2099-0001',
        title: 'Example flaw',
        product_status: { known_not_affected: ['P1', 'P3'], known_affected: ['P2'], recommended: ['P2'] },
        flags: [{ label: 'vulnerable_code_not_in_execute_path', group_ids: ['G1'] }],
        threats: [{ category: 'impact', details: 'Not reachable.', group_ids: ['G1'] }],
        remediations: [{ category: 'vendor_fix', details: 'Upgrade to 2.1.', product_ids: ['P2'] }],
        scores: [
          { products: ['P2'], cvss_v3: { version: '3.1', baseScore: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' } },
          { products: ['P1'], cvss_v3: { version: '3.1', baseScore: 9.1, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N' } },
        ],
        references: [{ url: 'https://ex.example/adv/1', summary: 'advisory' }],
      },
    ],
    ...over,
  };
}

describe('CSAF parser', () => {
  it('parses all 19 corpus documents', async () => {
    expect(files).toHaveLength(19);
    for (const rel of files) {
      const items = await parse(rel);
      const vulns = recordsOf(items, 'vulnerability');
      for (const v of vulns) expect(v.vendor_advisory).toBe(true);
      for (const a of recordsOf(items, 'advisory')) {
        expect(vulns.map((v) => v.id)).toContain(a.vulnerability);
        expect(a.source).toMatch(/^csaf:/);
      }
    }
  });

  it('informational advisory without vulnerabilities gives nothing', async () => {
    expect(await parse('advisories/csaf/examples/rhsa-2019_1862.json')).toEqual([]);
  });

  it('sec-vex-2022-0001: not_affected keeps the flag label and impact statement', async () => {
    const items = await parse('advisories/csaf/vex/sec-vex-2022-0001.json');
    expect(recordsOf(items, 'vulnerability').map((v) => v.id)).toEqual(['CVE-2021-44228', 'CVE-2021-45046', 'CVE-2021-45105']);
    expect(recordsOf(items, 'advisory')[0]).toEqual({
      vulnerability: 'CVE-2021-44228',
      product: 'Secvisogram <=1.14.0',
      status: 'not_affected',
      justification: 'component_not_present',
      statement: 'Secvisogram is written in JavaScript. No Java is included.',
      source: 'csaf:SEC-VEX-2022-0001',
    });
  });

  it('2022-evd-uc-07: every status, products by name, cvss and fix', async () => {
    const items = await parse('advisories/csaf/vex/2022-evd-uc-07-001.json');
    const [v] = recordsOf(items, 'vulnerability');
    expect(v).toMatchObject({
      id: 'CVE-2021-44228',
      cvss: { version: '3.1', base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
      fix_available: true,
      exploitation: 'none',
      references: ['https://nvd.nist.gov/vuln/detail/CVE-2021-44228'],
    });
    const adv = recordsOf(items, 'advisory');
    const byProduct = new Map(adv.map((a) => [a.product, a]));
    expect(adv).toHaveLength(10);
    expect(byProduct.get('Example Company JKL 5.1')?.status).toBe('fixed');
    expect(byProduct.get('Example Company ABC 2.4')?.status).toBe('affected');
    expect(byProduct.get('Example Company JKL >=1.0|<=4.4')).toMatchObject({
      status: 'not_affected',
      statement: 'Log4j was not included in those versions at all.',
    });
    expect(byProduct.get('Example Company ABC 4.2')).toMatchObject({
      status: 'not_affected',
      statement: 'Class with vulnerable code was removed before shipping.',
    });
  });

  it('bsi-2022-0001: CPE identifiers, fixed and first_fixed deduplicated, remediation statement', async () => {
    const items = await parse('advisories/csaf/examples/bsi-2022-0001.json');
    const adv = recordsOf(items, 'advisory');
    expect(adv.filter((a) => a.status === 'fixed')).toEqual([
      expect.objectContaining({ product: 'cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2' }),
    ]);
    expect(adv.filter((a) => a.status === 'affected')).toHaveLength(5);
    expect(recordsOf(items, 'vulnerability')[0]).toMatchObject({ id: 'CVE-2022-27193', cvss: { base_score: 6.1 }, extra: { csaf: { cwe: 'CWE-611' } } });
  });

  it('rhsa-2021_5186: relationship products; a document-wide impact threat is not a not_affected statement', async () => {
    const items = await parse('advisories/csaf/examples/rhsa-2021_5186.json');
    const na = recordsOf(items, 'advisory').filter((a) => a.status === 'not_affected');
    expect(na).toHaveLength(4);
    expect(na[0]?.product).toMatch(/^openshift4\/ose-metering-ansible-operator-bundle:.* as a component of Red Hat OpenShift Container Platform 4\.6$/);
    expect(na.every((a) => a.statement === null && a.justification === null)).toBe(true);
    expect(recordsOf(items, 'vulnerability')[0]?.references).toContain('https://access.redhat.com/errata/RHSA-2021:5186');
  });

  it('cisco-sa-20180328-smi2: a non-csaf_ category still parses; 259 affected products', async () => {
    const items = await parse('advisories/csaf/examples/cisco-sa-20180328-smi2.json');
    expect(recordsOf(items, 'advisory').filter((a) => a.status === 'affected')).toHaveLength(259);
    expect(recordsOf(items, 'vulnerability')[0]).toMatchObject({ cvss: { version: '3.0', base_score: 9.8 }, fix_available: null });
  });

  it('resolves purl, CPE, groups, highest score, and vulnerabilities before product_tree', async () => {
    const d = doc();
    const reordered = { vulnerabilities: d.vulnerabilities, document: d.document, product_tree: d.product_tree };
    for (const text of [JSON.stringify(d), JSON.stringify(reordered)]) {
      const items = await collect(csafParser.parse(bytes(text, 13), { file: 'ex.json' }));
      expect(items.map((i) => i.kind)).toEqual(['vulnerability', 'advisory', 'advisory', 'advisory']);
      expect(recordsOf(items, 'vulnerability')[0]).toMatchObject({
        id: 'CVE-2099-0001',
        title: 'Example flaw',
        cvss: { version: '3.1', base_score: 9.1 },
        fix_available: true,
        references: ['https://ex.example/adv/1'],
      });
      expect(recordsOf(items, 'advisory')).toEqual([
        { vulnerability: 'CVE-2099-0001', product: 'pkg:npm/ex-app@1.0.0', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'Not reachable.', source: 'csaf:EX-1' },
        { vulnerability: 'CVE-2099-0001', product: 'Ex Lib 3', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'Not reachable.', source: 'csaf:EX-1' },
        { vulnerability: 'CVE-2099-0001', product: 'cpe:2.3:a:ex:app:2.0:*:*:*:*:*:*:*', status: 'affected', justification: null, statement: 'Upgrade to 2.1.', source: 'csaf:EX-1' },
      ]);
    }
  });

  it('uses ids[].text when there is no cve, and unknown product ids as written', async () => {
    const d = doc({ vulnerabilities: [{ ids: [{ system_name: 'Ex', text: 'EX-2099-7' }], product_status: { fixed: ['P9'] } }] });
    const items = await collect(csafParser.parse(bytes(JSON.stringify(d)), { file: 'ex.json' }));
    expect(recordsOf(items, 'advisory')).toEqual([
      { vulnerability: 'EX-2099-7', product: 'P9', status: 'fixed', justification: null, statement: null, source: 'csaf:EX-1' },
    ]);
  });

  describe('bad input names file, record and field', () => {
    const v0 = (over: Record<string, unknown>) => JSON.stringify(doc({ vulnerabilities: [{ cve: 'CVE-1', ...over }] }));
    it('missing required fields', async () => {
      await expectImportError(csafParser, JSON.stringify({ vulnerabilities: [] }), { record: null, field: 'document', message: /not a CSAF document/ });
      await expectImportError(csafParser, JSON.stringify(doc({ document: { tracking: { id: 'x' } } })), { record: 'document', field: 'category' });
      await expectImportError(csafParser, JSON.stringify(doc({ vulnerabilities: [{ cve: 'CVE-1' }, { product_status: { fixed: ['P1'] } }] })), {
        record: 'vulnerabilities[1]',
        field: 'cve',
        message: /missing/,
      });
      const noId = doc();
      const tree = noId.product_tree as { full_product_names: unknown[] };
      tree.full_product_names = [{ name: 'nameless' }];
      await expectImportError(csafParser, JSON.stringify(noId), { record: 'product_tree', field: 'full_product_names[0].product_id' });
    });

    it('wrong types', async () => {
      await expectImportError(csafParser, v0({ cve: 2021 }), { record: 'vulnerabilities[0]', field: 'cve', message: /expected a string/ });
      await expectImportError(csafParser, v0({ product_status: ['P1'] }), { record: 'vulnerabilities[0]', field: 'product_status' });
      await expectImportError(csafParser, v0({ product_status: { fixed: 'P1' } }), { record: 'vulnerabilities[0]', field: 'product_status.fixed' });
      await expectImportError(csafParser, v0({ product_status: { fixed: [1] } }), { record: 'vulnerabilities[0]', field: 'product_status.fixed[0]' });
      await expectImportError(csafParser, v0({ scores: [{ cvss_v3: { baseScore: '9.8' } }] }), {
        record: 'vulnerabilities[0]',
        field: 'scores[0].cvss_v3.baseScore',
        message: /from 0 to 10/,
      });
      await expectImportError(csafParser, v0({ flags: [{ label: 5, product_ids: ['P1'] }] }), { record: 'vulnerabilities[0]', field: 'flags[0].label' });
      await expectImportError(csafParser, JSON.stringify(doc({ vulnerabilities: { a: {} } })), { record: null, field: 'vulnerabilities' });
      await expectImportError(csafParser, JSON.stringify(doc({ product_tree: [] })), { record: null, field: 'product_tree' });
      await expectImportError(csafParser, JSON.stringify(doc({ vulnerabilities: ['CVE-1'] })), { record: 'vulnerabilities[0]', field: 'cve' });
    });

    it('malformed and truncated JSON', async () => {
      const text = JSON.stringify(doc(), null, 2);
      const err = await importError(csafParser, text.slice(0, text.length / 2), 'c.json');
      expect(err.message).toMatch(/^file c\.json, record byte \d+ \(line \d+, column \d+\).*truncated/);
      const bad = await importError(csafParser, text.replace('"cve":', '"cve" '), 'c.json');
      expect(bad.message).toMatch(/record byte \d+ \(line \d+\), field \$\.vulnerabilities\[0\]: invalid JSON/);
      await expectImportError(csafParser, '', { record: 'byte 0 (line 1, column 1)', field: '$', message: /empty document/ });
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(csafParser, [JSON.stringify(doc()), JSON.stringify(doc({ document: { category: 'csaf_security_advisory' } }))]);
  });
});
