/**
 * Tenable reports: Nessus `.nessus` XML (NessusClientData_v2, Nessus and Tenable Web App
 * Scanning), and the CSV exports of Nessus, Tenable.io/Tenable Vulnerability Management and
 * Tenable.sc. The layout is chosen by the first significant byte: `<` is XML, `{` or `[` (JSON)
 * is refused, anything else is CSV. Both are streamed: XML one `<ReportHost>` at a time (its
 * items are read together, so the scan information plugin can name the scanner whatever its
 * place), CSV one row at a time.
 *
 * ## What is a finding
 *
 * One finding per plugin result (`<ReportItem>` or CSV row) on a host and port. Informational
 * plugins (severity 0 / `None` / `Info`) WITHOUT a CVE are not findings: scan information, OS
 * identification, open ports, certificate details say what the host is, not what is wrong with
 * it. Each is counted as skipped (`informational plugin …`); 19506 "Nessus Scan Information"
 * gives the scanner address and policy (the vantage point). An informational plugin that names a
 * CVE is a finding with severity `info`.
 *
 * Tenable.io exports one row per (plugin, host, CVE): rows of the same plugin, host, port and
 * protocol that follow each other (as Tenable writes them) are one finding. Rows that only hold
 * commas (Tenable.sc pads its exports) are ignored.
 *
 * ## Fields
 *
 * - asset: `networkHostAsset` from `host-fqdn`, the ReportHost name, `netbios-name`, `host-ip`
 *   (CSV: `FQDN`/`DNS Name`, `Host`, `NetBios`/`NetBIOS Name` without its workgroup, `IP Address`)
 *   with `operating-system`/`OS` and the vantage point as host facts. One ReportHost, one asset.
 *   A Web App Scanning host (its name a URL, or `system-type` `web_application`) is the URL's host.
 * - vulnerability: the lowest CVE of the plugin (`<cve>` elements, the CSV `CVE` cell, commas
 *   or new lines between several), else `nessus:<pluginID>`; the plugin id is always the alias
 *   `nessus:<pluginID>`, the other CVEs are aliases too.
 * - component/version: the product and version of the plugin's first `cpe:/…` (`<cpe>`, CSV
 *   `CPE`); the version is the plugin output's `Installed version :` line when it gives one.
 * - location: `<port>/<protocol>`; `extra.port`, `extra.protocol`, `extra.service` (`svc_name`).
 * - severity: the item's `severity` attribute 0..4 → info/low/medium/high/critical, else
 *   `risk_factor` (CSV: `Risk`, else `Severity` as a word or 0..4, else `Risk Factor`).
 * - CVSS: the highest version given: `cvss4_vector`/`cvss4_base_score`, `cvss3_vector`/
 *   `cvss3_base_score`, `cvss_vector` (`CVSS2#` prefix dropped)/`cvss_base_score`, WAS `cvssv3`
 *   and `cvss` scores (CSV: `CVSS v4.0 Base Score`, `CVSS V3 Vector`/`CVSS3 Vector`, `CVSS V3 Base
 *   Score`/`CVSS v3.0 Base Score`/`CVSS3 Base Score`, the v2 columns). A bare v3 vector is read as
 *   3.0 (Tenable's columns are "CVSS v3.0"). A whole-number score above 10 (`75`, an export that
 *   lost its decimal separator) is read in tenths; other non-numeric scores fail the import.
 * - CWE: `<cwe>` and `CWE:n` / `CWE #n` cross references (`xref`, CSV `XREF`/`Cross References`).
 * - fix: `solution` → `extra.solution`; `fixed_version` only from the plugin output's
 *   `Fixed version :` line when it is a version; `patch_publication_date` or `Patch Available`
 *   → the vulnerability's `fix_available`.
 * - exploit: `exploit_available` (CSV `Exploit Available`, `Exploit?`, a framework column set)
 *   → public; `exploited_by_malware` (CSV `Exploited by Malware`) or a `CISA-KNOWN-EXPLOITED`
 *   cross reference → active; the frameworks (`exploit_framework_*`, Metasploit/Core/CANVAS/…
 *   columns, `Exploit Frameworks`), `exploitability_ease`/`Exploit Ease` and
 *   `exploit_code_maturity` go to `extra.exploit`.
 * - EPSS: `epss_score` / `EPSS Score` as a probability (0..1); a value above 1 with a decimal
 *   point is a percentage; digits without one (`3833`) lost their `0.` and read as `0.3833`.
 *   Tenable gives no percentile (written 0).
 * - first/last seen: CSV `First Discovered`/`First Found` and `Last Observed`/`Last Found`, else
 *   the host's scan start and end (`HOST_START`/`HOST_END`, `Host Start`/`Host End`) in ISO 8601.
 *   Nessus writes `HOST_START` without a time zone: it is kept as local time without an offset
 *   unless `HOST_START_TIMESTAMP` gives the instant.
 * - check: `plugin_type` (CSV `Plugin Type`/`Check Type`) `local` → local; otherwise (`remote`,
 *   `combined`, `summary`, none) remote when the port is above 0 (a listening port answered), else
 *   unknown (null: a host-level result tested no port, and does not say whether credentials or a
 *   network probe such as ICMP found it). Web App Scanning results are DAST: always remote.
 * - vantage point (remote checks): `Nessus scanner <Scanner IP> (policy "<Scan policy used>")`
 *   from plugin 19506, else the report's policy name, else `Nessus scanner (the report does not
 *   say where it ran)`; WAS: the scan name. The CSV exports do not say where the scanner ran:
 *   `Tenable scanner (the CSV export does not say where it ran)`.
 *
 * The source (scanner name, scan key) is `tenable`. Bad input (a ReportItem without a
 * `pluginID`, a port that is not a number, an unknown severity) fails with an ImportError naming
 * the XPath (`/NessusClientData_v2/Report/ReportHost[2]/ReportItem[7]`) or CSV line and field.
 */
import type { Cvss, FindingCheck, FindingSeverity } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { readCsvRows } from '../record-fields.js';
import { firstSignificantByte, peekSource } from '../stream/peek.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf } from './cvss.js';
import { Emitter, cweIds, makeFinding, makeVulnerability, networkHostAsset, primaryId, redactSecrets, severityWord, toolRuleId, urlHostAsset } from './common.js';
import { child, childText, children, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'tenable';
const ROOT = 'NessusClientData_v2';
const SCAN_INFO_PLUGIN = '19506';
const NESSUS_SEVERITY: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

// ---------------------------------------------------------------------------------------------
// One plugin result, whichever layout it came from

interface Exploit {
  public: boolean;
  active: boolean;
  detail: Record<string, unknown>;
}

interface PluginResult {
  pluginId: string;
  name: string | null;
  family: string | null;
  severity: FindingSeverity | null;
  cves: string[];
  port: number | null;
  protocol: string | null;
  service: string | null;
  pluginType: string | null;
  cvss: Cvss | null;
  cwe: string[];
  cpe: string[];
  synopsis: string | null;
  description: string | null;
  solution: string | null;
  output: string | null;
  references: string[];
  exploit: Exploit;
  epss: number | null;
  vpr: number | null;
  fixAvailable: boolean | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

interface Where {
  ctx: ParseContext;
  record: string | number;
}

const PLACEHOLDERS = new Set(['', 'n/a', 'null', 'none', '-']);
const TRUE_WORDS = new Set(['true', 'yes', '1']);

/** A cell or element text that says something (`N/A`, `null`, `-` say nothing). */
function said(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return PLACEHOLDERS.has(t.toLowerCase()) ? null : t;
}

/** What the file looks like instead, added to a refusal. */
const hintOf = (ctx: ParseContext): string => (ctx.hint === undefined ? '' : `; ${ctx.hint}`);

const isTrue = (v: string | null): boolean => v !== null && TRUE_WORDS.has(v.trim().toLowerCase());

/**
 * A CVSS or VPR score: one decimal by definition, so a whole number above 10 (up to 100) is an
 * export that lost its decimal separator and reads in tenths (`75` → 7.5). Placeholders → null.
 */
export function tenableScore(raw: string | null, where: Where, field: string): number | null {
  const v = said(raw);
  if (v === null) return null;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n <= 10) return n;
    if (n <= 100) return n / 10;
  } else if (/^\d*\.\d+$/.test(v) && Number(v) <= 10) return Number(v);
  throw new ImportError(where.ctx.file, where.record, field, `not a score from 0 to 10: ${JSON.stringify(v.slice(0, 40))}`);
}

/**
 * An EPSS probability: `0.3833` as it is; a value above 1 with a decimal point is a percentage;
 * digits alone (`3833`, an export that lost `0.`) read as `0.3833`.
 */
export function tenableEpss(raw: string | null, where: Where, field: string): number | null {
  const v = said(raw);
  if (v === null) return null;
  if (/^\d+$/.test(v)) return Number(v) === 0 ? 0 : Number(`0.${v}`);
  if (/^\d*\.\d+$/.test(v)) {
    const n = Number(v);
    if (n <= 1) return n;
    if (n <= 100) return n / 100;
  }
  throw new ImportError(where.ctx.file, where.record, field, `not an EPSS probability: ${JSON.stringify(v.slice(0, 40))}`);
}

function portOf(raw: string | null, where: Where, field: string): number | null {
  const v = said(raw);
  if (v === null) return null;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new ImportError(where.ctx.file, where.record, field, `not a port number: ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

/** Every CVE named in a text (`CVE-2013-2566,CVE-2015-2808`, one per line, …), upper-cased, once each. */
function cvesIn(texts: readonly (string | null)[]): string[] {
  const out: string[] = [];
  for (const t of texts) for (const m of (t ?? '').matchAll(/CVE-\d{4}-\d{4,}/gi)) if (!out.includes(m[0].toUpperCase())) out.push(m[0].toUpperCase());
  return out;
}

/** `CWE:79`, `CWE #310` in cross references. */
function cwesIn(texts: readonly (string | null)[]): string[] {
  return cweIds(texts.flatMap((t) => [...(t ?? '').matchAll(/CWE\s*[:#]\s*(\d+)/gi)].map((m) => m[1])));
}

/** The `cpe:/…` names in a text, in order. */
function cpesIn(texts: readonly (string | null)[]): string[] {
  return texts.flatMap((t) => [...(t ?? '').matchAll(/cpe:\/[^\s,;]+/g)].map((m) => m[0]));
}

/** `cpe:/a:ietf:md5` → `md5`; `cpe:/a:apache:http_server:2.4.1` → `http_server` / `2.4.1`. */
function cpeProduct(cpe: string | undefined): { name: string | null; version: string | null } {
  const parts = (cpe ?? '').replace(/^cpe:\//, '').split(':');
  const product = parts[2];
  const version = parts[3];
  return { name: product === undefined || product === '' ? null : product, version: version === undefined || version === '' || version === '*' ? null : version };
}

/** The value of a `Label : value` line in a plugin output. */
function outputLine(output: string | null, label: string): string | null {
  if (output === null) return null;
  const m = new RegExp(`^\\s*${label}\\s*:\\s*(\\S[^\\n]*)$`, 'im').exec(output);
  return m?.[1]?.trim() ?? null;
}

/** A version-looking value (`2.4.52`, `1:2.3-4`), else null: advice text is not a version. */
const versionLike = (v: string | null): string | null => (v !== null && /^[\dv][\w.:+~-]*$/i.test(v) && /\d/.test(v) ? v : null);

function urls(texts: readonly (string | null)[]): string[] {
  return texts.flatMap((t) => [...(t ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]));
}

const MONTHS: Record<string, string> = { jan: '01', feb: '02', mar: '03', apr: '04', may: '05', jun: '06', jul: '07', aug: '08', sep: '09', oct: '10', nov: '11', dec: '12' };
const ZONES: Record<string, string> = { UTC: 'Z', GMT: 'Z', Z: 'Z', EST: '-05:00', EDT: '-04:00', CST: '-06:00', CDT: '-05:00', MST: '-07:00', MDT: '-06:00', PST: '-08:00', PDT: '-07:00', CET: '+01:00', CEST: '+02:00' };
const pad = (n: string): string => n.padStart(2, '0');

/**
 * A Tenable time as ISO 8601: ISO as it is; `Tue Jun 25 10:32:42 2013` (Nessus, local time) →
 * `2013-06-25T10:32:42`; `Jan 5, 2021 10:24:08 MST` (Tenable.sc) → `2021-01-05T10:24:08-07:00`;
 * epoch seconds → UTC. Anything else → null.
 */
export function tenableTime(raw: string | null): string | null {
  const v = said(raw);
  if (v === null) return null;
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(v)) return v.replace(' ', 'T');
  if (/^\d{9,10}$/.test(v)) return new Date(Number(v) * 1000).toISOString().replace('.000Z', 'Z');
  const nessus = /^[A-Za-z]{3} ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{1,2}:\d{2}:\d{2}) (\d{4})$/.exec(v);
  if (nessus !== null) {
    const [, mon = '', day = '', time = '', year = ''] = nessus;
    const month = MONTHS[mon.toLowerCase()];
    return month === undefined ? null : `${year}-${month}-${pad(day)}T${pad(time)}`;
  }
  const sc = /^([A-Za-z]{3}) (\d{1,2}), (\d{4}) (\d{1,2}:\d{2}:\d{2})(?: ([A-Z]{1,5}))?$/.exec(v);
  if (sc !== null) {
    const [, mon = '', day = '', year = '', time = '', zone] = sc;
    const month = MONTHS[mon.toLowerCase()];
    const offset = zone === undefined ? '' : ZONES[zone];
    return month === undefined || offset === undefined ? null : `${year}-${month}-${pad(day)}T${pad(time)}${offset}`;
  }
  return null;
}

function severityOf(raw: string | null, where: Where, field: string): FindingSeverity | null {
  const v = said(raw);
  if (raw !== null && raw.trim().toLowerCase() === 'none') return 'info';
  if (v === null) return null;
  if (/^[0-4]$/.test(v)) return NESSUS_SEVERITY[Number(v)] ?? null;
  const word = severityWord(v);
  if (word === null) throw new ImportError(where.ctx.file, where.record, field, `unknown severity ${JSON.stringify(v.slice(0, 40))}`);
  return word;
}

/** The check rule: the plugin type when it says remote or local, else a port above 0 (remote) or nothing said. */
function checkOf(r: PluginResult, dast: boolean): FindingCheck | null {
  if (dast) return 'remote';
  const type = r.pluginType?.toLowerCase() ?? null;
  if (type === 'local') return 'local';
  // a listening port answered; port 0 (a host-level probe, e.g. ICMP) tested no port: not said
  return r.port !== null && r.port > 0 ? 'remote' : null;
}

/** One finding (or a skip) for a plugin result on an asset. */
function emitResult(r: PluginResult, asset: AssetRef, vantage: string | null, dast: boolean, emit: Emitter, out: ImportItem[]): void {
  if (r.severity === 'info' && r.cves.length === 0) {
    out.push({ kind: 'skipped', record: { reason: `informational plugin ${r.pluginId}${r.name === null ? '' : ` (${r.name})`}` } });
    return;
  }
  const { id, aliases } = primaryId(toolRuleId('nessus', r.pluginId), r.cves);
  const cpe = cpeProduct(r.cpe[0]);
  const check = checkOf(r, dast);
  emit.vulnerability(out, id, () =>
    makeVulnerability({
      id,
      cvss: r.cvss,
      title: r.name,
      references: r.references,
      fix_available: r.fixAvailable,
      exploit: r.exploit,
      epss: r.epss === null ? null : { score: r.epss, percentile: 0, date: null },
      extra: { synopsis: r.synopsis, description: r.description, plugin_id: r.pluginId, vpr_score: r.vpr },
    }),
  );
  emit.finding(
    out,
    makeFinding({
      scanner: SCANNER,
      asset: asset.id,
      vulnerability: id,
      aliases,
      component: cpe.name,
      version: versionLike(outputLine(r.output, 'Installed version')) ?? cpe.version,
      location: `${r.port ?? 0}/${r.protocol ?? ''}`,
      title: r.name,
      severity: r.severity,
      cwe: r.cwe,
      fixed_version: versionLike(outputLine(r.output, 'Fixed version')),
      check,
      network: { port: r.port, protocol: r.protocol, service: r.service },
      vantage_point: check === 'remote' ? vantage : null,
      first_seen: r.firstSeen,
      last_seen: r.lastSeen,
      extra: {
        plugin_id: r.pluginId,
        plugin_family: r.family,
        plugin_type: r.pluginType,
        synopsis: r.synopsis,
        solution: r.solution,
        plugin_output: redactSecrets(r.output),
        cpe: r.cpe.length > 0 ? r.cpe : null,
        vpr_score: r.vpr,
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// .nessus XML

const FRAMEWORKS = ['metasploit', 'core', 'canvas', 'd2_elliot', 'exploithub'];

function xmlExploit(item: XmlNode, xrefs: string[]): Exploit {
  const frameworks = FRAMEWORKS.filter((f) => isTrue(childText(item, `exploit_framework_${f}`)));
  const kev = xrefs.map((x) => /^CISA-KNOWN-EXPLOITED:\s*(.+)$/i.exec(x)?.[1]).find((d) => d !== undefined) ?? null;
  const malware = isTrue(childText(item, 'exploited_by_malware'));
  const detail: Record<string, unknown> = {
    exploit_available: isTrue(childText(item, 'exploit_available')),
    exploited_by_malware: malware,
    frameworks: frameworks.length > 0 ? frameworks : null,
    metasploit_name: childText(item, 'metasploit_name'),
    canvas_package: childText(item, 'canvas_package'),
    exploitability_ease: childText(item, 'exploitability_ease'),
    exploit_code_maturity: childText(item, 'exploit_code_maturity'),
    cisa_known_exploited: kev,
  };
  return {
    public: detail.exploit_available === true || frameworks.length > 0,
    active: malware || kev !== null,
    detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== null && v !== false)),
  };
}

function xmlResult(item: XmlNode, where: Where, seen: { first: string | null; last: string | null }): PluginResult {
  const pluginId = said(item.attrs.pluginID);
  if (pluginId === null) throw new ImportError(where.ctx.file, where.record, 'pluginID', 'a ReportItem needs its pluginID');
  const text = (name: string): string | null => said(childText(item, name));
  const xrefs = children(item, 'xref').map((x) => x.text.trim());
  const v2Vector = text('cvss_vector')?.replace(/^CVSS2#/, '') ?? null;
  const cvss = bestCvss([
    cvssOf(text('cvss4_vector'), tenableScore(childText(item, 'cvss4_base_score'), where, 'cvss4_base_score'), '4.0'),
    cvssOf(text('cvss3_vector'), tenableScore(childText(item, 'cvss3_base_score') ?? childText(item, 'cvssv3'), where, 'cvss3_base_score'), '3.0'),
    cvssOf(v2Vector, tenableScore(childText(item, 'cvss_base_score') ?? childText(item, 'cvss'), where, 'cvss_base_score'), '2.0'),
  ]);
  return {
    pluginId,
    name: said(item.attrs.pluginName) ?? text('plugin_name'),
    family: said(item.attrs.pluginFamily),
    severity: severityOf(item.attrs.severity ?? null, where, 'severity') ?? severityOf(childText(item, 'risk_factor'), where, 'risk_factor'),
    cves: cvesIn(children(item, 'cve').map((c) => c.text)),
    port: portOf(item.attrs.port ?? null, where, 'port'),
    protocol: said(item.attrs.protocol)?.toLowerCase() ?? null,
    service: said(item.attrs.svc_name),
    pluginType: text('plugin_type'),
    cvss,
    cwe: cweIds([...children(item, 'cwe').map((c) => c.text), ...cwesIn(xrefs)]),
    cpe: cpesIn(children(item, 'cpe').map((c) => c.text)),
    synopsis: text('synopsis'),
    description: text('description'),
    solution: text('solution'),
    output: childText(item, 'plugin_output'),
    references: urls(children(item, 'see_also').map((c) => c.text)),
    exploit: xmlExploit(item, xrefs),
    epss: tenableEpss(childText(item, 'epss_score'), where, 'epss_score'),
    vpr: tenableScore(childText(item, 'vpr_score'), where, 'vpr_score'),
    fixAvailable: text('patch_publication_date') !== null ? true : null,
    firstSeen: seen.first,
    lastSeen: seen.last,
  };
}

interface ScanFacts {
  policy: string | null;
  wasScan: string | null;
  wasScanner: string | null;
  /** The last scanner address plugin 19506 gave (a host without its own 19506 shares it). */
  scannerIp: string | null;
  scanPolicy: string | null;
}

/** A CSV export does not say where the scanner ran. */
const CSV_VANTAGE = 'Tenable scanner (the CSV export does not say where it ran)';

function vantageOf(facts: ScanFacts, dast: boolean): string {
  if (dast) {
    const what = [facts.wasScanner === null ? null : `${facts.wasScanner} scanner`, facts.wasScan === null ? null : `scan "${facts.wasScan}"`].filter((s) => s !== null);
    return `Tenable Web App Scanning${what.length > 0 ? ` (${what.join(', ')})` : ''}`;
  }
  const policy = facts.scanPolicy ?? facts.policy;
  if (facts.scannerIp === null && policy === null) return 'Nessus scanner (the report does not say where it ran)';
  return `Nessus scanner${facts.scannerIp === null ? '' : ` ${facts.scannerIp}`}${policy === null ? '' : ` (policy "${policy}")`}`;
}

function handleHost(host: XmlNode, index: number, facts: ScanFacts, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const record = `/${ROOT}/Report/ReportHost[${index}]`;
  const tags = new Map<string, string>();
  for (const t of children(child(host, 'HostProperties'), 'tag')) {
    const name = t.attrs.name;
    const value = said(t.text);
    if (name !== undefined && value !== null && !tags.has(name)) tags.set(name, value);
  }
  const hostName = said(host.attrs.name);
  const items = children(host, 'ReportItem');
  const scanInfo = items.find((i) => i.attrs.pluginID === SCAN_INFO_PLUGIN);
  const info = scanInfo === undefined ? null : childText(scanInfo, 'plugin_output');
  facts.scannerIp = outputLine(info, 'Scanner IP') ?? facts.scannerIp;
  facts.scanPolicy = outputLine(info, 'Scan policy used') ?? facts.scanPolicy;

  const fqdn = tags.get('host-fqdn') ?? null;
  const isUrl = (v: string | null): v is string => v !== null && /^https?:\/\//i.test(v);
  const dast = isUrl(hostName) || isUrl(fqdn) || tags.get('system-type') === 'web_application';
  const vantage = vantageOf(facts, dast);
  let asset: AssetRef | null;
  if (dast) {
    const url = isUrl(hostName) ? hostName : isUrl(fqdn) ? fqdn : `http://${hostName ?? fqdn ?? ''}/`;
    const ref = urlHostAsset(url);
    asset = ref === null ? null : { ...ref, host: ref.host === undefined || ref.host === null ? null : { ...ref.host, scanner: vantage } };
  } else {
    const nameIsIp = hostName !== null && /^[\d.]+$|:/.test(hostName);
    asset = networkHostAsset({
      fqdn,
      name: nameIsIp ? null : hostName,
      netbios: tags.get('netbios-name') ?? null,
      ip: tags.get('host-ip') ?? (nameIsIp ? hostName : null),
      os: tags.get('operating-system') ?? null,
      scanner: vantage,
    });
  }
  if (asset === null) throw new ImportError(ctx.file, record, 'name', 'a ReportHost needs a name, host-fqdn or host-ip');
  emit.asset(out, asset);
  const seen = {
    first: tenableTime(tags.get('HOST_START_TIMESTAMP') ?? null) ?? tenableTime(tags.get('HOST_START') ?? null),
    last: tenableTime(tags.get('HOST_END_TIMESTAMP') ?? null) ?? tenableTime(tags.get('HOST_END') ?? null),
  };
  items.forEach((item, i) => emitResult(xmlResult(item, { ctx, record: `${record}/ReportItem[${i + 1}]` }, seen), asset, vantage, dast, emit, out));
}

async function* parseXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  const facts: ScanFacts = { policy: null, wasScan: null, wasScanner: null, scannerIp: null, scanPolicy: null };
  let hosts = 0;
  const select = (p: readonly string[]): boolean => {
    if (p.length === 1 && p[0] !== ROOT) {
      const v1 = p[0] === 'NessusClientData' ? ' (the Nessus v1 format is not read: export as .nessus v2)' : '';
      throw new ImportError(ctx.file, null, null, `not a Nessus report: root element <${p[0] ?? '?'}>${v1}${hintOf(ctx)}`);
    }
    if (p[1] === 'Report') return p.length === 3 && p[2] === 'ReportHost';
    return (p.length === 3 && p[2] === 'policyName') || (p.length === 5 && p[3] === 'ServerPreferences' && (p[4] === 'name' || p[4] === 'scanner_type'));
  };
  for await (const { node } of streamXml(source, select, ctx)) {
    if (node.name === 'policyName') facts.policy = said(node.text);
    else if (node.name === 'name') facts.wasScan = said(node.text);
    else if (node.name === 'scanner_type') facts.wasScanner = said(node.text);
    else {
      hosts++;
      handleHost(node, hosts, facts, emit, out, ctx);
    }
    if (out.length > 0) yield* out.splice(0, out.length);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV exports

/** The first column of `names` this row has a value in (header names as Tenable writes them). */
function cell(row: Record<string, string>, ...names: string[]): string | null {
  for (const n of names) {
    const v = said(row[n]);
    if (v !== null) return v;
  }
  return null;
}

/** The column of `names` the row has, for naming it in an error. */
const columnOf = (row: Record<string, string>, ...names: string[]): string => names.find((n) => said(row[n]) !== null) ?? names[0] ?? '';

const PLUGIN_COLUMNS = ['Plugin ID', 'Plugin', 'definition.id'];
const NAME_COLUMNS = ['Name', 'Plugin Name', 'definition.name'];
const HOST_COLUMNS = ['Host', 'IP Address', 'DNS Name', 'FQDN', 'NetBIOS Name', 'NetBios', 'asset.host_name', 'asset.ipv4', 'asset.fqdn'];
const CSV_FRAMEWORKS: [string, string][] = [
  ['Metasploit', 'metasploit'],
  ['Core Impact', 'core'],
  ['Core Exploits', 'core'],
  ['CANVAS', 'canvas'],
  ['D2 Elliot', 'd2_elliot'],
  ['ExploitHub', 'exploithub'],
];

function csvExploit(row: Record<string, string>): Exploit {
  const frameworks = [...new Set(CSV_FRAMEWORKS.filter(([col]) => isTrue(cell(row, col))).map(([, name]) => name))];
  const named = cell(row, 'Exploit Frameworks');
  const xref = cell(row, 'XREF', 'Cross References');
  const kev = /CISA-KNOWN-EXPLOITED:\s*([^;,\s]+)/i.exec(xref ?? '')?.[1] ?? null;
  const available = isTrue(cell(row, 'Exploit Available', 'Exploit?'));
  const malware = isTrue(cell(row, 'Exploited by Malware'));
  const detail: Record<string, unknown> = {
    exploit_available: available,
    exploited_by_malware: malware,
    exploited_by_nessus: isTrue(cell(row, 'Exploited by Nessus')),
    frameworks: frameworks.length > 0 ? frameworks : named,
    exploitability_ease: cell(row, 'Exploit Ease'),
    cisa_known_exploited: kev,
  };
  return {
    public: available || frameworks.length > 0 || named !== null,
    active: malware || kev !== null,
    detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== null && v !== false)),
  };
}

function csvResult(row: Record<string, string>, cves: string[], where: Where): PluginResult {
  const pluginId = cell(row, ...PLUGIN_COLUMNS);
  if (pluginId === null) throw new ImportError(where.ctx.file, where.record, 'Plugin ID', 'a row needs its plugin id');
  const score = (...cols: string[]): number | null => tenableScore(cell(row, ...cols), where, columnOf(row, ...cols));
  const severityCols = [['Risk'], ['Severity', 'severity'], ['Risk Factor']];
  let severity: FindingSeverity | null = null;
  for (const cols of severityCols) {
    if (severity !== null) break;
    const raw = cols.map((c) => row[c]).find((v) => v !== undefined && v.trim() !== '') ?? null;
    severity = severityOf(raw, where, columnOf(row, ...cols));
  }
  const v2Vector = cell(row, 'CVSS V2 Vector', 'CVSS Vector')?.replace(/^CVSS2#/, '') ?? null;
  const xref = cell(row, 'XREF', 'Cross References');
  const port = portOf(cell(row, 'Port', 'asset.port', 'port'), where, columnOf(row, 'Port', 'asset.port', 'port'));
  return {
    pluginId,
    name: cell(row, ...NAME_COLUMNS),
    family: cell(row, 'Family', 'Plugin Family'),
    severity,
    cves,
    port,
    protocol: cell(row, 'Protocol', 'protocol')?.toLowerCase() ?? null,
    service: cell(row, 'Service'),
    pluginType: cell(row, 'Plugin Type', 'Check Type'),
    cvss: bestCvss([
      cvssOf(cell(row, 'CVSS v4.0 Vector', 'CVSS V4 Vector'), score('CVSS v4.0 Base Score', 'CVSS V4 Base Score'), '4.0'),
      cvssOf(cell(row, 'CVSS V3 Vector', 'CVSS3 Vector'), score('CVSS V3 Base Score', 'CVSS v3.0 Base Score', 'CVSS3 Base Score', 'CVSSv3', 'definition.cvss3.base_score'), '3.0'),
      cvssOf(v2Vector, score('CVSS V2 Base Score', 'CVSS v2.0 Base Score', 'CVSS Base Score', 'CVSS'), '2.0'),
    ]),
    cwe: cwesIn([xref]),
    cpe: cpesIn([cell(row, 'CPE', 'definition.cpe')]),
    synopsis: cell(row, 'Synopsis', 'definition.synopsis'),
    description: cell(row, 'Description', 'definition.description'),
    solution: cell(row, 'Solution', 'definition.solution', 'Steps to Remediate'),
    output: cell(row, 'Plugin Output', 'Plugin Text', 'output'),
    references: urls([cell(row, 'See Also', 'definition.see_also')]),
    exploit: csvExploit(row),
    epss: tenableEpss(cell(row, 'EPSS Score'), where, 'EPSS Score'),
    vpr: score('VPR Score', 'Vulnerability Priority Rating', 'Vulnerability Priority Rating (VPR)'),
    fixAvailable: cell(row, 'Patch Available') === null ? null : isTrue(cell(row, 'Patch Available')),
    firstSeen: tenableTime(cell(row, 'First Discovered', 'First Found', 'Host Start')),
    lastSeen: tenableTime(cell(row, 'Last Observed', 'Last Found', 'Host End')),
  };
}

function csvAsset(row: Record<string, string>): AssetRef | null {
  const host = cell(row, 'Host', 'asset.host_name');
  const hostIsIp = host !== null && /^[\d.]+$|:/.test(host);
  const fqdn = cell(row, 'FQDN', 'DNS Name', 'asset.fqdn');
  return networkHostAsset({
    fqdn,
    name: hostIsIp || host === fqdn ? null : host,
    netbios: cell(row, 'NetBios', 'NetBIOS Name')?.replace(/^.*\\/, '') ?? null,
    ip: cell(row, 'IP Address', 'asset.ipv4') ?? (hostIsIp ? host : null),
    os: cell(row, 'OS', 'Operating System'),
  });
}

/** Rows that are one finding (Tenable.io writes one row per CVE) share this key. */
const groupKey = (row: Record<string, string>): string =>
  JSON.stringify([...HOST_COLUMNS, ...PLUGIN_COLUMNS, 'Port', 'asset.port', 'Protocol'].map((c) => row[c] ?? ''));

async function* parseCsv(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  let group: { key: string; line: number; row: Record<string, string>; cves: string[] } | null = null;
  const flush = (): void => {
    if (group === null) return;
    const { row, line, cves } = group;
    group = null;
    const asset = csvAsset(row);
    if (asset === null) throw new ImportError(ctx.file, line, 'Host', 'a row needs a host (Host, IP Address, DNS Name or NetBIOS Name)');
    emit.asset(out, asset);
    emitResult(csvResult(row, cves, { ctx, record: line }), asset, CSV_VANTAGE, false, emit, out);
  };
  for await (const { line, row } of readCsvRows(source, ctx)) {
    if (Object.values(row).every((v) => v.trim() === '')) continue;
    const key = groupKey(row);
    const cves = cvesIn([cell(row, 'CVE', 'definition.cve')]);
    if (group !== null && group.key === key) {
      for (const c of cves) if (!group.cves.includes(c)) group.cves.push(c);
      continue;
    }
    flush();
    group = { key, line, row, cves };
    if (out.length > 0) yield* out.splice(0, out.length);
  }
  flush();
  yield* out;
}

// ---------------------------------------------------------------------------------------------

export const tenableParser: Parser = {
  format: 'tenable',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    // up to the end of the first line: a CSV export is known by its header
    const peeked = await peekSource(source, 1, (h) => firstSignificantByte(h) === 0x3c || (firstSignificantByte(h) !== -1 && h.includes(0x0a)), 64 * 1024);
    const first = firstSignificantByte(peeked.head);
    if (first === 0x7b || first === 0x5b) throw new ImportError(ctx.file, null, null, `not a Tenable report: a JSON document (Tenable reports are .nessus XML or CSV)${hintOf(ctx)}`);
    if (first === 0x3c) yield* parseXml(peeked.source, ctx);
    else if (first === -1 || looksLikeTenableCsv(peeked.head.toString('utf8'))) yield* parseCsv(peeked.source, ctx);
    else {
      throw new ImportError(ctx.file, null, null, `not a Tenable CSV export: the header needs a plugin id (Plugin ID or Plugin), a Name or Plugin Name, and a host column${hintOf(ctx)}`);
    }
  },
};

/** The first line of a Tenable CSV export: a plugin id, a plugin name and a host column. */
export function looksLikeTenableCsv(text: string): boolean {
  const first = (text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '').toLowerCase();
  const cols = new Set(first.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
  const any = (names: string[]): boolean => names.some((n) => cols.has(n.toLowerCase()));
  return any(PLUGIN_COLUMNS) && any(NAME_COLUMNS) && any(HOST_COLUMNS);
}
