/**
 * Semgrep JSON, streamed, in two layouts:
 *
 * 1. `semgrep scan --json` / `semgrep ci --json`: `results[]` (one per rule match), `errors[]`,
 *    `paths`. Code findings and Semgrep Supply Chain findings (`extra.sca_info`) both live here.
 * 2. The Semgrep AppSec Platform's supply-chain API (`GET …/deployments/{slug}/ssc-vulns`):
 *    `vulns[]` (one per vulnerable dependency of a repository), `hasMore`, `cursor`.
 *
 * Code findings (a result without `sca_info`): one finding per (rule, file, line), as DefectDojo
 * merges them (the same rule matching twice on one line is one finding):
 * - vulnerability `semgrep:<check_id>` (a rule means nothing outside Semgrep), titled by the
 *   rule's message; `metadata.references` and `metadata.source` are its references;
 * - file_path / line: `path` / `start.line`; CWE from `metadata.cwe` (a list or one string);
 * - severity: `extra.severity`, ERROR → high, WARNING → medium, INFO → low (DefectDojo's reading),
 *   and the newer CRITICAL/HIGH/MEDIUM/LOW as they are; anything else → unknown (null);
 * - fix text: `extra.fix` (the replacement Semgrep suggests) → `extra.fix`, `extra.fix_regex` →
 *   `extra.fix_regex`; never `fixed_version` (it is code, not a version);
 * - `metadata` confidence, likelihood, impact, category and OWASP ids, the matched `lines` and
 *   Semgrep's `fingerprint` (not when it is the placeholder "requires login") go to `extra`.
 *
 * Supply-chain findings (`sca_info`, and every entry of layout 2): one finding per (vulnerable
 * package and version, manifest) on the asset:
 * - vulnerability: the CVE (`metadata.sca-vuln-database-identifier`, `references.cveIds`) via
 *   `primaryId`; GHSA ids (from the identifier or the advisory URLs) and the Semgrep rule
 *   (`semgrep:<ssc-…>`) are aliases;
 * - component/version: the dependency Semgrep matched (`found_dependency` package/version,
 *   `matchedDependency` name/versionSpecifier); file_path / line: the lockfile entry (layout 1:
 *   `lockfile_path` / `line_number`, else the result's path and line; layout 2:
 *   `dependencyFileLocation`); fixed_version: the version `sca-fix-versions` /
 *   `closestSafeDependency` gives for the package;
 * - reachability: Semgrep's verdict (`sca_info.reachable`, `exposureType`, the advisory's
 *   `reachability` kind) is kept in `extra.reachable` / `extra.exposure` and does NOT set the
 *   finding's `reachability`. closeloop's reachability says whether an attacker can get to the
 *   vulnerable thing on the asset; Semgrep's says whether the code calls the vulnerable
 *   function, and for many advisories ("MANUAL_REVIEW_REACHABLE", "upgrade-only") it is a rule's
 *   label, not an analysis of this code.
 *
 * `is_ignored` (a `nosemgrep` comment in the code) keeps the finding with `extra.ignored: true`
 * and validation unchanged: the comment silences a rule, it is not a person's verdict recorded in
 * closeloop. Likewise the platform's triage state (layout 2 `triage`) is kept in `extra.triage`.
 *
 * Asset: layout 1 names no repository, so it is `report:<file name>` (as npm audit); layout 2 names
 * one per entry, `repo:<repositoryName>`. check: null (static analysis); no vantage point.
 * Skipped (counted in the summary): each entry of `errors[]` (a file or rule Semgrep could not
 * process: no finding).
 */
import type { FindingSeverity } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import {
  Emitter,
  arr,
  cweIds,
  makeFinding,
  makeVulnerability,
  num,
  primaryId,
  rec,
  repoAsset,
  reportAsset,
  requireRecord,
  severityWord,
  str,
  strings,
  toolRuleId,
  ghsaIn,
  redactSecrets,
} from './common.js';

/** A rule that finds secrets (its id or metadata says so): its matched line is not stored. */
const SECRET_RULE = /secret|credential|password|api[-_]?key|private[-_]?key|\btoken\b|hardcoded/i;

const SCANNER = 'semgrep';
const PATTERNS: PathPattern[] = [['results', '*'], ['errors', '*'], ['vulns', '*']];
const STRUCTURE: Structure = {
  what: 'a Semgrep report',
  expected: 'top-level `results` array (semgrep --json) or `vulns` array (supply-chain API)',
  anchors: [
    { path: ['results'], type: 'array' },
    { path: ['vulns'], type: 'array' },
  ],
};

/** Semgrep's rule severities; ERROR/WARNING/INFO read as DefectDojo reads them. */
const SEVERITIES: Record<string, FindingSeverity> = { error: 'high', warning: 'medium', info: 'low' };

function semgrepSeverity(word: string | null): FindingSeverity | null {
  if (word === null) return null;
  const w = word.trim().toLowerCase();
  return SEVERITIES[w] ?? severityWord(w);
}

/** `metadata.cwe` is a list or a single string. */
function cwesOf(value: unknown): string[] {
  return cweIds(Array.isArray(value) ? value : [value]);
}

/** A list or a single string of a metadata field. */
function listOf(o: unknown, key: string): string[] {
  if (!isObject(o)) return [];
  const v = o[key];
  if (typeof v === 'string' && v !== '') return [v];
  return strings(o, key);
}

function ghsaIds(values: readonly string[]): string[] {
  return [...new Set(values.map(ghsaIn).filter((x): x is string => x !== null))];
}

/** A positive integer line (numbers or numeric strings), else null. */
function lineOf(o: unknown, key: string): number | null {
  const n = num(o, key);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
}

/** The fix version a list like `[{ "grpcio": "1.53.0" }, …]` gives for `pkg`. */
function fixVersionOf(list: unknown[], pkg: string | null): string | null {
  if (pkg === null) return null;
  for (const entry of list) {
    const v = str(entry, pkg);
    if (v !== null) return v;
  }
  return null;
}

class SemgrepReader {
  private readonly emit = new Emitter(SCANNER);
  private readonly report: AssetRef;

  constructor(private readonly ctx: ParseContext) {
    this.report = reportAsset(ctx);
  }

  reportAsset(out: ImportItem[]): void {
    this.emit.asset(out, this.report);
  }

  /** A `results[]` entry of `semgrep --json`. */
  result(r: JsonObject, record: string, out: ImportItem[]): void {
    const checkId = str(r, 'check_id');
    if (checkId === null) throw new ImportError(this.ctx.file, record, 'check_id', 'a result needs its check_id (a string)');
    const path = str(r, 'path');
    if (path === null) throw new ImportError(this.ctx.file, record, 'path', 'a result needs its path (a string)');
    const line = lineOf(rec(r, 'start'), 'line');
    const extra = rec(r, 'extra');
    const meta = rec(extra, 'metadata');
    const message = str(extra, 'message');
    const fingerprint = str(extra, 'fingerprint');
    const common = {
      ignored: extra?.is_ignored === true,
      fingerprint: fingerprint === 'requires login' ? null : fingerprint,
      rule: checkId,
      confidence: str(meta, 'confidence'),
      likelihood: str(meta, 'likelihood'),
      impact: str(meta, 'impact'),
      category: str(meta, 'category'),
      owasp: listOf(meta, 'owasp'),
    };
    const sca = rec(extra, 'sca_info');
    this.emit.asset(out, this.report);
    if (sca !== null) {
      this.supplyChainResult(r, record, checkId, path, line, sca, meta, common, out);
      return;
    }
    const id = toolRuleId(SCANNER, checkId);
    const lines = str(extra, 'lines');
    this.emit.vulnerability(out, id, () =>
      makeVulnerability({
        id,
        title: message,
        references: [...listOf(meta, 'references'), ...listOf(meta, 'source')],
        extra: { rule: checkId, source_rule_url: str(meta, 'source-rule-url') },
      }),
    );
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: this.report.id,
        vulnerability: id,
        location: `${path}:${line ?? ''}`,
        title: message,
        severity: semgrepSeverity(str(extra, 'severity')),
        cwe: cwesOf(meta?.cwe),
        file_path: path,
        line,
        extra: {
          ...common,
          fix: str(extra, 'fix'),
          fix_regex: rec(extra, 'fix_regex'),
          // a secrets rule's matched line is the secret itself: not kept; other lines are redacted
          lines: lines === 'requires login' || SECRET_RULE.test(`${checkId} ${JSON.stringify(meta ?? {})}`) ? null : redactSecrets(lines),
          end_line: lineOf(rec(r, 'end'), 'line'),
        },
      }),
    );
  }

  private supplyChainResult(
    r: JsonObject,
    record: string,
    checkId: string,
    path: string,
    line: number | null,
    sca: JsonObject,
    meta: JsonObject | null,
    common: Record<string, unknown>,
    out: ImportItem[],
  ): void {
    const match = rec(sca, 'dependency_match');
    const found = rec(match, 'found_dependency');
    const pkg = str(found, 'package') ?? str(rec(match, 'dependency_pattern'), 'package');
    if (pkg === null) throw new ImportError(this.ctx.file, record, 'extra.sca_info.dependency_match.found_dependency.package', 'a supply-chain result needs the package it matched');
    const advisory = str(meta, 'sca-vuln-database-identifier');
    const references = listOf(meta, 'references');
    const ids = primaryId(advisory ?? toolRuleId(SCANNER, checkId), [...ghsaIds(references), toolRuleId(SCANNER, checkId)]);
    const lockfile = str(found, 'lockfile_path') ?? str(match, 'lockfile');
    const reachable = typeof sca.reachable === 'boolean' ? sca.reachable : null;
    const extra = rec(r, 'extra');
    this.emit.vulnerability(out, ids.id, () =>
      makeVulnerability({
        id: ids.id,
        title: str(extra, 'message'),
        fix_available: arr(meta, 'sca-fix-versions').length > 0 ? true : null,
        references,
        extra: { rule: checkId, sca_kind: str(meta, 'sca-kind') },
      }),
    );
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: this.report.id,
        vulnerability: ids.id,
        aliases: ids.aliases,
        component: pkg,
        version: str(found, 'version'),
        location: lockfile ?? path,
        title: str(extra, 'message'),
        severity: semgrepSeverity(str(meta, 'sca-severity') ?? str(extra, 'severity')),
        cwe: cwesOf(meta?.cwe),
        file_path: lockfile ?? path,
        line: lockfile !== null ? lineOf(found, 'line_number') : line,
        fixed_version: fixVersionOf(arr(meta, 'sca-fix-versions'), pkg),
        extra: {
          ...common,
          ecosystem: str(found, 'ecosystem') ?? str(rec(match, 'dependency_pattern'), 'ecosystem'),
          vulnerable_range: str(rec(match, 'dependency_pattern'), 'semver_range'),
          transitivity: str(found, 'transitivity'),
          reachable,
          reachability_rule: typeof sca.reachability_rule === 'boolean' ? sca.reachability_rule : null,
          usage: reachable === true ? `${path}:${line ?? ''}` : null,
        },
      }),
    );
  }

  /** A `vulns[]` entry of the supply-chain API. */
  vuln(v: JsonObject, record: string, out: ImportItem[]): void {
    const advisory = rec(v, 'advisory');
    if (advisory === null) throw new ImportError(this.ctx.file, record, 'advisory', 'a vulnerability needs its advisory (an object)');
    const refs = rec(advisory, 'references');
    const cves = strings(refs, 'cveIds');
    const urls = strings(refs, 'urls');
    const rule = str(advisory, 'ruleId');
    const ruleId = rule === null ? null : toolRuleId(SCANNER, rule);
    const first = cves[0] ?? ghsaIds(urls)[0] ?? ruleId;
    if (first === undefined || first === null) {
      throw new ImportError(this.ctx.file, record, 'advisory.ruleId', 'a vulnerability needs a CVE, a GHSA advisory URL or its rule id');
    }
    const ids = primaryId(first, [...cves, ...ghsaIds(urls), ...(ruleId === null ? [] : [ruleId])]);
    const dep = rec(v, 'matchedDependency');
    const pkg = str(dep, 'name');
    const location = rec(v, 'dependencyFileLocation');
    const file = str(location, 'path');
    const repo = str(v, 'repositoryName');
    const asset = repo !== null ? repoAsset(repo) : this.report;
    const safe = rec(v, 'closestSafeDependency');
    const title = str(v, 'title') ?? str(advisory, 'title');
    this.emit.asset(out, asset);
    this.emit.vulnerability(out, ids.id, () =>
      makeVulnerability({
        id: ids.id,
        title,
        fix_available: arr(advisory, 'safeDependencies').length > 0 || safe !== null ? true : null,
        references: urls,
        extra: { description: str(advisory, 'description'), rule, announced_at: str(advisory, 'announcedAt') },
      }),
    );
    const triage = rec(v, 'triage');
    this.emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: ids.id,
        aliases: ids.aliases,
        component: pkg,
        version: str(dep, 'versionSpecifier'),
        location: file,
        title,
        severity: semgrepSeverity(str(advisory, 'severity')),
        cwe: cweIds(arr(refs, 'cweIds')),
        file_path: file,
        line: lineOf(location, 'startLine'),
        fixed_version: safe !== null && str(safe, 'name') === pkg ? str(safe, 'versionSpecifier') : null,
        first_seen: str(v, 'openedAt'),
        extra: {
          repository_id: str(v, 'repositoryId'),
          exposure: str(v, 'exposureType'),
          reachability_kind: str(advisory, 'reachability'),
          reachable_if: str(advisory, 'reachableIf'),
          transitivity: str(v, 'transitivity'),
          ecosystem: str(advisory, 'ecosystem'),
          triage: triage === null ? null : { status: str(triage, 'status'), dismiss_reason: str(triage, 'dismissReason') },
          usages: arr(v, 'usages').length,
        },
      }),
    );
  }
}

export const semgrepParser: Parser = {
  format: 'semgrep',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const reader = new SemgrepReader(ctx);
    const out: ImportItem[] = [];
    let apiEntries = 0;
    for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
      const record = formatJsonPath(m.path);
      if (m.pattern === 1) {
        yield { kind: 'skipped', record: { reason: 'Semgrep error entry (a file or rule it could not process)' } };
        continue;
      }
      const value = requireRecord(m.value, ctx, m.path);
      if (m.pattern === 0) reader.result(value, record, out);
      else {
        apiEntries++;
        reader.vuln(value, record, out);
      }
      yield* out.splice(0, out.length);
    }
    // A scan without results still names its asset, so a re-import resolves what it no longer lists.
    if (apiEntries === 0) reader.reportAsset(out);
    yield* out.splice(0, out.length);
  },
};
