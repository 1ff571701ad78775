/**
 * Trivy JSON (`trivy image|fs|repo|k8s -f json`), streamed.
 *
 * Layouts: current (`SchemaVersion: 2`, `Results[]`), legacy (a top-level array of results, or
 * `null` for "nothing found"), and the `trivy k8s` report (`ClusterName`, with `Vulnerabilities[]`,
 * `Misconfigurations[]` and `Resources[]` per workload, each holding `Results[]`).
 *
 * What counts as a finding (DefectDojo's counts agree for vulnerabilities, misconfigurations and
 * secrets):
 * - every `Vulnerabilities[]` entry: vulnerability = the CVE (or Trivy's id), component/version =
 *   the package, location = `PkgPath` or the target (lockfile / OS);
 * - every failed `Misconfigurations[]` entry (Status `PASS`/`EXCEPTION` are not weaknesses):
 *   vulnerability = `AVDID` or `trivy:<ID>`, located at the target and cause lines;
 * - every `Secrets[]` entry: vulnerability = `trivy:<RuleID>`, located at target and line;
 * - `Licenses[]` entries are NOT findings: a license is a compliance fact, not a vulnerability
 *   (DefectDojo imports them; closeloop does not);
 * - `ExperimentalModifiedFindings[]` (`--show-suppressed`: findings a `.trivyignore` or VEX
 *   statement suppressed) are not imported: each is counted as skipped, `finding suppressed by
 *   trivy (<Status>)`, except suppressed licenses.
 *
 * Severity is Trivy's own `Severity` (the vendor severity Trivy selected; `UNKNOWN` → info). The
 * CVSS kept on the vulnerability is the one of Trivy's `SeveritySource`, else nvd, ghsa, redhat,
 * bitnami, else the first given; within a source the highest CVSS version.
 *
 * Asset: the artifact (`image:`, `repo:` for filesystem/repository scans, `host:` for VMs,
 * `manifest:` for SBOM scans); the
 * Kubernetes workload (`k8s:<cluster>/<ns>/<kind>/<name>`) for k8s reports; for legacy reports
 * (no artifact name) the target itself. The target (OS or lockfile) is the finding's file_path.
 * Relies on Trivy writing `ArtifactName`/`ClusterName` before `Results` (it always does); a
 * report without them falls back to per-target assets.
 */
import type { Cvss, FindingSeverity, Validation } from '../../domain/records.js';
import { batchParser } from '../batches.js';
import { formatJsonPath, streamJsonBatches, type JsonMatch, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf } from './cvss.js';
import {
  Emitter,
  arr,
  cweIds,
  hostAsset,
  imageAsset,
  makeFinding,
  makeVulnerability,
  manifestAsset,
  num,
  primaryId,
  rec,
  repoAsset,
  requireRecord,
  severityWord,
  str,
  strings,
  toolRuleId,
} from './common.js';
import type { JsonObject } from '../record-fields.js';
import { ImportError } from '../../errors.js';

const SCANNER = 'trivy';
const CVSS_SOURCES = ['nvd', 'ghsa', 'redhat', 'bitnami'];
const K8S_SECTIONS = new Set(['Vulnerabilities', 'Misconfigurations', 'Resources']);

type Field = 'Target' | 'Class' | 'Type' | 'Vulnerabilities' | 'Misconfigurations' | 'Secrets' | 'ExperimentalModifiedFindings';
const RESULT_FIELDS: Field[] = ['Target', 'Class', 'Type', 'Vulnerabilities', 'Misconfigurations', 'Secrets', 'ExperimentalModifiedFindings'];
const isList = (f: Field): boolean => f === 'Vulnerabilities' || f === 'Misconfigurations' || f === 'Secrets' || f === 'ExperimentalModifiedFindings';

const HEADER = ['SchemaVersion', 'ArtifactName', 'ArtifactType', 'ClusterName'] as const;

/**
 * A Trivy report is a `SchemaVersion`/`ArtifactName` header with `Results[]`, a `trivy k8s`
 * report (`ClusterName`), or a legacy top-level array of results (`null` when nothing was found).
 */
const STRUCTURE: Structure = {
  what: 'a Trivy report',
  expected: 'top-level `SchemaVersion`, `ArtifactName`, `Results` array or `ClusterName` (and the document is no array of results)',
  anchors: [
    { path: [], type: 'array' },
    { path: [], type: 'null' },
    { path: ['SchemaVersion'], type: 'any' },
    { path: ['ArtifactName'], type: 'any' },
    { path: ['Results'], type: 'array' },
    { path: ['ClusterName'], type: 'any' },
  ],
};

interface PatternInfo {
  layout: 'header' | 'v2' | 'legacy' | 'k8s' | 'workload';
  field: string;
}

const PATTERNS: PathPattern[] = [];
const INFO: PatternInfo[] = [];
function addPattern(p: PathPattern, info: PatternInfo): void {
  PATTERNS.push(p);
  INFO.push(info);
}
for (const h of HEADER) addPattern([h], { layout: 'header', field: h });
for (const f of RESULT_FIELDS) addPattern(isList(f) ? ['Results', '*', f, '*'] : ['Results', '*', f], { layout: 'v2', field: f });
for (const f of RESULT_FIELDS) addPattern(isList(f) ? ['*', f, '*'] : ['*', f], { layout: 'legacy', field: f });
for (const f of ['Namespace', 'Kind', 'Name']) addPattern(['*', '*', f], { layout: 'workload', field: f });
for (const f of RESULT_FIELDS) {
  addPattern(isList(f) ? ['*', '*', 'Results', '*', f, '*'] : ['*', '*', 'Results', '*', f], { layout: 'k8s', field: f });
}

interface ResultState {
  key: string;
  target: string | null;
  cls: string | null;
  type: string | null;
}

interface Workload {
  key: string;
  namespace: string | null;
  kind: string | null;
  name: string | null;
}

/** Trivy's CVSS map → the CVSS of the preferred source. */
function pickCvss(v: JsonObject): Cvss | null {
  const map = rec(v, 'CVSS');
  if (map === null) return null;
  const source = str(v, 'SeveritySource');
  const order = [...(source === null ? [] : [source]), ...CVSS_SOURCES, ...Object.keys(map)];
  for (const s of order) {
    const entry = rec(map, s);
    if (entry === null) continue;
    const c = bestCvss([
      cvssOf(str(entry, 'V40Vector'), num(entry, 'V40Score'), '4.0'),
      cvssOf(str(entry, 'V3Vector'), num(entry, 'V3Score')),
      cvssOf(str(entry, 'V2Vector'), num(entry, 'V2Score'), '2.0'),
    ]);
    if (c !== null) return c;
  }
  return null;
}

const UNFIXED = new Set(['affected', 'will_not_fix', 'fix_deferred', 'end_of_life']);

class TrivyReader {
  readonly emit = new Emitter(SCANNER);
  private header: Record<string, string | number | null> = {};
  private result: ResultState = { key: '', target: null, cls: null, type: null };
  private workload: Workload = { key: '', namespace: null, kind: null, name: null };
  /**
   * The asset of the current result, built once per result: every finding of a result names it.
   * Anything `asset()` reads (header, workload, result, target) clears it when it changes.
   */
  private assetRef: AssetRef | null = null;
  /** The last k8s path seen and its keys: a report lists thousands of findings per result. */
  private k8sPath: { section: unknown; workload: unknown; result: unknown; workloadKey: string; resultKey: string } = {
    section: undefined,
    workload: undefined,
    result: undefined,
    workloadKey: '',
    resultKey: '',
  };

  constructor(private readonly ctx: ParseContext) {}

  handle(m: JsonMatch, out: ImportItem[]): void {
    if (m.pattern === -1) {
      this.scalar(m.path, m.value);
      return;
    }
    const info = INFO[m.pattern];
    if (info === undefined) return;
    const p = m.path;
    switch (info.layout) {
      case 'header':
        if (typeof m.value === 'string' || typeof m.value === 'number') this.header[info.field] = m.value;
        this.assetRef = null;
        return;
      case 'workload':
        if (typeof p[0] !== 'string' || !K8S_SECTIONS.has(p[0])) return;
        this.enterWorkload(`${p[0]}/${String(p[1])}`);
        if (info.field === 'Namespace') this.workload.namespace = typeof m.value === 'string' ? m.value : null;
        if (info.field === 'Kind') this.workload.kind = typeof m.value === 'string' ? m.value : null;
        if (info.field === 'Name') this.workload.name = typeof m.value === 'string' ? m.value : null;
        this.assetRef = null;
        return;
      case 'v2':
        this.field(`v2/${String(p[1])}`, info.field, m, out);
        return;
      case 'legacy':
        if (typeof p[0] !== 'number') return;
        this.field(`legacy/${p[0]}`, info.field, m, out);
        return;
      case 'k8s': {
        if (typeof p[0] !== 'string' || !K8S_SECTIONS.has(p[0])) return;
        const k = this.k8sPath;
        if (k.section !== p[0] || k.workload !== p[1] || k.result !== p[3]) {
          this.k8sPath = { section: p[0], workload: p[1], result: p[3], workloadKey: `${p[0]}/${String(p[1])}`, resultKey: `k8s/${p[0]}/${String(p[1])}/${String(p[3])}` };
        }
        this.enterWorkload(this.k8sPath.workloadKey);
        this.field(this.k8sPath.resultKey, info.field, m, out);
        return;
      }
    }
  }

  /**
   * A value that is no container where the report's structure needs one (`"Vulnerabilities": "x"`,
   * a result that is a string): the report is malformed, and reading past it would make the
   * target's findings look absent (and resolve them). Other scalars on the way are not Trivy's
   * structure (`CreatedAt`, `Metadata.Size`) and are ignored.
   */
  private scalar(p: readonly (string | number)[], kind: unknown): void {
    const listAt = (i: number): boolean => typeof p[i] === 'string' && isList(p[i] as Field) && p.length === i + 1;
    const isK8s = typeof p[0] === 'string' && K8S_SECTIONS.has(p[0]) && p[2] === 'Results' && typeof p[3] === 'number';
    const result =
      (p[0] === 'Results' && typeof p[1] === 'number' && p.length === 2) || (typeof p[0] === 'number' && p.length === 1) || (isK8s && p.length === 4);
    const list = (p[0] === 'Results' && typeof p[1] === 'number' && listAt(2)) || (typeof p[0] === 'number' && listAt(1)) || (isK8s && listAt(4));
    const got = typeof kind === 'string' ? kind : 'null';
    if (result) throw new ImportError(this.ctx.file, formatJsonPath(p), null, `a result (target) must be an object, got ${got}`);
    if (kind === null) return;
    if (list) throw new ImportError(this.ctx.file, formatJsonPath(p), null, `expected an array (or null), got ${got}`);
    if (p.length === 1 && p[0] === 'Results') throw new ImportError(this.ctx.file, '$.Results', null, `expected an array of results (or null), got ${got}`);
  }

  private enterWorkload(key: string): void {
    if (this.workload.key === key) return;
    this.workload = { key, namespace: null, kind: null, name: null };
    this.assetRef = null;
  }

  private field(key: string, field: string, m: JsonMatch, out: ImportItem[]): void {
    if (this.result.key !== key) {
      this.result = { key, target: null, cls: null, type: null };
      this.assetRef = null;
    }
    const text = typeof m.value === 'string' ? m.value : null;
    if (field === 'Target') {
      this.result.target = text;
      this.assetRef = null;
      // Every target the report names is an asset (even one without findings: it was scanned).
      this.emit.asset(out, this.asset());
    }
    else if (field === 'Class') this.result.cls = text;
    else if (field === 'Type') this.result.type = text;
    else if (typeof m.path[m.path.length - 1] !== 'number') throw new ImportError(this.ctx.file, formatJsonPath(m.path.slice(0, -1)), null, `${field} must be an array, got an object`);
    else if (field === 'Vulnerabilities') this.vulnerability(requireRecord(m.value, this.ctx, m.path), m.path, out);
    else if (field === 'Misconfigurations') this.misconfiguration(requireRecord(m.value, this.ctx, m.path), m.path, out);
    else if (field === 'Secrets') this.secret(requireRecord(m.value, this.ctx, m.path), m.path, out);
    else if (field === 'ExperimentalModifiedFindings') this.suppressed(requireRecord(m.value, this.ctx, m.path), out);
  }

  /**
   * A finding `--show-suppressed` lists that a `.trivyignore` or VEX statement suppressed: not
   * imported, counted as skipped with its status. A suppressed license is no finding at all.
   */
  private suppressed(v: JsonObject, out: ImportItem[]): void {
    if (str(v, 'Type') === 'license') return;
    out.push({ kind: 'skipped', record: { reason: `finding suppressed by trivy (${str(v, 'Status') ?? 'no status'})` } });
  }

  /** The asset the current result belongs to (see the module comment). */
  private asset(): AssetRef {
    return (this.assetRef ??= this.makeAsset());
  }

  private makeAsset(): AssetRef {
    const target = this.result.target ?? 'unknown-target';
    if (this.result.key.startsWith('k8s/')) {
      const cluster = typeof this.header.ClusterName === 'string' ? this.header.ClusterName : 'cluster';
      const w = this.workload;
      const parts = [w.namespace ?? '-', w.kind ?? '-', w.name ?? '-'];
      return {
        id: `k8s:${cluster}/${parts.join('/')}`,
        name: parts.filter((x) => x !== '-').join(' / '),
        components: [],
        target_type: 'kubernetes_workload',
      };
    }
    const name = typeof this.header.ArtifactName === 'string' && this.header.ArtifactName !== '' ? this.header.ArtifactName : null;
    if (this.result.key.startsWith('v2/') && name !== null) {
      const type = this.header.ArtifactType;
      if (type === 'container_image') return imageAsset(name);
      if (type === 'vm') return hostAsset(name);
      if (type === 'cyclonedx' || type === 'spdx') return manifestAsset(name);
      return repoAsset(name);
    }
    // Legacy reports (or a v2 report without ArtifactName) name only their targets.
    return /\s\([^()]+\)\s*$/.test(target) ? imageAsset(target) : manifestAsset(target);
  }

  private vulnerability(v: JsonObject, path: readonly (string | number)[], out: ImportItem[]): void {
    const rawId = str(v, 'VulnerabilityID');
    if (rawId === null) throw new ImportError(this.ctx.file, formatJsonPath(path), 'VulnerabilityID', 'a vulnerability needs its VulnerabilityID (a string)');
    const asset = this.asset();
    const ids = primaryId(rawId, strings(v, 'VendorIDs'));
    const status = str(v, 'Status');
    const fixed = str(v, 'FixedVersion');
    const target = this.result.target;
    const location = str(v, 'PkgPath') ?? target;
    const validation: Validation = status === 'not_affected' ? 'not_affected' : 'unvalidated';
    const severity: FindingSeverity | null = severityWord(str(v, 'Severity'));
    this.emit.asset(out, asset);
    this.emit.vulnerability(out, ids.id, () =>
      makeVulnerability({
        id: ids.id,
        cvss: pickCvss(v),
        fix_available: fixed !== null ? true : status !== null && UNFIXED.has(status) ? false : null,
        title: str(v, 'Title'),
        references: [...(str(v, 'PrimaryURL') === null ? [] : [str(v, 'PrimaryURL') ?? '']), ...strings(v, 'References')],
        extra: {
          description: str(v, 'Description'),
          published: str(v, 'PublishedDate'),
          last_modified: str(v, 'LastModifiedDate'),
        },
      }),
    );
    const pkgIdentifier = rec(v, 'PkgIdentifier');
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: ids.id,
        aliases: ids.aliases,
        component: str(v, 'PkgName'),
        version: str(v, 'InstalledVersion'),
        location,
        title: str(v, 'Title'),
        severity,
        cwe: cweIds(arr(v, 'CweIDs')),
        file_path: location,
        fixed_version: fixed,
        validation,
        extra: {
          status,
          target,
          class: this.result.cls,
          type: this.result.type,
          severity_source: str(v, 'SeveritySource'),
          purl: str(pkgIdentifier, 'PURL'),
          pkg_id: str(v, 'PkgID'),
        },
      }),
    );
  }

  private misconfiguration(v: JsonObject, path: readonly (string | number)[], out: ImportItem[]): void {
    const status = str(v, 'Status');
    if (status !== null && status !== 'FAIL') {
      out.push({ kind: 'skipped', record: { reason: `misconfiguration check ${status === 'PASS' ? 'passed' : `status ${status}`}` } });
      return;
    }
    const id = str(v, 'ID') ?? str(v, 'AVDID');
    if (id === null) throw new ImportError(this.ctx.file, formatJsonPath(path), 'ID', 'a failed misconfiguration needs its ID or AVDID (a string)');
    const avd = str(v, 'AVDID');
    const vulnId = avd ?? toolRuleId(SCANNER, id);
    const asset = this.asset();
    const target = this.result.target;
    const cause = rec(v, 'CauseMetadata');
    const startLine = num(cause, 'StartLine');
    const title = str(v, 'Title');
    this.emit.asset(out, asset);
    this.emit.vulnerability(out, vulnId, () =>
      makeVulnerability({
        id: vulnId,
        title,
        references: [...(str(v, 'PrimaryURL') === null ? [] : [str(v, 'PrimaryURL') ?? '']), ...strings(v, 'References')],
        extra: { description: str(v, 'Description'), type: str(v, 'Type') },
      }),
    );
    const message = str(v, 'Message');
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: vulnId,
        aliases: id === vulnId ? [] : [id],
        location: [target, startLine, num(cause, 'EndLine'), message].join('\n'),
        title: `${id} - ${title ?? ''}`.trim(),
        severity: severityWord(str(v, 'Severity')),
        file_path: target,
        line: startLine,
        extra: {
          kind: 'misconfiguration',
          message,
          resolution: str(v, 'Resolution'),
          target,
          class: this.result.cls,
          type: this.result.type,
        },
      }),
    );
  }

  private secret(v: JsonObject, path: readonly (string | number)[], out: ImportItem[]): void {
    const rule = str(v, 'RuleID');
    if (rule === null) throw new ImportError(this.ctx.file, formatJsonPath(path), 'RuleID', 'a secret needs its RuleID (a string)');
    const vulnId = toolRuleId(SCANNER, rule);
    const asset = this.asset();
    const target = this.result.target;
    const line = num(v, 'StartLine');
    const title = str(v, 'Title') ?? rule;
    this.emit.asset(out, asset);
    this.emit.vulnerability(out, vulnId, () => makeVulnerability({ id: vulnId, title, extra: { category: str(v, 'Category') } }));
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: vulnId,
        location: `${target ?? ''}:${line ?? ''}`,
        title: `Secret detected in ${target ?? 'unknown target'} - ${title}`,
        severity: severityWord(str(v, 'Severity')),
        file_path: target,
        line,
        extra: { kind: 'secret', category: str(v, 'Category'), match: str(v, 'Match'), end_line: num(v, 'EndLine'), target },
      }),
    );
  }
}

async function* trivyBatches(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem[]> {
  const reader = new TrivyReader(ctx);
  for await (const matches of streamJsonBatches(source, PATTERNS, ctx, { structure: STRUCTURE, reportScalars: true })) {
    const out: ImportItem[] = [];
    for (const m of matches) reader.handle(m, out);
    if (out.length > 0) yield out;
  }
}

export const trivyParser: Parser = batchParser('trivy', trivyBatches);

/** True when the head of a JSON document looks like a Trivy report. */
export function looksLikeTrivy(head: string): boolean {
  if (/"SchemaVersion"\s*:\s*2\b/.test(head) && /"(ArtifactName|Results)"\s*:/.test(head)) return true;
  if (/"ClusterName"\s*:/.test(head) && /"(Vulnerabilities|Misconfigurations|Resources)"\s*:/.test(head)) return true;
  // Legacy: a top-level array of {"Target": …, "Vulnerabilities": …}.
  return /^\s*(\ufeff)?\[\s*\{\s*"Target"\s*:/.test(head) || /^\s*null\s*$/.test(head);
}
