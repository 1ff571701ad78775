/**
 * Qualys vulnerability reports: the XML Asset Data Report, the XML scan results and the CSV
 * exports of detections, in one `--format qualys`. The first significant byte chooses XML (`<`)
 * or CSV; the root element chooses between the two XML layouts.
 *
 * Layouts read:
 * - XML `<ASSET_DATA_REPORT>` (streamed with saxes; its DOCTYPE names a DTD that is never
 *   fetched): `HEADER`, `HOST_LIST/HOST` (IP, DNS, NETBIOS, OPERATING_SYSTEM, and a
 *   `VULN_INFO_LIST/VULN_INFO` per detection: QID, TYPE, PORT, PROTOCOL, SERVICE, SSL, RESULT,
 *   FIRST_FOUND, LAST_FOUND, TIMES_FOUND, VULN_STATUS, CVSS_FINAL, CVSS3_FINAL) and the
 *   `GLOSSARY/VULN_DETAILS_LIST/VULN_DETAILS` knowledge base entries (TITLE, SEVERITY, CATEGORY,
 *   THREAT, IMPACT, SOLUTION, CVE_ID_LIST, VENDOR_REFERENCE_LIST, BUGTRAQ_ID_LIST, CVSS_SCORE,
 *   CVSS3_SCORE, CORRELATION/EXPLOITABILITY and MALWARE, THREAT_INTELLIGENCE). Qualys writes the
 *   glossary after the hosts: detections wait in a bounded buffer (`DeferredQueue`, spilling to a
 *   temporary file) until it is read, and only the compact id/title/severity of each QID is kept
 *   in memory. When the glossary comes first, detections are mapped as they are read (the
 *   glossary's vulnerability records are then held until their first detection).
 * - XML scan results `<SCAN>` (`scan-1.dtd`): `HEADER/KEY` (TITLE, SCAN_HOST), OPTION_PROFILE,
 *   and per `<IP value name>` host (OS, NETBIOS_HOSTNAME) the `VULNS`, `PRACTICES`, `INFOS` and
 *   `SERVICES` entries grouped in `<CAT port protocol>`; each entry carries its own knowledge
 *   (TITLE, severity, CVE_ID_LIST or `cveid`, CVSS_BASE, CVSS3_BASE, DIAGNOSIS, CONSEQUENCE,
 *   SOLUTION, CORRELATION, RESULT). No first/last sighting in this layout.
 * - CSV detection exports (`"IP","Network","DNS","NetBIOS",…,"QID","Title",…`) and the PCI
 *   layout (`IP,HOSTNAME,LAST SCAN,QID,VULN TITLE,…`). Preamble lines before the header (report
 *   title, company, date) are passed over: the header is the first line naming both an `IP` and a
 *   `QID` column. Column names are matched without regard to case, spaces or underscores.
 *
 * What counts as a finding: every confirmed (`Vuln`) and potential (`Practice`, `POTENTIAL`)
 * detection. Information gathered entries (`Ig`, `Info`, scan result INFO and SERVICE) are host
 * facts, not vulnerabilities (DNS name, traceroute, open services, detected OS): each is counted
 * as skipped. A detection
 * whose status is `Fixed` is skipped too (a later scan that no longer lists a finding resolves
 * it).
 *
 * How each field is filled:
 * - asset: `networkHostAsset` from DNS (CSV `DNS`/`HOSTNAME`), NetBIOS, IP and OS; one per host.
 * - vulnerability: the lowest CVE of the QID (`primaryId`), else `qualys:<QID>`; the QID is always
 *   the alias `qualys:<QID>`, the other CVEs are aliases too.
 * - location (what tells two detections apart on one host): `qid <QID>` plus `<port>/<protocol>`
 *   and `/ssl` when the detection has them (`extra.ssl`). No component or version: Qualys names
 *   neither.
 * - severity: the Qualys level 1..5 → info, low, medium, high, critical (DefectDojo's "legacy"
 *   mapping, the one its tests assert); a CSV severity word (`Medium`) is read as a word.
 * - CVSS: the knowledge base's CVSS3 base (`8.1 (AV:N/…)`, read as CVSS 3.0 unless the column
 *   says 3.1), else its CVSS v2 base. The per-detection final scores go to `extra.cvss_final`
 *   and `extra.cvss3_final`; temporal vectors to the vulnerability's extra.
 * - exploits: an EXPLOITABILITY entry, a CSV `Exploitability` value, or the threat-intel words
 *   `Exploit_Public`, `Easy_Exploit`, `Exploit_Kit` → public; MALWARE, a CSV `Associated Malware`
 *   value, or `Active_Attacks`, `Malware`, `Ransomware` → actively exploited. The words, exploit
 *   references and malware names are kept in the vulnerability's `extra.exploit`.
 * - no CWE (Qualys gives none); no fixed_version (the SOLUTION is advice text, kept in the
 *   vulnerability's `extra.solution`, with THREAT and IMPACT).
 * - first/last seen: FIRST_FOUND/LAST_FOUND (CSV `First Detected`/`Last Detected`, PCI
 *   `LAST SCAN`; `MM/DD/YYYY`, or `DD/MM/YYYY` when the first number is over 12).
 * - check: `local` for a detection of the Cloud Agent (host `TRACKING_METHOD`, CSV `Tracking
 *   Method`: `AGENT`, `QAGENT`: it reads the host's own state), else `remote` for a detection with
 *   a port (a network check reached the service); a scanner detection without a port is left
 *   unknown (null): the report does not say whether an authenticated check or a host-level
 *   network probe (TCP sequence numbers, ICMP) found it.
 *   vantage_point (remote only): `Qualys scanner <SCAN_HOST address> (scan "<TITLE>", option
 *   profile "<profile>")` for scan results, `Qualys scan (report template "<TEMPLATE>")` for an
 *   Asset Data Report naming its template, else `Qualys scan`.
 * - validation: unvalidated; a PCI `FALSE POSITIVE STATUS` of `Approved`/`Accepted` → false_positive.
 *
 * Source and scan key: `qualys`.
 */
import type { Cvss, FindingCheck, FindingRecord, FindingSeverity, Validation } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject, readCsvRows, type JsonObject } from '../record-fields.js';
import { truncateNullable } from '../free-text.js';
import { firstSignificantByte, peekSource, splitFirstLine, withFirstLine } from '../stream/peek.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf } from './cvss.js';
import { DeferredQueue, Emitter, makeFinding, makeVulnerability, networkHostAsset, num, primaryId, redactSecrets, severityWord, str, type ScannerVulnerability } from './common.js';
import { child, childText, children, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'qualys';
const ROOT = 'ASSET_DATA_REPORT';
const LEVELS: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];
/** Lines looked at for the CSV header before giving up. */
const PREAMBLE_LINES = 50;
/** Detections waiting for the glossary kept in memory before the rest spill to a temporary file. */
const DEFERRED_IN_MEMORY = 256;

// ---------------------------------------------------------------------------------------------
// Shared by every layout

type Kind = 'confirmed' | 'potential' | 'information';

/** A Qualys detection type (`Vuln`, `Practice`, `Ig`, `CONFIRMED`, `POTENTIAL`, `Info`, …). */
function kindOf(type: string | null): Kind {
  const t = (type ?? '').trim().toLowerCase();
  if (t === 'ig' || t.startsWith('info')) return 'information';
  if (t === 'practice' || t.includes('potential')) return 'potential';
  return 'confirmed';
}

/** A Qualys level `1`..`5`, or a severity word; null when absent; undefined when not understood. */
function severityOf(value: string | null): FindingSeverity | null | undefined {
  if (value === null) return null;
  const t = value.trim();
  if (/^[1-5]$/.test(t)) return LEVELS[Number(t) - 1];
  return severityWord(t) ?? undefined;
}

/** `8.1 (AV:N/AC:H/…)`, `8.1` or `-` → a CVSS (the vector read as `version` when it has no prefix). */
function qualysCvss(text: string | null, version: string): Cvss | null {
  if (text === null) return null;
  const m = /^\s*(\d{1,2}(?:\.\d+)?)\s*(?:\(([^()]*)\))?\s*$/.exec(text);
  if (m === null) return null;
  const score = Number(m[1]);
  if (!Number.isFinite(score) || score > 10) return null;
  return cvssOf(m[2] ?? null, score, version);
}

/** A score as Qualys writes it, with `-` (none) as null. */
const scoreText = (text: string | null): string | null => (text === null || text.trim() === '-' ? null : text.trim());

/** The vector of `7.4 (E:U/RL:U/RC:C)`, or null. */
const vectorPart = (text: string | null): string | null => (text === null ? null : (/\(([^()]+)\)/.exec(text)?.[1] ?? null));

const PUBLIC_WORDS = new Set(['exploit_public', 'easy_exploit', 'exploit_kit']);
const ACTIVE_WORDS = new Set(['active_attacks', 'malware', 'ransomware']);

/** What Qualys says of exploits: threat-intel words, exploit references, malware names. */
function exploitOf(words: string[], exploits: string[], malware: string[]): ScannerVulnerability['exploit'] {
  const norm = words.map((w) => w.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const pub = exploits.length > 0 || norm.some((w) => PUBLIC_WORDS.has(w));
  const active = malware.length > 0 || norm.some((w) => ACTIVE_WORDS.has(w));
  if (words.length === 0 && !pub && !active) return null;
  const detail: Record<string, unknown> = {};
  if (words.length > 0) detail.threat_intel = words;
  if (exploits.length > 0) detail.exploits = exploits;
  if (malware.length > 0) detail.malware = malware;
  return { public: pub, active, detail };
}

/** What a QID is, as findings need it (kept in memory per QID: no long texts). */
interface QidInfo {
  id: string;
  aliases: string[];
  title: string | null;
  severity: FindingSeverity | null;
}

function qidInfo(qid: string, cves: string[], title: string | null, severity: FindingSeverity | null): QidInfo {
  const { id, aliases } = primaryId(`qualys:${qid}`, cves);
  return { id, aliases, title, severity };
}

/** One detection on one host, as it waits for the glossary (plain JSON: it may spill to disk). */
interface Detection {
  asset: string;
  qid: string;
  kind: Kind;
  port: number | null;
  protocol: string | null;
  service: string | null;
  ssl: boolean | null;
  agent: boolean;
  first_seen: string | null;
  last_seen: string | null;
  validation: Validation;
  extra: Record<string, unknown>;
}

function checkOf(d: Detection): FindingCheck | null {
  if (d.agent) return 'local';
  return d.port === null ? null : 'remote';
}

function findingOf(d: Detection, info: QidInfo, vantage: string): FindingRecord {
  const check = checkOf(d);
  const where = d.port === null ? '' : ` ${d.port}/${d.protocol ?? ''}${d.ssl === true ? '/ssl' : ''}`;
  return makeFinding({
    scanner: SCANNER,
    asset: d.asset,
    vulnerability: info.id,
    aliases: info.aliases,
    location: `qid ${d.qid}${where}`,
    title: info.title,
    severity: info.severity,
    validation: d.validation,
    check,
    network: d.port === null && d.protocol === null && d.service === null ? null : { port: d.port, protocol: d.protocol, service: d.service },
    vantage_point: check === 'remote' ? vantage : null,
    first_seen: d.first_seen,
    last_seen: d.last_seen,
    extra: { qid: d.qid, type: d.kind, ssl: d.ssl, ...d.extra },
  });
}

/** A port number, or null when absent; an ImportError for anything else. */
function portOf(value: string | null, ctx: ParseContext, record: string | number, field: string): number | null {
  if (value === null) return null;
  const t = value.trim();
  if (t === '') return null;
  const n = Number(t);
  if (!/^\d+$/.test(t) || n > 65535) throw new ImportError(ctx.file, record, field, `expected a port number, got ${JSON.stringify(t.slice(0, 40))}`);
  return n;
}

const DEFAULT_VANTAGE = 'Qualys scan';

/** The refusal of a file that is not a Qualys report, with what it looks like instead when known. */
const notQualys = (ctx: ParseContext, problem: string): ImportError =>
  new ImportError(ctx.file, null, null, `not a Qualys report: ${problem}${ctx.hint === undefined ? '' : `; ${ctx.hint}`}`);

// ---------------------------------------------------------------------------------------------
// XML: ASSET_DATA_REPORT

/** `qid_38047` or the element's text → `38047`. */
function qidOf(node: XmlNode | null): string | null {
  if (node === null) return null;
  const text = node.text.trim();
  if (/^\d+$/.test(text)) return text;
  const attr = /^qid_(\d+)$/.exec(node.attrs.id ?? '')?.[1];
  return attr ?? null;
}

/** A Qualys timestamp (`2019-07-31T21:57:48Z`), else an ImportError. */
function isoDate(value: string | null, ctx: ParseContext, record: string | number, field: string): string | null {
  if (value === null) return null;
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return value;
  throw new ImportError(ctx.file, record, field, `expected a date like 2019-07-31T21:57:48Z, got ${JSON.stringify(value.slice(0, 40))}`);
}

const textsOf = (nodes: XmlNode[], name: string): string[] => nodes.map((n) => childText(n, name)).filter((t): t is string => t !== null);

/** A glossary entry: the QID's compact info and its vulnerability record. */
function glossaryEntry(node: XmlNode, record: string, ctx: ParseContext): { qid: string; info: QidInfo; vuln: ScannerVulnerability } {
  const qid = qidOf(child(node, 'QID')) ?? /^qid_(\d+)$/.exec(node.attrs.id ?? '')?.[1] ?? null;
  if (qid === null) throw new ImportError(ctx.file, record, 'QID', 'a knowledge base entry needs its QID');
  return { qid, ...knowledge(node, qid, childText(node, 'SEVERITY'), 'SEVERITY', record, ctx) };
}

/**
 * What the knowledge base says of a QID: a glossary `VULN_DETAILS` (CVSS in `CVSS3_SCORE`,
 * `THREAT`/`IMPACT`) or a scan report's `VULN`/`PRACTICE` (CVSS directly inside,
 * `DIAGNOSIS`/`CONSEQUENCE`, CVEs also in a `cveid` attribute).
 */
function knowledge(
  node: XmlNode,
  qid: string,
  severityText: string | null,
  severityField: string,
  record: string,
  ctx: ParseContext,
): { info: QidInfo; vuln: ScannerVulnerability } {
  const severity = severityOf(severityText);
  if (severity === undefined) throw new ImportError(ctx.file, record, severityField, `expected a Qualys level 1 to 5, got ${JSON.stringify(severityText)}`);
  const cveNodes = children(child(node, 'CVE_ID_LIST'), 'CVE_ID');
  const cves = [...textsOf(cveNodes, 'ID'), ...(node.attrs.cveid ?? '').split(/[\s,]+/)].filter((c) => /^CVE-\d{4}-\d+$/i.test(c));
  const title = childText(node, 'TITLE');
  const info = qidInfo(qid, cves, title, severity);
  const v3Node = child(node, 'CVSS3_SCORE') ?? node;
  const v3Version = childText(v3Node, 'CVSS3_VERSION') ?? '3.0';
  const v3 = qualysCvss(childText(v3Node, 'CVSS3_BASE'), v3Version.startsWith('3.1') ? '3.1' : '3.0');
  const v2Node = child(node, 'CVSS_SCORE') ?? node;
  const v2 = qualysCvss(childText(v2Node, 'CVSS_BASE'), '2.0');
  const correlation = child(node, 'CORRELATION');
  const exploitEntries = children(child(correlation, 'EXPLOITABILITY'), 'EXPLT_SRC').flatMap((src) =>
    children(child(src, 'EXPLT_LIST'), 'EXPLT').map((e) => {
      const ref = childText(e, 'REF');
      const link = childText(e, 'LINK');
      return [childText(src, 'SRC_NAME'), ref, link].filter((x): x is string => x !== null).join(' ');
    }),
  );
  const malware = children(child(correlation, 'MALWARE'), 'MW_SRC').flatMap((src) => textsOf(children(child(src, 'MW_LIST'), 'MW_INFO'), 'MW_ID'));
  const intel = children(child(node, 'THREAT_INTELLIGENCE'), 'THREAT_INTEL')
    .map((t) => t.text.trim())
    .filter((t) => t !== '');
  const vendorRefs = children(child(node, 'VENDOR_REFERENCE_LIST'), 'VENDOR_REFERENCE');
  const bugtraq = children(child(node, 'BUGTRAQ_ID_LIST'), 'BUGTRAQ_ID');
  const references = [...textsOf(cveNodes, 'URL'), ...textsOf(vendorRefs, 'URL'), ...textsOf(bugtraq, 'URL')];
  return {
    info,
    vuln: {
      id: info.id,
      title,
      cvss: bestCvss([v3, v2]),
      references,
      exploit: exploitOf(intel, exploitEntries, malware),
      extra: {
        qid,
        category: childText(node, 'CATEGORY'),
        threat: childText(node, 'THREAT') ?? childText(node, 'DIAGNOSIS'),
        impact: childText(node, 'IMPACT') ?? childText(node, 'CONSEQUENCE'),
        solution: childText(node, 'SOLUTION'),
        pci: childText(node, 'PCI_FLAG') === null ? null : childText(node, 'PCI_FLAG') === '1',
        vendor_references: textsOf(vendorRefs, 'ID'),
        bugtraq: textsOf(bugtraq, 'ID'),
        cvss3_temporal: vectorPart(childText(v3Node, 'CVSS3_TEMPORAL')),
        cvss_temporal: vectorPart(childText(v2Node, 'CVSS_TEMPORAL')),
      },
    },
  };
}

/** A host's detections, mapped to `Detection`s (or skipped), after its asset. */
function readHost(
  host: XmlNode,
  index: number,
  ctx: ParseContext,
): { asset: AssetRef; detections: Detection[]; skipped: string[] } {
  const record = `/${ROOT}/HOST_LIST/HOST[${index}]`;
  const asset = networkHostAsset({
    ip: childText(host, 'IP'),
    fqdn: childText(host, 'DNS'),
    netbios: childText(host, 'NETBIOS'),
    os: childText(host, 'OPERATING_SYSTEM'),
  });
  if (asset === null) throw new ImportError(ctx.file, record, 'IP', 'a host needs an IP address, a DNS name or a NetBIOS name');
  const detections: Detection[] = [];
  const skipped: string[] = [];
  const agent = /agent/i.test(childText(host, 'TRACKING_METHOD') ?? '');
  children(child(host, 'VULN_INFO_LIST'), 'VULN_INFO').forEach((vi, i) => {
    const at = `${record}/VULN_INFO_LIST/VULN_INFO[${i + 1}]`;
    const qid = qidOf(child(vi, 'QID'));
    if (qid === null) throw new ImportError(ctx.file, at, 'QID', 'a detection needs its QID (a number)');
    const kind = kindOf(childText(vi, 'TYPE'));
    const status = childText(vi, 'VULN_STATUS');
    if (kind === 'information') {
      skipped.push('Qualys information gathered (type Ig): a host fact, not a vulnerability');
      return;
    }
    if (status !== null && status.toLowerCase() === 'fixed') {
      skipped.push('Qualys detection with status Fixed');
      return;
    }
    const ssl = childText(vi, 'SSL');
    const times = childText(vi, 'TIMES_FOUND');
    detections.push({
      asset: asset.id,
      qid,
      kind,
      port: portOf(childText(vi, 'PORT'), ctx, at, 'PORT'),
      protocol: childText(vi, 'PROTOCOL')?.toLowerCase() ?? null,
      service: childText(vi, 'SERVICE'),
      ssl: ssl === null ? null : ssl === 'true',
      agent,
      first_seen: isoDate(childText(vi, 'FIRST_FOUND'), ctx, at, 'FIRST_FOUND'),
      last_seen: isoDate(childText(vi, 'LAST_FOUND'), ctx, at, 'LAST_FOUND'),
      validation: 'unvalidated',
      extra: {
        status,
        times_found: times !== null && /^\d+$/.test(times) ? Number(times) : null,
        result: truncateNullable(redactSecrets(childText(vi, 'RESULT'))),
        cvss_final: scoreText(childText(vi, 'CVSS_FINAL')),
        cvss3_final: scoreText(childText(vi, 'CVSS3_FINAL')),
      },
    });
  });
  return { asset, detections, skipped };
}

/** A deferred detection read back (written by this module; anything else is ignored). */
function detectionFrom(v: unknown): Detection | null {
  if (!isObject(v)) return null;
  const asset = str(v, 'asset');
  const qid = str(v, 'qid');
  const kind = str(v, 'kind');
  if (asset === null || qid === null || (kind !== 'confirmed' && kind !== 'potential')) return null;
  const o: JsonObject = isObject(v) ? v : {};
  const extra = isObject(o.extra) ? o.extra : {};
  return {
    asset,
    qid,
    kind,
    port: num(v, 'port'),
    protocol: str(v, 'protocol'),
    service: str(v, 'service'),
    ssl: typeof o.ssl === 'boolean' ? o.ssl : null,
    agent: o.agent === true,
    first_seen: str(v, 'first_seen'),
    last_seen: str(v, 'last_seen'),
    validation: o.validation === 'false_positive' ? 'false_positive' : 'unvalidated',
    extra,
  };
}

async function* parseXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  // a detection's RESULT may be long (up to the free-text bound): fewer of them wait in memory
  const deferred = new DeferredQueue(DEFERRED_IN_MEMORY);
  const infos = new Map<string, QidInfo>();
  /** Vulnerabilities read before any detection needs them (glossary first): emitted on first use. */
  const pending = new Map<string, ScannerVulnerability>();
  /** QIDs of the detections waiting for the glossary. */
  const needed = new Set<string>();
  const out: ImportItem[] = [];
  let vantage = DEFAULT_VANTAGE;
  let hosts = 0;
  let glossary = 0;
  const select = (p: readonly string[]): boolean => {
    if (p.length === 1 && p[0] !== ROOT) {
      throw notQualys(ctx, `root element <${p[0] ?? '?'}>, expected <${ROOT}> or <SCAN>`);
    }
    return (
      (p.length === 2 && p[1] === 'HEADER') ||
      (p.length === 3 && p[1] === 'HOST_LIST' && p[2] === 'HOST') ||
      (p.length === 4 && p[1] === 'GLOSSARY' && p[2] === 'VULN_DETAILS_LIST' && p[3] === 'VULN_DETAILS')
    );
  };
  const handle = (d: Detection): void => {
    const info = infos.get(d.qid) ?? qidInfo(d.qid, [], null, null);
    const vuln = pending.get(d.qid);
    if (vuln !== undefined) pending.delete(d.qid);
    emit.vulnerability(out, info.id, () => makeVulnerability(vuln ?? { id: info.id, extra: { qid: d.qid } }));
    emit.finding(out, findingOf(d, info, vantage));
  };
  try {
    for await (const { node } of streamXml(source, select, ctx)) {
      if (node.name === 'HEADER') {
        const template = childText(node, 'TEMPLATE');
        if (template !== null) vantage = `${DEFAULT_VANTAGE} (report template "${template}")`;
      } else if (node.name === 'HOST') {
        hosts++;
        const { asset, detections, skipped } = readHost(node, hosts, ctx);
        emit.asset(out, asset);
        for (const reason of skipped) out.push({ kind: 'skipped', record: { reason } });
        for (const d of detections) {
          if (glossary > 0) handle(d);
          else {
            needed.add(d.qid);
            await deferred.push(d);
          }
        }
      } else {
        glossary++;
        const entry = glossaryEntry(node, `/${ROOT}/GLOSSARY/VULN_DETAILS_LIST/VULN_DETAILS[${glossary}]`, ctx);
        infos.set(entry.qid, entry.info);
        if (needed.has(entry.qid)) emit.vulnerability(out, entry.info.id, () => makeVulnerability(entry.vuln));
        else if (hosts === 0) pending.set(entry.qid, entry.vuln);
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    for await (const value of deferred.drain()) {
      const d = detectionFrom(value);
      if (d !== null) handle(d);
      if (out.length > 0) yield* out.splice(0, out.length);
    }
  } finally {
    await deferred.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// XML: SCAN (scan results, scan-1.dtd)

/** The header's `<KEY value="NAME">` text. */
const headerKey = (header: XmlNode, name: string): string | null => {
  const t = children(header, 'KEY').find((k) => k.attrs.value === name)?.text.trim() ?? '';
  return t === '' ? null : t;
};

/** `Qualys scanner 10.0.0.5 (scan "Weekly", option profile "Initial Options")` from what the header gives. */
function scanVantage(header: XmlNode): string {
  const scanner = headerKey(header, 'SCAN_HOST')?.split(/\s+/)[0] ?? null;
  const title = headerKey(header, 'TITLE');
  const profile = childText(child(header, 'OPTION_PROFILE'), 'OPTION_PROFILE_TITLE');
  const about = [title === null ? null : `scan "${title}"`, profile === null ? null : `option profile "${profile}"`].filter((x) => x !== null);
  const base = scanner === null ? DEFAULT_VANTAGE : `Qualys scanner ${scanner}`;
  return about.length === 0 ? base : `${base} (${about.join(', ')})`;
}

/** The sections of a scan report's `<IP>` and what their entries are. */
const SCAN_SECTIONS: readonly { list: string; entry: string; kind: Kind }[] = [
  { list: 'VULNS', entry: 'VULN', kind: 'confirmed' },
  { list: 'PRACTICES', entry: 'PRACTICE', kind: 'potential' },
  { list: 'INFOS', entry: 'INFO', kind: 'information' },
  { list: 'SERVICES', entry: 'SERVICE', kind: 'information' },
];

/** One `<IP>` of a scan report: its asset, then a finding per VULN/PRACTICE (INFO and SERVICE skipped). */
function scanHost(ip: XmlNode, index: number, vantage: string, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const record = `/SCAN/IP[${index}]`;
  const asset = networkHostAsset({
    ip: ip.attrs.value ?? null,
    fqdn: ip.attrs.name ?? null,
    netbios: childText(ip, 'NETBIOS_HOSTNAME') ?? childText(ip, 'NETBIOS'),
    os: childText(ip, 'OS'),
  });
  if (asset === null) throw new ImportError(ctx.file, record, 'value', 'a host needs its IP address or name');
  emit.asset(out, asset);
  for (const section of SCAN_SECTIONS) {
    children(child(ip, section.list), 'CAT').forEach((cat, c) => {
      children(cat, section.entry).forEach((entry, e) => {
        const at = `${record}/${section.list}/CAT[${c + 1}]/${section.entry}[${e + 1}]`;
        const qid = entry.attrs.number?.trim() ?? '';
        if (!/^\d+$/.test(qid)) throw new ImportError(ctx.file, at, 'number', `a detection needs its QID (a number), got ${JSON.stringify(qid)}`);
        if (section.kind === 'information') {
          out.push({ kind: 'skipped', record: { reason: 'Qualys information gathered (type Ig): a host fact, not a vulnerability' } });
          return;
        }
        const { info, vuln } = knowledge(entry, qid, entry.attrs.severity ?? null, 'severity', at, ctx);
        emit.vulnerability(out, info.id, () => makeVulnerability(vuln));
        const d: Detection = {
          asset: asset.id,
          qid,
          kind: section.kind,
          port: portOf(cat.attrs.port ?? null, ctx, at, 'port'),
          protocol: cat.attrs.protocol?.toLowerCase() ?? null,
          service: null,
          ssl: null,
          agent: false,
          first_seen: null,
          last_seen: null,
          validation: 'unvalidated',
          extra: { category: cat.attrs.value ?? null, fqdn: cat.attrs.fqdn ?? null, result: redactSecrets(childText(entry, 'RESULT')) },
        };
        emit.finding(out, findingOf(d, info, vantage));
      });
    });
  }
}

async function* parseScanXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  let vantage = DEFAULT_VANTAGE;
  let hosts = 0;
  const select = (p: readonly string[]): boolean => {
    if (p.length === 1 && p[0] !== 'SCAN') throw notQualys(ctx, `root element <${p[0] ?? '?'}>, expected <${ROOT}> or <SCAN>`);
    return p.length === 2 && (p[1] === 'HEADER' || p[1] === 'IP');
  };
  for await (const { node } of streamXml(source, select, ctx)) {
    if (node.name === 'HEADER') vantage = scanVantage(node);
    else {
      hosts++;
      scanHost(node, hosts, vantage, emit, out, ctx);
    }
    if (out.length > 0) yield* out.splice(0, out.length);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

/** A column name matched loosely: `CVE ID`, `CVEID`, `cve_id` → `CVEID`. */
const columnKey = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9.]/g, '');

/** True for a CSV line naming an `IP` column and a `QID` column (a Qualys detection header). */
export function isQualysCsvHeader(line: string): boolean {
  const cols = line.split(',').map((c) => columnKey(c.trim().replace(/^"|"$/g, '')));
  return cols.includes('IP') && cols.includes('QID');
}

/** Up to `PREAMBLE_LINES` lines are passed over to reach the header; the header's line number is returned. */
async function csvBody(source: ByteSource, ctx: ParseContext): Promise<{ body: ByteSource; firstLine: number }> {
  let rest = source;
  for (let line = 1; line <= PREAMBLE_LINES; line++) {
    const first = await splitFirstLine(rest, 64 * 1024);
    if (isQualysCsvHeader(first.line)) return { body: withFirstLine(first), firstLine: line };
    if (!first.complete) break;
    rest = first.rest;
  }
  throw notQualys(ctx, `no CSV header naming IP and QID columns in its first ${PREAMBLE_LINES} lines`);
}

/** `05/13/2021 07:08:28` (or `22/09/2022 13:01`, or ISO) → ISO 8601 without a zone (Qualys writes the user's). */
function csvDate(value: string | null, ctx: ParseContext, line: number, field: string): string | null {
  if (value === null) return null;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return isoDate(value, ctx, line, field);
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  const a = Number(m?.[1]);
  const b = Number(m?.[2]);
  const [month, day] = a > 12 ? [b, a] : [a, b];
  if (m === null || month < 1 || month > 12 || day < 1 || day > 31) {
    throw new ImportError(ctx.file, line, field, `expected a date like 05/13/2021 07:08:28, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  const p = (n: number | string | undefined): string => String(n ?? 0).padStart(2, '0');
  const date = `${m[3] ?? ''}-${p(month)}-${p(day)}`;
  return m[4] === undefined ? date : `${date}T${p(m[4])}:${p(m[5])}:${p(m[6])}`;
}

function parseCsvRow(row: Record<string, string>, line: number, ctx: ParseContext): { asset: AssetRef; detection: Detection; info: QidInfo; vuln: ScannerVulnerability } | string {
  const cols = new Map<string, string>();
  for (const [k, v] of Object.entries(row)) {
    const t = v.trim();
    if (t !== '') cols.set(columnKey(k), t);
  }
  const col = (...names: string[]): string | null => {
    for (const n of names) {
      const v = cols.get(columnKey(n));
      if (v !== undefined) return v;
    }
    return null;
  };
  const qid = col('QID');
  if (qid === null || !/^\d+$/.test(qid)) throw new ImportError(ctx.file, line, 'QID', `a detection needs its QID (a number), got ${JSON.stringify(qid ?? '')}`);
  const kind = kindOf(col('Type'));
  if (kind === 'information') return 'Qualys information gathered (type Ig): a host fact, not a vulnerability';
  const status = col('Vuln Status');
  if (status !== null && status.toLowerCase() === 'fixed') return 'Qualys detection with status Fixed';
  const asset = networkHostAsset({ ip: col('IP'), fqdn: col('DNS', 'HOSTNAME'), netbios: col('NetBIOS'), os: col('OS', 'OPERATING SYSTEM') });
  if (asset === null) throw new ImportError(ctx.file, line, 'IP', 'a detection needs the host: an IP address, a DNS name or a NetBIOS name');
  const severityText = col('Q_SEVERITY', 'Severity');
  const severity = severityOf(severityText);
  if (severity === undefined) throw new ImportError(ctx.file, line, 'Severity', `expected a Qualys level 1 to 5 or a severity word, got ${JSON.stringify(severityText)}`);
  const cves = (col('CVE ID', 'CVEID') ?? '').split(/[\s,;]+/).filter((c) => /^CVE-\d{4}-\d+$/i.test(c));
  const title = col('Title', 'VULN TITLE');
  const info = qidInfo(qid, cves, title, severity);
  const v31 = col('CVSS3.1 Base');
  const v3 = qualysCvss(v31 ?? col('CVSS3 Base'), v31 !== null ? '3.1' : '3.0');
  const v2 = qualysCvss(col('CVSS Base', 'CVSS_BASE'), '2.0');
  const exploits = col('Exploitability');
  const malware = col('Associated Malware');
  const intel = (col('Threat Intelligence', 'RTI') ?? '').split(/[,;]+/).map((w) => w.trim()).filter((w) => w !== '');
  const ssl = col('SSL');
  const times = col('Times Detected');
  const fp = col('FALSE POSITIVE STATUS');
  const detection: Detection = {
    asset: asset.id,
    qid,
    kind,
    port: portOf(col('Port'), ctx, line, 'Port'),
    protocol: col('Protocol')?.toLowerCase() ?? null,
    service: null,
    ssl: ssl === null ? null : /^(yes|true|over ssl)$/i.test(ssl),
    agent: /agent/i.test(col('Tracking Method') ?? ''),
    first_seen: csvDate(col('First Detected'), ctx, line, 'First Detected'),
    last_seen: csvDate(col('Last Detected', 'LAST SCAN'), ctx, line, col('Last Detected') !== null ? 'Last Detected' : 'LAST SCAN'),
    validation: fp !== null && /^(approved|accepted)$/i.test(fp) ? 'false_positive' : 'unvalidated',
    extra: {
      status,
      times_found: times !== null && /^\d+$/.test(times) ? Number(times) : null,
      result: redactSecrets(col('Results', 'RESULT')),
      fqdn: col('FQDN'),
      instance: col('Instance'),
      date_last_fixed: col('Date Last Fixed'),
      ticket_state: col('Ticket State'),
      false_positive_status: fp,
      cvss_final: scoreText(col('CVSS', 'CVSS_TEMPORAL')),
      cvss3_final: scoreText(col('CVSS3.1', 'CVSS3')),
    },
  };
  const pci = col('PCI Vuln', 'IS_PCI');
  const vuln: ScannerVulnerability = {
    id: info.id,
    title,
    cvss: bestCvss([v3, v2]),
    exploit: exploitOf(intel, exploits === null ? [] : [exploits], malware === null ? [] : [malware]),
    extra: {
      qid,
      category: col('Category'),
      threat: col('Threat'),
      impact: col('Impact'),
      solution: col('Solution'),
      pci: pci === null ? null : /^(yes|fail|true|1)$/i.test(pci),
      vendor_references: (col('Vendor Reference') ?? '').split(/,\s*/).filter((r) => r !== ''),
      bugtraq: (col('Bugtraq ID', 'BUGTRAQID') ?? '').split(/[\s,]+/).filter((r) => /^\d+$/.test(r)),
      cvss3_temporal: vectorPart(col('CVSS3.1 Temporal', 'CVSS3 Temporal')),
      cvss_temporal: vectorPart(col('CVSS Temporal')),
    },
  };
  return { asset, detection, info, vuln };
}

async function* parseCsv(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const { body, firstLine } = await csvBody(source, ctx);
  const out: ImportItem[] = [];
  for await (const { line, row } of readCsvRows(body, ctx, firstLine)) {
    const parsed = parseCsvRow(row, line, ctx);
    if (typeof parsed === 'string') {
      yield { kind: 'skipped', record: { reason: parsed } };
      continue;
    }
    emit.asset(out, parsed.asset);
    emit.vulnerability(out, parsed.info.id, () => makeVulnerability(parsed.vuln));
    emit.finding(out, findingOf(parsed.detection, parsed.info, DEFAULT_VANTAGE));
    yield* out.splice(0, out.length);
  }
}

// ---------------------------------------------------------------------------------------------

/** The name of the first element in an XML head (after the prolog, comments and DOCTYPE), or null. */
function xmlRoot(head: Buffer): string | null {
  const text = head.toString('utf8').replace(/<!--[\s\S]*?-->/g, '');
  return /<([A-Za-z_][\w.-]*)[\s/>]/.exec(text)?.[1] ?? null;
}

export const qualysParser: Parser = {
  format: 'qualys',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    // read ahead to the root element (an XML prolog and DOCTYPE come first), or to the first byte of a CSV
    const peeked = await peekSource(source, 1, (head) => firstSignificantByte(head) !== 0x3c || xmlRoot(head) !== null, 64 * 1024);
    const first = firstSignificantByte(peeked.head);
    if (first === -1) throw notQualys(ctx, 'the file is empty');
    if (first !== 0x3c) yield* parseCsv(peeked.source, ctx);
    else if (xmlRoot(peeked.head) === 'SCAN') yield* parseScanXml(peeked.source, ctx);
    else yield* parseXml(peeked.source, ctx);
  },
};
