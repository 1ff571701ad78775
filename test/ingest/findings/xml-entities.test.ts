/**
 * XML with a DOCTYPE is read, but no entity is ever fetched or expanded (docs/formats.md, "XML"):
 * an external entity (XXE) pointing at a real HTTP server on 127.0.0.1 gets no request and a
 * local file's content never appears; nested entities (billion laughs) stay unexpanded, so the
 * parse is quick and small. Checked on the streaming reader and on every XML report format.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingParsers, type FindingFormat } from '../../../src/ingest/findings/index.js';
import { streamXml } from '../../../src/ingest/findings/xml-stream.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/receivers.js';
import { chunked, parseAll } from './helpers.js';

let receiver: HttpReceiver;
beforeAll(async () => {
  receiver = await startHttpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const LAUGHS = [
  '<!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
].join('');

/** A DOCTYPE with an external DTD, an external entity (HTTP and file) and the billion laughs. */
function hostileDoctype(root: string): string {
  return `<?xml version="1.0"?>\n<!DOCTYPE ${root} SYSTEM "${receiver.url}/dtd" [${LAUGHS}<!ENTITY xxe SYSTEM "${receiver.url}/xxe"><!ENTITY pw SYSTEM "file:///etc/passwd"><!ENTITY % p SYSTEM "${receiver.url}/param"> %p;]>\n`;
}

const passwd = ((): string | null => {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? null;
  } catch {
    return null;
  }
})();

describe('XML entities are never fetched nor expanded', () => {
  it('the streaming reader keeps entity references as written and fetches nothing', async () => {
    const doc = `${hostileDoctype('r')}<r><a>&lol9;</a><a>&xxe;</a><a>&pw;</a><a>&amp;&#65;</a></r>`;
    const texts: string[] = [];
    for await (const { node } of streamXml(chunked(Buffer.from(doc), 7), (p) => p.length === 2, { file: 'hostile.xml' })) texts.push(node.text);
    expect(texts).toEqual(['&lol9;', '&xxe;', '&pw;', '&A']);
    expect(receiver.requests).toEqual([]);
  });

  /** A minimal report of each XML format, one finding, with the entities in its text fields. */
  const REPORTS: Partial<Record<FindingFormat, (prolog: string) => string>> = {
    'dependency-check': (p) =>
      `${p}<analysis><projectInfo><name>&lol9;</name></projectInfo><dependencies><dependency><fileName>a.jar</fileName><filePath>/a.jar</filePath><vulnerabilities><vulnerability><name>CVE-2021-44228</name><description>&xxe; &pw; &lol9;</description></vulnerability></vulnerabilities></dependency></dependencies></analysis>`,
    cyclonedx: (p) =>
      `${p}<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><metadata><component type="application" bom-ref="app"><name>&lol9;</name></component></metadata><components><component type="library" bom-ref="c1"><name>log4j</name><version>2.14</version></component></components><vulnerabilities><vulnerability><id>CVE-2021-44228</id><description>&xxe; &pw; &lol9;</description><affects><target><ref>c1</ref></target></affects></vulnerability></vulnerabilities></bom>`,
    openvas: (p) =>
      `${p}<report id="r1"><task><name>&lol9;</name></task><report id="r1"><gmp><version>22.6</version></gmp><results><result id="x"><name>&xxe;</name><host>10.0.0.1<hostname>&pw;</hostname></host><port>443/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.1"><name>&lol9;</name><tags>summary=&xxe; &pw; &lol9;</tags><refs><ref type="cve" id="CVE-2021-44228"/></refs></nvt><threat>High</threat><severity>9.8</severity><description>&xxe; &pw;</description></result></results></report></report>`,
    tenable: (p) =>
      `${p}<NessusClientData_v2><Policy><policyName>&lol9;</policyName></Policy><Report name="r"><ReportHost name="10.0.0.1"><HostProperties><tag name="host-fqdn">&xxe;</tag><tag name="operating-system">&pw;</tag></HostProperties><ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="1" pluginName="&lol9;"><cve>CVE-2021-44228</cve><description>&xxe; &pw; &lol9;</description></ReportItem></ReportHost></Report></NessusClientData_v2>`,
    zap: (p) =>
      `${p}<OWASPZAPReport version="2.16.1" generated="&lol9;"><site name="https://a.example" host="a.example" port="443" ssl="true"><alerts><alertitem><pluginid>10020</pluginid><alert>&lol9;</alert><riskcode>2</riskcode><desc>&xxe; &pw; &lol9;</desc><instances><instance><uri>https://a.example/&xxe;</uri><evidence>&pw;</evidence></instance></instances></alertitem></alerts></site></OWASPZAPReport>`,
    qualys: (p) =>
      `${p}<ASSET_DATA_REPORT><HEADER><TEMPLATE>&lol9;</TEMPLATE></HEADER><HOST_LIST><HOST><IP>10.0.0.1</IP><DNS>&xxe;</DNS><VULN_INFO_LIST><VULN_INFO><QID id="qid_38170">38170</QID><TYPE>Vuln</TYPE><PORT>443</PORT><PROTOCOL>tcp</PROTOCOL><RESULT>&pw; &lol9;</RESULT></VULN_INFO></VULN_INFO_LIST></HOST></HOST_LIST><GLOSSARY><VULN_DETAILS_LIST><VULN_DETAILS id="qid_38170"><QID id="qid_38170">38170</QID><TITLE>&lol9;</TITLE><SEVERITY>2</SEVERITY><THREAT>&xxe; &pw;</THREAT></VULN_DETAILS></VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>`,
  };

  for (const [format, build] of Object.entries(REPORTS) as [FindingFormat, (p: string) => string][]) {
    it(`${format}: a report with a hostile DOCTYPE is read, entities unexpanded`, async () => {
      const root = /<([A-Za-z_][\w.-]*)[\s>]/.exec(build(''))?.[1] ?? 'x';
      const before = receiver.requests.length;
      const items = await parseAll(findingParsers[format], chunked(Buffer.from(build(hostileDoctype(root))), 64), `hostile.${format}.xml`);
      expect(items.filter((i) => i.kind === 'finding').length).toBeGreaterThan(0);
      const text = JSON.stringify(items);
      expect(text).not.toContain('lollollol');
      if (passwd !== null && passwd !== '') expect(text).not.toContain(passwd);
      expect(text.length).toBeLessThan(20_000);
      expect(receiver.requests.length).toBe(before);
    });
  }
});
