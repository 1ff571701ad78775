/**
 * CycloneDX BOMs with vulnerabilities (and VEX analysis), JSON or XML, streamed.
 *
 * - JSON: `components[*]` (nested components flattened), `vulnerabilities[*]`, and
 *   `metadata.component` (the BOM's subject, i.e. the asset).
 * - XML: 1.4+ `<vulnerabilities><vulnerability>` and the older vulnerability extension
 *   (`http://cyclonedx.org/schema/ext/vulnerability/1.0`, `<v:vulnerability ref="…">`), top-level or
 *   inside a `<component>`.
 *
 * One finding per (vulnerability, affected component). The component's name/version come from the
 * component with the `affects[].ref` bom-ref (or from the ref itself when it is a purl). To resolve
 * refs, a map bom-ref → (name, version, purl) of all components is kept: memory grows with the
 * number of components (not findings). Vulnerabilities that come before any component wait in a
 * bounded buffer until the end of the document.
 *
 * - severity: the CVSS v3.x/v4 rating's severity, else its score (or the score of its vector),
 *   else the first rating's severity or score; null when nothing is rated;
 * - VEX `analysis.state`: `not_affected` → validation `not_affected`, `false_positive` →
 *   `false_positive`, `exploitable` → `validated`; the state, justification, responses and detail
 *   are kept in `extra` (`vex_state`, `vex_justification`, `vex_response`, `vex_detail`);
 * - `recommendation` goes to `extra.recommendation` (it is advice, not a version).
 *
 * Asset: from `metadata.component`: container → `image:`, file → `manifest:`, other types →
 * `package:<purl without version>` (or its name); `report:<file>` when the BOM has no subject.
 */
import type { Cvss, FindingSeverity, Validation } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import { firstSignificantByte, peekSource } from '../stream/peek.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf, severityFromScore } from './cvss.js';
import {
  DeferredQueue,
  Emitter,
  arr,
  cweIds,
  imageAsset,
  makeFinding,
  makeVulnerability,
  manifestAsset,
  num,
  primaryId,
  purlWithoutVersion,
  rec,
  reportAsset,
  requireRecord,
  severityWord,
  str,
  strings,
} from './common.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { child, childText, children, streamXml, type XmlNode } from './xml-stream.js';

const SCANNER = 'cyclonedx';

interface ComponentInfo {
  name: string | null;
  version: string | null;
  group: string | null;
  purl: string | null;
}

const PATTERNS: PathPattern[] = [['metadata', 'component'], ['components', '*'], ['vulnerabilities', '*']];
/** A CycloneDX JSON BOM says so: `bomFormat` (required by the specification) or at least `specVersion`. */
const STRUCTURE: Structure = { what: 'a CycloneDX BOM', expected: 'top-level `bomFormat` or `specVersion`', anchors: [{ path: ['bomFormat'], type: 'any' }, { path: ['specVersion'], type: 'any' }] };

// -----------------------------------------------------------------------------------------------
// Shared: component map, asset, vulnerability → items

function componentInfo(c: unknown): ComponentInfo {
  return { name: str(c, 'name'), version: str(c, 'version'), group: str(c, 'group'), purl: str(c, 'purl') };
}

/** Adds a (JSON-shaped) component and its nested components to the bom-ref map. */
function addComponents(c: unknown, map: Map<string, ComponentInfo>): void {
  if (!isObject(c)) return;
  const ref = str(c, 'bom-ref');
  if (ref !== null) map.set(ref, componentInfo(c));
  for (const sub of arr(c, 'components')) addComponents(sub, map);
}

function bomAsset(subject: unknown, ctx: ParseContext): AssetRef {
  const name = str(subject, 'name');
  if (!isObject(subject) || name === null) return reportAsset(ctx);
  const type = str(subject, 'type');
  const version = str(subject, 'version');
  if (type === 'container') return imageAsset(version === null ? name : `${name}:${version}`);
  if (type === 'file') return manifestAsset(name);
  const purl = str(subject, 'purl');
  const group = str(subject, 'group');
  const id = purl !== null ? purlWithoutVersion(purl) : group === null ? name : `${group}/${name}`;
  return { id: `package:${id}`, name: version === null ? name : `${name}@${version}`, components: [], target_type: 'package' };
}

/** `pkg:maven/org.a/b@1.2?x` → name `b`, version `1.2` (for refs that are purls). */
function fromPurl(ref: string): ComponentInfo | null {
  if (!ref.startsWith('pkg:')) return null;
  const base = ref.split(/[?#]/)[0] ?? ref;
  const slash = base.lastIndexOf('/');
  const at = base.indexOf('@', slash);
  const namePart = at >= 0 ? base.slice(slash + 1, at) : base.slice(slash + 1);
  const version = at >= 0 ? decodeURIComponent(base.slice(at + 1)) : null;
  return { name: decodeURIComponent(namePart), version, group: null, purl: ref };
}

const METHOD_VERSION: Record<string, string> = { CVSSv2: '2.0', CVSSv3: '3.0', CVSSv31: '3.1', CVSSv4: '4.0' };

function ratingCvss(r: unknown): Cvss | null {
  const method = str(r, 'method');
  const version = method === null ? undefined : METHOD_VERSION[method];
  if (version === undefined) return null;
  return cvssOf(str(r, 'vector'), num(r, 'score'), version);
}

function ratingSeverity(ratings: unknown[]): FindingSeverity | null {
  const cvssRatings = ratings.filter((r) => {
    const m = str(r, 'method');
    return m === 'CVSSv3' || m === 'CVSSv31' || m === 'CVSSv4';
  });
  for (const r of cvssRatings) {
    const word = severityWord(str(r, 'severity'));
    if (word !== null) return word;
    const c = ratingCvss(r);
    if (c !== null) return severityFromScore(c.base_score);
  }
  for (const r of ratings) {
    const word = severityWord(str(r, 'severity'));
    if (word !== null) return word;
  }
  for (const r of ratings) {
    const score = num(r, 'score');
    if (score !== null) return severityFromScore(score);
  }
  return null;
}

const VEX: Record<string, Validation> = {
  not_affected: 'not_affected',
  false_positive: 'false_positive',
  exploitable: 'validated',
};

function firstSentence(text: string | null): string | null {
  if (text === null) return null;
  const t = text.trim();
  const m = /^(.{10,200}?[.!?])(\s|$)/s.exec(t);
  return m?.[1] ?? (t.length > 200 ? `${t.slice(0, 199)}…` : t);
}

/**
 * One (JSON-shaped) vulnerability → its vulnerability item and one finding per affected ref. A
 * vulnerability without its `id`, or an `affects` entry without its `ref` (the schema requires
 * it), fails the import, naming the vulnerability (`record`) and the field. A vulnerability that
 * affects nothing is no finding: it is counted as skipped (`vulnerability affecting no component`).
 */
function handleVulnerability(
  v: JsonObject,
  record: string,
  components: Map<string, ComponentInfo>,
  asset: AssetRef,
  emit: Emitter,
  out: ImportItem[],
  ctx: ParseContext,
): void {
  const toolId = str(v, 'id');
  if (toolId === null) throw new ImportError(ctx.file, record, 'id', 'a vulnerability needs its id (a string)');
  const affects = arr(v, 'affects');
  const refs = affects.map((affect, i) => {
    const ref = str(affect, 'ref');
    if (ref === null) throw new ImportError(ctx.file, record, `affects[${i}].ref`, 'an affected component needs its ref (a string)');
    return ref;
  });
  const refIds = arr(v, 'references')
    .map((r) => str(r, 'id'))
    .filter((x): x is string => x !== null);
  const ids = primaryId(toolId, refIds);
  const ratings = arr(v, 'ratings');
  const analysis = rec(v, 'analysis');
  const state = str(analysis, 'state');
  const description = str(v, 'description') ?? str(v, 'detail');
  const references = [
    str(rec(v, 'source'), 'url'),
    ...arr(v, 'advisories').map((a) => (typeof a === 'string' ? a : str(a, 'url'))),
    ...arr(v, 'references').map((r) => str(rec(r, 'source'), 'url')),
  ].filter((u): u is string => u !== null);
  const recommendation = str(v, 'recommendation');
  emit.asset(out, asset);
  emit.vulnerability(out, ids.id, () =>
    makeVulnerability({
      id: ids.id,
      cvss: bestCvss(ratings.map(ratingCvss)),
      title: firstSentence(description),
      references,
      extra: { description, detail: str(v, 'detail'), source: str(rec(v, 'source'), 'name') },
    }),
  );
  const severity = ratingSeverity(ratings);
  const cwe = cweIds(arr(v, 'cwes'));
  if (refs.length === 0) out.push({ kind: 'skipped', record: { reason: 'vulnerability affecting no component' } });
  for (const ref of refs) {
    const comp = components.get(ref) ?? fromPurl(ref);
    emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: ids.id,
        aliases: ids.aliases,
        component: comp?.name ?? null,
        version: comp?.version ?? null,
        location: ref,
        title: firstSentence(description) ?? toolId,
        severity,
        cwe,
        validation: state === null ? 'unvalidated' : VEX[state] ?? 'unvalidated',
        extra: {
          ref,
          purl: comp?.purl ?? null,
          group: comp?.group ?? null,
          recommendation,
          vex_state: state,
          vex_justification: str(analysis, 'justification'),
          vex_response: strings(analysis, 'response'),
          vex_detail: str(analysis, 'detail'),
        },
      }),
    );
  }
}

// -----------------------------------------------------------------------------------------------
// XML → the JSON shape

function xmlComponent(n: XmlNode): JsonObject {
  return {
    'bom-ref': n.attrs['bom-ref'] ?? null,
    type: n.attrs.type ?? null,
    name: childText(n, 'name'),
    version: childText(n, 'version'),
    group: childText(n, 'group'),
    purl: childText(n, 'purl'),
    components: children(child(n, 'components'), 'component').map(xmlComponent),
  };
}

const isExt = (n: XmlNode): boolean => n.ns.includes('/ext/vulnerability');

/** A 1.4+ `<vulnerability>` or an extension `<v:vulnerability ref>` as the JSON shape. */
function xmlVulnerability(n: XmlNode, enclosingRef: string | null): JsonObject {
  const ratings = children(child(n, 'ratings'), 'rating').map((r) => ({
    method: childText(r, 'method'),
    severity: childText(r, 'severity'),
    vector: childText(r, 'vector'),
    score: childText(r, 'score') ?? childText(child(r, 'score'), 'base'),
  }));
  if (isExt(n)) {
    const ref = n.attrs.ref ?? enclosingRef;
    const recs = children(child(n, 'recommendations'), 'recommendation').map((r) => r.text.trim());
    return {
      id: childText(n, 'id'),
      source: { name: child(n, 'source')?.attrs.name ?? null, url: childText(child(n, 'source'), 'url') },
      ratings,
      cwes: children(child(n, 'cwes'), 'cwe').map((c) => c.text.trim()),
      description: childText(n, 'description'),
      recommendation: recs.length > 0 ? recs.join('\n') : null,
      advisories: children(child(n, 'advisories'), 'advisory').map((a) => a.text.trim()),
      affects: ref === null ? [] : [{ ref }],
    };
  }
  const analysis = child(n, 'analysis');
  return {
    id: childText(n, 'id'),
    source: { name: childText(child(n, 'source'), 'name'), url: childText(child(n, 'source'), 'url') },
    references: children(child(n, 'references'), 'reference').map((r) => ({
      id: childText(r, 'id'),
      source: { url: childText(child(r, 'source'), 'url') },
    })),
    ratings,
    cwes: children(child(n, 'cwes'), 'cwe').map((c) => c.text.trim()),
    description: childText(n, 'description'),
    detail: childText(n, 'detail'),
    recommendation: childText(n, 'recommendation'),
    advisories: children(child(n, 'advisories'), 'advisory').map((a) => ({ url: childText(a, 'url') })),
    analysis:
      analysis === null
        ? null
        : {
            state: childText(analysis, 'state'),
            justification: childText(analysis, 'justification'),
            response: children(child(analysis, 'responses'), 'response').map((r) => r.text.trim()),
            detail: childText(analysis, 'detail'),
          },
    affects: children(child(n, 'affects'), 'target').map((t) => ({ ref: childText(t, 'ref') })),
  };
}

// -----------------------------------------------------------------------------------------------

async function* parseJson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const components = new Map<string, ComponentInfo>();
  const deferred = new DeferredQueue();
  const out: ImportItem[] = [];
  let asset: AssetRef | null = null;
  let sawComponents = false;
  try {
    for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
      if (m.pattern === 0) {
        asset = bomAsset(m.value, ctx);
        addComponents(m.value, components);
        emit.asset(out, asset);
      } else if (m.pattern === 1) {
        sawComponents = true;
        addComponents(m.value, components);
      } else {
        const v = requireRecord(m.value, ctx, m.path);
        const record = formatJsonPath(m.path);
        if (!sawComponents) await deferred.push({ record, v });
        else handleVulnerability(v, record, components, asset ?? reportAsset(ctx), emit, out, ctx);
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    yield* finish(asset ?? reportAsset(ctx), components, deferred, emit, out, ctx);
  } finally {
    await deferred.dispose();
  }
}

/**
 * End of a BOM: emits its target, then the vulnerabilities that were read before the components
 * they refer to, and whatever is still pending.
 */
async function* finish(
  target: AssetRef,
  components: Map<string, ComponentInfo>,
  deferred: DeferredQueue,
  emit: Emitter,
  out: ImportItem[],
  ctx: ParseContext,
): AsyncGenerator<ImportItem> {
  emit.asset(out, target);
  for await (const entry of deferred.drain()) {
    const v = rec(entry, 'v');
    if (v !== null) handleVulnerability(v, str(entry, 'record') ?? 'vulnerabilities', components, target, emit, out, ctx);
    if (out.length > 0) yield* out.splice(0, out.length);
  }
  yield* out.splice(0, out.length);
}

async function* parseXml(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const components = new Map<string, ComponentInfo>();
  const deferred = new DeferredQueue();
  const out: ImportItem[] = [];
  let asset: AssetRef | null = null;
  let sawComponents = false;
  const seen: { root: string | null } = { root: null };
  const select = (p: readonly string[]): boolean => {
    if (p.length === 1) seen.root = p[0] ?? null;
    if (p.length === 3 && p[1] === 'metadata' && p[2] === 'component') return true;
    if (p.length === 3 && p[1] === 'components' && p[2] === 'component') return true;
    return p.length === 3 && p[1] === 'vulnerabilities' && p[2] === 'vulnerability';
  };
  // XML vulnerabilities are named by their position among the BOM's vulnerabilities (from 1).
  let count = 0;
  const vuln = async (v: JsonObject): Promise<void> => {
    count++;
    const record = `vulnerability ${count}`;
    if (!sawComponents) await deferred.push({ record, v });
    else handleVulnerability(v, record, components, asset ?? reportAsset(ctx), emit, out, ctx);
  };
  try {
    for await (const { node, path } of streamXml(source, select, ctx)) {
      if (path[1] === 'metadata') {
        const c = xmlComponent(node);
        asset = bomAsset(c, ctx);
        addComponents(c, components);
        emit.asset(out, asset);
      } else if (path[1] === 'components') {
        sawComponents = true;
        addComponents(xmlComponent(node), components);
        // Extension vulnerabilities inside a component refer to it (or carry their own ref).
        const walk = async (n: XmlNode): Promise<void> => {
          for (const list of children(n, 'vulnerabilities').filter(isExt)) {
            for (const v of children(list, 'vulnerability')) await vuln(xmlVulnerability(v, n.attrs['bom-ref'] ?? null));
          }
          for (const sub of children(child(n, 'components'), 'component')) await walk(sub);
        };
        await walk(node);
      } else {
        await vuln(xmlVulnerability(node, null));
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
    if (seen.root !== 'bom') throw new ImportError(ctx.file, null, null, `not a CycloneDX BOM: root element <${seen.root ?? '?'}>`);
    yield* finish(asset ?? reportAsset(ctx), components, deferred, emit, out, ctx);
  } finally {
    await deferred.dispose();
  }
}

export const cyclonedxParser: Parser = {
  format: 'cyclonedx',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    // XML or JSON, decided by the first significant byte within the first KiB
    const peeked = await peekSource(source, 1024);
    if (firstSignificantByte(peeked.head.subarray(0, 1024)) === 0x3c) yield* parseXml(peeked.source, ctx);
    else yield* parseJson(peeked.source, ctx);
  },
};
