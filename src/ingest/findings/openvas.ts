/**
 * Greenbone / OpenVAS reports: the XML report (GMP `<report>`, as gvmd exports it, also wrapped in
 * `<get_reports_response>`) streamed one `<result>` at a time, and the CSV export ("CSV Results"),
 * read row by row by header name. One parser reads both: the first byte tells (`<` is XML).
 *
 * A finding is a result (an NVT that fired on a host and port):
 * - asset: the result's host, `networkHostAsset` by its host name (`<host><hostname>`, CSV
 *   `Hostname`), else its IP, the IP kept in `also`. The XML report's host details (`<host>` with
 *   `<detail>` `hostname`, `best_os_txt`, `OS`, `best_os_cpe`) come after the results, so findings
 *   are held in a bounded `DeferredQueue` (it spills to a temporary file) until the end of the
 *   report; the asset references then carry the host's OS (and the detail's host name when the
 *   result gives none).
 * - vulnerability: the lowest CVE of the NVT's `refs/ref type="cve"` (CSV `CVEs`), by
 *   `primaryId`, else `openvas:<NVT OID>`; `openvas:<oid>` is always an alias, the other CVEs too.
 *   Its title is the NVT name, its references the `url` refs (CSV `Other References`); CERT and
 *   BID ids go to `extra.certs` / `extra.bids`; the NVT tags (summary, insight, affected, impact,
 *   vuldetect, solution, solution_type) go to `extra`.
 * - component/version: none (OpenVAS names no package); the result text's `Installed version:` and
 *   `Fixed version:` lines go to `extra.installed_version` and, when the fixed one is a version,
 *   `fixed_version`. Advice text is `extra.solution`, `extra.solution_type`;
 *   `solution_type` `VendorFix` sets the vulnerability's `fix_available`, `NoneAvailable` and
 *   `WillNotFix` clear it.
 * - location / port: `<port>/<protocol>` (`443/tcp`; CSV `Port`/`Port Protocol`), `general` for
 *   host-level results (`general/tcp`, `general/icmp`; an empty CSV port): one finding per (host,
 *   NVT, port), the same in both layouts; port and protocol go to the network fields.
 * - severity: the `threat` word (CSV `Severity`): Critical/High/Medium/Low; when it is missing,
 *   the `severity` score. `Log` and `Debug` results (score 0, -2) are notes such as service and OS
 *   detection, and `Error` results (-3) are scan errors: they are skipped (counted as skipped).
 *   `False Positive` (an override, score -1) is imported with validation `false_positive`.
 * - CVSS: the `nvt/severities/severity` vector and score, else the `cvss_base_vector` tag, by
 *   `cvssOf`; a score without a vector (`cvss_base`, the result's `severity`, CSV `CVSS`) is kept
 *   as CVSS 2.0 for reports of GMP before 20.08 (which scored with v2 only), else as 3.1.
 * - EPSS: `nvt/epss/max_severity` (CSV `Max Severity EPSS score`/`percentile`), the EPSS of the
 *   NVT's most severe CVE, is the vulnerability's `epss`; both EPSS entries with their CVE are kept
 *   in `extra.epss`.
 * - exploit: QoD type `exploit` (the NVT exploited the flaw) sets `public_poc`.
 * - check: a local QoD type (`package`, `registry`, `executable_version`, `package_unreliable`,
 *   `executable_version_unreliable`: the NVT read the host's own state) → `local`; a real port with
 *   a remote QoD type (`remote_vul`, `remote_active`, `remote_banner`, `exploit`, …) or none →
 *   `remote` (it tested that listening port); a `general/…` port with another QoD type (a
 *   host-level network check such as TCP timestamps: no listening port was tested) and
 *   `general_note` → unknown (null). vantage_point: the scanner (`<scan><task><slave>`
 *   name and host) and the task (`<task><name>`, CSV `Task Name`), e.g.
 *   `OpenVAS scanner gvm-2 10.0.0.5 (task "weekly")`, else `OpenVAS scan`.
 * - last seen: the result's `creation_time` (CSV `Timestamp`); QoD value and type to `extra.qod`.
 *
 * The source (scanner name, scan key) is `openvas`.
 */
import type { Cvss, FindingCheck, FindingSeverity, Validation } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { readCsvRows } from '../record-fields.js';
import { firstSignificantByte, peekSource } from '../stream/peek.js';
import type { AssetRef, ByteSource, HostFacts, ImportItem, ParseContext, Parser } from '../types.js';
import { cvssOf, severityFromScore } from './cvss.js';
import { DeferredQueue, Emitter, cweIds, makeFinding, makeVulnerability, networkHostAsset, primaryId, redactSecrets, severityWord, toolRuleId, type ScannerFinding, type ScannerVulnerability } from './common.js';
import { child, childText, children, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'openvas';

/** QoD types of checks that read the host's own state (authenticated or local). */
const LOCAL_QOD = new Set(['package', 'registry', 'executable_version', 'package_unreliable', 'executable_version_unreliable']);

/** What one result says, before its host's asset is known (JSON: it may be spilled to disk). */
interface OpenvasResult {
  ip: string | null;
  hostname: string | null;
  finding: Omit<ScannerFinding, 'scanner' | 'asset' | 'vantage_point'>;
  vulnerability: ScannerVulnerability;
}

/** The fields common to both layouts, as read from a result or a row. */
interface ResultFields {
  oid: string;
  name: string | null;
  ip: string | null;
  hostname: string | null;
  port: string | null;
  protocol: string | null;
  threat: string | null;
  score: number | null;
  cves: string[];
  urls: string[];
  certs: string[];
  bids: string[];
  cvss: Cvss | null;
  epss: { score: number; percentile: number } | null;
  epssExtra: Record<string, unknown> | null;
  qodType: string | null;
  qodValue: string | null;
  text: string | null;
  tags: Record<string, string>;
  solution: string | null;
  solutionType: string | null;
  cwe: string[];
  seen: string | null;
  family: string | null;
}

/** `summary=…|insight=…|solution_type=VendorFix` → a map (a value may hold line breaks). */
function parseNvtTags(text: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === null) return out;
  for (const part of text.split('|')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const value = part.slice(eq + 1).trim();
    if (value !== '') out[part.slice(0, eq).trim()] = value;
  }
  return out;
}

/** Severity and validation from the threat word or the score; null when the result is not imported (with why). */
function classify(threat: string | null, score: number | null): { severity: FindingSeverity | null; validation: Validation } | { skip: string } {
  const word = threat?.trim().toLowerCase() ?? '';
  if (word === 'log' || (word === '' && score === 0)) return { skip: 'OpenVAS Log result (informational note, not a vulnerability)' };
  if (word === 'debug' || (word === '' && score === -2)) return { skip: 'OpenVAS Debug result' };
  if (word === 'error' || (word === '' && score === -3)) return { skip: 'OpenVAS Error result (the scan failed on this check)' };
  if (word === 'false positive' || (word === '' && score === -1)) return { severity: null, validation: 'false_positive' };
  return { severity: severityWord(word) ?? (score !== null && score > 0 ? severityFromScore(score) : null), validation: 'unvalidated' };
}

/** `local`, `remote` or null (see the module comment); `port` is the port number, null for `general/…`. */
function checkOf(port: string | null, qodType: string | null): FindingCheck | null {
  const qod = qodType?.trim().toLowerCase() ?? '';
  if (LOCAL_QOD.has(qod)) return 'local';
  if (port === null || !/^\d+$/.test(port) || qod === 'general_note') return null;
  return 'remote';
}

/** The "Installed version:" / "Fixed version:" lines Greenbone writes into a result's text. */
function versionsOf(text: string | null): { installed: string | null; fixed: string | null } {
  if (text === null) return { installed: null, fixed: null };
  const line = (label: string): string | null => new RegExp(`^\\s*${label} version:[ \\t]*(\\S[^\\r\\n]*?)\\s*$`, 'im').exec(text)?.[1] ?? null;
  const fixed = line('Fixed');
  return { installed: line('Installed'), fixed: fixed !== null && /^v?\d[\w.+~:-]*$/.test(fixed) ? fixed : null };
}

const blank = (v: string | null | undefined): string | null => (v === null || v === undefined || v.trim() === '' ? null : v.trim());

/** A score text → number, or null (ImportError naming the field when it is not a number). */
function scoreOf(v: string | null, ctx: ParseContext, record: string, field: string): number | null {
  if (v === null) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ImportError(ctx.file, record, field, `expected a number, got ${JSON.stringify(v.slice(0, 40))}`);
  return n;
}

/** The QoD value (a percentage) as a number, or as written when it is not one. */
function qodValue(v: string | null): number | string | null {
  return v !== null && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

/** A result's fields → what is imported, or a skip reason. */
function toResult(r: ResultFields, scoreVersion: string): OpenvasResult | { skip: string } {
  const cls = classify(r.threat, r.score);
  if ('skip' in cls) return cls;
  const { id, aliases } = primaryId(toolRuleId(SCANNER, r.oid), r.cves);
  const { installed, fixed } = versionsOf(r.text);
  const solutionType = r.solutionType ?? r.tags.solution_type ?? null;
  const fixAvailable = solutionType === 'VendorFix' ? true : solutionType === 'NoneAvailable' || solutionType === 'WillNotFix' ? false : null;
  const cvss = r.cvss ?? cvssOf(null, r.score !== null && r.score > 0 ? r.score : null, scoreVersion);
  const portNumber = r.port !== null && /^\d+$/.test(r.port) ? Number(r.port) : null;
  // `general` for every host-level result: the CSV export leaves port and protocol empty for them,
  // so both layouts of one scan give the same fingerprints
  const location = r.port === null ? 'general' : `${r.port}${r.protocol === null ? '' : `/${r.protocol}`}`;
  const exploit = r.qodType === 'exploit' ? { public: true, active: false, detail: { qod_type: 'exploit' } } : null;
  const title = r.name ?? r.oid;
  return {
    ip: r.ip,
    hostname: r.hostname,
    finding: {
      vulnerability: id,
      aliases,
      location,
      title,
      severity: cls.severity,
      cwe: r.cwe,
      validation: cls.validation,
      fixed_version: fixed,
      check: checkOf(r.port, r.qodType),
      network: { port: portNumber, protocol: r.protocol, service: null },
      last_seen: r.seen,
      extra: {
        nvt_oid: r.oid,
        result: redactSecrets(r.text),
        installed_version: installed,
        solution: r.solution ?? r.tags.solution ?? null,
        solution_type: solutionType,
        qod: r.qodValue === null && r.qodType === null ? null : { value: qodValue(r.qodValue), type: r.qodType },
      },
    },
    vulnerability: {
      id,
      cvss,
      title,
      references: r.urls,
      fix_available: fixAvailable,
      exploit,
      epss: r.epss === null ? null : { ...r.epss, date: null },
      extra: {
        nvt_oid: r.oid,
        family: r.family,
        summary: r.tags.summary ?? null,
        insight: r.tags.insight ?? null,
        affected: r.tags.affected ?? null,
        impact: r.tags.impact ?? null,
        vuldetect: r.tags.vuldetect ?? null,
        certs: r.certs.length > 0 ? r.certs : null,
        bids: r.bids.length > 0 ? r.bids : null,
        epss: r.epssExtra,
      },
    },
  };
}

/** `443/tcp`, `general/tcp`, `www (80/tcp)` → port (null for general) and protocol. */
function splitPort(text: string | null): { port: string | null; protocol: string | null } {
  if (text === null) return { port: null, protocol: null };
  const m = /(\d+)\/([A-Za-z0-9_-]+)/.exec(text);
  if (m?.[1] !== undefined) return { port: m[1], protocol: m[2]?.toLowerCase() ?? null };
  const g = /^general\/(\S+)/i.exec(text.trim());
  return { port: null, protocol: g?.[1] ?? null };
}

/** The EPSS block of an NVT (`max_severity` is the one DefectDojo and Greenbone's CSV report). */
function epssOf(nvt: XmlNode, ctx: ParseContext, record: string): { epss: ResultFields['epss']; extra: Record<string, unknown> | null } {
  const block = child(nvt, 'epss');
  if (block === null) return { epss: null, extra: null };
  const entry = (name: string): { score: number; percentile: number; cve: string | null } | null => {
    const e = child(block, name);
    if (e === null) return null;
    const score = scoreOf(childText(e, 'score'), ctx, record, `nvt/epss/${name}/score`);
    const percentile = scoreOf(childText(e, 'percentile'), ctx, record, `nvt/epss/${name}/percentile`);
    if (score === null || percentile === null) return null;
    return { score, percentile, cve: child(e, 'cve')?.attrs.id ?? null };
  };
  const maxSeverity = entry('max_severity');
  const maxEpss = entry('max_epss');
  return {
    epss: maxSeverity === null ? null : { score: maxSeverity.score, percentile: maxSeverity.percentile },
    extra: maxSeverity === null && maxEpss === null ? null : { max_severity: maxSeverity, max_epss: maxEpss },
  };
}

/** The CVSS of an NVT: its `severities/severity` (highest version), else its `cvss_base_vector` tag. */
function nvtCvss(nvt: XmlNode, tags: Record<string, string>, scoreVersion: string): Cvss | null {
  let best: Cvss | null = null;
  for (const s of children(child(nvt, 'severities'), 'severity')) {
    const score = Number(childText(s, 'score'));
    const c = cvssOf(childText(s, 'value'), childText(s, 'score') !== null && Number.isFinite(score) ? score : null, scoreVersion);
    if (c !== null && (best === null || Number.parseFloat(c.version) > Number.parseFloat(best.version))) best = c;
  }
  if (best !== null) return best;
  const vector = tags.cvss_base_vector ?? null;
  if (vector === null) return null;
  const base = Number(childText(nvt, 'cvss_base'));
  return cvssOf(vector, childText(nvt, 'cvss_base') !== null && Number.isFinite(base) ? base : null, scoreVersion);
}

/** One XML `<result>` → its fields; ImportError (named by `record`) when its NVT or host is missing. */
function xmlResultFields(node: XmlNode, record: string, scoreVersion: string, ctx: ParseContext): ResultFields {
  const nvt = child(node, 'nvt');
  const oid = blank(nvt?.attrs.oid);
  if (nvt === null || oid === null) throw new ImportError(ctx.file, record, 'nvt/@oid', 'a result needs the OID of its NVT');
  const host = child(node, 'host');
  const ip = blank(host?.text);
  const hostname = childText(host, 'hostname');
  if (ip === null && hostname === null) throw new ImportError(ctx.file, record, 'host', 'a result needs its host');
  const tags = parseNvtTags(child(nvt, 'tags')?.text ?? null);
  const refs = children(child(nvt, 'refs'), 'ref');
  const refsOf = (...types: string[]): string[] =>
    refs.filter((r) => types.includes((r.attrs.type ?? '').toLowerCase())).map((r) => blank(r.attrs.id)).filter((id): id is string => id !== null);
  const qod = child(node, 'qod');
  const { port, protocol } = splitPort(childText(node, 'port'));
  const epss = epssOf(nvt, ctx, record);
  const solution = child(nvt, 'solution');
  return {
    oid,
    name: childText(nvt, 'name') ?? childText(node, 'name'),
    ip,
    hostname,
    port,
    protocol,
    threat: childText(node, 'threat'),
    score: scoreOf(childText(node, 'severity'), ctx, record, 'severity') ?? scoreOf(childText(nvt, 'cvss_base'), ctx, record, 'nvt/cvss_base'),
    cves: refsOf('cve'),
    urls: refsOf('url'),
    certs: refsOf('cert-bund', 'dfn-cert', 'cert'),
    bids: refsOf('bid'),
    cvss: nvtCvss(nvt, tags, scoreVersion),
    epss: epss.epss,
    epssExtra: epss.extra,
    qodType: childText(qod, 'type')?.toLowerCase() ?? blank(tags.qodType)?.toLowerCase() ?? null,
    qodValue: childText(qod, 'value'),
    text: blank(child(node, 'description')?.text),
    tags,
    solution: blank(solution?.text),
    solutionType: blank(solution?.attrs.type),
    cwe: [],
    seen: childText(node, 'creation_time'),
    family: childText(nvt, 'family'),
  };
}

/** GMP versions before 20.08 scored with CVSS v2 only. */
function scoreVersionOf(gmp: string | null): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(gmp ?? '');
  if (m === null) return '3.1';
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major < 20 || (major === 20 && minor < 8) ? '2.0' : '3.1';
}

/** `OpenVAS scanner <name> <host> (task "<task>")`, `OpenVAS task "<task>"`, else `OpenVAS scan`. */
function vantageOf(task: string | null, slave: string | null): string {
  const t = task === null ? null : `task "${task}"`;
  if (slave !== null) return `OpenVAS scanner ${slave}${t === null ? '' : ` (${t})`}`;
  return t === null ? 'OpenVAS scan' : `OpenVAS ${t}`;
}

/** What a report-level `<host>` says of a host. */
interface HostDetail {
  hostname: string | null;
  os: string | null;
}

function hostDetail(node: XmlNode): HostDetail {
  const details = new Map<string, string>();
  for (const d of children(node, 'detail')) {
    const name = childText(d, 'name');
    const value = childText(d, 'value');
    if (name !== null && value !== null && !details.has(name)) details.set(name, value);
  }
  return {
    hostname: details.get('hostname') ?? null,
    os: details.get('best_os_txt') ?? details.get('OS') ?? details.get('best_os_cpe') ?? null,
  };
}

/** The asset of a result's host; its host facts from the report's host details when given. */
function assetOf(ip: string | null, hostname: string | null, detail: HostDetail | undefined, scanner: string): AssetRef {
  const facts: { name: string | null } & Partial<HostFacts> = { name: hostname ?? detail?.hostname ?? null, ip, os: detail?.os ?? null, scanner };
  const ref = networkHostAsset(facts);
  // a result always names its host (checked when read), so this fallback is never the IP-less case
  return ref ?? { id: `host:${ip ?? 'unknown'}`, name: ip, components: [], target_type: 'host' };
}

function emitResult(r: OpenvasResult, asset: AssetRef, vantage: string, emit: Emitter, out: ImportItem[]): void {
  emit.asset(out, asset);
  emit.vulnerability(out, r.vulnerability.id, () => makeVulnerability(r.vulnerability));
  emit.finding(out, makeFinding({ ...r.finding, scanner: SCANNER, asset: asset.id, vantage_point: r.finding.check === 'remote' ? vantage : null }));
}

function isResult(v: unknown): v is OpenvasResult {
  return typeof v === 'object' && v !== null && 'finding' in v && 'vulnerability' in v;
}

async function* parseXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  const queue = new DeferredQueue();
  const hosts = new Map<string, HostDetail>();
  const head = { task: null as string | null, slave: null as string | null, gmp: null as string | null };
  let results = 0;
  let prefix = '';
  const select = (p: readonly string[]): boolean => {
    const n = p.length;
    if (n === 1 && p[0] !== 'report' && p[0] !== 'get_reports_response') {
      throw new ImportError(ctx.file, null, null, `not an OpenVAS report: root element <${p[0] ?? '?'}>${ctx.hint === undefined ? '' : ` (${ctx.hint})`}`);
    }
    const last = p[n - 1];
    const parent = p[n - 2];
    if (last === 'result') return parent === 'results' && p[n - 3] === 'report';
    if (last === 'host') return parent === 'report';
    if (last === 'task') return parent === 'report' || (parent === 'scan' && p[n - 3] === 'report');
    if (last === 'gmp' || last === 'omp') return parent === 'report';
    return false;
  };
  try {
    for await (const { node, path } of streamXml(source, select, ctx)) {
      if (node.name === 'result') {
        results++;
        if (results === 1) prefix = `/${path.slice(0, -1).join('/')}`;
        const fields = xmlResultFields(node, `${prefix}/result[${results}]`, scoreVersionOf(head.gmp), ctx);
        const r = toResult(fields, scoreVersionOf(head.gmp));
        if ('skip' in r) out.push({ kind: 'skipped', record: { reason: r.skip } });
        else await queue.push(r);
      } else if (node.name === 'host') {
        const ip = blank(childText(node, 'ip'));
        if (ip !== null && !hosts.has(ip)) hosts.set(ip, hostDetail(node));
      } else if (node.name === 'task') {
        const slave = child(node, 'slave');
        if (slave !== null) {
          const name = [childText(slave, 'name'), childText(slave, 'host')].filter((s): s is string => s !== null).join(' ');
          head.slave ??= name === '' ? null : name;
        } else head.task ??= childText(node, 'name');
      } else {
        head.gmp ??= childText(node, 'version');
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    const vantage = vantageOf(head.task, head.slave);
    for await (const v of queue.drain()) {
      if (!isResult(v)) continue;
      const detail = v.ip === null ? undefined : hosts.get(v.ip);
      emitResult(v, assetOf(v.ip, v.hostname, detail, vantage), vantage, emit, out);
      yield* out.splice(0, out.length);
    }
  } finally {
    await queue.dispose();
  }
}

const CSV_REQUIRED = ['IP', 'NVT Name', 'NVT OID'];

/** The CSV columns that hold what the XML report's NVT tags hold. */
const CSV_TAGS: [string, string][] = [
  ['summary', 'Summary'],
  ['insight', 'Vulnerability Insight'],
  ['affected', 'Affected Software/OS'],
  ['impact', 'Impact'],
  ['vuldetect', 'Vulnerability Detection Method'],
];

function csvTags(col: (name: string) => string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, column] of CSV_TAGS) {
    const v = col(column);
    if (v !== null) out[tag] = v;
  }
  return out;
}

/** The CSV row → its fields (columns by header name, any case). */
function csvResultFields(row: Record<string, string>, line: number, ctx: ParseContext): ResultFields {
  // Greenbone prefixes a cell starting with `-`, `=`, `+` or `@` with `'` (spreadsheet formula guard)
  const lower = new Map(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v.replace(/^'(?=[-=+@])/, '')]));
  const col = (name: string): string | null => blank(lower.get(name.toLowerCase()));
  const list = (name: string): string[] =>
    (col(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const record = `line ${line}`;
  const oid = col('NVT OID');
  if (oid === null) throw new ImportError(ctx.file, record, 'NVT OID', 'a result needs the OID of its NVT');
  const ip = col('IP');
  const hostname = col('Hostname');
  if (ip === null && hostname === null) throw new ImportError(ctx.file, record, 'IP', 'a result needs its host (IP or Hostname)');
  const port = col('Port');
  if (port !== null && !/^\d+$/.test(port)) throw new ImportError(ctx.file, record, 'Port', `expected a port number, got ${JSON.stringify(port.slice(0, 40))}`);
  const epssScore = scoreOf(col('Max Severity EPSS score'), ctx, record, 'Max Severity EPSS score');
  const epssPercentile = scoreOf(col('Max Severity EPSS percentile'), ctx, record, 'Max Severity EPSS percentile');
  const epss = epssScore !== null && epssPercentile !== null ? { score: epssScore, percentile: epssPercentile } : null;
  return {
    oid,
    name: col('NVT Name'),
    ip,
    hostname,
    port,
    protocol: col('Port Protocol')?.toLowerCase() ?? null,
    threat: col('Severity'),
    score: scoreOf(col('CVSS'), ctx, record, 'CVSS'),
    cves: list('CVEs'),
    urls: list('Other References').filter((u) => /^https?:\/\//i.test(u)),
    certs: list('CERTs'),
    bids: list('BIDs'),
    cvss: null,
    epss,
    epssExtra: epss === null ? null : { max_severity: { ...epss, cve: null } },
    qodType: null,
    qodValue: col('QoD'),
    text: col('Specific Result'),
    tags: csvTags(col),
    solution: col('Solution'),
    solutionType: col('Solution Type'),
    cwe: cweIds([col('CWEID')]),
    seen: col('Timestamp'),
    family: null,
  };
}

async function* parseCsv(source: ByteSource, header: string, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const cols = header.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const missing = CSV_REQUIRED.filter((c) => !cols.includes(c.toLowerCase()));
  if (missing.length > 0) {
    throw new ImportError(ctx.file, null, null, `not an OpenVAS CSV report: the header has no ${missing.map((m) => `"${m}"`).join(', ')} column${ctx.hint === undefined ? '' : ` (${ctx.hint})`}`);
  }
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  for await (const { line, row } of readCsvRows(source, ctx)) {
    const r = toResult(csvResultFields(row, line, ctx), '3.1');
    if ('skip' in r) out.push({ kind: 'skipped', record: { reason: r.skip } });
    else {
      const task = blank(Object.entries(row).find(([k]) => k.toLowerCase() === 'task name')?.[1]);
      const vantage = vantageOf(task, null);
      emitResult(r, assetOf(r.ip, r.hostname, undefined, vantage), vantage, emit, out);
    }
    yield* out.splice(0, out.length);
  }
}

/** The first line of a CSV (BOM dropped), from the bytes read ahead. */
function firstLine(head: Buffer): string {
  return (head.toString('utf8').replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '').trim();
}

export const openvasParser: Parser = {
  format: 'openvas',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const peeked = await peekSource(source, 1, (h) => firstSignificantByte(h) === 0x3c || h.includes(0x0a), 64 * 1024);
    const first = firstSignificantByte(peeked.head);
    if (first === -1) throw new ImportError(ctx.file, null, null, 'not an OpenVAS report: the file is empty');
    if (first === 0x3c) yield* parseXml(peeked.source, ctx);
    else yield* parseCsv(peeked.source, firstLine(peeked.head), ctx);
  },
};

/**
 * Detection: the root element is `<report>` (or `<get_reports_response>`) and the document has
 * GMP's marks (`<gmp>`/`<omp>` version, `<nvt oid=`, or the XML report format's `format_id`).
 */
export function looksLikeOpenvasXml(text: string): boolean {
  const root = /^(?:\ufeff)?(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE(?:[^[>]|\[[\s\S]*?\])*>)*<([A-Za-z_][\w.:-]*)/.exec(text)?.[1];
  if (root !== 'report' && root !== 'get_reports_response') return false;
  return /<(?:gmp|omp)>|<nvt\s+oid=|format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"/.test(text);
}

/** Detection: a CSV header naming Greenbone's `NVT OID` and `NVT Name` columns. */
export function looksLikeOpenvasCsv(text: string): boolean {
  const cols = firstLine(Buffer.from(text.slice(0, 8192)))
    .toLowerCase()
    .split(',')
    .map((c) => c.trim().replace(/^"|"$/g, ''));
  return cols.includes('nvt oid') && cols.includes('nvt name');
}
