/**
 * The Tenable importer in detail: hosts and their names, ports, check and vantage point, CVSS,
 * exploit facts, ids and aliases, skipped informational plugins, on the corpus reports and on
 * small built reports; bad input; detection of each layout; and properties over generated reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { tenableParser } from '../../../src/ingest/findings/tenable.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, collect, corpusBytes, corpusStream, errorOf, parseAll } from './helpers.js';

const T = 'scanners/tenable';

interface Split {
  assets: AssetRef[];
  findings: FindingRecord[];
  vulns: Map<string, VulnerabilityRecord>;
  skipped: string[];
}

function split(items: ImportItem[]): Split {
  const out: Split = { assets: [], findings: [], vulns: new Map(), skipped: [] };
  for (const i of items) {
    if (i.kind === 'asset_ref') out.assets.push(i.record);
    if (i.kind === 'finding') out.findings.push(i.record);
    if (i.kind === 'vulnerability') out.vulns.set(i.record.id, i.record);
    if (i.kind === 'skipped') out.skipped.push(i.record.reason);
  }
  return out;
}

const corpus = async (file: string): Promise<Split> => split(await collect(tenableParser.parse(corpusStream(`${T}/${file}`), { file })));
const parse = async (text: string, chunk = 0): Promise<Split> => split(await parseAll(tenableParser, chunked(Buffer.from(text), chunk), 'report'));

function only<X>(xs: readonly X[], pred: (x: X) => boolean): X {
  const found = xs.filter(pred);
  expect(found).toHaveLength(1);
  const x = found[0];
  if (x === undefined) throw new Error('not found');
  return x;
}

// ------------------------------------------------------------------------------------------------
// Built .nessus reports

interface ItemSpec {
  pluginId: string;
  port?: string;
  severity?: string;
  protocol?: string;
  svc?: string;
  name?: string;
  body?: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function reportItem(i: ItemSpec): string {
  return `<ReportItem port="${i.port ?? '443'}" svc_name="${i.svc ?? 'www'}" protocol="${i.protocol ?? 'tcp'}" severity="${i.severity ?? '3'}" pluginID="${i.pluginId}" pluginName="${esc(i.name ?? `Plugin ${i.pluginId}`)}" pluginFamily="General">${i.body ?? ''}</ReportItem>`;
}

function nessus(hosts: { name: string; tags?: Record<string, string>; items: ItemSpec[] }[], policy = 'Basic Network Scan'): string {
  const hostXml = hosts
    .map((h) => {
      const tags = Object.entries(h.tags ?? {})
        .map(([k, v]) => `<tag name="${k}">${esc(v)}</tag>`)
        .join('');
      return `<ReportHost name="${esc(h.name)}"><HostProperties>${tags}</HostProperties>${h.items.map(reportItem).join('\n')}</ReportHost>`;
    })
    .join('\n');
  return `<?xml version="1.0" ?>\n<NessusClientData_v2><Policy><policyName>${esc(policy)}</policyName></Policy><Report name="weekly">${hostXml}</Report></NessusClientData_v2>`;
}

const SCAN_INFO: ItemSpec = {
  pluginId: '19506',
  port: '0',
  severity: '0',
  name: 'Nessus Scan Information',
  body: '<plugin_type>summary</plugin_type><plugin_output>Nessus version : 10.6.1\nScan policy used : Internal PCI\nScanner IP : 10.0.0.5\nCredentialed checks : no</plugin_output>',
};

describe('tenable: .nessus XML on the corpus', () => {
  it('nessus_many_vuln.xml: one host, every plugin informational (skipped), the scanner and policy as vantage', async () => {
    const r = await corpus('nessus/nessus_many_vuln.xml');
    expect(r.findings).toEqual([]);
    expect(r.skipped).toHaveLength(7);
    expect(r.skipped[0]).toBe('informational plugin 19506 (Nessus Scan Information)');
    expect(r.assets).toEqual([
      {
        id: 'host:preprod.boardvantage.net',
        name: 'preprod.boardvantage.net',
        components: [],
        target_type: 'host',
        also: ['12.233.108.201'],
        host: { ip: '12.233.108.201', fqdn: 'preprod.boardvantage.net', netbios: null, os: 'CISCO PIX 7.0', scanner: 'Nessus scanner 172.16.138.167 (policy "Web App Tests")' },
      },
    ]);
  });

  it('nessus_was_many_vuln.xml: DAST results on the URL host, remote from the WAS scan, CWE from xref, score-only CVSS', async () => {
    const r = await corpus('nessus_was/nessus_was_many_vuln.xml');
    expect(r.assets.map((a) => a.id)).toEqual(['host:google.com']);
    expect(r.findings.map((f) => f.vulnerability)).toEqual(['nessus:98104', 'nessus:98060', 'nessus:115540', 'nessus:112551']);
    expect(r.skipped).toEqual(['informational plugin 112491 (SSL/TLS Certificate Information)']);
    const xss = only(r.findings, (f) => f.vulnerability === 'nessus:98104');
    expect(xss).toMatchObject({ severity: 'high', check: 'remote', cwe: ['CWE-79'], title: 'Cross-Site Scripting (XSS)', source: 'tenable' });
    expect(xss.extra).toMatchObject({
      port: 80,
      protocol: 'tcp',
      service: 'http',
      vantage_point: 'Tenable Web App Scanning (cloud scanner, scan "nessis_was_many_vuln")',
      first_seen: '2021-03-12T12:34:30.12031+00:00',
      last_seen: '2021-03-12T14:35:34.341269+00:00',
    });
    expect(r.vulns.get('nessus:98104')?.cvss).toEqual({ version: '3.0', base_score: 7.1, vector: null });
    for (const f of r.findings) expect(f.check).toBe('remote');
  });
});

describe('tenable: built .nessus reports', () => {
  it('names each host by FQDN, else ReportHost name, else NetBIOS, else IP, with the others as `also`', async () => {
    const r = await parse(
      nessus([
        { name: '10.0.0.1', tags: { 'host-ip': '10.0.0.1', 'host-fqdn': 'Web-1.Example.COM', 'netbios-name': 'WEB1', 'operating-system': 'Linux' }, items: [{ pluginId: '1' }] },
        { name: 'db-2', tags: { 'host-ip': '10.0.0.2' }, items: [{ pluginId: '1' }] },
        { name: '10.0.0.3', tags: { 'netbios-name': 'FILES' }, items: [{ pluginId: '1' }] },
        { name: '10.0.0.4', items: [{ pluginId: '1' }] },
      ]),
    );
    expect(r.assets.map((a) => [a.id, a.also])).toEqual([
      ['host:web-1.example.com', ['web1', '10.0.0.1']],
      ['host:db-2', ['10.0.0.2']],
      ['host:files', ['10.0.0.3']],
      ['host:10.0.0.4', []],
    ]);
    expect(r.assets[0]?.host?.os).toBe('Linux');
    expect(r.findings.map((f) => f.asset)).toEqual(r.assets.map((a) => a.id));
  });

  it('check: plugin_type remote/local, else a port above 0 is remote and port 0 unknown; vantage from plugin 19506 on remote checks only', async () => {
    const r = await parse(
      nessus([
        {
          name: 'h',
          items: [
            SCAN_INFO,
            { pluginId: '1', port: '443', body: '<plugin_type>remote</plugin_type>' },
            { pluginId: '2', port: '443', body: '<plugin_type>local</plugin_type>' },
            { pluginId: '3', port: '22', body: '<plugin_type>combined</plugin_type>' },
            { pluginId: '4', port: '0', body: '<plugin_type>combined</plugin_type>' },
            { pluginId: '5', port: '0', body: '<plugin_type>summary</plugin_type>' },
            { pluginId: '6', port: '8080' },
          ],
        },
      ]),
    );
    const byPlugin = new Map(r.findings.map((f) => [f.vulnerability, f]));
    expect([1, 2, 3, 4, 5, 6].map((n) => byPlugin.get(`nessus:${n}`)?.check)).toEqual(['remote', 'local', 'remote', null, null, 'remote']);
    expect(byPlugin.get('nessus:1')?.extra.vantage_point).toBe('Nessus scanner 10.0.0.5 (policy "Internal PCI")');
    expect(byPlugin.get('nessus:2')?.extra.vantage_point).toBeUndefined();
    expect(r.assets[0]?.host?.scanner).toBe('Nessus scanner 10.0.0.5 (policy "Internal PCI")');
    expect(r.skipped).toEqual(['informational plugin 19506 (Nessus Scan Information)']);
  });

  it('without plugin 19506 the policy name is the vantage point', async () => {
    const r = await parse(nessus([{ name: 'h', items: [{ pluginId: '1' }] }], 'Quarterly'));
    expect(r.findings[0]?.extra.vantage_point).toBe('Nessus scanner (policy "Quarterly")');
  });

  it('ids: the lowest CVE is the key, the others and nessus:<plugin> are aliases; an informational plugin with a CVE is a finding', async () => {
    const r = await parse(
      nessus([
        {
          name: 'h',
          items: [
            { pluginId: '65821', body: '<cve>CVE-2015-2808</cve><cve>CVE-2013-2566</cve>' },
            { pluginId: '35291', severity: '0', body: '<cve>CVE-2004-2761</cve>' },
            { pluginId: '99', severity: '0' },
          ],
        },
      ]),
    );
    expect(r.findings.map((f) => [f.vulnerability, f.aliases, f.severity])).toEqual([
      ['CVE-2013-2566', ['nessus:65821', 'CVE-2015-2808'], 'high'],
      ['CVE-2004-2761', ['nessus:35291'], 'info'],
    ]);
    expect(r.skipped).toEqual(['informational plugin 99 (Plugin 99)']);
  });

  it('severity 0..4 maps to info..critical, risk_factor when the attribute is absent', async () => {
    const items = ['1', '2', '3', '4'].map((s) => ({ pluginId: `10${s}`, severity: s }));
    const r = await parse(nessus([{ name: 'h', items }]).replace('severity="4"', '').replace('</ReportItem></ReportHost>', '<risk_factor>Critical</risk_factor></ReportItem></ReportHost>'));
    expect(r.findings.map((f) => f.severity)).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('CVSS: the highest version given, vectors scored when no score is given, the CVSS2# prefix dropped', async () => {
    const r = await parse(
      nessus([
        {
          name: 'h',
          items: [
            { pluginId: '1', body: '<cvss_vector>CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P</cvss_vector><cvss_base_score>7.5</cvss_base_score><cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>' },
            { pluginId: '2', body: '<cvss_vector>CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P</cvss_vector>' },
            { pluginId: '3', body: '<cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector><cvss4_vector>CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N</cvss4_vector><cvss4_base_score>9.3</cvss4_base_score>' },
          ],
        },
      ]),
    );
    expect(r.vulns.get('nessus:1')?.cvss).toEqual({ version: '3.0', base_score: 9.8, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(r.vulns.get('nessus:2')?.cvss).toEqual({ version: '2.0', base_score: 7.5, vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' });
    expect(r.vulns.get('nessus:3')?.cvss).toEqual({ version: '4.0', base_score: 9.3, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' });
  });

  it('exploit facts: available → poc, by malware → active, frameworks and ease kept; EPSS, fix and versions', async () => {
    const body = [
      '<cve>CVE-2021-44228</cve>',
      '<exploit_available>true</exploit_available>',
      '<exploit_framework_metasploit>true</exploit_framework_metasploit>',
      '<exploit_framework_canvas>false</exploit_framework_canvas>',
      '<metasploit_name>Log4Shell HTTP Header Injection</metasploit_name>',
      '<exploitability_ease>Exploits are available</exploitability_ease>',
      '<exploited_by_malware>true</exploited_by_malware>',
      '<epss_score>0.9745</epss_score>',
      '<patch_publication_date>2021/12/10</patch_publication_date>',
      '<solution>Upgrade to Apache Log4j version 2.17.1 or later.</solution>',
      '<cpe>cpe:/a:apache:log4j</cpe>',
      '<xref>CWE:502</xref><xref>CISA-KNOWN-EXPLOITED:2021/12/24</xref>',
      '<plugin_output>\n  Path              : /opt/app/log4j-core-2.14.1.jar\n  Installed version : 2.14.1\n  Fixed version     : 2.17.1\n</plugin_output>',
    ].join('');
    const plain = '<cve>CVE-2020-1234</cve><solution>Apply the vendor patch.</solution>';
    const r = await parse(nessus([{ name: 'h', items: [{ pluginId: '156032', body }, { pluginId: '2', body: plain }] }]));
    const v = r.vulns.get('CVE-2021-44228');
    expect(v).toMatchObject({ exploitation: 'active', public_poc: true, fix_available: true, epss: { score: 0.9745, percentile: 0, date: null } });
    expect(v?.extra.exploit).toEqual({
      source: 'scanner',
      exploit_available: true,
      exploited_by_malware: true,
      frameworks: ['metasploit'],
      metasploit_name: 'Log4Shell HTTP Header Injection',
      exploitability_ease: 'Exploits are available',
      cisa_known_exploited: '2021/12/24',
    });
    const f = only(r.findings, (x) => x.vulnerability === 'CVE-2021-44228');
    expect(f).toMatchObject({ component: 'log4j', version: '2.14.1', fixed_version: '2.17.1', cwe: ['CWE-502'] });
    expect(f.extra.solution).toBe('Upgrade to Apache Log4j version 2.17.1 or later.');
    const p = only(r.findings, (x) => x.vulnerability === 'CVE-2020-1234');
    expect(p.fixed_version).toBeNull();
    expect(r.vulns.get('CVE-2020-1234')).toMatchObject({ exploitation: 'none', public_poc: false, epss: null });
  });

  it('first/last seen: HOST_START_TIMESTAMP wins, else HOST_START as local time', async () => {
    const r = await parse(
      nessus([
        { name: 'a', tags: { HOST_START: 'Tue Jun 25 10:32:42 2013', HOST_END: 'Tue Jun  25 10:39:42 2013' }, items: [{ pluginId: '1' }] },
        { name: 'b', tags: { HOST_START: 'Tue Jun 25 10:32:42 2013', HOST_START_TIMESTAMP: '1372156362' }, items: [{ pluginId: '1' }] },
      ]),
    );
    expect(r.findings.map((f) => [f.extra.first_seen, f.extra.last_seen])).toEqual([
      ['2013-06-25T10:32:42', '2013-06-25T10:39:42'],
      ['2013-06-25T10:32:42Z', undefined],
    ]);
  });

  it('the same plugin on two ports is two findings; one host is one asset', async () => {
    const r = await parse(nessus([{ name: 'h', items: [{ pluginId: '1', port: '443' }, { pluginId: '1', port: '8443' }] }]));
    expect(r.assets).toHaveLength(1);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(2);
    expect(r.findings.map((f) => f.extra.port)).toEqual([443, 8443]);
  });
});

// ------------------------------------------------------------------------------------------------
// CSV exports

describe('tenable: CSV exports on the corpus', () => {
  it('Tenable.sc (nessus_many_vuln.csv): IP hosts, CVSS v3.0 vector with temporal metrics, CPE product, Tenable.sc dates', async () => {
    const r = await corpus('nessus/nessus_many_vuln.csv');
    expect(r.assets.map((a) => a.id)).toEqual(['host:10.1.1.1', 'host:10.2.1.1']);
    const f = r.findings[0];
    expect(f).toMatchObject({ vulnerability: 'CVE-2004-2761', aliases: ['nessus:35291'], component: 'md5', severity: 'medium', check: 'remote', cwe: ['CWE-310'] });
    expect(f?.extra).toMatchObject({ port: 443, protocol: 'tcp', first_seen: '2021-01-05T10:24:08-07:00', last_seen: '2021-01-05T10:24:08-07:00' });
    expect(f?.extra.vantage_point).toBe('Tenable scanner (the CSV export does not say where it ran)');
    const v = r.vulns.get('CVE-2004-2761');
    expect(v?.cvss).toEqual({ version: '3.0', base_score: 7.5, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N/E:P/RL:O/RC:C' });
    expect(v).toMatchObject({ exploitation: 'poc', public_poc: true });
    expect(r.findings[3]).toMatchObject({ vulnerability: 'CVE-2013-2566', aliases: ['nessus:65821', 'CVE-2015-2808'] });
    expect(r.vulns.get('nessus:57582')?.cvss).toEqual({ version: '2.0', base_score: 6.4, vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:N' });
  });

  it('Tenable.io (tenable_many_vuln.csv): one row per CVE folded into one finding per plugin, the check its plugin type says, FQDN hosts', async () => {
    const r = await corpus('tenable_many_vuln.csv');
    expect(r.findings).toHaveLength(9);
    expect(r.assets.map((a) => [a.id, a.also, a.host?.os])).toEqual([
      ['host:ip-127-0-0-1.us-west-2.compute.internal', ['127.0.0.1'], 'Linux Kernel 4.14.313-235.533.amzn2.x86_64 on Amazon Linux 2'],
      ['host:ip-192-168-1-110.us-west-2.compute.internal', ['192.168.1.110'], 'Linux Kernel 4.14.311-233.529.amzn2.x86_64 on Amazon Linux 2'],
    ]);
    const mariadb = only(r.findings, (f) => f.aliases.includes('nessus:176703'));
    expect(mariadb.vulnerability).toBe('CVE-2021-46657');
    expect(mariadb.aliases).toHaveLength(10);
    expect(mariadb.aliases).toEqual(expect.arrayContaining(['CVE-2021-46666', 'CVE-2022-31624', 'CVE-2022-27384']));
    // plugin type local; plugin 164329 (on both hosts) is `combined` on port 0, which says nothing
    for (const f of r.findings) expect(f.check, f.aliases.join(' ')).toBe(f.aliases.includes('nessus:164329') ? null : 'local');
    expect(r.findings.filter((f) => f.check === null)).toHaveLength(2); // on each of the two hosts
    const splunk = r.findings.filter((f) => f.vulnerability === 'CVE-2022-37439');
    expect(splunk.map((f) => [f.version, f.fixed_version])).toEqual([
      ['8.2.0', '8.2.7.1'],
      ['8.2.0', '8.2.7.1'],
    ]);
    expect(splunk[1]?.extra.first_seen).toBe('2023-05-18T01:42:29.529Z');
    expect(r.vulns.get('CVE-2023-32233')).toMatchObject({ fix_available: true, public_poc: true, exploitation: 'poc' });
  });

  it('Nessus template (nessus-template.csv): scores that lost their decimal separator, EPSS, frameworks and KEV', async () => {
    const r = await corpus('nessus/nessus-template.csv');
    expect(r.vulns.get('CVE-2016-2183')).toMatchObject({ cvss: { version: '3.0', base_score: 7.5, vector: null }, epss: { score: 0.3833, percentile: 0, date: null } });
    const php = r.vulns.get('CVE-2024-4577');
    expect(php).toMatchObject({ cvss: { version: '3.0', base_score: 9.8, vector: null }, exploitation: 'active', public_poc: true });
    expect(php?.extra.exploit).toEqual({ source: 'scanner', frameworks: ['metasploit', 'core', 'canvas'], cisa_known_exploited: '2024/07/03' });
    expect(only(r.findings, (f) => f.vulnerability === 'CVE-2024-4577')).toMatchObject({ severity: 'critical', version: '8.2.18', fixed_version: '8.2.20' });
    expect(only(r.findings, (f) => f.vulnerability === 'CVE-2003-1567').cwe).toEqual(['CWE-16', 'CWE-200']);
  });

  it('issue_9612.csv: NetBIOS name without its workgroup; the same plugin and port twice on one host is one finding', async () => {
    const r = await corpus('issue_9612.csv');
    expect(r.assets.map((a) => [a.id, a.also, a.host?.netbios])).toEqual([['host:ecodarchdb', ['2.3.4.5'], 'ECODARCHDB']]);
    expect(r.findings).toHaveLength(3);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(2);
    expect(r.findings[0]).toMatchObject({ vulnerability: 'nessus:73756', component: 'sql_server', severity: 'critical', check: 'remote' });
  });
});

// ------------------------------------------------------------------------------------------------
// Bad input

async function importError(text: string): Promise<ImportError> {
  const err = await errorOf(parseAll(tenableParser, chunked(Buffer.from(text), 13), 'bad.nessus'));
  expect(err).toBeInstanceOf(ImportError);
  if (!(err instanceof ImportError)) throw new Error('no ImportError');
  expect(err.file).toBe('bad.nessus');
  return err;
}

const CSV_HEAD = 'Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Synopsis\n';

describe('tenable: bad input', () => {
  it('another XML root, or Nessus v1, is refused as not a Nessus report', async () => {
    expect(await importError('<foo><bar/></foo>')).toMatchObject({ record: null, field: null });
    expect((await importError('<foo/>')).message).toContain('not a Nessus report: root element <foo>');
    expect((await importError('<NessusClientData><Report/></NessusClientData>')).message).toContain('Nessus v1');
    const hinted = await errorOf(collect(tenableParser.parse(chunked(Buffer.from('{"runs":[]}')), { file: 'x.json', hint: 'this looks like a SARIF log — try --format sarif' })));
    expect(hinted).toBeInstanceOf(ImportError);
    expect(String(hinted)).toContain('not a Tenable report: a JSON document (Tenable reports are .nessus XML or CSV); this looks like a SARIF log');
  });

  it('a ReportItem without pluginID, a bad port, an unknown severity, a bad score: XPath and field named', async () => {
    const hosts = (items: ItemSpec[]): string => nessus([{ name: 'a', items: [{ pluginId: '1' }] }, { name: 'b', items }]);
    const noId = hosts([{ pluginId: '1' }, { pluginId: '2' }, { pluginId: '3' }]).replace('pluginID="3"', '');
    expect(await importError(noId)).toMatchObject({ record: '/NessusClientData_v2/Report/ReportHost[2]/ReportItem[3]', field: 'pluginID' });
    expect(await importError(hosts([{ pluginId: '1', port: 'https' }]))).toMatchObject({ record: '/NessusClientData_v2/Report/ReportHost[2]/ReportItem[1]', field: 'port' });
    expect(await importError(hosts([{ pluginId: '1', severity: '7' }]))).toMatchObject({ field: 'severity' });
    expect(await importError(hosts([{ pluginId: '1', body: '<cvss3_base_score>high</cvss3_base_score>' }]))).toMatchObject({ field: 'cvss3_base_score' });
    expect(await importError(hosts([{ pluginId: '1', body: '<epss_score>-3</epss_score>' }]))).toMatchObject({ field: 'epss_score' });
  });

  it('a ReportHost with no name at all', async () => {
    const doc = nessus([{ name: '', items: [{ pluginId: '1' }] }]);
    expect(await importError(doc)).toMatchObject({ record: '/NessusClientData_v2/Report/ReportHost[1]', field: 'name' });
  });

  it('truncated XML names the place', async () => {
    const doc = nessus([{ name: 'h', items: [{ pluginId: '1' }, { pluginId: '2' }] }]);
    const err = await importError(doc.slice(0, doc.length - 40));
    expect(err.message).toContain('malformed XML');
  });

  it('CSV: not a Tenable export; a bad port, severity or score names the line and column', async () => {
    expect((await importError('asset,vulnerability\nweb,CVE-2024-1\n')).message).toContain('not a Tenable CSV export: the header needs a plugin id');
    expect(await importError('just one line of text')).toMatchObject({ record: null, field: null });
    expect((await parse('')).findings).toEqual([]);
    expect(await importError(`${CSV_HEAD}1,,,High,h,tcp,443,a,s\n2,,,High,h,tcp,x443,b,s\n`)).toMatchObject({ record: 3, field: 'Port' });
    expect(await importError(`${CSV_HEAD}1,,,Severe,h,tcp,443,a,s\n`)).toMatchObject({ record: 2, field: 'Risk' });
    expect(await importError(`${CSV_HEAD}1,,9x,High,h,tcp,443,a,s\n`)).toMatchObject({ record: 2, field: 'CVSS' });
    expect(await importError(`${CSV_HEAD}1,,,High,,tcp,443,a,s\n`)).toMatchObject({ record: 2, field: 'Host' });
    expect(await importError(`${CSV_HEAD}1,,,High,h,tcp,"443,a,s\n`)).toMatchObject({ file: 'bad.nessus' });
  });
});

// ------------------------------------------------------------------------------------------------
// Detection

describe('tenable: detection', () => {
  it('every layout, by content', () => {
    const detect = (rel: string): string | null => detectFindingFormat(corpusBytes(`${T}/${rel}`).subarray(0, 64 * 1024), 'upload.bin');
    for (const rel of ['nessus/nessus_many_vuln.xml', 'nessus_was/nessus_was_one_vuln.xml', 'nessus/nessus_many_vuln.csv', 'nessus/nessus-template.csv', 'tenable_many_vuln.csv', 'issue_9612.csv']) {
      expect(detect(rel), rel).toBe('tenable');
    }
    expect(detectFindingFormat(Buffer.from(`${CSV_HEAD}1,,,High,h,tcp,443,a,s\n`), 'x.txt')).toBe('tenable');
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,plugin\nweb,CVE-2024-1,x\n'), 'x.csv')).toBe('csv');
    expect(detectFindingFormat(Buffer.from('<NessusClientData><Report/></NessusClientData>'), 'x.nessus')).toBeNull();
  });
});

// ------------------------------------------------------------------------------------------------
// Properties

const cveArb = fc.tuple(fc.integer({ min: 1999, max: 2030 }), fc.integer({ min: 1000, max: 99999 })).map(([y, n]) => `CVE-${y}-${n}`);
const hostArb = fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `10.${a}.${b}.1`);

describe('tenable: properties', () => {
  it('a generated .nessus report gives one finding per (host, plugin, port), keyed by the lowest CVE, in any chunking', async () => {
    const itemArb = fc.record({ plugin: fc.integer({ min: 10000, max: 999999 }), port: fc.integer({ min: 1, max: 65535 }), severity: fc.integer({ min: 1, max: 4 }), cves: fc.uniqueArray(cveArb, { maxLength: 4 }) });
    const reportArb = fc.uniqueArray(fc.record({ ip: hostArb, items: fc.uniqueArray(itemArb, { minLength: 1, maxLength: 6, selector: (i) => `${i.plugin}/${i.port}` }) }), { minLength: 1, maxLength: 5, selector: (h) => h.ip });
    await fc.assert(
      fc.asyncProperty(reportArb, fc.integer({ min: 1, max: 512 }), async (hosts, chunk) => {
        const doc = nessus(
          hosts.map((h) => ({
            name: h.ip,
            tags: { 'host-ip': h.ip },
            items: h.items.map((i) => ({ pluginId: String(i.plugin), port: String(i.port), severity: String(i.severity), body: i.cves.map((c) => `<cve>${c}</cve>`).join('') })),
          })),
        );
        const r = await parse(doc, chunk);
        const expected = hosts.flatMap((h) =>
          h.items.map((i) => {
            const lowest = [...i.cves].sort((a, b) => {
              const [, ya = 0, na = 0] = a.split('-').map(Number);
              const [, yb = 0, nb = 0] = b.split('-').map(Number);
              return ya - yb || na - nb;
            })[0];
            return [`host:${h.ip}`, lowest ?? `nessus:${i.plugin}`, i.port, 'remote'];
          }),
        );
        expect(r.findings.map((f) => [f.asset, f.vulnerability, f.extra.port, f.check])).toEqual(expected);
        expect(r.assets.map((a) => a.id)).toEqual(hosts.map((h) => `host:${h.ip}`));
        for (const [f, i] of r.findings.map((f, n) => [f, hosts.flatMap((h) => h.items)[n]] as const)) {
          expect([f.vulnerability, ...f.aliases]).toContain(`nessus:${i?.plugin ?? ''}`);
          for (const c of i?.cves ?? []) expect([f.vulnerability, ...f.aliases]).toContain(c);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a Tenable.io CSV written one row per CVE gives one finding per plugin and host, whatever the chunking', async () => {
    const groupArb = fc.record({ host: hostArb, plugin: fc.integer({ min: 10000, max: 999999 }), cves: fc.uniqueArray(cveArb, { minLength: 1, maxLength: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(groupArb, { minLength: 1, maxLength: 8, selector: (g) => `${g.host}/${g.plugin}` }), fc.integer({ min: 1, max: 300 }), async (groups, chunk) => {
        const head = 'Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Plugin Type\n';
        const rows = groups.flatMap((g) => g.cves.map((c) => `${g.plugin},${c},5.0,Medium,${g.host},TCP,0,"Plugin ${g.plugin}, local",local\n`));
        const whole = await parse(head + rows.join(''));
        const pieces = await parse(head + rows.join(''), chunk);
        expect(pieces.findings).toEqual(whole.findings);
        expect(whole.findings).toHaveLength(groups.length);
        whole.findings.forEach((f, n) => {
          const g = groups[n];
          expect(f.asset).toBe(`host:${g?.host ?? ''}`);
          expect(f.check).toBe('local');
          expect(new Set([f.vulnerability, ...f.aliases])).toEqual(new Set([...(g?.cves ?? []), `nessus:${g?.plugin ?? ''}`]));
        });
      }),
      { numRuns: 40 },
    );
  });
});
