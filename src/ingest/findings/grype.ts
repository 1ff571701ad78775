/**
 * Anchore Grype JSON (`grype -o json`), streamed.
 *
 * One finding per match: vulnerability = the CVE (Grype's id when it is one, else the lowest CVE
 * among `relatedVulnerabilities`; the GHSA/vendor id stays as an alias), component/version = the
 * artifact, location = the artifact's first location path. Two matches that differ only in other
 * details (Grype repeats a match once per matcher) share a fingerprint, so they are one finding;
 * the same package found at two paths is two findings (DefectDojo's "detailed" mode).
 *
 * CVSS comes from the match's own `cvss` entries, else from the related NVD record; the highest
 * CVSS version wins. Severity is Grype's (`Negligible`/`Unknown` → info).
 *
 * Asset: `source.type` image → `image:<repository>` (from `userInput`), directory → `repo:<dir>`,
 * file → `manifest:<file>`. Grype writes `matches` *before* `source`, so matches wait in a bounded
 * buffer (spilling to a temporary file) until the asset is known.
 *
 * `ignoredMatches` (matches an ignore rule of the grype config dropped) are not findings: each is
 * counted as skipped (`match ignored by a grype ignore rule`) so the summary accounts for it.
 */
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf } from './cvss.js';
import {
  DeferredQueue,
  Emitter,
  arr,
  imageAsset,
  makeFinding,
  makeVulnerability,
  manifestAsset,
  num,
  primaryId,
  rec,
  repoAsset,
  reportAsset,
  requireRecord,
  severityWord,
  str,
  strings,
} from './common.js';
import { isObject, type JsonObject } from '../record-fields.js';
import type { Cvss } from '../../domain/records.js';
import { ImportError } from '../../errors.js';

const SCANNER = 'grype';
const PATTERNS: PathPattern[] = [['matches', '*'], ['source'], ['descriptor'], ['ignoredMatches', '*']];
/** A grype report has its `matches` array (empty when nothing matched). */
const STRUCTURE: Structure = { what: 'a grype report', expected: 'top-level `matches` array', anchors: [{ path: ['matches'], type: 'array' }] };

function cvssList(entries: unknown[]): (Cvss | null)[] {
  return entries.map((c) => cvssOf(str(c, 'vector'), num(rec(c, 'metrics'), 'baseScore'), str(c, 'version') ?? '3.1'));
}

/** Grype's `source` → the scanned asset. */
function grypeAsset(source: JsonObject | null, ctx: ParseContext): AssetRef {
  const type = str(source, 'type');
  const target = source === null ? undefined : source.target;
  const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');
  if (type === 'image') {
    const ref = str(target, 'userInput') ?? strings(target, 'tags')[0] ?? str(target, 'imageID');
    if (ref !== null) return imageAsset(ref);
  }
  if (typeof target === 'string' && target !== '') {
    if (type === 'directory') return repoAsset(unquote(target));
    if (type === 'file') return manifestAsset(unquote(target));
  }
  return reportAsset(ctx);
}

function firstSentence(text: string | null): string | null {
  if (text === null) return null;
  const t = text.trim();
  const m = /^(.{20,200}?[.!?])(\s|$)/s.exec(t);
  return m?.[1] ?? (t.length > 200 ? `${t.slice(0, 199)}…` : t);
}

/**
 * A match without its `vulnerability` (with its `id`) or `artifact` object is malformed: Grype
 * writes both on every match. It fails the import, naming the match and the field.
 */
function handleMatch(m: JsonObject, record: string, asset: AssetRef, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const v = rec(m, 'vulnerability');
  if (v === null) throw new ImportError(ctx.file, record, 'vulnerability', 'a match needs its vulnerability (an object)');
  const toolId = str(v, 'id');
  if (toolId === null) throw new ImportError(ctx.file, record, 'vulnerability.id', 'a match needs its vulnerability id (a string)');
  const a = rec(m, 'artifact');
  if (a === null) throw new ImportError(ctx.file, record, 'artifact', 'a match needs its artifact (an object)');
  const related = arr(m, 'relatedVulnerabilities').filter(isObject);
  const ids = primaryId(toolId, related.map((r) => str(r, 'id') ?? '').filter((x) => x !== ''));
  const fix = rec(v, 'fix');
  const fixVersions = strings(fix, 'versions');
  const state = str(fix, 'state');
  const location = str(arr(a, 'locations')[0], 'path');
  const name = str(a, 'name');
  const version = str(a, 'version');
  const own = bestCvss(cvssList(arr(v, 'cvss')));
  const sameId = related.filter((r) => str(r, 'id') === ids.id);
  const cvss = own ?? bestCvss(cvssList(sameId.flatMap((r) => arr(r, 'cvss')))) ?? bestCvss(cvssList(related.flatMap((r) => arr(r, 'cvss'))));
  const description = str(v, 'description') ?? related.map((r) => str(r, 'description')).find((d) => d !== null) ?? null;
  emit.asset(out, asset);
  emit.vulnerability(out, ids.id, () =>
    makeVulnerability({
      id: ids.id,
      cvss,
      fix_available: fixVersions.length > 0 || state === 'fixed' ? true : state === 'not-fixed' || state === 'wont-fix' ? false : null,
      title: firstSentence(description),
      references: [...(str(v, 'dataSource') === null ? [] : [str(v, 'dataSource') ?? '']), ...strings(v, 'urls')],
      extra: { description, namespace: str(v, 'namespace') },
    }),
  );
  emit.finding(
    out,
    makeFinding({
      scanner: SCANNER,
      asset: asset.id,
      vulnerability: ids.id,
      aliases: ids.aliases,
      component: name,
      version,
      location,
      title: `${toolId} in ${name ?? '?'}:${version ?? '?'}`,
      severity: severityWord(str(v, 'severity')),
      cwe: [],
      file_path: location,
      fixed_version: fixVersions.length > 0 ? fixVersions.join(', ') : null,
      extra: {
        fix_state: state,
        package_type: str(a, 'type'),
        purl: str(a, 'purl'),
        matcher: str(arr(m, 'matchDetails')[0], 'matcher'),
        match_type: str(arr(m, 'matchDetails')[0], 'type'),
      },
    }),
  );
}

export const grypeParser: Parser = {
  format: 'grype',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const deferred = new DeferredQueue();
    const out: ImportItem[] = [];
    let asset: AssetRef | null = null;
    try {
      for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
        if (m.pattern === 1) {
          asset = grypeAsset(isObject(m.value) ? m.value : null, ctx);
          continue;
        }
        if (m.pattern === 3) {
          yield { kind: 'skipped', record: { reason: 'match ignored by a grype ignore rule' } };
          continue;
        }
        if (m.pattern !== 0) continue;
        const match = requireRecord(m.value, ctx, m.path);
        const record = formatJsonPath(m.path);
        if (asset === null) {
          await deferred.push({ record, match });
          continue;
        }
        handleMatch(match, record, asset, emit, out, ctx);
        yield* out.splice(0, out.length);
      }
      const target = asset ?? reportAsset(ctx);
      emit.asset(out, target);
      for await (const entry of deferred.drain()) {
        const match = rec(entry, 'match');
        if (match !== null) handleMatch(match, str(entry, 'record') ?? '$.matches', target, emit, out, ctx);
        if (out.length > 0) yield* out.splice(0, out.length);
      }
      yield* out.splice(0, out.length);
    } finally {
      await deferred.dispose();
    }
  },
};
