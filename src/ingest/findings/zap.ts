/**
 * ZAP (OWASP ZAP, ZAP by Checkmarx) reports, streamed one alert at a time:
 *
 * - the traditional XML report (`<OWASPZAPReport>` → `<site name host port ssl>` → `<alerts>` →
 *   `<alertitem>`), every version from 2.9 on, the "XML plus" layout (instances with
 *   `requestheader`/`responsebody`, `confidencedesc`) and 2.16's `<tags>`; read with saxes, one
 *   `<alertitem>` at a time, the site's attributes kept from its start tag;
 * - the traditional JSON report (`zap-baseline.py -J`, "traditional-json" and "-plus":
 *   `{"@programName", "@version", "@generated", "created", "site": [{"@name", "@host", "@port",
 *   "@ssl", "alerts": [{…}]}]}`), one `site[*].alerts[*]` element at a time; a site's header is
 *   read before its alerts (alerts that come before it wait in a bounded buffer). `site` may be a
 *   single object, as older ZAP versions wrote it.
 *
 * What counts as a finding: every alert, informational ones (riskcode 0) included, as
 * DefectDojo counts them. One finding per (site, alert): the alert's `alertRef` (which carries
 * ZAP's variant suffix, `10038-1`) or else its `pluginid`. ZAP lists one alert twice for a site
 * when its instances differ in name or confidence; the repeats are one finding (instances united),
 * emitted again merged so that the last record of the fingerprint (the one the store keeps) is the
 * fullest.
 *
 * Fields:
 * - asset: the site's host (`urlHostAsset` of the site name, else its `host`): a ZAP alert on a
 *   URL belongs to the host serving it, and an inventory alias on that name or address claims it.
 *   Two sites of one host (`http://h` and `https://h:8443`) are one asset; the site (its origin) is
 *   the finding's location, so their alerts stay apart.
 * - vulnerability: `zap:<alertRef or pluginid>`; when the alert names exactly one CVE (in its
 *   name, tags, reference or other info, its instances' other info included) that CVE, with the
 *   ZAP id as alias; several CVEs are kept in `extra.cves`, not guessed between. Title: the
 *   alert's `name`; description, references (URLs of `reference` and of tags) on the vulnerability.
 * - component/version: none (a ZAP alert is about a URL, not a package).
 * - port/protocol/service: the site's port, `tcp`, `https` or `http` by the site's `ssl`.
 * - severity: riskcode 0..3 → info/low/medium/high (the highest when repeats are merged).
 * - CVSS: none (ZAP gives none); CWE from `cweid` (0 and -1 mean none); WASC id in `extra.wasc_id`.
 * - validation: confidence 0 ("false positive") → `false_positive` (all repeats), 4 ("user
 *   confirmed") → `validated`; the confidence is kept in `extra.confidence`.
 * - fix: ZAP gives advice, never a version: `solution` goes to `extra.solution`.
 * - instances: the first 50 (uri, method, param, attack, evidence, other info) in
 *   `extra.instances`, ZAP's total `count` in `extra.count`. Request and response headers and
 *   bodies are not kept: they may hold credentials and cookies.
 * - check: `remote` (a DAST request reached the service); vantage point
 *   `ZAP <version> scan of <site> (report generated <time>)`, also the host's `scanner` fact.
 *   First/last seen stay empty: ZAP dates only the report, in local time without a zone.
 *
 * Nothing is skipped. A site without alerts is still a scanned target (its asset is announced, so
 * a rescan that finds nothing resolves earlier findings).
 */
import type { FindingSeverity, Validation } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { formatJsonPath, streamJson, type JsonMatch, type PathPattern, type Structure } from '../stream/json-stream.js';
import { firstSignificantByte, peekSource } from '../stream/peek.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { DeferredQueue, Emitter, arr, cweIds, makeFinding, makeVulnerability, networkHostAsset, primaryId, redactSecrets, requireRecord, str, toolRuleId, urlHostAsset } from './common.js';
import { child, childText, children, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'zap';
/** Instances kept per finding; the rest are counted. */
export const MAX_INSTANCES = 50;

const RISKS: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high'];
const CONFIDENCE_WORDS = ['false positive', 'low', 'medium', 'high', 'user confirmed'] as const;

/** What the report says of itself. */
interface ZapReport {
  program: string | null;
  version: string | null;
  generated: string | null;
}

/** A `<site>` / `site[i]` header. */
interface ZapSite {
  name: string | null;
  host: string | null;
  port: string | null;
  ssl: string | null;
}

interface ZapInstance {
  uri: string | null;
  method: string | null;
  param: string | null;
  attack: string | null;
  evidence: string | null;
  otherinfo: string | null;
}

/** One `<alertitem>` / `alerts[i]`, as read from either layout. */
interface ZapAlert {
  pluginid: string | null;
  alertRef: string | null;
  alert: string | null;
  name: string | null;
  riskcode: string | null;
  confidence: string | null;
  desc: string | null;
  instances: ZapInstance[];
  count: string | null;
  solution: string | null;
  otherinfo: string | null;
  reference: string | null;
  cweid: string | null;
  wascid: string | null;
  sourceid: string | null;
  systemic: string | null;
  tags: { tag: string; link: string | null }[];
}

// ---------------------------------------------------------------------------------------------
// Text

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };

/**
 * ZAP before 2.11 writes free text as HTML paragraphs (`<p>…</p>`, the text inside HTML-escaped);
 * later versions write plain text. Paragraphs become lines; plain text is kept as it is.
 */
export function zapText(text: string | null): string | null {
  if (text === null) return null;
  const t = text.trim();
  if (!t.startsWith('<p>')) return t === '' ? null : t;
  const plain = t
    .replace(/<\/p>\s*<p>/g, '\n')
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/?p>/g, '')
    .replace(/&(lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-f]+);/gi, (m: string, e: string) => {
      if (e.startsWith('#')) {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
        return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .trim();
  return plain === '' ? null : plain;
}

const urlsIn = (text: string | null): string[] => (text === null ? [] : [...text.matchAll(/https?:\/\/[^\s<>"']+/g)].map((m) => m[0]));

const cvesIn = (text: string | null): string[] => (text === null ? [] : [...text.matchAll(/\bCVE-\d{4}-\d{4,}\b/gi)].map((m) => m[0].toUpperCase()));

/** `https://h:443` → `https://h` (the origin), so one site is written one way; other text as given. */
function siteOrigin(name: string): string {
  try {
    const u = new URL(name);
    return u.origin === 'null' ? name : u.origin;
  } catch {
    return name;
  }
}

const isTrue = (v: string | null): boolean => v !== null && v.trim().toLowerCase() === 'true';

// ---------------------------------------------------------------------------------------------
// Findings

/** What the findings of one site share. */
interface SiteContext {
  asset: AssetRef;
  origin: string;
  network: { port: number | null; protocol: string; service: string };
  vantage: string;
}

/** One finding being built from one or more report entries of the same (site, alert). */
interface Merged {
  first: ZapAlert;
  record: string;
  risk: number;
  confidences: number[];
  instances: ZapInstance[];
  listed: number;
  count: number;
  entries: number;
}

function vantageOf(report: ZapReport, site: string): string {
  const program = report.program ?? 'ZAP';
  const version = report.version === null ? '' : ` ${report.version}`;
  const generated = report.generated === null ? '' : ` (report generated ${report.generated})`;
  return `${program}${version} scan of ${site}${generated}`;
}

/** The asset and shared fields of a site; null when it names no host. */
function siteContext(site: ZapSite, report: ZapReport): SiteContext | null {
  const byUrl = site.name === null ? null : urlHostAsset(site.name);
  const host = site.host?.trim().toLowerCase() ?? '';
  const byHost = host === '' ? null : networkHostAsset(/^[\d.]+$/.test(host) || host.includes(':') ? { ip: host.replace(/^\[|\]$/g, '') } : { fqdn: host });
  const ref = byUrl ?? byHost;
  if (ref === null) return null;
  const origin = site.name === null ? host : siteOrigin(site.name.trim());
  const vantage = vantageOf(report, origin);
  const asset: AssetRef = { ...ref, host: ref.host === undefined || ref.host === null ? null : { ...ref.host, scanner: vantage } };
  let port: number | null = site.port !== null && /^\d{1,5}$/.test(site.port.trim()) ? Number(site.port) : null;
  const ssl = site.ssl !== null ? isTrue(site.ssl) : site.name?.trim().toLowerCase().startsWith('https:') === true;
  if (port === null && site.name !== null) {
    try {
      const u = new URL(site.name.trim());
      port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : null;
    } catch {
      port = null;
    }
  }
  return { asset, origin, network: { port, protocol: 'tcp', service: ssl ? 'https' : 'http' }, vantage };
}

/** A 0..`max` integer code, null when absent; anything else fails the import naming the field. */
function code(value: string | null, max: number, field: string, record: string, ctx: ParseContext): number | null {
  if (value === null) return null;
  const t = value.trim();
  if (!/^\d+$/.test(t) || Number(t) > max) throw new ImportError(ctx.file, record, field, `${field} must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`);
  return Number(t);
}

/** The riskcode, else the risk word `riskdesc` starts with (`Medium (High)`). */
function riskOf(alert: ZapAlert, riskdesc: string | null, record: string, ctx: ParseContext): number {
  const risk = code(alert.riskcode, 3, 'riskcode', record, ctx);
  if (risk !== null) return risk;
  const word = (riskdesc ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const fromWord = ['informational', 'low', 'medium', 'high'].indexOf(word);
  if (fromWord >= 0) return fromWord;
  throw new ImportError(ctx.file, record, 'riskcode', 'an alert needs its riskcode (0 to 3)');
}

function validationOf(confidences: number[]): Validation {
  if (confidences.includes(4)) return 'validated';
  if (confidences.length > 0 && confidences.every((c) => c === 0)) return 'false_positive';
  return 'unvalidated';
}

const dropNulls = (o: Record<string, string | null>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== null));

/** Reads ZAP alerts of one report and emits their findings (merging repeats within a site). */
class ZapReader {
  readonly emit = new Emitter(SCANNER);
  readonly report: ZapReport = { program: null, version: null, generated: null };
  private merged = new Map<string, Merged>();

  constructor(private readonly ctx: ParseContext) {}

  /** A new site starts: repeats are merged within one site only (memory stays per site). */
  startSite(): void {
    this.merged = new Map();
  }

  /** The site's asset and shared fields, or an ImportError naming the site's record. */
  site(site: ZapSite, record: string, field: string): SiteContext {
    const context = siteContext(site, this.report);
    if (context === null) throw new ImportError(this.ctx.file, record, field, 'a site needs its name (URL) or host');
    return context;
  }

  alert(alert: ZapAlert, riskdesc: string | null, record: string, site: SiteContext, out: ImportItem[]): void {
    const ctx = this.ctx;
    const ref = alert.alertRef ?? alert.pluginid;
    if (ref === null) throw new ImportError(ctx.file, record, 'pluginid', 'an alert needs its plugin id (pluginid or alertRef)');
    const risk = riskOf(alert, riskdesc, record, ctx);
    const confidence = code(alert.confidence, 4, 'confidence', record, ctx);
    const cves = [
      ...new Set([
        ...cvesIn(alert.name),
        ...cvesIn(alert.alert),
        ...alert.tags.flatMap((t) => cvesIn(t.tag)),
        ...cvesIn(alert.reference),
        ...cvesIn(alert.otherinfo),
        ...alert.instances.flatMap((i) => cvesIn(i.otherinfo)),
      ]),
    ];
    const local = toolRuleId(SCANNER, ref);
    // an alert variant (`10105-1`) also answers to its plugin id, as older reports name it
    const plugin = alert.pluginid !== null && alert.pluginid !== ref ? [toolRuleId(SCANNER, alert.pluginid)] : [];
    const ids = primaryId(local, [...(cves.length === 1 ? cves : []), ...plugin]);
    const count = Number(alert.count);
    const listed = alert.instances.length;
    const key = ids.id;
    const earlier = this.merged.get(key);
    const m: Merged = earlier ?? { first: alert, record, risk, confidences: [], instances: [], listed: 0, count: 0, entries: 0 };
    m.entries++;
    m.risk = Math.max(m.risk, risk);
    if (confidence !== null) m.confidences.push(confidence);
    m.listed += listed;
    m.count += Number.isInteger(count) && count >= listed ? count : listed;
    for (const i of alert.instances) if (m.instances.length < MAX_INSTANCES) m.instances.push(i);
    this.merged.set(key, m);

    emitVulnerability(this.emit, out, ids.id, m.first, cves.length === 1 ? local : null);
    emitFinding(this.emit, out, { m, ids, site, cves: cves.length > 1 ? cves : null });
  }
}

/** The vulnerability of an alert (once per id): its name, description and reference URLs. */
function emitVulnerability(emit: Emitter, out: ImportItem[], id: string, a: ZapAlert, zapId: string | null): void {
  emit.vulnerability(out, id, () =>
    makeVulnerability({
      id,
      title: a.name ?? a.alert ?? zapId ?? id,
      references: [...urlsIn(zapText(a.reference)), ...a.tags.flatMap((t) => urlsIn(t.link))],
      extra: { description: zapText(a.desc), plugin_id: a.pluginid, alert_ref: a.alertRef, zap_id: zapId },
    }),
  );
}

function emitFinding(emit: Emitter, out: ImportItem[], p: { m: Merged; ids: { id: string; aliases: string[] }; site: SiteContext; cves: string[] | null }): void {
  const { m, site } = p;
  const a = m.first;
  const wasc = a.wascid !== null && /^\d+$/.test(a.wascid) && Number(a.wascid) > 0 ? Number(a.wascid) : null;
  const confidence = m.confidences.length === 0 ? null : Math.max(...m.confidences);
  emit.asset(out, site.asset);
  emit.finding(
    out,
    makeFinding({
      scanner: SCANNER,
      asset: site.asset.id,
      vulnerability: p.ids.id,
      aliases: p.ids.aliases,
      location: site.origin,
      title: a.alert ?? a.name,
      severity: RISKS[m.risk] ?? null,
      cwe: cweIds([a.cweid]),
      validation: validationOf(m.confidences),
      check: 'remote',
      network: site.network,
      vantage_point: site.vantage,
      extra: {
        site: site.origin,
        plugin_id: a.pluginid,
        alert_ref: a.alertRef,
        confidence,
        confidence_word: confidence === null ? null : CONFIDENCE_WORDS[confidence],
        wasc_id: wasc,
        cves: p.cves,
        solution: zapText(a.solution),
        other_info: redactSecrets(zapText(a.otherinfo)),
        tags: a.tags.length > 0 ? a.tags.map((t) => t.tag) : null,
        systemic: a.systemic === null ? null : isTrue(a.systemic),
        // what ZAP quotes from requests and responses may hold credentials (docs/formats.md, "Secrets")
        instances: m.instances.map((i) =>
          dropNulls({ ...i, uri: redactSecrets(i.uri), attack: redactSecrets(i.attack), evidence: redactSecrets(i.evidence), otherinfo: redactSecrets(zapText(i.otherinfo)) }),
        ),
        instances_listed: m.listed,
        count: m.count,
        report_entries: m.entries > 1 ? m.entries : null,
        record: m.record,
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// XML

const ROOT = 'OWASPZAPReport';

function xmlAlert(node: XmlNode): ZapAlert {
  const t = (name: string): string | null => childText(node, name);
  return {
    pluginid: t('pluginid'),
    alertRef: t('alertRef'),
    alert: t('alert'),
    name: t('name'),
    riskcode: t('riskcode'),
    confidence: t('confidence'),
    desc: t('desc'),
    instances: children(child(node, 'instances'), 'instance').map((i) => ({
      uri: childText(i, 'uri'),
      method: childText(i, 'method'),
      param: childText(i, 'param'),
      attack: childText(i, 'attack'),
      evidence: childText(i, 'evidence'),
      otherinfo: childText(i, 'otherinfo'),
    })),
    count: t('count'),
    solution: t('solution'),
    otherinfo: t('otherinfo'),
    reference: t('reference'),
    cweid: t('cweid'),
    wascid: t('wascid'),
    sourceid: t('sourceid'),
    systemic: t('systemic'),
    tags: children(child(node, 'tags'), 'tag').flatMap((tag) => {
      const name = childText(tag, 'tag');
      return name === null ? [] : [{ tag: name, link: childText(tag, 'link') }];
    }),
  };
}

async function* parseXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const reader = new ZapReader(ctx);
  const out: ImportItem[] = [];
  // `select` runs ahead of the matches (a whole input chunk is read before they are yielded), so
  // each selected <alertitem> queues the site it is in and its XPath; its match takes them in order.
  const state: { sites: number; alerts: number; site: SiteContext | null } = { sites: 0, alerts: 0, site: null };
  const queued: { site: SiteContext | null; siteIndex: number; record: string }[] = [];
  const select = (p: readonly string[], attrs: Readonly<Record<string, string>>): boolean => {
    const get = (k: string): string | null => (attrs[k] === undefined || attrs[k].trim() === '' ? null : attrs[k].trim());
    if (p.length === 1) {
      if (p[0] !== ROOT) {
        const hint = ctx.hint === undefined ? '' : `; ${ctx.hint}`;
        throw new ImportError(ctx.file, null, null, `not a ZAP report: root element <${p[0] ?? '?'}>, expected <${ROOT}>${hint}`);
      }
      Object.assign(reader.report, { program: get('programName'), version: get('version'), generated: get('generated') });
      return false;
    }
    if (p.length === 2 && p[1] === 'site') {
      state.sites++;
      state.alerts = 0;
      state.site = reader.site({ name: get('name'), host: get('host'), port: get('port'), ssl: get('ssl') }, `/${ROOT}/site[${state.sites}]`, 'name');
      reader.emit.asset(out, state.site.asset);
      return false;
    }
    const selected = p.length === 4 && p[1] === 'site' && p[2] === 'alerts' && p[3] === 'alertitem';
    if (selected) {
      state.alerts++;
      queued.push({ site: state.site, siteIndex: state.sites, record: `/${ROOT}/site[${state.sites}]/alerts/alertitem[${state.alerts}]` });
    }
    return selected;
  };
  let siteIndex = 0;
  for await (const { node } of streamXml(source, select, ctx)) {
    const at = queued.shift();
    if (at === undefined) throw new ImportError(ctx.file, null, null, 'an alert outside a site');
    if (at.site === null) throw new ImportError(ctx.file, at.record, null, 'an alert outside a site');
    if (at.siteIndex !== siteIndex) {
      siteIndex = at.siteIndex;
      reader.startSite();
    }
    reader.alert(xmlAlert(node), childText(node, 'riskdesc'), at.record, at.site, out);
    if (out.length > 0) yield* out.splice(0, out.length);
  }
  yield* out;
}

// ---------------------------------------------------------------------------------------------
// JSON

const HEADER = ['@programName', '@version', '@generated'] as const;
const SITE_FIELDS = ['@name', '@host', '@port', '@ssl'] as const;

const PATTERNS: PathPattern[] = [
  ...HEADER.map((h) => [h]),
  ...SITE_FIELDS.map((f) => ['site', '*', f]),
  ['site', '*', 'alerts', '*'],
  // a single site written as an object (older ZAP versions)
  ...SITE_FIELDS.map((f) => ['site', f]),
  ['site', 'alerts', '*'],
];
const SITE_ALERT = new Set([HEADER.length + SITE_FIELDS.length, HEADER.length + 2 * SITE_FIELDS.length + 1]);

const STRUCTURE: Structure = {
  what: 'a ZAP report',
  expected: 'top-level `site` array (or object)',
  anchors: [
    { path: ['site'], type: 'array' },
    { path: ['site'], type: 'object' },
  ],
};

/** A field's text, trimmed, null when absent or blank (as the XML reader's `childText`). */
function text(o: unknown, key: string): string | null {
  const v = str(o, key)?.trim() ?? '';
  return v === '' ? null : v;
}

function jsonInstance(v: unknown): ZapInstance {
  const t = (k: string): string | null => text(v, k);
  return { uri: t('uri'), method: t('method'), param: t('param'), attack: t('attack'), evidence: t('evidence'), otherinfo: t('otherinfo') };
}

function jsonAlert(o: JsonObject): ZapAlert {
  const s = (k: string): string | null => text(o, k);
  const instances = isObject(o.instances) ? [o.instances] : arr(o, 'instances');
  return {
    pluginid: s('pluginid'),
    alertRef: s('alertRef'),
    alert: s('alert'),
    name: s('name'),
    riskcode: s('riskcode'),
    confidence: s('confidence'),
    desc: s('desc'),
    instances: instances.filter(isObject).map(jsonInstance),
    count: s('count'),
    solution: s('solution'),
    otherinfo: s('otherinfo'),
    reference: s('reference'),
    cweid: s('cweid'),
    wascid: s('wascid'),
    sourceid: s('sourceid'),
    systemic: typeof o.systemic === 'boolean' ? String(o.systemic) : s('systemic'),
    tags: arr(o, 'tags').flatMap((t) => {
      const tag = text(t, 'tag');
      return tag === null ? [] : [{ tag, link: text(t, 'link') }];
    }),
  };
}

/** A JSON scalar as text (`"@port": 443`, `"@ssl": true`), else null. */
function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

async function* parseJson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const reader = new ZapReader(ctx);
  const out: ImportItem[] = [];
  // the site being read: its index (-1 for a single site object), header, and alerts waiting for it
  let current: number | null = null;
  let header: ZapSite = { name: null, host: null, port: null, ssl: null };
  let site: SiteContext | null = null;
  let waiting: DeferredQueue | null = null;
  const sitePath = (i: number): string => (i < 0 ? '$.site' : formatJsonPath(['site', i]));

  const handle = (value: unknown, path: readonly (string | number)[], s: SiteContext): void => {
    const alert = requireRecord(value, ctx, path);
    reader.alert(jsonAlert(alert), str(alert, 'riskdesc'), formatJsonPath(path), s, out);
  };
  const finish = async function* (): AsyncGenerator<ImportItem> {
    if (current === null) return;
    site ??= reader.site(header, sitePath(current), '@name');
    reader.emit.asset(out, site.asset);
    if (waiting !== null) {
      for await (const entry of waiting.drain()) {
        const path = isObject(entry) && Array.isArray(entry.path) ? entry.path.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number') : [];
        handle(isObject(entry) ? entry.value : null, path, site);
        if (out.length > 0) yield* out.splice(0, out.length);
      }
      waiting = null;
    }
    yield* out.splice(0, out.length);
  };

  try {
    for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
      if (m.pattern < HEADER.length) {
        const text = scalarText(m.value);
        const field = HEADER[m.pattern];
        if (field === '@programName') reader.report.program = text;
        else if (field === '@version') reader.report.version = text;
        else reader.report.generated = text;
        continue;
      }
      const index = siteIndex(m);
      if (index !== current) {
        yield* finish();
        current = index;
        header = { name: null, host: null, port: null, ssl: null };
        site = null;
        reader.startSite();
      }
      if (!SITE_ALERT.has(m.pattern)) {
        const field = m.path[m.path.length - 1];
        const text = scalarText(m.value);
        if (field === '@name') header.name = text;
        else if (field === '@host') header.host = text;
        else if (field === '@port') header.port = text;
        else if (field === '@ssl') header.ssl = text;
        continue;
      }
      if (site === null && (header.name !== null || header.host !== null)) site = reader.site(header, sitePath(index), '@name');
      if (site === null) {
        waiting ??= new DeferredQueue();
        await waiting.push({ path: m.path, value: m.value });
        continue;
      }
      handle(m.value, m.path, site);
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    yield* finish();
  } finally {
    await waiting?.dispose();
  }
}

/** The site index of a match under `site` (-1 when `site` is one object). */
function siteIndex(m: JsonMatch): number {
  const i = m.path[1];
  return typeof i === 'number' ? i : -1;
}

export const zapParser: Parser = {
  format: 'zap',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    // XML or JSON, decided by the first significant byte within the first KiB
    const peeked = await peekSource(source, 1024);
    if (firstSignificantByte(peeked.head.subarray(0, 1024)) === 0x3c) yield* parseXml(peeked.source, ctx);
    else yield* parseJson(peeked.source, ctx);
  },
};
