#!/usr/bin/env node
/**
 * The network, DAST and code scanner importers on large generated reports: each parser (from
 * dist/, what `closeloop import findings` runs) reads a report of N findings in a child process of
 * its own, so its maxRSS is its own. Shows that every importer streams: memory stays flat as the
 * report grows (run with two sizes to see it), and how many findings per second each reads.
 *
 *   npm run build && node bench/scanner-reports.mjs [--report-findings 100000] [--hosts 500]
 *                                                    [--formats tenable,qualys,…] [--json FILE]
 *
 * Reports are generated into bench/data/ (gitignored) and reused. Other options that
 * `npm run bench` passes to every benchmark (`--findings`, `--pg`, `--assets`, …) are ignored here:
 * the store benchmarks' million findings would make eight reports of about a gigabyte each.
 * Printed per format: the report's size, findings read, wall time, findings/s, CPU time and the
 * child's maxRSS (process.resourceUsage(), modules loaded first).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const DATA = path.join(here, 'data');
const FORMATS = ['tenable', 'qualys', 'openvas', 'zap', 'snyk', 'semgrep', 'govulncheck', 'generic'];

function parseArgs(argv) {
  const o = { findings: 100000, hosts: 500, formats: FORMATS, json: null, child: null, file: null };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    const takesValue = i + 1 < argv.length && !argv[i + 1].startsWith('--');
    const v = takesValue ? argv[++i] : null;
    if (k === 'report-findings') o.findings = Number(v);
    else if (k === 'hosts') o.hosts = Number(v);
    else if (k === 'formats') o.formats = String(v).split(',');
    else if (k === 'json' || k === 'child' || k === 'file') o[k] = v;
  }
  for (const f of o.formats) if (!FORMATS.includes(f)) throw new Error(`unknown format ${f} (${FORMATS.join(', ')})`);
  return o;
}

const TEXT = 'The remote service is affected by a vulnerability that lets an unauthenticated attacker run code. '.repeat(4);
const cve = (i) => `CVE-20${String(10 + (i % 15)).padStart(2, '0')}-${String(10000 + (i % 40000))}`;
const ip = (h) => `10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`;

/** Writes `n` findings spread over `hosts` hosts in the format's own layout. */
async function generate(format, file, n, hosts) {
  const out = createWriteStream(file);
  const w = async (s) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const per = Math.max(1, Math.ceil(n / hosts));
  const hostCount = Math.ceil(n / per);
  let i = 0;
  switch (format) {
    case 'tenable':
      await w('<?xml version="1.0" ?>\n<NessusClientData_v2><Policy><policyName>Bench</policyName></Policy><Report name="bench">\n');
      for (let h = 0; h < hostCount; h++) {
        await w(`<ReportHost name="${ip(h)}"><HostProperties><tag name="host-ip">${ip(h)}</tag><tag name="host-fqdn">h${h}.bench.example</tag><tag name="operating-system">Linux</tag><tag name="HOST_START">Mon Nov 30 10:00:00 2026</tag></HostProperties>\n`);
        for (let k = 0; k < per && i < n; k++, i++) {
          await w(`<ReportItem port="${443 + (k % 7)}" svc_name="www" protocol="tcp" severity="${1 + (i % 4)}" pluginID="${100000 + i}" pluginName="Bench plugin ${i}" pluginFamily="Web Servers"><plugin_type>remote</plugin_type><cve>${cve(i)}</cve><cvss3_base_score>9.8</cvss3_base_score><cvss3_vector>CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector><exploit_available>${i % 3 === 0}</exploit_available><description>${TEXT}</description><solution>Upgrade.</solution><synopsis>Bench</synopsis><risk_factor>High</risk_factor><plugin_output>Installed version : 1.${i % 9}</plugin_output></ReportItem>\n`);
        }
        await w('</ReportHost>\n');
      }
      await w('</Report></NessusClientData_v2>\n');
      break;
    case 'openvas':
      await w('<?xml version="1.0"?>\n<report id="bench"><report id="bench"><task><name>Bench</name></task><results>\n');
      for (; i < n; i++) {
        const h = Math.floor(i / per);
        await w(`<result id="r${i}"><name>Bench NVT ${i}</name><host>${ip(h)}<hostname>h${h}.bench.example</hostname></host><port>${443 + (i % 7)}/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.${100000 + i}"><type>nvt</type><name>Bench NVT ${i}</name><family>Web Servers</family><cvss_base>9.8</cvss_base><severities score="9.8"><severity type="cvss_base_v3"><value>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</value></severity></severities><tags>summary=${TEXT}|solution_type=VendorFix</tags><refs><ref type="cve" id="${cve(i)}"/></refs></nvt><threat>High</threat><severity>9.8</severity><qod><value>80</value><type>remote_banner</type></qod><description>${TEXT}</description></result>\n`);
      }
      await w('</results></report></report>\n');
      break;
    case 'zap':
      await w('<?xml version="1.0"?>\n<OWASPZAPReport programName="ZAP" version="2.16.1" generated="Mon, 30 Nov 2026 10:00:00">\n');
      for (let h = 0; h < hostCount; h++) {
        await w(`<site name="https://h${h}.bench.example" host="h${h}.bench.example" port="443" ssl="true"><alerts>\n`);
        for (let k = 0; k < per && i < n; k++, i++) {
          await w(`<alertitem><pluginid>${10000 + i}</pluginid><alertRef>${10000 + i}</alertRef><alert>Bench alert ${i}</alert><name>Bench alert ${i}</name><riskcode>${1 + (i % 3)}</riskcode><confidence>2</confidence><riskdesc>Medium (Medium)</riskdesc><desc>&lt;p&gt;${TEXT}&lt;/p&gt;</desc><instances><instance><uri>https://h${h}.bench.example/p/${k}</uri><method>GET</method><param>q</param><attack></attack><evidence>x</evidence></instance></instances><count>1</count><solution>Fix it.</solution><reference>https://example.com</reference><cweid>79</cweid><wascid>8</wascid><sourceid>1</sourceid></alertitem>\n`);
        }
        await w('</alerts></site>\n');
      }
      await w('</OWASPZAPReport>\n');
      break;
    case 'qualys': {
      await w('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ASSET_DATA_REPORT SYSTEM "https://qualysguard.qualys.com/asset_data_report.dtd">\n<ASSET_DATA_REPORT><HEADER><COMPANY>Bench</COMPANY><GENERATION_DATETIME>2026-11-30T10:00:00Z</GENERATION_DATETIME></HEADER><HOST_LIST>\n');
      const qids = Math.min(n, 5000);
      for (let h = 0; h < hostCount; h++) {
        await w(`<HOST><IP>${ip(h)}</IP><TRACKING_METHOD>IP</TRACKING_METHOD><DNS><![CDATA[h${h}.bench.example]]></DNS><OPERATING_SYSTEM><![CDATA[Linux]]></OPERATING_SYSTEM><VULN_INFO_LIST>\n`);
        for (let k = 0; k < per && i < n; k++, i++) {
          await w(`<VULN_INFO><QID id="qid_${100000 + (i % qids)}">${100000 + (i % qids)}</QID><TYPE>Vuln</TYPE><PORT>${443 + (k % 7)}</PORT><PROTOCOL>tcp</PROTOCOL><SSL>true</SSL><RESULT><![CDATA[${TEXT}]]></RESULT><FIRST_FOUND>2026-11-01T10:00:00Z</FIRST_FOUND><LAST_FOUND>2026-11-30T10:00:00Z</LAST_FOUND><TIMES_FOUND>3</TIMES_FOUND><VULN_STATUS>Active</VULN_STATUS></VULN_INFO>\n`);
        }
        await w('</VULN_INFO_LIST></HOST>\n');
      }
      await w('</HOST_LIST><GLOSSARY><VULN_DETAILS_LIST>\n');
      for (let q = 0; q < qids; q++) {
        await w(`<VULN_DETAILS id="qid_${100000 + q}"><QID id="qid_${100000 + q}">${100000 + q}</QID><TITLE><![CDATA[Bench QID ${q}]]></TITLE><SEVERITY>${1 + (q % 5)}</SEVERITY><CATEGORY>Web server</CATEGORY><THREAT><![CDATA[${TEXT}]]></THREAT><IMPACT><![CDATA[Bench]]></IMPACT><SOLUTION><![CDATA[Upgrade.]]></SOLUTION><CVSS_SCORE><CVSS_BASE source="service">7.5</CVSS_BASE></CVSS_SCORE><CVE_ID_LIST><CVE_ID><ID><![CDATA[${cve(q)}]]></ID><URL><![CDATA[https://nvd.nist.gov/vuln/detail/${cve(q)}]]></URL></CVE_ID></CVE_ID_LIST></VULN_DETAILS>\n`);
      }
      await w('</VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>\n');
      break;
    }
    case 'snyk':
      await w('[\n');
      for (let h = 0; h < hostCount; h++) {
        await w(`${h === 0 ? '' : ','}{"ok":false,"projectName":"bench-${h}","packageManager":"npm","displayTargetFile":"package-lock.json","path":"/src/bench-${h}","vulnerabilities":[`);
        for (let k = 0; k < per && i < n; k++, i++) {
          await w(`${k === 0 ? '' : ','}{"id":"SNYK-JS-BENCH-${i}","title":"Bench ${i}","severity":"high","packageName":"pkg${i % 997}","version":"1.${i % 9}.0","from":["bench-${h}@1.0.0","pkg${i % 997}@1.${i % 9}.0"],"identifiers":{"CVE":["${cve(i)}"],"CWE":["CWE-79"]},"CVSSv3":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","cvssScore":9.8,"fixedIn":["1.9.9"],"isUpgradable":true,"description":"${TEXT}"}`);
        }
        await w(']}\n');
      }
      await w(']\n');
      break;
    case 'semgrep':
      await w('{"version":"1.90.0","results":[\n');
      for (; i < n; i++) {
        await w(`${i === 0 ? '' : ','}{"check_id":"bench.rule.r${i % 500}","path":"src/f${Math.floor(i / 20)}.js","start":{"line":${1 + (i % 20)},"col":1,"offset":0},"end":{"line":${1 + (i % 20)},"col":10,"offset":9},"extra":{"message":"${TEXT}","severity":"ERROR","metadata":{"cwe":["CWE-79: Improper Neutralization"],"confidence":"HIGH"},"lines":"x","fingerprint":"f${i}","is_ignored":false}}\n`);
      }
      await w('],"errors":[],"paths":{"scanned":[]}}\n');
      break;
    case 'govulncheck':
      await w('{"config":{"protocol_version":"v1.0.0","scanner_name":"govulncheck","scanner_version":"v1.1.3","db":"https://vuln.go.dev","go_version":"go1.22.0","scan_level":"symbol"}}\n');
      for (; i < n; i++) {
        await w(`{"osv":{"schema_version":"1.3.1","id":"GO-2026-${i}","aliases":["${cve(i)}"],"summary":"Bench ${i}","details":"${TEXT}","affected":[{"package":{"name":"example.com/m${i % 300}","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.9.9"}]}]}]}}\n`);
        await w(`{"finding":{"osv":"GO-2026-${i}","fixed_version":"v1.9.9","trace":[{"module":"example.com/m${i % 300}","version":"v1.0.${i % 9}","package":"example.com/m${i % 300}/p","function":"F"},{"module":"bench","package":"bench","function":"main","position":{"filename":"main.go","line":${1 + (i % 200)}}}]}}\n`);
      }
      break;
    case 'generic':
      await w('{"findings":[\n');
      for (; i < n; i++) {
        const h = Math.floor(i / per);
        await w(`${i === 0 ? '' : ','}{"title":"Bench ${i}","severity":"High","description":"${TEXT}","cve":"${cve(i)}","cwe":79,"cvssv3":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","component_name":"pkg${i % 997}","component_version":"1.${i % 9}","endpoints":[{"host":"h${h}.bench.example","port":443,"protocol":"https"}],"unique_id_from_tool":"u${i}","active":true,"verified":false}\n`);
      }
      await w(']}\n');
      break;
    default:
      throw new Error(`no generator for ${format}`);
  }
  out.end();
  await once(out, 'finish');
  return { findings: i };
}

/** The child: reads one report with one parser and prints its figures as JSON. */
async function child(format, file) {
  const { findingParsers } = await import(pathToFileURL(path.join(root, 'dist', 'ingest', 'findings', 'index.js')).href);
  const parser = findingParsers[format];
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let findings = 0;
  let items = 0;
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  if (parser.parseBatches) {
    for await (const batch of parser.parseBatches(source, { file })) {
      items += batch.length;
      for (const it of batch) if (it.kind === 'finding') findings++;
    }
  } else {
    for await (const it of parser.parse(source, { file })) {
      items++;
      if (it.kind === 'finding') findings++;
    }
  }
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ format, findings, items, wall_ms: Math.round(wallMs), cpu_ms: Math.round((cpu.user + cpu.system) / 1000), max_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

async function main() {
  const o = parseArgs(process.argv);
  if (o.child !== null) return child(o.child, o.file);
  if (!existsSync(path.join(root, 'dist', 'ingest', 'findings', 'index.js'))) throw new Error('run `npm run build` first');
  mkdirSync(DATA, { recursive: true });
  const rows = [];
  for (const format of o.formats) {
    const ext = ['tenable', 'openvas', 'zap', 'qualys'].includes(format) ? 'xml' : 'json';
    const file = path.join(DATA, `${format}-${o.findings}-${o.hosts}.${ext}`);
    if (!existsSync(file)) {
      process.stderr.write(`generating ${path.relative(root, file)} …\n`);
      await generate(format, file, o.findings, o.hosts);
    }
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', format, '--file', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${format}: ${r.stderr}`);
    const row = { ...JSON.parse(r.stdout), size_mib: Math.round((statSync(file).size / 1048576) * 10) / 10 };
    rows.push(row);
    console.log(
      `${format.padEnd(12)} ${String(row.size_mib).padStart(7)} MiB  ${String(row.findings).padStart(8)} findings  ${String(row.wall_ms).padStart(7)} ms  ${String(Math.round(row.findings / (row.wall_ms / 1000))).padStart(7)} findings/s  cpu ${String(row.cpu_ms).padStart(7)} ms  maxRSS ${String(row.max_rss_mib).padStart(4)} MiB`,
    );
  }
  if (o.json !== null) writeFileSync(o.json, `${JSON.stringify({ findings: o.findings, hosts: o.hosts, node: process.version, rows }, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
