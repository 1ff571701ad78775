/**
 * The ZAP importer in detail: the mapping on the corpus reports (asset and host facts, port,
 * check and vantage point, ids, CWE, merged repeats, instances), the JSON report read as the
 * same findings as the XML one (each corpus report converted here), bad input, detection, and
 * properties over generated reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FindingRecord, VulnerabilityRecord } from '../../../src/domain/records.js';
import { ImportError } from '../../../src/errors.js';
import { detectFindingFormat } from '../../../src/ingest/findings/index.js';
import { streamXml, type XmlNode } from '../../../src/ingest/findings/xml-stream.js';
import { MAX_INSTANCES, zapParser, zapText } from '../../../src/ingest/findings/zap.js';
import type { AssetRef, ImportItem } from '../../../src/ingest/types.js';
import { chunked, corpusBytes, corpusFiles, errorOf, parseAll } from './helpers.js';

const findingsOf = (items: ImportItem[]): FindingRecord[] => items.flatMap((i) => (i.kind === 'finding' ? [i.record] : []));
const assetsOf = (items: ImportItem[]): AssetRef[] => items.flatMap((i) => (i.kind === 'asset_ref' ? [i.record] : []));
const vulnsOf = (items: ImportItem[]): VulnerabilityRecord[] => items.flatMap((i) => (i.kind === 'vulnerability' ? [i.record] : []));

/** The last record of each fingerprint, in first-seen order: what the store keeps. */
function kept(items: ImportItem[]): FindingRecord[] {
  const last = new Map<string, FindingRecord>();
  for (const f of findingsOf(items)) last.set(f.fingerprint, f);
  return [...last.values()];
}

async function parseFile(rel: string, chunk = 0): Promise<ImportItem[]> {
  return parseAll(zapParser, chunked(corpusBytes(rel), chunk), rel);
}

async function parseText(text: string, chunk = 0, file = 'zap.xml'): Promise<ImportItem[]> {
  return parseAll(zapParser, chunked(Buffer.from(text), chunk), file);
}

function byPlugin(findings: FindingRecord[], plugin: string): FindingRecord {
  const f = findings.find((x) => x.extra.plugin_id === plugin);
  if (f === undefined) throw new Error(`no finding of plugin ${plugin}`);
  return f;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

async function importErrorOf(p: Promise<unknown>): Promise<ImportError> {
  const err = await errorOf(p);
  expect(err).toBeInstanceOf(ImportError);
  if (!(err instanceof ImportError)) throw new Error('expected an ImportError');
  return err;
}

// ---------------------------------------------------------------------------------------------
// Building reports (XML and the traditional JSON) from a simple model

interface Inst {
  uri: string;
  method?: string;
  param?: string;
  attack?: string;
  evidence?: string;
  otherinfo?: string;
}
interface Alert {
  pluginid: string;
  alertRef?: string;
  /** The alert's title when it differs from its name. */
  alert?: string;
  name: string;
  riskcode: string;
  confidence?: string;
  desc?: string;
  instances: Inst[];
  count?: string;
  solution?: string;
  otherinfo?: string;
  reference?: string;
  cweid?: string;
  wascid?: string;
  tags?: { tag: string; link: string }[];
}
interface Site {
  name: string;
  host: string;
  port: string;
  ssl: string;
  alerts: Alert[];
}
interface Report {
  version: string;
  generated: string;
  sites: Site[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, v: string | undefined): string => (v === undefined ? '' : `<${name}>${esc(v)}</${name}>`);

function toXml(r: Report): string {
  const alert = (a: Alert): string =>
    `<alertitem>${el('pluginid', a.pluginid)}${el('alertRef', a.alertRef)}${el('alert', a.alert ?? a.name)}${el('name', a.name)}${el('riskcode', a.riskcode)}${el('confidence', a.confidence)}${el('desc', a.desc)}<instances>${a.instances
      .map((i) => `<instance>${el('uri', i.uri)}${el('method', i.method)}${el('param', i.param)}${el('attack', i.attack)}${el('evidence', i.evidence)}${el('otherinfo', i.otherinfo)}</instance>`)
      .join('')}</instances>${el('count', a.count)}${el('solution', a.solution)}${el('otherinfo', a.otherinfo)}${el('reference', a.reference)}${el('cweid', a.cweid)}${el('wascid', a.wascid)}${
      a.tags === undefined ? '' : `<tags>${a.tags.map((t) => `<tag>${el('tag', t.tag)}${el('link', t.link)}</tag>`).join('')}</tags>`
    }</alertitem>`;
  const sites = r.sites.map((s) => `<site name="${esc(s.name)}" host="${esc(s.host)}" port="${esc(s.port)}" ssl="${esc(s.ssl)}"><alerts>${s.alerts.map(alert).join('\n')}</alerts></site>`);
  return `<?xml version="1.0"?><OWASPZAPReport programName="ZAP" version="${esc(r.version)}" generated="${esc(r.generated)}">\n${sites.join('\n')}</OWASPZAPReport>`;
}

function toJsonValue(r: Report): unknown {
  return {
    '@programName': 'ZAP',
    '@version': r.version,
    '@generated': r.generated,
    site: r.sites.map((s) => ({ '@name': s.name, '@host': s.host, '@port': s.port, '@ssl': s.ssl, alerts: s.alerts.map((a) => ({ ...a, alert: a.alert ?? a.name })) })),
  };
}

/** A corpus XML report as the model (read whole with the streaming reader's tree: test files are small). */
async function modelOf(rel: string): Promise<Report> {
  let root: XmlNode | null = null;
  for await (const { node } of streamXml(chunked(corpusBytes(rel)), (p) => p.length === 1, { file: rel })) root = node;
  if (root === null) throw new Error(`no root in ${rel}`);
  const text = (n: XmlNode, name: string): string | undefined => {
    const t = n.children.find((c) => c.name === name)?.text.trim();
    return t === undefined || t === '' ? undefined : t;
  };
  const kids = (n: XmlNode | undefined, name: string): XmlNode[] => n?.children.filter((c) => c.name === name) ?? [];
  const one = (n: XmlNode, name: string): XmlNode | undefined => n.children.find((c) => c.name === name);
  return {
    version: root.attrs.version ?? '',
    generated: root.attrs.generated ?? '',
    sites: kids(root, 'site').map((s) => ({
      name: s.attrs.name ?? '',
      host: s.attrs.host ?? '',
      port: s.attrs.port ?? '',
      ssl: s.attrs.ssl ?? '',
      alerts: kids(one(s, 'alerts'), 'alertitem').map((a) => {
        const tags = kids(one(a, 'tags'), 'tag').map((t) => ({ tag: text(t, 'tag') ?? '', link: text(t, 'link') ?? '' }));
        const alert: Alert = {
          pluginid: text(a, 'pluginid') ?? '',
          alert: text(a, 'alert'),
          name: text(a, 'name') ?? text(a, 'alert') ?? '',
          riskcode: text(a, 'riskcode') ?? '',
          instances: kids(one(a, 'instances'), 'instance').map((i) => ({ uri: text(i, 'uri') ?? '', method: text(i, 'method'), param: text(i, 'param'), attack: text(i, 'attack'), evidence: text(i, 'evidence'), otherinfo: text(i, 'otherinfo') })),
        };
        for (const k of ['alertRef', 'confidence', 'desc', 'count', 'solution', 'otherinfo', 'reference', 'cweid', 'wascid'] as const) {
          const v = text(a, k);
          if (v !== undefined) alert[k] = v;
        }
        if (tags.length > 0) alert.tags = tags;
        return alert;
      }),
    })),
  };
}

/** Findings without the record they came from (an XPath or a JSON path), to compare layouts. */
const comparable = (items: ImportItem[]): unknown[] =>
  findingsOf(items).map((f) => {
    const { record: _record, ...extra } = f.extra;
    return { ...f, extra };
  });

// ---------------------------------------------------------------------------------------------

describe('ZAP importer: mapping on the corpus reports', () => {
  it('juicy2.xml: one host asset, remote check with the scan as vantage point, port and service', async () => {
    const items = await parseFile('scanners/zap/juicy2.xml');
    const assets = assetsOf(items);
    expect(assets).toHaveLength(1);
    const vantage = 'ZAP 2.10.0 scan of https://juice-shop.herokuapp.com (report generated Tue, 14 Sep 2021 14:44:51)';
    expect(assets[0]).toMatchObject({ id: 'host:juice-shop.herokuapp.com', also: [], host: { fqdn: 'juice-shop.herokuapp.com', ip: null, scanner: vantage } });
    const findings = kept(items);
    expect(findings).toHaveLength(6);
    for (const f of findings) {
      expect(f.asset).toBe('host:juice-shop.herokuapp.com');
      expect(f.check).toBe('remote');
      expect(f.extra).toMatchObject({ port: 443, protocol: 'tcp', service: 'https', vantage_point: vantage, site: 'https://juice-shop.herokuapp.com' });
      expect(f.source).toBe('zap');
      expect(f.extra.first_seen).toBeUndefined();
    }
    const cache = byPlugin(findings, '10015');
    expect(cache).toMatchObject({ vulnerability: 'zap:10015', severity: 'low', cwe: ['CWE-525'], validation: 'unvalidated', fixed_version: null });
    expect(cache.extra).toMatchObject({ confidence: 2, confidence_word: 'medium', wasc_id: 13, count: 78, instances_listed: 20 });
    expect(list(cache.extra.instances)).toHaveLength(20);
    expect(list(cache.extra.instances)[0]).toMatchObject({ uri: 'https://juice-shop.herokuapp.com/assets/public/assets/public/assets/public/assets/public/main-es2018.js', method: 'GET', param: 'Cache-Control' });
    expect(byPlugin(findings, '10027').severity).toBe('info');
    const vulns = vulnsOf(items);
    expect(vulns.map((v) => v.id).sort()).toEqual(['zap:10015', 'zap:10017', 'zap:10027', 'zap:10055', 'zap:10096', 'zap:10098']);
    expect(vulns.every((v) => v.cvss === null && v.public_poc === false && v.exploitation === 'none')).toBe(true);
  });

  it('dvwa_baseline_dojo.xml: an IP host; a plugin listed twice for the site is one finding with both entries', async () => {
    const items = await parseFile('scanners/zap/dvwa_baseline_dojo.xml');
    expect(assetsOf(items)[0]).toMatchObject({ id: 'host:172.17.0.2', host: { ip: '172.17.0.2', fqdn: null } });
    const raw = findingsOf(items);
    expect(raw).toHaveLength(19);
    const findings = kept(items);
    expect(findings).toHaveLength(18);
    const comments = findings.filter((f) => f.extra.plugin_id === '10027');
    expect(comments).toHaveLength(1);
    expect(comments[0]?.extra).toMatchObject({ report_entries: 2, instances_listed: 3, count: 3, confidence: 2 });
    expect(list(comments[0]?.extra.instances)).toHaveLength(3);
    expect(byPlugin(findings, '10020').extra).toMatchObject({ port: 80, service: 'http' });
    // 10108 Reverse Tabnabbing has no cweid
    expect(byPlugin(findings, '10108').cwe).toEqual([]);
    // ZAP's HTML paragraphs are plain text
    expect(byPlugin(findings, '10096').extra.other_info).toBe('1019803690, which evaluates to: 2002-04-26 06:48:10');
  });

  it('zap_2.16.1_with_req_resp.xml: tags, cweid -1, no request or response kept', async () => {
    const items = await parseFile('scanners/zap/zap_2.16.1_with_req_resp.xml');
    const findings = kept(items);
    expect(findings.map((f) => f.severity)).toEqual(['info', 'info', 'info', 'info']);
    expect(byPlugin(findings, '10111').cwe).toEqual([]);
    const poisoning = byPlugin(findings, '10029');
    expect(poisoning.cwe).toEqual(['CWE-565']);
    expect(poisoning.extra.tags).toEqual(['CWE-565', 'OWASP_2021_A03', 'POLICY_QA_STD', 'POLICY_PENTEST', 'OWASP_2017_A01', 'POLICY_DEV_STD']);
    expect(poisoning.extra.confidence).toBe(1);
    expect(vulnsOf(items).find((v) => v.id === 'zap:10029')?.references).toContain('https://cwe.mitre.org/data/definitions/565.html');
    const text = JSON.stringify(items);
    expect(text).not.toContain('Bearer');
    expect(text).not.toContain('Set-Cookie: TiPMix');
    expect(findings[0]?.extra.vantage_point).toBe('ZAP 2.16.1 scan of https://example-domain.com (report generated Sun, 22 Jun 2025 04:04:14)');
  });

  it('zap-xml-plus-format.xml: a local port, no program name (ZAP assumed), request and response left out', async () => {
    const items = await parseFile('scanners/zap/zap-xml-plus-format.xml');
    const [f] = kept(items);
    expect(f).toMatchObject({ asset: 'host:localhost', vulnerability: 'zap:90028', severity: 'medium', title: 'Insecure HTTP Method - PUT', cwe: ['CWE-200'] });
    expect(f?.extra).toMatchObject({ port: 8080, service: 'http', wasc_id: 45, vantage_point: 'ZAP 2.11.1 scan of http://localhost:8080 (report generated Fr., 30 Sep. 2022 08:40:35)' });
    expect(JSON.stringify(items)).not.toContain('JSESSIONID');
  });

  it('some_2.9.0.xml: HTML paragraphs read as text; 5_zap_sample_one.xml: the merged repeat keeps the first title', async () => {
    const some = kept(await parseFile('scanners/zap/some_2.9.0.xml'));
    const samesite = byPlugin(some, '10054');
    expect(samesite.extra.solution).toBe("Ensure that the SameSite attribute is set to either 'lax' or ideally 'strict' for all cookies.");
    const sample = await parseFile('scanners/zap/5_zap_sample_one.xml');
    const [merged] = kept(sample);
    expect(merged).toMatchObject({ title: 'zap1: Cookie Without Secure Flag', vulnerability: 'zap:10011' });
    expect(merged?.extra).toMatchObject({ report_entries: 2, instances_listed: 6, count: 6 });
    expect(vulnsOf(sample)[0]?.title).toBe('Cookie Without Secure Flag');
  });

  it('empty_2.9.0.xml: the site is a scanned target with no findings', async () => {
    const items = await parseFile('scanners/zap/empty_2.9.0.xml');
    expect(findingsOf(items)).toEqual([]);
    expect(items).toEqual([expect.objectContaining({ kind: 'asset_ref', scanKey: 'zap|host:isaac.nl' })]);
  });

  it('zapText: HTML paragraphs to lines, entities decoded; plain text as it is', () => {
    expect(zapText('<p>a &lt;b&gt; &amp; &#39;c&#x27;</p><p>d</p>')).toBe("a <b> & 'c'\nd");
    expect(zapText('plain <p> text')).toBe('plain <p> text');
    expect(zapText('<p></p>')).toBeNull();
    expect(zapText('   ')).toBeNull();
  });
});

describe('streamXml: select sees attributes, ahead of the matches', () => {
  it('passes each element\'s attributes to select, which runs before the chunk\'s matches are yielded', async () => {
    const doc = '<r><s n="1"><a>x</a></s><s n="2"><a>y</a></s></r>';
    const seen: string[] = [];
    const log: string[] = [];
    const select = (p: readonly string[], attrs: Readonly<Record<string, string>>): boolean => {
      if (p.length === 2) seen.push(attrs.n ?? '?');
      return p.length === 3;
    };
    for await (const { node } of streamXml(chunked(Buffer.from(doc)), select, { file: 'x.xml' })) log.push(`${node.text}@${seen.join(',')}`);
    // one chunk: both sites were opened before the first match came out
    expect(log).toEqual(['x@1,2', 'y@1,2']);
  });
});

describe('ZAP importer: ids, confidence, several sites', () => {
  const site = (alerts: Alert[], over: Partial<Site> = {}): Site => ({ name: 'https://app.example.org', host: 'app.example.org', port: '443', ssl: 'true', alerts, ...over });
  const alert = (over: Partial<Alert>): Alert => ({ pluginid: '40043', name: 'Log4Shell', riskcode: '3', confidence: '2', instances: [{ uri: 'https://app.example.org/' }], ...over });
  const report = (sites: Site[]): Report => ({ version: '2.14.0', generated: 'Mon, 1 Jan 2024 10:00:00', sites });

  it('an alert naming exactly one CVE is keyed by it; several CVEs stay in extra, keyed by the ZAP id', async () => {
    const items = await parseText(
      toXml(
        report([
          site([
            alert({ tags: [{ tag: 'CVE-2021-44228', link: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' }] }),
            alert({ pluginid: '10003', name: 'Vulnerable JS Library', riskcode: '2', otherinfo: 'CVE-2020-11022 CVE-2020-11023' }),
          ]),
        ]),
      ),
    );
    const [log4shell, jsLib] = kept(items);
    expect(log4shell).toMatchObject({ vulnerability: 'CVE-2021-44228', aliases: ['zap:40043'], severity: 'high' });
    expect(vulnsOf(items)[0]).toMatchObject({ id: 'CVE-2021-44228', title: 'Log4Shell', extra: { zap_id: 'zap:40043' } });
    expect(jsLib).toMatchObject({ vulnerability: 'zap:10003', aliases: [] });
    expect(jsLib?.extra.cves).toEqual(['CVE-2020-11022', 'CVE-2020-11023']);
  });

  it('alertRef with a variant is the id; confidence 0 is a false positive, 4 validated', async () => {
    const items = await parseText(
      toXml(
        report([
          site([
            alert({ pluginid: '10038', alertRef: '10038-1', name: 'CSP: Wildcard', riskcode: '2', confidence: '0' }),
            alert({ pluginid: '10038', alertRef: '10038', name: 'CSP Header Not Set', riskcode: '2', confidence: '4' }),
          ]),
        ]),
      ),
    );
    const [variant, plain] = kept(items);
    expect(variant).toMatchObject({ vulnerability: 'zap:10038-1', validation: 'false_positive' });
    expect(variant?.extra).toMatchObject({ confidence: 0, confidence_word: 'false positive', plugin_id: '10038', alert_ref: '10038-1' });
    expect(plain).toMatchObject({ vulnerability: 'zap:10038', validation: 'validated' });
  });

  it('two sites of one host are one asset and separate findings; a merged repeat takes the highest risk', async () => {
    const a = alert({ pluginid: '10020', name: 'X-Frame-Options Header Not Set', riskcode: '1' });
    const items = await parseText(
      toXml(
        report([
          site([a, { ...a, riskcode: '2', confidence: '3', instances: Array.from({ length: MAX_INSTANCES + 5 }, (_, i) => ({ uri: `https://app.example.org/${i}` })) }]),
          site([a], { name: 'http://app.example.org:8080', port: '8080', ssl: 'false' }),
        ]),
      ),
    );
    expect(assetsOf(items).map((x) => x.id)).toEqual(['host:app.example.org']);
    const findings = kept(items);
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({ severity: 'medium', extra: { site: 'https://app.example.org', port: 443, confidence: 3, instances_listed: MAX_INSTANCES + 6 } });
    expect(list(findings[0]?.extra.instances)).toHaveLength(MAX_INSTANCES);
    expect(findings[1]).toMatchObject({ severity: 'low', extra: { site: 'http://app.example.org:8080', port: 8080, service: 'http' } });
  });
});

describe('ZAP importer: the JSON report reads as the XML one', () => {
  for (const file of corpusFiles('zap')) {
    it(`${file} converted to JSON gives the same findings, vulnerabilities and assets`, async () => {
      const model = await modelOf(file);
      const xml = await parseFile(file);
      const json = await parseText(JSON.stringify(toJsonValue(model), null, 1), 777, 'zap.json');
      expect(comparable(json)).toEqual(comparable(xml));
      expect(vulnsOf(json)).toEqual(vulnsOf(xml));
      expect(assetsOf(json)).toEqual(assetsOf(xml));
    });
  }

  it('a JSON record is named by its JSON path', async () => {
    const json = await parseText(JSON.stringify(toJsonValue(await modelOf('scanners/zap/juicy2.xml'))), 0, 'zap.json');
    expect(findingsOf(json)[5]?.extra.record).toBe('$.site[0].alerts[5]');
    const xml = await parseFile('scanners/zap/juicy2.xml');
    expect(findingsOf(xml)[5]?.extra.record).toBe('/OWASPZAPReport/site[1]/alerts/alertitem[6]');
  });

  it('reads a single site object (older ZAP) and a site whose header follows its alerts', async () => {
    const model = await modelOf('scanners/zap/some_2.9.0.xml');
    const expected = comparable(await parseFile('scanners/zap/some_2.9.0.xml')).length;
    const value = toJsonValue(model) as { site: Record<string, unknown>[] };
    const single = { ...value, site: value.site[0] };
    expect(findingsOf(await parseText(JSON.stringify(single), 0, 'zap.json'))).toHaveLength(expected);
    const s = value.site[0] ?? {};
    const late = { ...value, site: [{ alerts: s.alerts, '@name': s['@name'], '@host': s['@host'], '@port': s['@port'], '@ssl': s['@ssl'] }] };
    const items = await parseText(JSON.stringify(late), 13, 'zap.json');
    expect(findingsOf(items)).toHaveLength(expected);
    expect(findingsOf(items)[0]).toMatchObject({ asset: 'host:mainsite.com', extra: { port: 443 } });
  });
});

describe('ZAP importer: bad input', () => {
  const xmlWith = (alertitems: string, siteAttrs = 'name="https://a.example" host="a.example" port="443" ssl="true"'): string =>
    `<OWASPZAPReport version="2.9.0"><site ${siteAttrs}><alerts>${alertitems}</alerts></site></OWASPZAPReport>`;
  const ok = '<alertitem><pluginid>1</pluginid><alert>x</alert><riskcode>1</riskcode></alertitem>';

  it('names the alert and the field', async () => {
    let err = await importErrorOf(parseText(xmlWith(`${ok}<alertitem><alert>x</alert><riskcode>1</riskcode></alertitem>`), 5, 'bad.xml'));
    expect(err).toMatchObject({ file: 'bad.xml', record: '/OWASPZAPReport/site[1]/alerts/alertitem[2]', field: 'pluginid' });
    err = await importErrorOf(parseText(xmlWith('<alertitem><pluginid>1</pluginid><riskcode>7</riskcode></alertitem>'), 0, 'bad.xml'));
    expect(err).toMatchObject({ record: '/OWASPZAPReport/site[1]/alerts/alertitem[1]', field: 'riskcode' });
    expect(err.message).toContain('riskcode must be an integer from 0 to 3, got "7"');
    err = await importErrorOf(parseText(xmlWith('<alertitem><pluginid>1</pluginid><riskcode>1</riskcode><confidence>high</confidence></alertitem>'), 0, 'bad.xml'));
    expect(err).toMatchObject({ field: 'confidence' });
    err = await importErrorOf(parseText(xmlWith('<alertitem><pluginid>1</pluginid></alertitem>'), 0, 'bad.xml'));
    expect(err).toMatchObject({ field: 'riskcode' });
    err = await importErrorOf(parseText(xmlWith(ok, 'port="443"'), 0, 'bad.xml'));
    expect(err).toMatchObject({ record: '/OWASPZAPReport/site[1]', field: 'name' });
  });

  it('reads the risk from riskdesc when riskcode is missing', async () => {
    const items = await parseText(xmlWith('<alertitem><pluginid>1</pluginid><riskdesc>Medium (High)</riskdesc></alertitem>'));
    expect(findingsOf(items)[0]?.severity).toBe('medium');
  });

  it('refuses what is not a ZAP report', async () => {
    let err = await importErrorOf(parseText('<analysis><dependencies/></analysis>', 0, 'x.xml'));
    expect(err).toMatchObject({ record: null, field: null });
    expect(err.message).toContain('not a ZAP report: root element <analysis>');
    err = await importErrorOf(parseText('{"matches":[]}', 0, 'x.json'));
    expect(err.message).toContain('not a ZAP report');
    err = await importErrorOf(parseText('{"site":[{"@name":"https://a.example","alerts":[5]}]}', 0, 'x.json'));
    expect(err).toMatchObject({ record: '$.site[0].alerts[0]' });
    err = await importErrorOf(parseText('{"site":[{"@name":"https://a.example","alerts":[{"riskcode":"1"}]}]}', 0, 'x.json'));
    expect(err).toMatchObject({ record: '$.site[0].alerts[0]', field: 'pluginid' });
    err = await importErrorOf(parseText('{"site":[{"@port":"80","alerts":[{"pluginid":"1","riskcode":"1"}]}]}', 0, 'x.json'));
    expect(err).toMatchObject({ record: '$.site[0]', field: '@name' });
  });

  it('a truncated report fails with an ImportError naming a place, in either layout', async () => {
    const xml = corpusBytes('scanners/zap/dvwa_baseline_dojo.xml');
    const json = Buffer.from(JSON.stringify(toJsonValue(await modelOf('scanners/zap/dvwa_baseline_dojo.xml'))));
    for (const bytes of [xml, json]) {
      const err = await importErrorOf(parseAll(zapParser, chunked(bytes.subarray(0, Math.floor(bytes.length / 3)), 1000), 'cut'));
      expect(err.file).toBe('cut');
      expect(err.record).not.toBeNull();
    }
  });
});

describe('ZAP importer: detection', () => {
  it('detects the XML report of every version and the JSON report', async () => {
    for (const file of corpusFiles('zap')) {
      const bytes = corpusBytes(file);
      expect(detectFindingFormat(bytes, file), file).toBe('zap');
      const json = Buffer.from(JSON.stringify(toJsonValue(await modelOf(file)), null, 2));
      expect(detectFindingFormat(json, 'report.json'), `${file} as JSON`).toBe('zap');
    }
    expect(detectFindingFormat(Buffer.from('{"@version":"2.9.0","@generated":"x","site":[]}'), 'r.json')).toBe('zap');
    expect(detectFindingFormat(Buffer.from('\ufeff{ "@generated": "x", "site": [] }'), 'r.json')).toBe('zap');
    expect(detectFindingFormat(Buffer.from('{"runs":[],"version":"2.1.0","x":{"@version":"1"}}'), 'r.sarif')).toBe('sarif');
    expect(detectFindingFormat(Buffer.from('<OWASPZAPReportX/>'), 'r.xml')).toBeNull();
  });
});

describe('ZAP importer: properties', () => {
  const host = fc.constantFrom('app.example.org', 'api.example.org', '10.1.2.3', 'Intranet.Local');
  const alertArb = fc.record({
    risk: fc.integer({ min: 0, max: 3 }),
    confidence: fc.integer({ min: 0, max: 4 }),
    cwe: fc.integer({ min: -1, max: 1000 }),
    instances: fc.array(fc.record({ path: fc.stringMatching(/^[a-z0-9/]{0,12}$/), param: fc.string({ maxLength: 8 }) }), { maxLength: 4 }),
    text: fc.string({ maxLength: 30 }),
  });
  const siteArb = fc.record({
    host,
    ssl: fc.boolean(),
    port: fc.integer({ min: 1, max: 65535 }),
    alerts: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 99999 }), alertArb), { maxLength: 6, selector: ([id]) => id }),
  });
  const reportArb = fc.uniqueArray(siteArb, { minLength: 1, maxLength: 4, selector: (s) => `${String(s.ssl)}:${s.port}` });
  const chunk = fc.integer({ min: 1, max: 300 });

  it('N generated alerts are N findings on their hosts and ports, the same from XML and from JSON in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(reportArb, chunk, chunk, async (sites, c1, c2) => {
        const model: Report = {
          version: '2.15.0',
          generated: 'now',
          sites: sites.map((s) => {
            const name = `${s.ssl ? 'https' : 'http'}://${s.host}:${s.port}`;
            return {
              name,
              host: s.host,
              port: String(s.port),
              ssl: String(s.ssl),
              alerts: s.alerts.map(([id, a]) => ({
                pluginid: String(id),
                name: `alert ${a.text}`,
                riskcode: String(a.risk),
                confidence: String(a.confidence),
                cweid: String(a.cwe),
                desc: a.text,
                instances: a.instances.map((i) => ({ uri: `${name}/${i.path}`, method: 'GET', param: i.param })),
              })),
            };
          }),
        };
        const xml = await parseText(toXml(model), c1);
        const json = await parseText(JSON.stringify(toJsonValue(model)), c2, 'zap.json');
        const expected = sites.flatMap((s) =>
          s.alerts.map(([id, a]) => ({
            vulnerability: `zap:${id}`,
            asset: `host:${s.host.toLowerCase()}`,
            severity: ['info', 'low', 'medium', 'high'][a.risk],
            validation: a.confidence === 0 ? 'false_positive' : a.confidence === 4 ? 'validated' : 'unvalidated',
            cwe: a.cwe > 0 ? [`CWE-${a.cwe}`] : [],
            port: s.port,
            instances: a.instances.length,
          })),
        );
        const got = kept(xml).map((f) => ({
          vulnerability: f.vulnerability,
          asset: f.asset,
          severity: f.severity,
          validation: f.validation,
          cwe: f.cwe,
          port: f.extra.port,
          instances: list(f.extra.instances).length,
        }));
        expect(got).toEqual(expected);
        expect(comparable(json)).toEqual(comparable(xml));
        expect(new Set(assetsOf(xml).map((a) => a.id))).toEqual(new Set(sites.map((s) => `host:${s.host.toLowerCase()}`)));
      }),
      { numRuns: 60 },
    );
  });
});
