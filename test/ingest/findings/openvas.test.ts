/**
 * The OpenVAS importer in detail: how the corpus reports (XML and CSV) map onto assets,
 * vulnerabilities and findings, what is skipped, bad input, detection, and properties over
 * generated reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { openvasParser } from '../../../src/ingest/findings/openvas.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusBytes, corpusStream, errorOf, parseAll } from './helpers.js';

const parseFile = async (name: string): Promise<ImportItem[]> =>
  collect(openvasParser.parse(corpusStream(`scanners/openvas/${name}`), { file: name }));
const parseText = (text: string, chunk = 0, file = 'input'): Promise<ImportItem[]> => parseAll(openvasParser, chunked(Buffer.from(text), chunk), file);

const findingsOf = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const assetsOf = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const vulnsOf = (items: ImportItem[]): Map<string, VulnerabilityRecord> =>
  new Map(items.flatMap((i) => (i.kind === 'vulnerability' ? [[i.record.id, i.record] as const] : [])));
const skippedOf = (items: ImportItem[]): string[] => items.flatMap((i) => (i.kind === 'skipped' ? [i.record.reason] : []));

async function importErrorOf(text: string, file = 'bad.xml'): Promise<ImportError> {
  const err = await errorOf(parseText(text, 0, file));
  expect(err).toBeInstanceOf(ImportError);
  if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
  expect(err.file).toBe(file);
  return err;
}

// ------------------------------------------------------------------------------------------------
// Builders of minimal reports

interface GenResult {
  ip: string;
  hostname: string | null;
  port: string;
  oid: string;
  cves: string[];
  threat: string;
  score: string;
  qod: string | null;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function xmlResult(r: GenResult): string {
  const refs = r.cves.map((c) => `<ref type="cve" id="${c}"/>`).join('');
  const qod = r.qod === null ? '' : `<qod><value>80</value><type>${r.qod}</type></qod>`;
  return `<result id="r"><name>NVT ${r.oid}</name><host>${r.ip}<asset asset_id=""/><hostname>${xmlEscape(r.hostname ?? '')}</hostname></host><port>${r.port}</port><nvt oid="${r.oid}"><type>nvt</type><name>NVT ${r.oid}</name><family>General</family><cvss_base>${r.score}</cvss_base><tags>summary=s|solution_type=VendorFix</tags><refs>${refs}</refs></nvt><threat>${r.threat}</threat><severity>${r.score}</severity>${qod}<description>Installed version: 1.0\nFixed version: 1.1</description></result>`;
}

function xmlReport(results: GenResult[], opts: { hosts?: string; slave?: string; gmp?: string; task?: string } = {}): string {
  const slave = opts.slave ?? '<slave id=""><name/><host/><port>0</port></slave>';
  return `<?xml version="1.0"?>\n<report id="a" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"><task id="t"><name>${opts.task ?? 'weekly'}</name></task><report id="a"><gmp><version>${opts.gmp ?? '22.4'}</version></gmp><scan><task>${slave}</task></scan><results start="1" max="-1">${results.map(xmlResult).join('')}</results>${opts.hosts ?? ''}</report></report>`;
}

const CSV_HEADER = 'IP,Hostname,Port,Port Protocol,CVSS,Severity,QoD,Solution Type,NVT Name,Summary,Specific Result,NVT OID,CVEs,Task ID,Task Name,Timestamp,Result ID';

function csvReport(results: GenResult[]): string {
  const rows = results.map((r) => {
    const general = r.port.startsWith('general/');
    const [port, proto] = general ? ['', ''] : r.port.split('/');
    return [r.ip, r.hostname ?? '', port, proto, r.score, r.threat, '80', 'VendorFix', `NVT ${r.oid}`, 's', '"Installed version: 1.0\nFixed version: 1.1"', r.oid, `"${r.cves.join(',')}"`, 't', 'weekly', '2025-01-01T00:00:00Z', 'x'].join(',');
  });
  return `${CSV_HEADER}\n${rows.join('\n')}\n`;
}

const base: GenResult = { ip: '10.0.0.1', hostname: null, port: '443/tcp', oid: '1.3.6.1.4.1.25623.1.0.1', cves: [], threat: 'High', score: '7.5', qod: 'remote_vul' };

// ------------------------------------------------------------------------------------------------

describe('OpenVAS XML: the corpus reports mapped', () => {
  it('one_vuln.xml: a registry check on general/tcp is local, CVSS v2 score of a GMP 9 report, fixed version from the result text', async () => {
    const items = await parseFile('one_vuln.xml');
    const [f] = findingsOf(items);
    expect(findingsOf(items)).toHaveLength(1);
    expect(assetsOf(items)).toEqual([
      expect.objectContaining({ id: 'host:10.0.101.2', also: [], host: { ip: '10.0.101.2', fqdn: null, netbios: null, os: null, scanner: 'OpenVAS task "dc01-testlab-scan"' } }),
    ]);
    expect(f?.vulnerability).toBe('CVE-2023-4573');
    expect(f?.aliases[0]).toBe('openvas:1.3.6.1.4.1.25623.1.0.832260');
    expect(f?.aliases).toContain('CVE-2023-4585');
    expect(f?.check).toBe('local');
    expect(f?.severity).toBe('high');
    expect(f?.fixed_version).toBe('117');
    expect(f?.extra).toMatchObject({ installed_version: '116.0.3', protocol: 'tcp', solution_type: 'VendorFix', qod: { value: 97, type: 'registry' } });
    // a local check has no vantage point (the host facts still name the task)
    expect(f?.extra.vantage_point).toBeUndefined();
    expect(f?.extra.port).toBeUndefined();
    const v = vulnsOf(items).get('CVE-2023-4573');
    expect(v?.cvss).toEqual({ version: '2.0', base_score: 10, vector: null });
    expect(v?.fix_available).toBe(true);
    expect(v?.references).toEqual(['https://www.mozilla.org/en-US/security/advisories/mfsa2023-34/']);
  });

  it('report_detail_v2.xml: host name with the IP as alias, CVSS 3.1 vector, EPSS, CERT ids, remote on a real port', async () => {
    const items = await parseFile('report_detail_v2.xml');
    const [f] = findingsOf(items);
    expect(assetsOf(items).map((a) => [a.id, a.also])).toEqual([['host:server99', ['10.99.99.99']]]);
    expect(f?.check).toBe('remote');
    expect(f?.extra).toMatchObject({ port: 42, protocol: 'tcp', vantage_point: 'OpenVAS task "Report"', last_seen: '2025-08-22T16:55:31+02:00' });
    expect(f?.vulnerability).toBe('CVE-2025-36350');
    const v = vulnsOf(items).get('CVE-2025-36350');
    expect(v?.cvss).toEqual({ version: '3.1', base_score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(v?.epss).toEqual({ score: 0.00143, percentile: 0.35177, date: null });
    expect(v?.extra.epss).toEqual({
      max_severity: { score: 0.00143, percentile: 0.35177, cve: 'CVE-2025-47981' },
      max_epss: { score: 0.09023, percentile: 0.92284, cve: 'CVE-2025-49716' },
    });
    expect(v?.extra.certs).toContain('DFN-CERT-2025-2181');
  });

  it('many_vuln.xml: 44 findings on one host, the general/tcp one local, the exploit QoD sets public_poc', async () => {
    const items = await parseFile('many_vuln.xml');
    const findings = findingsOf(items);
    expect(findings).toHaveLength(44);
    expect(skippedOf(items)).toEqual([]);
    expect(assetsOf(items).map((a) => a.id)).toEqual(['host:b6b9f466d63']);
    // the general/tcp result is a host-level probe, not a listening port: its check is unknown
    expect(findings.filter((f) => f.check === null).map((f) => f.extra.port ?? 'general')).toEqual(['general']);
    expect(findings.filter((f) => f.check === 'remote')).toHaveLength(43);
    // the two results without a threat word are scored 4.0
    expect(findings.filter((f) => f.severity === 'medium')).toHaveLength(25);
    const exploited = findings.find((f) => f.extra.nvt_oid === '1.3.6.1.4.1.25623.1.0.140001');
    expect(exploited?.extra.port).toBe(22);
    const v = vulnsOf(items).get(exploited?.vulnerability ?? '');
    expect(v?.public_poc).toBe(true);
    expect(v?.exploitation).toBe('poc');
    expect(v?.extra.exploit).toEqual({ source: 'scanner', qod_type: 'exploit' });
  });

  it('no_vuln.xml: the scanned report yields nothing', async () => {
    expect(await parseFile('no_vuln.xml')).toEqual([]);
  });
});

describe('OpenVAS CSV: the corpus exports mapped', () => {
  it('many_vuln.csv: an empty port is a host-level result (check unknown); the task is the vantage point', async () => {
    const items = await parseFile('many_vuln.csv');
    const findings = findingsOf(items);
    expect(findings).toHaveLength(4);
    expect(assetsOf(items).map((a) => [a.id, a.also])).toEqual([['host:logsrv', ['192.168.118.212']]]);
    expect(findings.map((f) => [f.check, f.extra.port ?? null])).toEqual([
      [null, null],
      ['remote', 9200],
      ['remote', 9200],
      ['remote', 9200],
    ]);
    expect(findings[2]?.vulnerability).toBe('CVE-2011-3389');
    expect(findings[2]?.aliases).toEqual(['openvas:1.3.6.1.4.1.25623.1.0.117274', 'CVE-2015-0204']);
    expect(findings[0]?.vulnerability).toBe('openvas:1.3.6.1.4.1.25623.1.0.80091');
    // remote checks carry the task as their vantage point; the host-level one has none
    expect(findings.map((f) => f.extra.vantage_point ?? null)).toEqual([null, 'OpenVAS task "LOGSRV"', 'OpenVAS task "LOGSRV"', 'OpenVAS task "LOGSRV"']);
  });

  it('report_detail_v2.csv: EPSS columns, the formula guard dropped, and the same finding as the XML export of the scan', async () => {
    const csv = await parseFile('report_detail_v2.csv');
    const xml = await parseFile('report_detail_v2.xml');
    const [c] = findingsOf(csv);
    const [x] = findingsOf(xml);
    expect(c?.fingerprint).toBe(x?.fingerprint);
    const v = vulnsOf(csv).get(c?.vulnerability ?? '');
    expect(v?.epss).toEqual({ score: 0.00143, percentile: 0.35177, date: null });
    expect(v?.cvss).toEqual({ version: '3.1', base_score: 9.8, vector: null });
    expect(String(v?.extra.affected)).toMatch(/^- Microsoft Windows 10/);
  });
});

describe('OpenVAS: results and report details', () => {
  it('Log, Debug and Error results are skipped; a False Positive override is imported as such', async () => {
    const items = await parseText(
      xmlReport([
        { ...base, threat: 'Log', score: '0.0' },
        { ...base, oid: '1.2', threat: 'Debug', score: '-2' },
        { ...base, oid: '1.3', threat: 'Error', score: '-3' },
        { ...base, oid: '1.4', threat: 'False Positive', score: '-1' },
        { ...base, oid: '1.5', threat: '', score: '0.0' },
      ]),
    );
    expect(skippedOf(items)).toHaveLength(4);
    expect(findingsOf(items).map((f) => [f.vulnerability, f.validation, f.severity])).toEqual([['openvas:1.4', 'false_positive', null]]);
  });

  it('host details after the results give the host its OS and name; the scanner and task are the vantage point', async () => {
    const hosts = `<host><ip>10.0.0.1</ip><start>x</start><detail><name>hostname</name><value>web1.example.org</value></detail><detail><name>best_os_txt</name><value>Debian GNU/Linux 12</value></detail></host>`;
    const slave = '<slave id="s"><name>gvm-2</name><host>10.0.0.5</host><port>9390</port></slave>';
    const items = await parseText(xmlReport([base], { hosts, slave }), 17);
    const [asset] = assetsOf(items);
    expect(asset?.id).toBe('host:web1.example.org');
    expect(asset?.host?.os).toBe('Debian GNU/Linux 12');
    expect(findingsOf(items)[0]?.extra.vantage_point).toBe('OpenVAS scanner gvm-2 10.0.0.5 (task "weekly")');
    expect(items.findIndex((i) => i.kind === 'asset_ref')).toBeLessThan(items.findIndex((i) => i.kind === 'finding'));
  });

  it('a report larger than the in-memory buffer spills and replays every finding in order, after its hosts', async () => {
    const results = Array.from({ length: 2500 }, (_, i) => ({ ...base, ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, oid: `1.3.6.1.4.1.25623.1.0.${i}` }));
    const items = await parseText(xmlReport(results, { hosts: '<host><ip>10.1.0.1</ip><detail><name>best_os_txt</name><value>FreeBSD</value></detail></host>' }), 65536);
    const findings = findingsOf(items);
    expect(findings).toHaveLength(2500);
    expect(findings.map((f) => f.extra.nvt_oid)).toEqual(results.map((r) => r.oid));
    expect(findings[2499]?.asset).toBe('host:10.1.9.250');
    expect(assetsOf(items)).toHaveLength(2500);
    expect(assetsOf(items).find((a) => a.id === 'host:10.1.0.1')?.host?.os).toBe('FreeBSD');
  });

  it('a local QoD type is local; general_note and a host-level (general/…) network check say nothing; no QoD on a real port is remote', async () => {
    const items = await parseText(
      xmlReport([
        { ...base, qod: 'package' },
        { ...base, oid: '1.2', qod: 'executable_version_unreliable' },
        { ...base, oid: '1.3', qod: 'general_note' },
        { ...base, oid: '1.4', qod: null },
        { ...base, oid: '1.5', port: 'general/icmp', qod: 'remote_active' },
      ]),
    );
    expect(findingsOf(items).map((f) => f.check)).toEqual(['local', 'local', null, 'remote', null]);
  });

  it('reads a report wrapped in <get_reports_response>; a score without vector in a GMP 22 report is CVSS 3.1', async () => {
    const doc = xmlReport([base]).replace('<report id="a" format_id', '<get_reports_response status="200"><report id="a" format_id').concat('</get_reports_response>');
    const items = await parseText(doc);
    expect(findingsOf(items)).toHaveLength(1);
    expect(vulnsOf(items).get('openvas:1.3.6.1.4.1.25623.1.0.1')?.cvss).toEqual({ version: '3.1', base_score: 7.5, vector: null });
  });

  it('the cvss_base_vector tag gives the CVSS when there are no severities', async () => {
    const doc = xmlReport([base]).replace('<tags>summary=s|', '<tags>cvss_base_vector=AV:N/AC:L/Au:N/C:P/I:P/A:P|summary=s|');
    const v = vulnsOf(await parseText(doc)).get('openvas:1.3.6.1.4.1.25623.1.0.1');
    expect(v?.cvss).toEqual({ version: '2.0', base_score: 7.5, vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' });
  });
});

describe('OpenVAS: bad input', () => {
  it('another XML root: not an OpenVAS report', async () => {
    const err = await importErrorOf('<NessusClientData_v2><Report/></NessusClientData_v2>');
    expect(err.record).toBeNull();
    expect(err.message).toContain('not an OpenVAS report: root element <NessusClientData_v2>');
  });

  it('a result without its NVT OID or host, or with a non-numeric severity, is named by its XPath', async () => {
    const missing = await importErrorOf(xmlReport([base, { ...base, oid: '' }]));
    expect([missing.record, missing.field]).toEqual(['/report/report/results/result[2]', 'nvt/@oid']);
    const noHost = await importErrorOf(xmlReport([{ ...base, ip: '' }]));
    expect([noHost.record, noHost.field]).toEqual(['/report/report/results/result[1]', 'host']);
    const badScore = await importErrorOf(xmlReport([{ ...base, score: 'high' }]));
    expect([badScore.record, badScore.field]).toEqual(['/report/report/results/result[1]', 'severity']);
    expect(badScore.message).toContain('expected a number');
  });

  it('truncated XML is an ImportError naming the place', async () => {
    const err = await importErrorOf(xmlReport([base]).slice(0, 300));
    expect(err.message).toContain('malformed XML');
  });

  it('a CSV without the OpenVAS columns, a row without its OID, a bad port, an empty file', async () => {
    const notOurs = await importErrorOf('asset,vulnerability\na,CVE-2024-1\n', 'x.csv');
    expect(notOurs.message).toContain('not an OpenVAS CSV report');
    expect(notOurs.message).toContain('"NVT OID"');
    const noOid = await importErrorOf(csvReport([base, { ...base, oid: '' }]), 'x.csv');
    expect([noOid.record, noOid.field]).toEqual(['line 4', 'NVT OID']);
    const badPort = await importErrorOf(csvReport([{ ...base, port: 'https/tcp' }]), 'x.csv');
    expect([badPort.record, badPort.field]).toEqual(['line 2', 'Port']);
    const empty = await importErrorOf('  \n', 'x.csv');
    expect(empty.message).toContain('empty');
  });
});

describe('OpenVAS: detection', () => {
  it('detects each layout: XML report, get_reports_response, CSV export by its header', () => {
    for (const f of ['one_vuln.xml', 'no_vuln.xml', 'report_detail_v2.xml', 'many_vuln.csv', 'report_detail_v2.csv']) {
      expect(detectFindingFormat(corpusBytes(`scanners/openvas/${f}`), f)).toBe('openvas');
    }
    expect(detectFindingFormat(Buffer.from(`<get_reports_response status="200"><report id="a"><report id="a"><gmp><version>22.4</version></gmp>`), 'r.xml')).toBe('openvas');
    expect(detectFindingFormat(Buffer.from(csvReport([base])), 'export.txt')).toBe('openvas');
  });

  it('leaves other reports alone', () => {
    expect(detectFindingFormat(Buffer.from('<html><report/></html>'), 'x.xml')).toBeNull();
    expect(detectFindingFormat(Buffer.from('<report><item/></report>'), 'x.xml')).toBeNull();
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,NVT Name\na,CVE-1,x\n'), 'x.csv')).toBe('csv');
  });
});

// ------------------------------------------------------------------------------------------------

const octet = fc.integer({ min: 1, max: 254 });
const genResult: fc.Arbitrary<GenResult> = fc.record({
  ip: fc.tuple(octet, octet).map(([a, b]) => `10.0.${a}.${b}`),
  hostname: fc.option(fc.constantFrom('web', 'db', 'mail'), { nil: null }),
  port: fc.oneof(fc.integer({ min: 1, max: 65535 }).map((p) => `${p}/tcp`), fc.constant('general/tcp')),
  oid: fc.integer({ min: 1, max: 999999 }).map((n) => `1.3.6.1.4.1.25623.1.0.${n}`),
  cves: fc.array(fc.integer({ min: 1000, max: 99999 }).map((n) => `CVE-2024-${n}`), { maxLength: 3 }),
  threat: fc.constantFrom('High', 'Medium', 'Low', 'Log'),
  score: fc.constantFrom('9.8', '5.0', '2.1'),
  qod: fc.constantFrom('remote_vul', 'remote_banner', 'package', 'registry'),
});

describe('OpenVAS: properties', () => {
  it('N generated results → one finding per non-Log result with its host, port and ids, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(genResult, { maxLength: 12 }), fc.integer({ min: 1, max: 300 }), async (results, chunk) => {
        const items = await parseText(xmlReport(results), chunk, 'gen.xml');
        const kept = results.filter((r) => r.threat !== 'Log');
        const findings = findingsOf(items);
        expect(findings.length).toBe(kept.length);
        expect(skippedOf(items)).toHaveLength(results.length - kept.length);
        kept.forEach((r, i) => {
          const f = findings[i];
          expect(f?.asset).toBe(`host:${r.hostname ?? r.ip}`);
          expect(f?.aliases.includes(`openvas:${r.oid}`) || f?.vulnerability === `openvas:${r.oid}`).toBe(true);
          for (const cve of r.cves) expect([f?.vulnerability, ...(f?.aliases ?? [])]).toContain(cve);
          const general = r.port.startsWith('general/');
          expect(f?.extra.port).toBe(general ? undefined : Number(r.port.split('/')[0]));
          expect(f?.check).toBe(r.qod === 'package' || r.qod === 'registry' ? 'local' : general ? null : 'remote');
        });
      }),
      { numRuns: 60 },
    );
  });

  it('the CSV export of generated results gives the same findings (fingerprints) as their XML report', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(genResult, { minLength: 1, maxLength: 8 }), async (results) => {
        const xml = findingsOf(await parseText(xmlReport(results), 0, 'gen.xml'));
        const csv = findingsOf(await parseText(csvReport(results), 0, 'gen.csv'));
        expect(csv.map((f) => f.fingerprint)).toEqual(xml.map((f) => f.fingerprint));
        expect(csv.map((f) => f.check)).toEqual(xml.map((f) => (f.extra.port === undefined ? null : 'remote')));
      }),
      { numRuns: 60 },
    );
  });
});
