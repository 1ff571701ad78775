/**
 * OWASP Dependency-Check XML reports (schemas 1.x–2.x), streamed one `<dependency>` at a time
 * with saxes. (Dependency-Check's JSON report is not read here: the corpus has no example.)
 *
 * One finding per (dependency, vulnerability), suppressed ones included:
 * - vulnerability: the CVE (or GHSA) that starts the `<name>`, else `<source>:<name>` (OSS Index
 *   and NPM entries without a CVE, e.g. `npm:1500`);
 * - component/version: from the package URL identifier (`group:artifact` for Maven), else a CPE
 *   identifier (`vendor:product`), else a Maven identifier, else the product/version evidence,
 *   else the file name;
 * - severity: from the CVSS v3 score when present, else the report's `<severity>` word
 *   (`moderate` → medium), else the CVSS v2 severity;
 * - `<suppressedVulnerability>`: validation `false_positive` (Dependency-Check suppressions are
 *   how users mark false positives); the suppression notes go to `extra.suppression_notes`;
 * - file_path / location: the dependency's `filePath` (its display `fileName` is `extra.file_name`);
 *   related dependencies (the same artifact bundled elsewhere) are listed in `extra.related`, not
 *   counted as findings of their own.
 *
 * Asset: `repo:<projectInfo name>`, or `report:<file>` when the project has no name.
 */
import type { Cvss, FindingSeverity, Validation } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { cvssOf, severityFromScore } from './cvss.js';
import { Emitter, cweIds, makeFinding, makeVulnerability, repoAsset, reportAsset, severityWord } from './common.js';
import { child, childText, children, descendants, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'dependency-check';

const V3: Record<string, Record<string, string>> = {
  attackVector: { NETWORK: 'N', ADJACENT_NETWORK: 'A', ADJACENT: 'A', LOCAL: 'L', PHYSICAL: 'P' },
  attackComplexity: { LOW: 'L', HIGH: 'H' },
  privilegesRequired: { NONE: 'N', LOW: 'L', HIGH: 'H' },
  userInteraction: { NONE: 'N', REQUIRED: 'R' },
  scope: { UNCHANGED: 'U', CHANGED: 'C' },
  confidentialityImpact: { NONE: 'N', LOW: 'L', HIGH: 'H' },
  integrityImpact: { NONE: 'N', LOW: 'L', HIGH: 'H' },
  availabilityImpact: { NONE: 'N', LOW: 'L', HIGH: 'H' },
};
const V3_KEYS: [string, string][] = [
  ['AV', 'attackVector'],
  ['AC', 'attackComplexity'],
  ['PR', 'privilegesRequired'],
  ['UI', 'userInteraction'],
  ['S', 'scope'],
  ['C', 'confidentialityImpact'],
  ['I', 'integrityImpact'],
  ['A', 'availabilityImpact'],
];

/** `<cvssV3>` → a CVSS with a rebuilt `CVSS:3.x/…` vector (metrics may be words or letters). */
function cvssV3(node: XmlNode | null): Cvss | null {
  if (node === null) return null;
  const parts: string[] = [];
  for (const [abbr, name] of V3_KEYS) {
    const raw = childText(node, name)?.toUpperCase() ?? null;
    if (raw === null) {
      parts.length = 0;
      break;
    }
    const letter = V3[name]?.[raw] ?? (raw.length === 1 ? raw : null);
    if (letter === null) {
      parts.length = 0;
      break;
    }
    parts.push(`${abbr}:${letter}`);
  }
  const version = childText(node, 'version') ?? '3.1';
  const score = Number(childText(node, 'baseScore'));
  return cvssOf(parts.length === 8 ? `CVSS:${version}/${parts.join('/')}` : null, Number.isFinite(score) && childText(node, 'baseScore') !== null ? score : null, version);
}

function cvssV2(vuln: XmlNode): Cvss | null {
  const node = child(vuln, 'cvssV2');
  const score = node === null ? childText(vuln, 'cvssScore') : childText(node, 'score');
  if (score === null || !Number.isFinite(Number(score))) return null;
  return { version: '2.0', base_score: Number(score), vector: null };
}

/** `pkg:maven/org.dom4j/dom4j@2.1.1` → `org.dom4j:dom4j` / `2.1.1`; `pkg:npm/x@1` → `x` / `1`. */
function purlNameVersion(purl: string): { name: string; version: string | null } | null {
  const m = /^pkg:([^/]+)\/(.+?)(?:@([^?#]*))?(?:[?#].*)?$/.exec(purl.trim());
  if (m === null || m[2] === undefined) return null;
  const type = m[1] ?? '';
  const path = m[2].split('/').map((s) => decodeURIComponent(s));
  const name = path.pop() ?? '';
  const ns = path.join('/');
  const full = ns === '' ? name : type === 'maven' ? `${ns}:${name}` : `${ns}/${name}`;
  return { name: full, version: m[3] === undefined || m[3] === '' ? null : decodeURIComponent(m[3]) };
}

/** `cpe:/a:vendor:product:version` or `cpe:2.3:a:vendor:product:version:…`. */
function cpeNameVersion(cpe: string): { name: string; version: string | null } | null {
  const parts = cpe.startsWith('cpe:2.3:') ? cpe.slice(8).split(':') : cpe.startsWith('cpe:/') ? cpe.slice(5).split(':') : null;
  if (parts === null || parts.length < 3) return null;
  const [, vendor, product, version] = parts;
  if (vendor === undefined || product === undefined) return null;
  return { name: `${vendor}:${product}`, version: version === undefined || version === '' || version === '*' ? null : version };
}

function component(dep: XmlNode): { name: string | null; version: string | null; purl: string | null } {
  const ids = child(dep, 'identifiers');
  if (ids !== null) {
    const pkg = descendants(ids, 'package')[0];
    const purl = childText(pkg, 'id');
    const fromPurl = purl === null ? null : purlNameVersion(purl);
    if (fromPurl !== null) return { ...fromPurl, purl };
    const identifiers = descendants(ids, 'identifier');
    const cpe = identifiers.find((i) => i.attrs.type === 'cpe');
    const fromCpe = cpe === undefined ? null : cpeNameVersion(childText(cpe, 'name') ?? '');
    if (fromCpe !== null) return { ...fromCpe, purl: null };
    const maven = identifiers.find((i) => i.attrs.type === 'maven');
    const parts = (childText(maven, 'name') ?? '').split(':');
    if (parts.length === 3 && parts[0] !== undefined && parts[1] !== undefined) {
      return { name: `${parts[0]}:${parts[1]}`, version: parts[2] ?? null, purl: null };
    }
  }
  const evidence = children(child(dep, 'evidenceCollected'), 'evidence');
  const product = evidence.find((e) => e.attrs.type === 'product');
  if (product !== undefined) {
    const version = evidence.find((e) => e.attrs.type === 'version');
    return { name: childText(product, 'value'), version: version === undefined ? null : childText(version, 'value'), purl: null };
  }
  return { name: childText(dep, 'fileName'), version: null, purl: null };
}

function firstSentence(text: string | null): string | null {
  if (text === null) return null;
  const t = text.trim();
  const m = /^(.{10,200}?[.!?])(\s|$)/s.exec(t);
  return m?.[1] ?? (t.length > 200 ? `${t.slice(0, 199)}…` : t);
}

function vulnerabilityId(name: string, source: string | null): string {
  const cve = /^CVE-\d{4}-\d{4,}/i.exec(name)?.[0];
  if (cve !== undefined) return cve.toUpperCase();
  const ghsa = /^GHSA(-[0-9a-z]{4}){3}/i.exec(name)?.[0];
  if (ghsa !== undefined) return ghsa;
  return `${(source ?? SCANNER).toLowerCase()}:${name}`;
}

/**
 * A dependency without `<vulnerabilities>` is no finding; a (suppressed) vulnerability without its
 * `<name>` is malformed and fails the import, named by its XPath (`dependency` counts from 1).
 */
function handleDependency(dep: XmlNode, index: number, asset: AssetRef, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const vulnerabilities = child(dep, 'vulnerabilities');
  if (vulnerabilities === null) return;
  const counts = { vulnerability: 0, suppressedVulnerability: 0 };
  const fileName = childText(dep, 'fileName');
  const filePath = childText(dep, 'filePath') ?? fileName;
  const comp = component(dep);
  const related = children(child(dep, 'relatedDependencies'), 'relatedDependency').map((r) => childText(r, 'filePath') ?? childText(r, 'fileName'));
  for (const v of vulnerabilities.children) {
    if (v.name !== 'vulnerability' && v.name !== 'suppressedVulnerability') continue;
    counts[v.name]++;
    const name = childText(v, 'name');
    if (name === null) {
      const record = `/analysis/dependencies/dependency[${index}]/vulnerabilities/${v.name}[${counts[v.name]}]`;
      throw new ImportError(ctx.file, record, 'name', 'a vulnerability needs its name');
    }
    const suppressed = v.name === 'suppressedVulnerability';
    const source = v.attrs.source ?? null;
    const id = vulnerabilityId(name, source);
    const v3 = cvssV3(child(v, 'cvssV3'));
    const cvss = v3 ?? cvssV2(v);
    const word = severityWord(childText(v, 'severity'));
    const severity: FindingSeverity | null =
      v3 !== null ? severityFromScore(v3.base_score) : word ?? severityWord(childText(child(v, 'cvssV2'), 'severity'));
    const cwes = cweIds([...children(child(v, 'cwes'), 'cwe').map((c) => c.text), childText(v, 'cwe')]);
    const description = childText(v, 'description');
    const references = children(child(v, 'references'), 'reference')
      .map((r) => childText(r, 'url'))
      .filter((u): u is string => u !== null);
    const validation: Validation = suppressed ? 'false_positive' : 'unvalidated';
    emit.vulnerability(out, id, () =>
      makeVulnerability({ id, cvss, title: firstSentence(description) ?? name, references, extra: { description, source } }),
    );
    emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: id,
        aliases: id === name ? [] : [name],
        component: comp.name,
        version: comp.version,
        location: filePath,
        title: firstSentence(description) ?? name,
        severity,
        cwe: cwes,
        file_path: filePath,
        validation,
        extra: {
          file_name: fileName,
          purl: comp.purl,
          source,
          suppressed,
          suppression_notes: suppressed ? childText(v, 'notes') : null,
          related: related.length > 0 ? related : null,
        },
      }),
    );
  }
}

export const dependencyCheckParser: Parser = {
  format: 'dependency-check',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const out: ImportItem[] = [];
    const seen: { root: string | null } = { root: null };
    let asset: AssetRef | null = null;
    let dependencies = 0;
    const select = (p: readonly string[]): boolean => {
      if (p.length === 1) {
        seen.root = p[0] ?? null;
        if (seen.root !== 'analysis') {
          throw new ImportError(ctx.file, null, null, `not a Dependency-Check report: root element <${seen.root ?? '?'}>`);
        }
      }
      return (p.length === 2 && p[1] === 'projectInfo') || (p.length === 3 && p[1] === 'dependencies' && p[2] === 'dependency');
    };
    for await (const { node } of streamXml(source, select, ctx)) {
      if (node.name === 'projectInfo') {
        const name = childText(node, 'name');
        asset = name === null ? reportAsset(ctx) : repoAsset(name);
        emit.asset(out, asset);
      } else {
        asset ??= reportAsset(ctx);
        emit.asset(out, asset);
        dependencies++;
        handleDependency(node, dependencies, asset, emit, out, ctx);
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    if (asset === null) {
      emit.asset(out, reportAsset(ctx));
      yield* out;
    }
  },
};
