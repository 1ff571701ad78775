/**
 * OSV-Scanner JSON (`osv-scanner --format json`), streamed package by package
 * (`results[*].packages[*]`). An empty file means "nothing found".
 *
 * One finding per (package, vulnerability record). The vulnerability is keyed by CVE when the
 * record has one (its id or an alias), so a GHSA and a PYSEC record of the same CVE on the same
 * package — which osv-scanner lists separately but puts in one `groups` entry — are one finding.
 *
 * - severity: `database_specific.severity` (GitHub's word), else the CVSS v3 vector's score,
 *   else the group's `max_severity` score, else unknown (null);
 * - fixed_version: the `fixed` event of the range that contains the installed version, else all
 *   fixed versions of the matching `affected` entry;
 * - file_path / location: the scanned lockfile (`source.path`).
 *
 * Asset: each source is its own asset: `manifest:<lockfile>` (`repo:` for git sources, `image:`
 * for docker sources). `source` precedes `packages` in osv-scanner output; packages that come
 * first wait in a bounded buffer.
 */
import type { Cvss, FindingRecord } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf, severityFromScore } from './cvss.js';
import {
  DeferredQueue,
  Emitter,
  arr,
  compareLoose,
  cweIds,
  imageAsset,
  makeFinding,
  makeVulnerability,
  manifestAsset,
  mergeFindings,
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

const SCANNER = 'osv-scanner';
/** An osv-scanner report has its `results` array. */
const STRUCTURE: Structure = { what: 'an osv-scanner report', expected: 'top-level `results` array', anchors: [{ path: ['results'], type: 'array' }] };

const PATTERNS: PathPattern[] = [
  ['results', '*', 'source'],
  ['results', '*', 'packages', '*'],
];

function sourceAsset(source: unknown, ctx: ParseContext): AssetRef {
  const path = str(source, 'path');
  if (path === null) return reportAsset(ctx);
  const type = str(source, 'type');
  if (type === 'git') return repoAsset(path);
  if (type === 'docker') return imageAsset(path);
  return manifestAsset(path);
}

/** The fixed version for `installed` (see the module comment); null when there is none. */
function fixedVersion(affected: JsonObject | null, installed: string | null): string | null {
  if (affected === null) return null;
  const all: string[] = [];
  let chosen: string | null = null;
  for (const range of arr(affected, 'ranges')) {
    const type = str(range, 'type');
    let introduced: string | null = null;
    for (const ev of arr(range, 'events')) {
      const intro = str(ev, 'introduced');
      const fixed = str(ev, 'fixed');
      if (intro !== null) introduced = intro;
      if (fixed === null) continue;
      if (!all.includes(fixed)) all.push(fixed);
      if (chosen === null && type !== 'GIT' && installed !== null && introduced !== null) {
        const afterStart = introduced === '0' || compareLoose(installed, introduced) >= 0;
        if (afterStart && compareLoose(installed, fixed) < 0) chosen = fixed;
      }
      introduced = null;
    }
  }
  if (chosen !== null) return chosen;
  return all.length > 0 ? all.join(', ') : null;
}

function hasFixedEvent(affected: unknown[]): boolean | null {
  let ranges = 0;
  for (const a of affected) {
    for (const r of arr(a, 'ranges')) {
      ranges++;
      if (arr(r, 'events').some((e) => str(e, 'fixed') !== null)) return true;
    }
  }
  return ranges > 0 ? false : null;
}

/** A vulnerability record that is not an object, or has no `id`, fails the import, naming it. */
function handlePackage(entry: JsonObject, path: readonly (string | number)[], asset: AssetRef, sourcePath: string | null, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const pkg = rec(entry, 'package');
  const name = str(pkg, 'name');
  const version = str(pkg, 'version') ?? str(pkg, 'commit');
  const ecosystem = str(pkg, 'ecosystem');
  const groups = arr(entry, 'groups');
  // Records of one CVE from several databases are one finding; each repeat is emitted merged
  // with the earlier ones, so the last record of a fingerprint (the one the store keeps) is fullest.
  const seen = new Map<string, FindingRecord>();
  emit.asset(out, asset);
  for (const [i, value] of arr(entry, 'vulnerabilities').entries()) {
    const at = [...path, 'vulnerabilities', i];
    const v = requireRecord(value, ctx, at);
    const toolId = str(v, 'id');
    if (toolId === null) throw new ImportError(ctx.file, formatJsonPath(at), 'id', 'a vulnerability record needs its id (a string)');
    const ids = primaryId(toolId, strings(v, 'aliases'));
    const affected = arr(v, 'affected');
    const match = affected.filter(isObject).find((a) => str(rec(a, 'package'), 'name') === name) ?? affected.filter(isObject)[0] ?? null;
    const dbSpecific = rec(v, 'database_specific');
    const vectors = arr(v, 'severity').map((s): Cvss | null => {
      const type = str(s, 'type');
      const score = str(s, 'score');
      if (score === null) return null;
      if (type === 'CVSS_V3') return cvssOf(score, null);
      if (type === 'CVSS_V2') return cvssOf(score, null, '2.0');
      return null;
    });
    const cvss = bestCvss(vectors);
    const group = groups.find((g) => strings(g, 'ids').includes(toolId));
    const groupScore = num(group, 'max_severity');
    const severity =
      severityWord(str(dbSpecific, 'severity')) ??
      (cvss !== null && cvss.version.startsWith('3') ? severityFromScore(cvss.base_score) : null) ??
      (groupScore !== null ? severityFromScore(groupScore) : null);
    const cwe = cweIds([
      ...arr(dbSpecific, 'cwe_ids'),
      ...affected.flatMap((a) => arr(rec(a, 'database_specific'), 'cwes').map((c) => str(c, 'cweId'))),
    ]);
    const references = arr(v, 'references')
      .map((r) => str(r, 'url'))
      .filter((u): u is string => u !== null);
    emit.vulnerability(out, ids.id, () =>
      makeVulnerability({
        id: ids.id,
        cvss,
        fix_available: hasFixedEvent(affected),
        title: str(v, 'summary'),
        references,
        extra: { details: str(v, 'details'), published: str(v, 'published'), modified: str(v, 'modified') },
      }),
    );
    const made = makeFinding({
      scanner: SCANNER,
      asset: asset.id,
      vulnerability: ids.id,
      aliases: ids.aliases,
      component: name,
      version,
      location: sourcePath,
      title: str(v, 'summary') ?? toolId,
      severity,
      cwe,
      file_path: sourcePath,
      fixed_version: fixedVersion(match, version),
      extra: { ecosystem, purl: str(rec(match, 'package'), 'purl'), osv_id: toolId },
    });
    const earlier = seen.get(made.fingerprint);
    const finding = earlier === undefined ? made : mergeFindings(earlier, made);
    seen.set(made.fingerprint, finding);
    emit.finding(out, finding);
  }
}

export const osvScannerParser: Parser = {
  format: 'osv-scanner',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const out: ImportItem[] = [];
    let current = -1;
    let asset: AssetRef | null = null;
    let sourcePath: string | null = null;
    let deferred: DeferredQueue | null = null;
    const flush = async function* (): AsyncGenerator<ImportItem> {
      if (deferred === null) return;
      const queue = deferred;
      deferred = null;
      const target = asset ?? reportAsset(ctx);
      for await (const queued of queue.drain()) {
        const p = rec(queued, 'entry');
        const path = arr(queued, 'path').filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
        if (p !== null) handlePackage(p, path, target, sourcePath, emit, out, ctx);
        yield* out.splice(0, out.length);
      }
    };
    try {
      for await (const m of streamJson(source, PATTERNS, ctx, { allowEmpty: true, structure: STRUCTURE })) {
        const index = typeof m.path[1] === 'number' ? m.path[1] : 0;
        if (index !== current) {
          yield* flush();
          current = index;
          asset = null;
          sourcePath = null;
        }
        if (m.pattern === 0) {
          asset = sourceAsset(m.value, ctx);
          sourcePath = str(m.value, 'path');
          emit.asset(out, asset);
          yield* flush();
          yield* out.splice(0, out.length);
          continue;
        }
        const entry = requireRecord(m.value, ctx, m.path);
        if (asset === null) {
          deferred ??= new DeferredQueue();
          await deferred.push({ path: m.path, entry });
          continue;
        }
        handlePackage(entry, m.path, asset, sourcePath, emit, out, ctx);
        yield* out.splice(0, out.length);
      }
      yield* flush();
    } finally {
      await deferred?.dispose();
    }
  },
};
