/**
 * `npm audit --json` from npm 7 and later (`auditReportVersion: 2`), streamed package by package
 * (`vulnerabilities.*`). The npm 6 layout (`advisories`) is refused with an ImportError.
 *
 * One finding per (package, advisory): each object in a package's `via` is an advisory that
 * affects *that* package. Entries whose `via` only names other packages (a dependent that is
 * "vulnerable" because it pulls in a vulnerable dependency) are not findings of their own: the
 * advisory is already a finding on the dependency that has it. (DefectDojo counts one finding per
 * package entry, transitive ones included, with the package's highest severity.) An advisory
 * with neither its `source` nor a GHSA `url` is malformed and fails the import, naming it.
 *
 * - vulnerability: the GHSA id in the advisory URL (npm advisories are GitHub advisories), else
 *   `npm:<source>`; the npm advisory number is kept as the alias `npm:<source>`;
 * - severity and CWE of the advisory; CVSS from `cvss` when it has a vector or a non-zero score;
 * - version: npm audit does not report installed versions, so it is null (`extra.range` holds the
 *   vulnerable range, `extra.nodes` the install paths, `file_path` the first path);
 * - fixed_version: the version of `fixAvailable` when the fix is an upgrade of this package;
 *   otherwise the fix (e.g. "upgrade vercel to 32.3.0") is kept in `extra.fix`.
 *
 * Asset: the report does not name the project it audited, so it is `report:<file name>`.
 */
import type { Cvss } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { cvssOf } from './cvss.js';
import {
  Emitter,
  arr,
  cweIds,
  ghsaIn,
  makeFinding,
  makeVulnerability,
  num,
  rec,
  reportAsset,
  requireRecord,
  severityWord,
  str,
  strings,
} from './common.js';
import { isObject, type JsonObject } from '../record-fields.js';

const SCANNER = 'npm-audit';
const PATTERNS: PathPattern[] = [['vulnerabilities', '*'], ['advisories'], ['auditReportVersion']];
/** npm audit v2 (`auditReportVersion`, a `vulnerabilities` object) or v1 (an `advisories` object). */
const STRUCTURE: Structure = {
  what: 'an npm audit report',
  expected: 'top-level `auditReportVersion`, `vulnerabilities` object or `advisories` object',
  anchors: [{ path: ['auditReportVersion'], type: 'any' }, { path: ['vulnerabilities'], type: 'object' }, { path: ['advisories'], type: 'object' }],
};

function advisoryCvss(via: JsonObject): Cvss | null {
  const c = rec(via, 'cvss');
  const vector = str(c, 'vectorString');
  const score = num(c, 'score');
  if (vector === null && (score === null || score === 0)) return null;
  return cvssOf(vector, score);
}

export const npmAuditParser: Parser = {
  format: 'npm-audit',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const asset = reportAsset(ctx);
    const out: ImportItem[] = [];
    emit.asset(out, asset);
    yield* out.splice(0, out.length);
    for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
      if (m.pattern === 1) {
        throw new ImportError(ctx.file, null, 'advisories', 'npm 6 audit report (`advisories`) is not supported: run npm 7 or later (`npm audit --json`)');
      }
      if (m.pattern === 2) {
        if (m.value !== 2) throw new ImportError(ctx.file, null, 'auditReportVersion', `unsupported auditReportVersion ${JSON.stringify(m.value)}; expected 2`);
        continue;
      }
      const entry = requireRecord(m.value, ctx, m.path);
      const pkg = str(entry, 'name') ?? (typeof m.path[1] === 'string' ? m.path[1] : null);
      const nodes = strings(entry, 'nodes');
      const fix = entry.fixAvailable;
      const fixPkg = isObject(fix) ? str(fix, 'name') : null;
      const fixVersion = isObject(fix) ? str(fix, 'version') : null;
      for (const [i, value] of arr(entry, 'via').entries()) {
        // A string names the dependency that brings the advisory in; anything else must be one.
        if (typeof value === 'string') continue;
        const via = requireRecord(value, ctx, [...m.path, 'via', i]);
        const source = str(via, 'source');
        const url = str(via, 'url');
        const ghsa = url === null ? null : ghsaIn(url);
        const npmId = source === null ? null : `npm:${source}`;
        const id = ghsa ?? npmId;
        if (id === null) throw new ImportError(ctx.file, formatJsonPath([...m.path, 'via', i]), 'source', 'an advisory needs its source (or a GHSA url)');
        const component = str(via, 'name') ?? pkg;
        emit.vulnerability(out, id, () =>
          makeVulnerability({
            id,
            cvss: advisoryCvss(via),
            fix_available: fix === false ? false : fix === undefined ? null : true,
            title: str(via, 'title'),
            references: url === null ? [] : [url],
            extra: { vulnerable_range: str(via, 'range') },
          }),
        );
        emit.finding(
          out,
          makeFinding({
            scanner: SCANNER,
            asset: asset.id,
            vulnerability: id,
            aliases: npmId !== null && npmId !== id ? [npmId] : [],
            component,
            version: null,
            location: nodes[0] ?? null,
            title: str(via, 'title'),
            severity: severityWord(str(via, 'severity')),
            cwe: cweIds(arr(via, 'cwe')),
            file_path: nodes[0] ?? null,
            fixed_version: fixPkg !== null && fixPkg === component ? fixVersion : null,
            extra: {
              range: str(via, 'range') ?? str(entry, 'range'),
              nodes,
              direct: entry.isDirect === true,
              fix: isObject(fix) ? `${fixPkg ?? '?'}@${fixVersion ?? '?'}${fix.isSemVerMajor === true ? ' (semver-major)' : ''}` : fix === true ? 'npm audit fix' : null,
            },
          }),
        );
      }
      if (out.length > 0) yield* out.splice(0, out.length);
    }
  },
};
