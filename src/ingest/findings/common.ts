/**
 * What every finding importer shares: the asset id scheme, the fingerprint, record builders with
 * FORMATS.md defaults, severity/CWE/id normalisation, and a bounded buffer for reports whose
 * header comes after their body.
 *
 * ## Asset ids (the targets a scanner report names)
 *
 * | id                                   | for                                                        |
 * |--------------------------------------|------------------------------------------------------------|
 * | `image:<registry/repository>`        | a container image; the tag and digest are dropped so that a |
 * |                                      | re-scan of the next build is the same asset (the full       |
 * |                                      | reference is kept as the asset name)                        |
 * | `host:<hostname>`                    | a host or VM                                               |
 * | `repo:<name or URL>`                 | a source repository, project or scanned directory          |
 * | `manifest:<path>`                    | a lockfile/manifest scanned on its own (osv-scanner, …)    |
 * | `k8s:<cluster>/<namespace>/<kind>/<name>` | a Kubernetes workload (trivy k8s)                    |
 * | `package:<purl without version>`     | a software package that is the subject of an SBOM          |
 * | `report:<file name>`                 | fallback when the report does not name its target          |
 *
 * A finding's `scanKey` is `<scanner>|<asset id>`: a later import of the same scanner on the same
 * asset replaces the earlier one (findings it no longer lists are resolved).
 *
 * ## Vulnerability ids
 *
 * Findings are keyed by CVE whenever the scanner gives one (as its id or as an alias), because
 * KEV, EPSS and most VEX statements are keyed by CVE; the scanner's own id (GHSA, PYSEC, vendor)
 * goes into `aliases`. Ids that only mean something inside one tool (SARIF rule ids, Trivy
 * misconfiguration and secret rules) are written `<tool>:<id>`.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findingFingerprint, findingWithDefaults } from '../../domain/escalation/defaults.js';
import type { Cvss, EpssFacts, FindingCheck, FindingRecord, FindingSeverity, Reachability, Validation, VulnerabilityRecord } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { truncateExtra, truncateNullable } from '../free-text.js';
import { formatJsonPath, readNdjson } from '../stream/json-stream.js';
import type { AssetRef, HostFacts, ImportItem, ParseContext } from '../types.js';

// ---------------------------------------------------------------------------------------------
// Reading untyped JSON

/** A non-empty string field, else null. Numbers are accepted and written as strings. */
export function str(o: unknown, key: string): string | null {
  if (!isObject(o)) return null;
  const v = o[key];
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** A finite number field (numeric strings accepted), else null. */
export function num(o: unknown, key: string): number | null {
  if (!isObject(o)) return null;
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** An array field, else an empty array (so a wrong type reads as "nothing there"). */
export function arr(o: unknown, key: string): unknown[] {
  if (!isObject(o)) return [];
  const v = o[key];
  return Array.isArray(v) ? v : [];
}

/** An object field, else null. */
export function rec(o: unknown, key: string): JsonObject | null {
  if (!isObject(o)) return null;
  const v = o[key];
  return isObject(v) ? v : null;
}

/** The strings of an array field (other members skipped). */
export function strings(o: unknown, key: string): string[] {
  return arr(o, key).filter((x): x is string => typeof x === 'string' && x !== '');
}

/**
 * Requires a matched element to be an object, so a report with the right shape but wrong types
 * fails with an ImportError naming the file and the JSON path (never a TypeError later on).
 */
export function requireRecord(v: unknown, ctx: ParseContext, path: readonly (string | number)[]): JsonObject {
  if (isObject(v)) return v;
  const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  throw new ImportError(ctx.file, formatJsonPath(path), null, `expected a JSON object, got ${got}`);
}

// ---------------------------------------------------------------------------------------------
// Asset ids

/** `registry:5000/ns/app:1.2@sha256:…` → `registry:5000/ns/app` (tag and digest dropped). */
export function imageRepository(ref: string): string {
  let r = ref.trim();
  const at = r.indexOf('@');
  if (at >= 0) r = r.slice(0, at);
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  return r;
}

/** Trivy writes image targets as `<ref> (<os> <version>)`; this strips the OS suffix. */
function stripOsSuffix(target: string): string {
  return target.replace(/\s+\([^()]*\)\s*$/, '');
}

export const imageAsset = (ref: string): AssetRef => ({
  id: `image:${imageRepository(stripOsSuffix(ref))}`,
  name: stripOsSuffix(ref),
  components: [],
  target_type: 'container_image',
});

export const repoAsset = (name: string): AssetRef => ({ id: `repo:${name}`, name, components: [], target_type: 'repository' });
export const hostAsset = (name: string): AssetRef => ({ id: `host:${name}`, name, components: [], target_type: 'host' });

/**
 * A host a network scanner names, by its best name: the FQDN, else the host name the report
 * gives, else the NetBIOS name, else the IP address (lower-cased). Every other name it has goes
 * into `also`, so an inventory alias on any of them claims the host; the facts go into `host`.
 * Null when the report gives no name at all.
 */
export function networkHostAsset(facts: { name?: string | null } & Partial<HostFacts>): AssetRef | null {
  const clean = (v: string | null | undefined): string | null => (v === null || v === undefined || v.trim() === '' ? null : v.trim());
  const fqdn = clean(facts.fqdn)?.toLowerCase().replace(/\.+$/, '') ?? null;
  const ip = clean(facts.ip);
  const netbios = clean(facts.netbios);
  const names = [fqdn, clean(facts.name)?.toLowerCase() ?? null, netbios?.toLowerCase() ?? null, ip?.toLowerCase() ?? null].filter((n): n is string => n !== null);
  const best = names[0];
  if (best === undefined) return null;
  const also = [...new Set(names.slice(1))].filter((n) => n !== best);
  return {
    ...hostAsset(best),
    also,
    host: { ip, fqdn, netbios, os: clean(facts.os), scanner: clean(facts.scanner) },
  };
}

/** The host of a URL (DAST targets: an alert on a URL belongs to the host serving it), or null. */
export function urlHostAsset(url: string): AssetRef | null {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '') return null;
  const isAddress = /^[\d.]+$/.test(host) || host.includes(':');
  return networkHostAsset(isAddress ? { ip: host } : { fqdn: host });
}
export const manifestAsset = (path: string): AssetRef => ({ id: `manifest:${path}`, name: path, components: [], target_type: 'manifest' });

/** The fallback when a report names no target: the report file itself. */
export const reportAsset = (ctx: ParseContext): AssetRef => {
  const name = basename(ctx.file);
  return { id: `report:${name}`, name, components: [], target_type: 'report' };
};

/** `pkg:npm/%40scope/name@1.2?x=y#sub` → `pkg:npm/%40scope/name` (no version, qualifiers, subpath). */
export function purlWithoutVersion(purl: string): string {
  let p = purl;
  for (const sep of ['#', '?']) {
    const i = p.indexOf(sep);
    if (i >= 0) p = p.slice(0, i);
  }
  const slash = p.lastIndexOf('/');
  const at = p.indexOf('@', slash >= 0 ? slash : 0);
  return at >= 0 ? p.slice(0, at) : p;
}

/** `<scanner>|<asset id>`: the unit a later scan of the same target replaces. */
const scanKeyFor = (scanner: string, assetId: string): string => `${scanner}|${assetId}`;

// ---------------------------------------------------------------------------------------------
// Normalisation

const SEVERITY_WORDS: Record<string, FindingSeverity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  low: 'low',
  info: 'info',
  informational: 'info',
  negligible: 'info',
  none: 'info',
  unknown: 'info',
};

/** A scanner's severity word (any case) → closeloop severity; null for anything else. */
export function severityWord(word: string | null | undefined): FindingSeverity | null {
  if (word === null || word === undefined) return null;
  return SEVERITY_WORDS[word.trim().toLowerCase()] ?? null;
}

/** 79, "79", "CWE-79", "cwe-79: Improper …" → "CWE-79"; anything else → null. */
export function cweId(v: unknown): string | null {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return `CWE-${v}`;
  if (typeof v !== 'string') return null;
  const m = /^\s*(?:CWE-)?(\d+)\b/i.exec(v);
  if (m === null || m[1] === undefined) return null;
  const n = Number(m[1]);
  return n > 0 ? `CWE-${n}` : null;
}

/** Every distinct CWE id found in a list of values, in order. */
export function cweIds(values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const id = cweId(v);
    if (id !== null && !out.includes(id)) out.push(id);
  }
  return out;
}

const CVE = /^CVE-(\d{4})-(\d{4,})$/i;

/** True for `CVE-YYYY-NNNN…` (any case). */
function isCve(id: string): boolean {
  return CVE.test(id.trim());
}

/** The first GitHub advisory id (`GHSA-xxxx-xxxx-xxxx`) in a text (an advisory URL, an id), else null. */
export function ghsaIn(text: string): string | null {
  return /GHSA(-[0-9a-z]{4}){3}/i.exec(text)?.[0] ?? null;
}

/** Orders CVE ids by year then number (so the choice does not depend on alias order). */
function cveOrder(a: string, b: string): number {
  const ma = CVE.exec(a);
  const mb = CVE.exec(b);
  const ya = Number(ma?.[1] ?? 0);
  const yb = Number(mb?.[1] ?? 0);
  return ya !== yb ? ya - yb : Number(ma?.[2] ?? 0) - Number(mb?.[2] ?? 0);
}

/**
 * The id a finding is keyed by, and its aliases: the tool's id when it is a CVE, else the lowest
 * CVE among the aliases, else the tool's id. All other ids (the tool's included) become aliases.
 */
export function primaryId(toolId: string, aliases: readonly string[]): { id: string; aliases: string[] } {
  const tool = toolId.trim();
  const all = [tool, ...aliases.map((a) => a.trim())].filter((a) => a !== '');
  let id = tool;
  if (!isCve(tool)) {
    const cves = all.filter(isCve).sort(cveOrder);
    if (cves[0] !== undefined) id = cves[0];
  }
  id = isCve(id) ? id.toUpperCase() : id;
  const rest: string[] = [];
  for (const a of all) {
    const norm = isCve(a) ? a.toUpperCase() : a;
    if (norm !== id && !rest.includes(norm)) rest.push(norm);
  }
  return { id, aliases: rest };
}

/** A tool-local rule id, written `<tool>:<id>` so it cannot collide with another tool's. */
export function toolRuleId(tool: string, id: string): string {
  return `${tool}:${id}`;
}

/** Lower-case slug of a tool name: `Shell Script Analysis` → `shell-script-analysis`. */
export function toolSlug(name: string): string {
  const s = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s === '' ? 'unknown' : s;
}

// ---------------------------------------------------------------------------------------------
// Secrets in scanner output

/**
 * What a scanner quotes from the target (Nessus plugin output, a Qualys RESULT, OpenVAS result
 * text, ZAP evidence and request parameters, a Semgrep matched line) can hold a credential it
 * found or sent: an Authorization header, a session cookie, a password in a query string. The
 * store must not keep it (docs/security.md), so every such text goes through `redactSecrets`
 * before it is stored: header values, `name=value` / `name: value` / `name [value]` pairs whose
 * name says secret, bearer and basic credentials, JWTs, AWS access key ids and PEM private keys
 * become `[redacted]`. The rest of the text stays, so a reader still sees what the scanner saw.
 */
const SECRET_NAME = String.raw`[\w.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|session[_-]?id|sessid|jsessionid|phpsessid)[\w.-]*`;
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [new RegExp(String.raw`\b(${SECRET_NAME})("?\s*[:=]\s*|\s+\[)("[^"\r\n]*"|'[^'\r\n]*'|[^\s&;,\]"'<>]+)`, 'gi'), '$1$2[redacted]'],
  [/\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token)(\s*:\s*)[^\r\n]*/gi, '$1$2[redacted]'],
  [/\b(basic|bearer|digest|negotiate|ntlm)\s+[A-Za-z0-9+/=._~-]{8,}/gi, '$1 [redacted]'],
  [/\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g, '[redacted]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[redacted]'],
];

/** The text with every credential-looking part replaced by `[redacted]`; null stays null. */
export function redactSecrets(text: string | null): string | null {
  if (text === null || text === '') return text;
  let out = text;
  for (const [re, by] of SECRET_PATTERNS) out = out.replace(re, by);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records

/**
 * What a scanner report says about one finding, before FORMATS.md defaults: the scanner and a
 * `location` take the place of the record's `source` and identity (see `findingFingerprint`).
 */
export interface ScannerFinding {
  scanner: string;
  asset: string;
  vulnerability: string;
  aliases?: string[];
  component?: string | null;
  version?: string | null;
  /** What distinguishes two findings of the same vulnerability/component on one asset. */
  location?: string | null;
  title?: string | null;
  severity?: FindingSeverity | null;
  cwe?: string[];
  file_path?: string | null;
  line?: number | null;
  fixed_version?: string | null;
  validation?: Validation;
  /** `reachable` only when the scanner analysed the code and found a path to the vulnerable code (govulncheck). */
  reachability?: Reachability;
  /**
   * How the scanner tested: `remote` for a network check that reached a listening port (the
   * engine then reads the finding as reachable from the scanner), `local` for an authenticated
   * check on the host. Leave it out when the report does not say.
   */
  check?: FindingCheck | null;
  /** Where on the host a network finding is: written to `extra.port`, `extra.protocol`, `extra.service`. */
  network?: { port: number | null; protocol: string | null; service: string | null } | null;
  /** Who saw it from where (scanner name, address, policy): `extra.vantage_point`, named in the handoff note of a remote check. */
  vantage_point?: string | null;
  /** When the scanner first and last saw it (ISO 8601): `extra.first_seen`, `extra.last_seen`. */
  first_seen?: string | null;
  last_seen?: string | null;
  extra?: Record<string, unknown>;
}

/** The fixed `extra` keys of a ScannerFinding's network, vantage and sighting fields (null ones left out). */
function scannerExtra(f: ScannerFinding): Record<string, unknown> | undefined {
  const fixed: Record<string, unknown> = {
    port: f.network?.port ?? null,
    protocol: f.network?.protocol ?? null,
    service: f.network?.service ?? null,
    vantage_point: f.vantage_point ?? null,
    first_seen: f.first_seen ?? null,
    last_seen: f.last_seen ?? null,
  };
  const given = Object.fromEntries(Object.entries(fixed).filter(([, v]) => v !== null));
  if (Object.keys(given).length === 0) return f.extra;
  return { ...(f.extra ?? {}), ...given };
}

/** A FindingRecord with FORMATS.md defaults (`findingWithDefaults`); its id is its fingerprint. */
export function makeFinding(f: ScannerFinding): FindingRecord {
  const extra = scannerExtra(f);
  const component = f.component ?? null;
  const version = f.version ?? null;
  const fingerprint = findingFingerprint({
    source: f.scanner,
    asset: f.asset,
    vulnerability: f.vulnerability,
    component,
    version,
    location: f.location ?? null,
  });
  return findingWithDefaults({
    fingerprint,
    vulnerability: f.vulnerability,
    asset: f.asset,
    component,
    version,
    source: f.scanner,
    validation: f.validation,
    reachability: f.reachability,
    title: truncateNullable(f.title),
    severity: f.severity,
    cwe: f.cwe,
    file_path: f.file_path,
    line: f.line,
    fixed_version: f.fixed_version,
    aliases: f.aliases,
    check: f.check ?? null,
    extra: extra === undefined ? extra : truncateExtra(extra),
  });
}

/**
 * Two records of the same finding (same fingerprint) made one: the earlier one's known fields win,
 * gaps are filled from the later one, aliases and CWEs are united. Used when a report lists one
 * vulnerability twice (once per database), so the record the store keeps is the fuller one.
 */
export function mergeFindings(first: FindingRecord, later: FindingRecord): FindingRecord {
  const union = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])];
  return {
    ...first,
    title: first.title ?? later.title,
    severity: first.severity ?? later.severity,
    file_path: first.file_path ?? later.file_path,
    line: first.line ?? later.line,
    fixed_version: first.fixed_version ?? later.fixed_version,
    cwe: union(first.cwe, later.cwe),
    aliases: union(first.aliases, later.aliases).filter((a) => a !== first.vulnerability),
    extra: { ...later.extra, ...first.extra },
  };
}

/** What a scanner report says about a vulnerability; the rest is FORMATS.md defaults. */
export interface ScannerVulnerability {
  id: string;
  cvss?: Cvss | null;
  fix_available?: boolean | null;
  title?: string | null;
  references?: string[];
  /**
   * What the scanner says of exploits: `public` (Nessus `exploit_available`, Qualys "Exploit
   * Public") sets `public_poc`; `malware` or `active` (Nessus `exploited_by_malware`, Qualys
   * "Active Attacks") sets exploitation `active`. `detail` (frameworks, threat-intel words) is
   * kept as `extra.exploit`, so the decision's reader sees where the fact came from.
   */
  exploit?: { public: boolean; active: boolean; detail: Record<string, unknown> } | null;
  /** EPSS as the scanner reported it (Tenable, Snyk, generic CSV): fills a gap only, an EPSS file wins. */
  epss?: EpssFacts | null;
  extra?: Record<string, unknown>;
}

export function makeVulnerability(v: ScannerVulnerability): VulnerabilityRecord {
  const exploit = v.exploit ?? null;
  const extra = exploit !== null && (exploit.public || exploit.active) ? { ...(v.extra ?? {}), exploit: { source: 'scanner', ...exploit.detail } } : (v.extra ?? {});
  return {
    id: v.id,
    cvss: v.cvss ?? null,
    exploitation: exploit?.active === true ? 'active' : exploit?.public === true ? 'poc' : 'none',
    public_poc: exploit?.public === true || exploit?.active === true,
    vendor_advisory: false,
    fix_available: v.fix_available ?? null,
    kev: null,
    epss: v.epss ?? null,
    title: truncateNullable(v.title),
    references: [...new Set(v.references ?? [])],
    extra: truncateExtra(extra),
  };
}

/**
 * Emits each asset ref and each vulnerability once per import (memory: one id per distinct asset
 * and vulnerability, never per finding), and findings with their scan key.
 */
export class Emitter {
  private readonly assets = new Set<string>();
  private readonly vulns = new Set<string>();

  constructor(readonly scanner: string) {}

  asset(out: ImportItem[], ref: AssetRef): void {
    if (this.assets.has(ref.id)) return;
    this.assets.add(ref.id);
    out.push({ kind: 'asset_ref', record: ref, scanKey: scanKeyFor(this.scanner, ref.id) });
  }

  /** Emits the vulnerability `id` the first time it is seen; `build` runs only then. */
  vulnerability(out: ImportItem[], id: string, build: () => VulnerabilityRecord): void {
    if (this.vulns.has(id)) return;
    this.vulns.add(id);
    out.push({ kind: 'vulnerability', record: build() });
  }

  finding(out: ImportItem[], f: FindingRecord, scanKeyScanner = this.scanner): void {
    out.push({ kind: 'finding', record: f, scanKey: scanKeyFor(scanKeyScanner, f.asset) });
  }
}

/**
 * Compares two version strings loosely: split on punctuation, numeric parts as numbers, other
 * parts as text. Good enough to pick the OSV range that holds an installed version; not a
 * substitute for each ecosystem's own ordering.
 */
export function compareLoose(a: string, b: string): number {
  const pa = a.split(/[^0-9A-Za-z]+/).filter((x) => x !== '');
  const pb = b.split(/[^0-9A-Za-z]+/).filter((x) => x !== '');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Deferred items: a bounded buffer that spills to a temporary NDJSON file

/**
 * Holds values until the report's header (its target) is known, e.g. Grype writes `matches`
 * before `source`. Keeps up to `memoryLimit` values in memory, then spills to a temporary file,
 * so memory stays bounded whatever the report's size. `drain()` replays in order and cleans up.
 */
export class DeferredQueue {
  private mem: unknown[] = [];
  private dir: string | null = null;
  private file: string | null = null;
  private out: WriteStream | null = null;
  private count = 0;

  constructor(private readonly memoryLimit = 2000) {}

  get size(): number {
    return this.count;
  }

  async push(value: unknown): Promise<void> {
    this.count++;
    if (this.out === null && this.mem.length < this.memoryLimit) {
      this.mem.push(value);
      return;
    }
    if (this.out === null) {
      this.dir = await mkdtemp(join(tmpdir(), 'closeloop-deferred-'));
      this.file = join(this.dir, 'items.ndjson');
      this.out = createWriteStream(this.file, { mode: 0o600 });
    }
    if (!this.out.write(`${JSON.stringify(value)}\n`)) await once(this.out, 'drain');
  }

  async *drain(): AsyncGenerator<unknown> {
    try {
      const mem = this.mem;
      this.mem = [];
      for (const v of mem) yield v;
      if (this.out !== null && this.file !== null) {
        const out = this.out;
        this.out = null;
        out.end();
        await once(out, 'finish');
        for await (const { value } of readNdjson(createReadStream(this.file), { file: this.file })) yield value;
      }
    } finally {
      await this.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.mem = [];
    if (this.out !== null) {
      this.out.destroy();
      this.out = null;
    }
    if (this.dir !== null) {
      const dir = this.dir;
      this.dir = null;
      this.file = null;
      await rm(dir, { recursive: true, force: true });
    }
  }
}
