/**
 * The Qualys importer in detail: the mapping of the corpus reports (hosts and their names, ports,
 * check and vantage point, CVSS, exploit facts, ids and aliases, skipped entries), CSV preambles,
 * both glossary orders, the bounded buffer, bad input, detection, and a chunking property.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { qualysParser } from '../../../src/ingest/findings/qualys.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { mutate, mutations } from '../ingest-helpers.js';
import { chunked, corpusBytes, errorOf, finishesOrImportError, parseAll } from './helpers.js';

interface Split {
  findings: FindingRecord[];
  vulns: Map<string, VulnerabilityRecord>;
  assets: AssetRef[];
  skipped: string[];
}

function split(items: ImportItem[]): Split {
  const out: Split = { findings: [], vulns: new Map(), assets: [], skipped: [] };
  for (const i of items) {
    if (i.kind === 'finding') out.findings.push(i.record);
    if (i.kind === 'vulnerability') out.vulns.set(i.record.id, i.record);
    if (i.kind === 'asset_ref') out.assets.push(i.record);
    if (i.kind === 'skipped') out.skipped.push(i.record.reason);
  }
  return out;
}

const corpus = async (name: string, chunk = 4096): Promise<Split> =>
  split(await parseAll(qualysParser, chunked(corpusBytes(`scanners/qualys/${name}`), chunk), name));

const text = async (doc: string, chunk = 0, file = 'report.xml'): Promise<Split> => split(await parseAll(qualysParser, chunked(Buffer.from(doc), chunk), file));

const importError = async (doc: string, file = 'bad.xml'): Promise<ImportError> => {
  const err = await errorOf(parseAll(qualysParser, chunked(Buffer.from(doc), 7), file));
  expect(err).toBeInstanceOf(ImportError);
  if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
  expect(err.file).toBe(file);
  return err;
};

const byQid = (s: Split, qid: string, asset?: string): FindingRecord[] =>
  s.findings.filter((f) => f.extra.qid === qid && (asset === undefined || f.asset === asset));

// ------------------------------------------------------------------------------------------------
// Building reports

interface Det {
  qid: number;
  type: 'Vuln' | 'Practice' | 'Ig';
  port: number | null;
}
interface Host {
  ip: string;
  dns: string | null;
  dets: Det[];
}

function adr(hosts: Host[], glossaryFirst = false): string {
  const qids = [...new Set(hosts.flatMap((h) => h.dets.map((d) => d.qid)))];
  const glossary = `<GLOSSARY><VULN_DETAILS_LIST>${qids
    .map(
      (q) =>
        `<VULN_DETAILS id="qid_${q}"><QID id="qid_${q}">${q}</QID><TITLE><![CDATA[Title ${q}]]></TITLE><SEVERITY>${(q % 5) + 1}</SEVERITY>` +
        (q % 3 === 0 ? `<CVE_ID_LIST><CVE_ID><ID>CVE-2020-${10000 + q}</ID><URL>https://cve.example/${q}</URL></CVE_ID></CVE_ID_LIST>` : '') +
        `</VULN_DETAILS>`,
    )
    .join('')}</VULN_DETAILS_LIST></GLOSSARY>`;
  const hostList = `<HOST_LIST>${hosts
    .map(
      (h) =>
        `<HOST><IP>${h.ip}</IP>${h.dns === null ? '' : `<DNS><![CDATA[${h.dns}]]></DNS>`}<VULN_INFO_LIST>${h.dets
          .map(
            (d) =>
              `<VULN_INFO><QID id="qid_${d.qid}">${d.qid}</QID><TYPE>${d.type}</TYPE>` +
              (d.port === null ? '' : `<PORT>${d.port}</PORT><PROTOCOL>tcp</PROTOCOL>`) +
              `<FIRST_FOUND>2024-01-02T03:04:05Z</FIRST_FOUND><LAST_FOUND>2024-02-02T03:04:05Z</LAST_FOUND><VULN_STATUS>Active</VULN_STATUS></VULN_INFO>`,
          )
          .join('')}</VULN_INFO_LIST></HOST>`,
    )
    .join('')}</HOST_LIST>`;
  const header = '<HEADER><TEMPLATE><![CDATA[Weekly]]></TEMPLATE></HEADER>';
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ASSET_DATA_REPORT SYSTEM "https://qualysguard.example/asset_data_report.dtd">\n<ASSET_DATA_REPORT>${header}${glossaryFirst ? glossary + hostList : hostList + glossary}</ASSET_DATA_REPORT>`;
}

const CSV_HEADER = '"IP","DNS","NetBIOS","Tracking Method","OS","QID","Title","Vuln Status","Type","Severity","Port","Protocol","First Detected","Last Detected","CVE ID","CVSS3 Base"';

// ------------------------------------------------------------------------------------------------

describe('Qualys Asset Data Report (XML)', () => {
  it('imports confirmed and potential detections, one asset per host, and skips information gathered', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    expect(s.findings).toHaveLength(92);
    expect(s.assets).toHaveLength(7);
    expect(s.skipped).toHaveLength(209);
    expect(s.skipped.every((r) => r.includes('information gathered'))).toBe(true);
    expect(new Set(s.findings.map((f) => f.extra.type))).toEqual(new Set(['confirmed', 'potential']));
    expect(byQid(s, '6')).toHaveLength(0);
  });

  it('names each host by DNS name, with its NetBIOS name and address as other names and the OS as a fact', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    const win7 = s.assets.find((a) => a.id === 'host:trn-win7.trn.qualys.com');
    expect(win7?.also).toEqual(['trn-win7', '64.41.200.247']);
    expect(win7?.host).toEqual({ ip: '64.41.200.247', fqdn: 'trn-win7.trn.qualys.com', netbios: 'TRN-WIN7', os: 'Windows 2008 R2/7', scanner: null });
    expect(s.assets.map((a) => a.id)).toContain('host:demo13.s02.sjc01.qualys.com');
  });

  it('a detection on a port is a remote check with the report as vantage point; one without a port says nothing about how it was tested', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    const [ssh] = byQid(s, '38738', 'host:demo13.s02.sjc01.qualys.com');
    expect(ssh?.check).toBe('remote');
    expect(ssh?.extra).toMatchObject({ port: 22, protocol: 'tcp', service: 'ssh', vantage_point: 'Qualys scan (report template "All confirmed and Information Vulnerabilities 1-5")' });
    expect(ssh?.vulnerability).toBe('qualys:38738');
    expect(ssh?.severity).toBe('low');
    // no port: an authenticated check or a host-level probe (TCP sequence numbers here): not said
    const [tcp] = byQid(s, '82054', 'host:demo13.s02.sjc01.qualys.com');
    expect(tcp?.check).toBeNull();
    expect(tcp?.extra.vantage_point).toBeUndefined();
    expect(tcp?.extra.port).toBeUndefined();
    expect(s.findings.filter((f) => f.check === 'remote').length).toBe(67);
    expect(s.findings.every((f) => (f.check === 'remote') === (typeof f.extra.port === 'number'))).toBe(true);
  });

  it('keys a QID with CVEs by its lowest CVE, the QID and the other CVEs as aliases; CVSS from the knowledge base', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    const amd = byQid(s, '370876');
    expect(amd.map((f) => f.asset).sort()).toEqual(['host:demo13.s02.sjc01.qualys.com', 'host:demo14.s02.sjc01.qualys.com']);
    for (const f of amd) {
      expect(f.vulnerability).toBe('CVE-2018-8930');
      expect(f.aliases).toEqual(['qualys:370876', 'CVE-2018-8931', 'CVE-2018-8932', 'CVE-2018-8933', 'CVE-2018-8934', 'CVE-2018-8935', 'CVE-2018-8936']);
      expect(f.severity).toBe('high');
      expect(f.extra.type).toBe('potential');
      expect(f.extra.first_seen).toBe('2020-10-15T12:16:23Z');
      expect(f.extra.last_seen).toBe('2021-04-19T02:35:28Z');
    }
    expect(amd.find((f) => f.asset.startsWith('host:demo14'))?.extra.cvss3_final).toBe('8.2');
    expect(amd.find((f) => f.asset.startsWith('host:demo13'))?.extra.cvss3_final).toBeNull();
    expect(s.vulns.get('CVE-2018-8930')?.cvss).toEqual({ version: '3.0', base_score: 9, vector: 'CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H' });
    const ntp = byQid(s, '121695')[0];
    expect(ntp?.vulnerability).toBe('CVE-2013-5211');
    expect(s.vulns.get('CVE-2013-5211')?.cvss).toBeNull();
  });

  it('maps exploitability to a public exploit and malware to active exploitation', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    const heartbleed = s.vulns.get('CVE-2014-0160');
    expect(heartbleed?.exploitation).toBe('poc');
    expect(heartbleed?.public_poc).toBe(true);
    const shellshock = s.vulns.get('CVE-2014-6271');
    expect(shellshock?.exploitation).toBe('active');
    const detail = shellshock?.extra.exploit as { source?: string; malware?: string[]; exploits?: string[] } | undefined;
    expect(detail?.source).toBe('scanner');
    expect(detail?.malware).toContain('PERL_SHELBOT.SMA');
    expect(detail?.exploits?.some((e) => e.includes('exploit-db.com'))).toBe(true);
    expect(s.vulns.get('qualys:38738')?.exploitation).toBe('none');
    expect(s.vulns.get('qualys:38738')?.extra.solution).toEqual(expect.any(String));
  });

  it('maps severity levels 1..5 to info..critical', async () => {
    const s = await corpus('Qualys_Sample_Report.xml');
    const counts: Record<string, number> = {};
    for (const f of s.findings) counts[f.severity ?? 'null'] = (counts[f.severity ?? 'null'] ?? 0) + 1;
    expect(counts).toEqual({ info: 8, low: 39, medium: 32, high: 6, critical: 7 });
  });

  it('reads threat-intel words: Exploit_Public is public, Active_Attacks is active', async () => {
    const doc = adr([{ ip: '10.0.0.1', dns: null, dets: [{ qid: 1, type: 'Vuln', port: 443 }, { qid: 2, type: 'Vuln', port: null }] }]).replace(
      '</TITLE>',
      '</TITLE><THREAT_INTELLIGENCE><THREAT_INTEL id="1">Exploit_Public</THREAT_INTEL><THREAT_INTEL id="2">Wormable</THREAT_INTEL></THREAT_INTELLIGENCE>',
    );
    const s = await text(doc.replace('<TITLE><![CDATA[Title 2]]></TITLE>', '<TITLE><![CDATA[Title 2]]></TITLE><THREAT_INTELLIGENCE><THREAT_INTEL id="3">Active_Attacks</THREAT_INTEL></THREAT_INTELLIGENCE>'));
    expect(s.vulns.get('qualys:1')?.exploitation).toBe('poc');
    expect((s.vulns.get('qualys:1')?.extra.exploit as { threat_intel?: string[] }).threat_intel).toEqual(['Exploit_Public', 'Wormable']);
    expect(s.vulns.get('qualys:2')?.exploitation).toBe('active');
  });

  it('skips fixed detections and reads an empty report as no findings', async () => {
    const doc = adr([{ ip: '10.0.0.1', dns: 'a.example', dets: [{ qid: 5, type: 'Vuln', port: 80 }] }]).replace('<VULN_STATUS>Active', '<VULN_STATUS>Fixed');
    const s = await text(doc);
    expect(s.findings).toHaveLength(0);
    expect(s.skipped).toEqual(['Qualys detection with status Fixed']);
    expect(s.assets.map((a) => a.id)).toEqual(['host:a.example']);
    const empty = await corpus('empty.xml');
    expect(empty.findings).toHaveLength(0);
    expect(empty.assets).toHaveLength(0);
  });

  it('gives the same findings whether the glossary comes after the hosts or before them', async () => {
    const hosts: Host[] = [
      { ip: '10.0.0.1', dns: 'a.example', dets: [{ qid: 3, type: 'Vuln', port: 443 }, { qid: 4, type: 'Practice', port: null }, { qid: 6, type: 'Ig', port: null }] },
      { ip: '10.0.0.2', dns: null, dets: [{ qid: 3, type: 'Vuln', port: 8443 }] },
    ];
    const after = await text(adr(hosts, false), 13);
    const before = await text(adr(hosts, true), 13);
    expect(after.findings).toHaveLength(3);
    expect(before.findings).toEqual(after.findings);
    expect([...before.vulns.keys()].sort()).toEqual([...after.vulns.keys()].sort());
    expect(after.findings[0]?.vulnerability).toBe('CVE-2020-10003');
    expect(after.findings[0]?.title).toBe('Title 3');
  });

  it('holds thousands of detections waiting for the glossary (the buffer spills to disk) and keeps them all', async () => {
    const dets: Det[] = Array.from({ length: 2500 }, (_, i) => ({ qid: 1000 + (i % 40), type: 'Vuln', port: 1 + i }));
    const spilled = (): number => readdirSync(tmpdir()).filter((d) => d.startsWith('closeloop-deferred-')).length;
    const before = spilled();
    const s = await text(adr([{ ip: '10.1.1.1', dns: null, dets }]), 65536);
    expect(spilled()).toBe(before);
    expect(s.findings).toHaveLength(2500);
    expect(new Set(s.findings.map((f) => f.extra.port)).size).toBe(2500);
    expect(s.findings[2499]?.title).toBe(`Title ${1000 + (2499 % 40)}`);
  });
});

const SCAN_REPORT = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE SCAN SYSTEM "https://qualysguard.example/scan-1.dtd">
<SCAN value="scan/1719223200.12345">
<HEADER>
<KEY value="USERNAME">auditor</KEY>
<KEY value="TITLE"><![CDATA[Weekly DMZ]]></KEY>
<KEY value="SCAN_HOST">64.39.96.10 (Scanner 12.1.40-1, Vulnerability Signatures 2.5.800-2)</KEY>
<OPTION_PROFILE><OPTION_PROFILE_TITLE option_profile_default="0"><![CDATA[Initial Options]]></OPTION_PROFILE_TITLE></OPTION_PROFILE>
</HEADER>
<IP value="10.0.0.5" name="web01.example.com">
<OS><![CDATA[Ubuntu 18.04]]></OS>
<NETBIOS_HOSTNAME><![CDATA[WEB01]]></NETBIOS_HOSTNAME>
<INFOS><CAT value="Information gathering"><INFO number="6" severity="1"><TITLE><![CDATA[DNS Host Name]]></TITLE></INFO></CAT></INFOS>
<SERVICES><CAT value="Web server" port="443" protocol="tcp"><SERVICE number="86000" severity="1"><TITLE>Web Server Version</TITLE></SERVICE></CAT></SERVICES>
<VULNS>
<CAT value="General remote services" port="443" protocol="tcp">
<VULN number="38657" severity="3">
<TITLE><![CDATA[Birthday attacks against TLS ciphers with 64bit block size vulnerability (Sweet32)]]></TITLE>
<CVE_ID_LIST><CVE_ID><ID><![CDATA[CVE-2016-6329]]></ID></CVE_ID><CVE_ID><ID><![CDATA[CVE-2016-2183]]></ID></CVE_ID></CVE_ID_LIST>
<CVSS_BASE>5.0</CVSS_BASE>
<CVSS3_BASE>7.5 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N)</CVSS3_BASE>
<DIAGNOSIS><![CDATA[Legacy block ciphers.]]></DIAGNOSIS>
<CONSEQUENCE><![CDATA[Plaintext recovery.]]></CONSEQUENCE>
<SOLUTION><![CDATA[Disable 64 bit block ciphers.]]></SOLUTION>
<RESULT><![CDATA[DES-CBC3-SHA]]></RESULT>
</VULN>
</CAT>
<CAT value="Local"><VULN number="105971" severity="5"><TITLE>EOL software</TITLE></VULN></CAT>
</VULNS>
<PRACTICES><CAT value="Web server" port="80" protocol="tcp"><PRACTICE number="86476" severity="2"><TITLE>Web Server Stopped Responding</TITLE></PRACTICE></CAT></PRACTICES>
</IP>
<IP value="10.0.0.6"/>
</SCAN>`;

describe('Qualys scan report (XML, scan-1.dtd)', () => {
  it('imports VULN and PRACTICE entries per host, skips INFO and SERVICE, and names the scanner as vantage point', async () => {
    const s = await text(SCAN_REPORT, 17);
    expect(s.assets.map((a) => a.id)).toEqual(['host:web01.example.com', 'host:10.0.0.6']);
    expect(s.assets[0]?.also).toEqual(['web01', '10.0.0.5']);
    expect(s.assets[0]?.host?.os).toBe('Ubuntu 18.04');
    expect(s.skipped).toHaveLength(2);
    expect(s.findings).toHaveLength(3);
    const [sweet32, eol, practice] = s.findings;
    expect(sweet32).toMatchObject({ vulnerability: 'CVE-2016-2183', aliases: ['qualys:38657', 'CVE-2016-6329'], severity: 'medium', check: 'remote' });
    expect(sweet32?.extra).toMatchObject({
      port: 443,
      protocol: 'tcp',
      result: 'DES-CBC3-SHA',
      vantage_point: 'Qualys scanner 64.39.96.10 (scan "Weekly DMZ", option profile "Initial Options")',
    });
    expect(s.vulns.get('CVE-2016-2183')?.cvss).toEqual({ version: '3.0', base_score: 7.5, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' });
    expect(s.vulns.get('CVE-2016-2183')?.extra).toMatchObject({ threat: 'Legacy block ciphers.', impact: 'Plaintext recovery.', solution: 'Disable 64 bit block ciphers.' });
    expect(eol).toMatchObject({ vulnerability: 'qualys:105971', severity: 'critical', check: null });
    expect(practice?.extra).toMatchObject({ type: 'potential', port: 80 });
    expect(detectFindingFormat(Buffer.from(SCAN_REPORT), 'scan.xml')).toBe('qualys');
  });

  it('names the entry of a bad QID or severity', async () => {
    const noNumber = await importError(SCAN_REPORT.replace('<VULN number="38657" severity="3">', '<VULN severity="3">'));
    expect([noNumber.record, noNumber.field]).toEqual(['/SCAN/IP[1]/VULNS/CAT[1]/VULN[1]', 'number']);
    const badSeverity = await importError(SCAN_REPORT.replace('<PRACTICE number="86476" severity="2">', '<PRACTICE number="86476" severity="high-ish">'));
    expect([badSeverity.record, badSeverity.field]).toEqual(['/SCAN/IP[1]/PRACTICES/CAT[1]/PRACTICE[1]', 'severity']);
  });
});

describe('Qualys CSV exports', () => {
  it('imports one finding per host and QID, from the Cloud Agent as local checks', async () => {
    const s = await corpus('Qualys_Sample_Report.csv', 333);
    expect(s.findings).toHaveLength(6);
    expect(s.assets.map((a) => a.id)).toEqual([
      'host:ip-10-98-57-180.eu-west-1.compute.internal',
      'host:ip-10-98-57-151.eu-west-1.compute.internal',
      'host:ip-10-98-49-209.eu-west-1.compute.internal',
      'host:ip-10-98-35-11.eu-west-1.compute.internal',
    ]);
    expect(s.assets[0]?.also).toEqual(['ec2amaz-iu0c43l', '10.98.57.180']);
    expect(s.findings.every((f) => f.check === 'local' && f.severity === 'critical')).toBe(true);
    const [first] = s.findings;
    expect(first?.vulnerability).toBe('qualys:105971');
    expect(first?.title).toBe('EOL/Obsolete Software: Microsoft ASP.NET 1.0 Detected');
    expect(first?.extra).toMatchObject({ first_seen: '2021-05-13T07:08:28', last_seen: '2021-05-25T07:36:58', times_found: 74, cvss3_final: '7.4' });
    expect(s.vulns.get('qualys:105971')?.cvss).toEqual({ version: '3.0', base_score: 8.1, vector: 'CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    const update = s.findings.find((f) => f.extra.qid === '91762');
    expect(update?.vulnerability).toBe('CVE-2020-24587');
    expect(update?.aliases).toContain('qualys:91762');
    expect(update?.aliases).toContain('CVE-2021-31192');
  });

  it('reads the PCI layout: a potential vulnerability on a port, a remote check', async () => {
    const s = await corpus('monthly_pci_issue6932.csv');
    expect(s.findings).toHaveLength(1);
    const [f] = s.findings;
    expect(f?.asset).toBe('host:abv.xyw.com.fj');
    expect(f?.check).toBe('remote');
    expect(f?.severity).toBe('medium');
    expect(f?.extra).toMatchObject({ type: 'potential', port: 80, protocol: 'tcp', vantage_point: 'Qualys scan', last_seen: '2022-09-22T13:01:00', false_positive_status: 'Requested' });
    expect(f?.validation).toBe('unvalidated');
    expect(s.vulns.get('qualys:86476')?.cvss).toEqual({ version: '2.0', base_score: 6.4, vector: null });
    expect((await corpus('empty.csv')).findings).toHaveLength(0);
  });

  it('passes over preamble lines, names errors by their real line, and skips information gathered rows', async () => {
    const row = (qid: string, type: string, port: string, first = '01/02/2024 10:00:00'): string =>
      `"10.0.0.9","h.example","H","IP","Linux","${qid}","T ${qid}","Active","${type}","4","${port}","tcp","${first}","01/03/2024 10:00:00","CVE-2024-1234","9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"`;
    const preamble = '"Scan Results","ACME"\n"Report generated","01/04/2024"\n\n';
    const s = await text(`${preamble}${CSV_HEADER}\n${row('100', 'Vuln', '443')}\n${row('101', 'Ig', '')}\n`, 5, 'scan.csv');
    expect(s.findings).toHaveLength(1);
    expect(s.skipped).toHaveLength(1);
    expect(s.findings[0]).toMatchObject({ vulnerability: 'CVE-2024-1234', aliases: ['qualys:100'], check: 'remote', severity: 'high' });
    expect(s.vulns.get('CVE-2024-1234')?.cvss?.base_score).toBe(9.8);
    const err = await importError(`${preamble}${CSV_HEADER}\n${row('100', 'Vuln', '443')}\n${row('102', 'Vuln', 'https')}\n`, 'scan.csv');
    expect(err.record).toBe(6);
    expect(err.field).toBe('Port');
  });
});

describe('Qualys bad input', () => {
  it('refuses another XML root, and a CSV without a Qualys header, naming what the file looks like', async () => {
    const xml = await importError('<?xml version="1.0"?><SCAN_REPORT><X/></SCAN_REPORT>');
    expect(xml.record).toBeNull();
    expect(xml.message).toContain('not a Qualys report');
    const csv = await importError('asset,vulnerability\na,CVE-2024-1\n', 'x.csv');
    expect(csv.record).toBeNull();
    expect(csv.message).toContain('not a Qualys report');
    const withHint = await errorOf(
      (async () => {
        for await (const item of qualysParser.parse(chunked(Buffer.from('{"matches":[]}')), { file: 'g.json', hint: 'this looks like a grype report — try --format grype' })) void item;
      })(),
    );
    expect(withHint instanceof ImportError ? withHint.message : '').toContain('not a Qualys report: no CSV header naming IP and QID columns in its first 50 lines; this looks like a grype report — try --format grype');
  });

  it('names the detection and field of a missing QID, a bad port or date, and the glossary entry of a bad severity', async () => {
    const base = adr([{ ip: '10.0.0.1', dns: null, dets: [] }, { ip: '10.0.0.2', dns: null, dets: [{ qid: 7, type: 'Vuln', port: 22 }] }]);
    const noQid = await importError(base.replace('<QID id="qid_7">7</QID><TYPE>', '<TYPE>'));
    expect([noQid.record, noQid.field]).toEqual(['/ASSET_DATA_REPORT/HOST_LIST/HOST[2]/VULN_INFO_LIST/VULN_INFO[1]', 'QID']);
    const badPort = await importError(base.replace('<PORT>22</PORT>', '<PORT>ssh</PORT>'));
    expect([badPort.record, badPort.field]).toEqual(['/ASSET_DATA_REPORT/HOST_LIST/HOST[2]/VULN_INFO_LIST/VULN_INFO[1]', 'PORT']);
    const badDate = await importError(base.replace('<FIRST_FOUND>2024-01-02T03:04:05Z', '<FIRST_FOUND>yesterday'));
    expect(badDate.field).toBe('FIRST_FOUND');
    const badSeverity = await importError(base.replace('<SEVERITY>3</SEVERITY>', '<SEVERITY>9</SEVERITY>'));
    expect([badSeverity.record, badSeverity.field]).toEqual(['/ASSET_DATA_REPORT/GLOSSARY/VULN_DETAILS_LIST/VULN_DETAILS[1]', 'SEVERITY']);
    const noHost = await importError(base.replace('<IP>10.0.0.2</IP>', ''));
    expect([noHost.record, noHost.field]).toEqual(['/ASSET_DATA_REPORT/HOST_LIST/HOST[2]', 'IP']);
  });

  it('names the CSV line and column of a bad severity, date or QID', async () => {
    const good = '"10.0.0.9","","","","","100","T","Active","Vuln","4","","","","","",""';
    const sev = await importError(`${CSV_HEADER}\n${good}\n${good.replace('"4"', '"severe"')}\n`, 'x.csv');
    expect([sev.record, sev.field]).toEqual([3, 'Severity']);
    const date = await importError(`${CSV_HEADER}\n${good.replace('"Active","Vuln","4","","","",""', '"Active","Vuln","4","","","13/13/2024",""')}\n`, 'x.csv');
    expect([date.record, date.field]).toEqual([2, 'First Detected']);
    const qid = await importError(`${CSV_HEADER}\n${good.replace('"100"', '""')}\n`, 'x.csv');
    expect([qid.record, qid.field]).toEqual([2, 'QID']);
  });

  it('reports truncated XML as malformed, naming the place', async () => {
    const doc = adr([{ ip: '10.0.0.1', dns: null, dets: [{ qid: 7, type: 'Vuln', port: 22 }] }]);
    const err = await importError(doc.slice(0, doc.indexOf('</HOST_LIST>')));
    expect(err.message).toContain('malformed XML');
  });
});

describe('Qualys detection', () => {
  it('recognises the XML report, both CSV layouts and a CSV with a preamble, and leaves the findings CSV alone', () => {
    expect(detectFindingFormat(corpusBytes('scanners/qualys/Qualys_Sample_Report.xml'), 'r.xml')).toBe('qualys');
    expect(detectFindingFormat(corpusBytes('scanners/qualys/empty.xml'), 'r.xml')).toBe('qualys');
    expect(detectFindingFormat(corpusBytes('scanners/qualys/monthly_pci_issue6932.csv'), 'r.txt')).toBe('qualys');
    expect(detectFindingFormat(corpusBytes('scanners/qualys/Qualys_Sample_Report.csv'), 'r.txt')).toBe('qualys');
    expect(detectFindingFormat(Buffer.from(`"Scan Results"\n\n${CSV_HEADER}\n`), 'r.csv')).toBe('qualys');
    expect(detectFindingFormat(Buffer.from('asset,vulnerability,qid\nweb,CVE-2024-1,5\n'), 'f.csv')).toBe('csv');
  });
});

describe('Qualys property: random reports', () => {
  const det = fc.record({
    qid: fc.integer({ min: 1, max: 400000 }),
    type: fc.constantFrom<Det['type']>('Vuln', 'Practice', 'Ig'),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
  });
  const host = fc.record({
    ip: fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`),
    dns: fc.option(fc.stringMatching(/^[a-z][a-z0-9]{0,8}\.example$/), { nil: null }),
    dets: fc.uniqueArray(det, { maxLength: 8, selector: (d) => `${d.qid}|${String(d.port)}` }),
  });
  const hosts = fc.uniqueArray(host, { minLength: 1, maxLength: 6, selector: (h) => h.dns ?? h.ip });

  it('every non-informational detection is one finding on its host, with its QID, port and check, whatever the chunking and glossary order', async () => {
    await fc.assert(
      fc.asyncProperty(hosts, fc.integer({ min: 1, max: 300 }), fc.boolean(), async (hs, chunk, glossaryFirst) => {
        // two hosts with the same address but one without a DNS name would be one asset: keep addresses distinct
        fc.pre(new Set(hs.map((h) => h.ip)).size === hs.length);
        const s = await text(adr(hs, glossaryFirst), chunk);
        const expected = hs.flatMap((h) =>
          h.dets.filter((d) => d.type !== 'Ig').map((d) => `host:${h.dns ?? h.ip}|${d.qid}|${String(d.port)}|${d.port === null ? 'null' : 'remote'}|${d.type === 'Vuln' ? 'confirmed' : 'potential'}`),
        );
        const got = s.findings.map((f) => `${f.asset}|${String(f.extra.qid)}|${typeof f.extra.port === 'number' ? f.extra.port : 'null'}|${String(f.check)}|${String(f.extra.type)}`);
        expect(got.sort()).toEqual(expected.sort());
        expect(s.skipped).toHaveLength(hs.flatMap((h) => h.dets).filter((d) => d.type === 'Ig').length);
        expect(s.assets).toHaveLength(hs.length);
        for (const f of s.findings) {
          const qid = Number(f.extra.qid);
          expect(f.vulnerability).toBe(qid % 3 === 0 ? `CVE-2020-${10000 + qid}` : `qualys:${qid}`);
          expect(f.severity).toBe(['info', 'low', 'medium', 'high', 'critical'][qid % 5]);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('Qualys property: damaged reports of every layout', () => {
  const seeds = [
    Buffer.from(SCAN_REPORT),
    Buffer.from(adr([{ ip: '10.0.0.1', dns: 'a.example', dets: [{ qid: 3, type: 'Vuln', port: 443 }, { qid: 4, type: 'Practice', port: null }] }])),
    Buffer.from(`"Report","x"\n${CSV_HEADER}\n"10.0.0.9","h","H","IP","Linux","100","T","Active","Vuln","4","443","tcp","01/02/2024 10:00:00","","CVE-2024-1234","9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"\n`),
  ];
  const spice = ['"', ',', '\n', '<', '>', '</', '/>', '<![CDATA[', ']]>', ' port="x"', ' severity="7"', '<VULN number="1">', '<HOST>', '-', '13/13/2024'];

  it('finish with findings or an ImportError naming the file, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutations(spice, 32), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 512 }), async (i, edits, chunk) => {
        await finishesOrImportError(qualysParser, mutate(seeds[i] ?? Buffer.alloc(0), edits), chunk, 10_000);
      }),
      { numRuns: 300 },
    );
  });
});

