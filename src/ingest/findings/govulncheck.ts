/**
 * govulncheck JSON (`govulncheck -json`), in its three layouts, streamed:
 *
 * - the current one (govulncheck 1.0+): a sequence of concatenated, pretty-printed JSON objects,
 *   each one message: `{"config":…}`, `{"progress":…}`, `{"SBOM":…}`, `{"osv":{…}}` (an OSV
 *   record) and `{"finding":{"osv":id,"fixed_version":…,"trace":[…]}}`;
 * - the same messages written as the members of one JSON array;
 * - the old one (govulncheck 0.x): a single object with `Calls`, `Imports`, `Requires`, `Vulns[]`
 *   (each with its `OSV` record, `ModPath`, `PkgPath`, `Symbol`, `CallSink`, `RequireSink`) and
 *   `Modules`.
 *
 * One finding per (OSV id, vulnerable module). govulncheck reports a vulnerability at up to three
 * levels: the module is required, a vulnerable package is imported, a vulnerable symbol is called
 * (a trace from the user's code to the symbol; the old layout's non-zero `CallSink`). The levels of
 * one OSV id and module are one finding, at the highest level seen. An OSV record with no finding
 * is not a finding (govulncheck lists every record it consulted).
 *
 * - vulnerability: the lowest CVE among the OSV aliases, else the GO id (`primaryId`); the GO id
 *   and the GHSA are aliases. Title: the OSV summary, else the GO id. References: the OSV
 *   references and the `database_specific.url`. The Go database has no CVSS.
 * - component / version: the vulnerable module (`stdlib` for the standard library) and the version
 *   in use (trace[0].version; the old layout's `Requires.Modules[RequireSink].Version`).
 * - severity: the OSV record's `severity` or `database_specific.severity` when a custom database
 *   sets one; else unknown (null): the Go database gives none.
 * - fixed_version: the finding's `fixed_version` (govulncheck's pick of the fixing release for the
 *   version in use, `v`-prefixed as Go module versions are); the old layout: the first `fixed`
 *   event of the OSV range. `fix_available` when there is one.
 * - reachability: `reachable` when a vulnerable symbol is called (govulncheck's call graph
 *   analysis of the code found a path from the user's code to it); otherwise unknown. `extra.called`
 *   is true, false (symbol-level scan, not called) or null (the scan did not look at symbols);
 *   `extra.level` is `symbol`, `package` or `module`; `extra.traces` keeps up to
 *   10 traces as `package.function (file:line)` steps from the vulnerable symbol to the user's code.
 * - file_path / line: for a called symbol, the user's call site (the last trace step with a
 *   position); the vulnerable package goes to `extra.package`.
 * - check: null (a source analysis, not a network or host check).
 *
 * Asset: the main module, `repo:<module path>` (the current layout's `SBOM` message: its first
 * module; the old layout: the module in `Requires.Modules` or `Modules` that is not `stdlib` and has
 * no version, which is how govulncheck writes the main module); `report:<file>` when the report does not name it.
 *
 * `config` and `progress` messages are not findings and not counted as skipped; the scanner and
 * database (config) are kept in every finding's `extra.scanner`. Findings are grouped before they
 * are emitted, so memory grows with the number of distinct (OSV id, module) pairs, never with the
 * traces or the call graph (the old layout's `Calls` and `Imports` are skipped unread).
 */
import { ImportError } from '../../errors.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { formatJsonPath, streamJson, type PathPattern } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { Emitter, arr, compareLoose, makeFinding, makeVulnerability, num, primaryId, rec, repoAsset, reportAsset, requireRecord, severityWord, str, strings } from './common.js';

const SCANNER = 'govulncheck';
const MAX_TRACES = 10;

// 0–2: a message of the sequence; 3–5: a message inside an array; 6–8: the old layout (`Vulns`,
// `Requires.Modules`, `Modules`); 9–10: the SBOM message; 11–12: progress (only to recognise the report).
const PATTERNS: PathPattern[] = [
  ['*', 'config'],
  ['*', 'osv'],
  ['*', 'finding'],
  ['*', '*', 'config'],
  ['*', '*', 'osv'],
  ['*', '*', 'finding'],
  ['*', 'Vulns', '*'],
  ['*', 'Requires', 'Modules', '*'],
  ['*', 'Modules', '*'],
  ['*', 'SBOM'],
  ['*', '*', 'SBOM'],
  ['*', 'progress'],
  ['*', '*', 'progress'],
];

const KIND: Record<number, 'config' | 'osv' | 'finding' | 'vuln' | 'module' | 'sbom' | 'progress'> = {
  0: 'config',
  1: 'osv',
  2: 'finding',
  3: 'config',
  4: 'osv',
  5: 'finding',
  6: 'vuln',
  7: 'module',
  8: 'module',
  9: 'sbom',
  10: 'sbom',
  11: 'progress',
  12: 'progress',
};

type Level = 'module' | 'package' | 'symbol';
const RANK: Record<Level, number> = { module: 1, package: 2, symbol: 3 };

/** What a finding needs of an OSV record (the record itself is not kept). */
interface OsvFacts {
  id: string;
  aliases: string[];
  summary: string | null;
  details: string | null;
  severity: string | null;
  references: string[];
  /** The `fixed` events of the SEMVER ranges, with the `introduced` before each. */
  fixes: { introduced: string | null; fixed: string }[];
  published: string | null;
  modified: string | null;
}

interface Group {
  osv: string;
  module: string;
  version: string | null;
  packages: string[];
  level: Level;
  fixed: string | null;
  traces: string[][];
  callSite: { file: string; line: number | null } | null;
}

function osvFacts(v: JsonObject, ctx: ParseContext, path: readonly (string | number)[]): OsvFacts {
  const id = str(v, 'id');
  if (id === null) throw new ImportError(ctx.file, formatJsonPath(path), 'id', 'an OSV record needs its id (a string)');
  const db = rec(v, 'database_specific');
  const affected = arr(v, 'affected');
  const fixes: OsvFacts['fixes'] = [];
  for (const a of affected) {
    for (const r of arr(a, 'ranges')) {
      let introduced: string | null = null;
      for (const e of arr(r, 'events')) {
        introduced = str(e, 'introduced') ?? introduced;
        const fixed = str(e, 'fixed');
        if (fixed !== null) fixes.push({ introduced, fixed });
      }
    }
  }
  const refs = arr(v, 'references')
    .map((r) => str(r, 'url'))
    .filter((u): u is string => u !== null);
  const dbUrl = str(db, 'url') ?? str(rec(affected.find(isObject) ?? null, 'database_specific'), 'url');
  return {
    id,
    aliases: strings(v, 'aliases'),
    summary: str(v, 'summary'),
    details: str(v, 'details'),
    severity: str(v, 'severity') ?? str(db, 'severity'),
    references: dbUrl === null ? refs : [...refs, dbUrl],
    fixes,
    published: str(v, 'published'),
    modified: str(v, 'modified'),
  };
}

/** One step of a trace as text: `package.Receiver.function (file:line)`. */
function traceStep(step: unknown): string {
  const symbol = [str(step, 'package') ?? str(step, 'module'), str(step, 'receiver'), str(step, 'function')].filter((p) => p !== null).join('.');
  const pos = rec(step, 'position');
  const file = str(pos, 'filename');
  return file === null ? symbol : `${symbol} (${file}:${str(pos, 'line') ?? ''})`;
}

/** Go versions are `v1.2.3`, the Go database's ranges `1.2.3`. */
const bare = (v: string): string => v.replace(/^v/, '');

/** The fix of the range holding `version` (the old layout gives no fixed version), else the first fix. */
function fixedFor(osv: OsvFacts | null, version: string | null): string | null {
  if (osv === null) return null;
  if (version !== null) {
    for (const r of osv.fixes) {
      const from = r.introduced === null || r.introduced === '0' || compareLoose(bare(version), bare(r.introduced)) >= 0;
      if (from && compareLoose(bare(version), bare(r.fixed)) < 0) return r.fixed;
    }
  }
  return osv.fixes[0]?.fixed ?? null;
}

function levelOf(sink: unknown): Level {
  if (str(sink, 'function') !== null) return 'symbol';
  if (str(sink, 'package') !== null) return 'package';
  return 'module';
}

function addToGroup(groups: Map<string, Group>, g: Omit<Group, 'packages' | 'traces' | 'callSite'> & { pkg: string | null; trace: string[] | null; callSite: Group['callSite'] }): void {
  const key = JSON.stringify([g.osv, g.module]);
  let group = groups.get(key);
  if (group === undefined) {
    group = { osv: g.osv, module: g.module, version: g.version, packages: [], level: g.level, fixed: g.fixed, traces: [], callSite: null };
    groups.set(key, group);
  }
  if (RANK[g.level] > RANK[group.level]) group.level = g.level;
  group.version ??= g.version;
  group.fixed ??= g.fixed;
  group.callSite ??= g.callSite;
  if (g.pkg !== null && !group.packages.includes(g.pkg)) group.packages.push(g.pkg);
  if (g.trace !== null && group.traces.length < MAX_TRACES) group.traces.push(g.trace);
}

/** A current-layout `finding` message into its group. */
function readFinding(value: unknown, path: readonly (string | number)[], groups: Map<string, Group>, ctx: ParseContext): void {
  const f = requireRecord(value, ctx, path);
  const osv = str(f, 'osv');
  if (osv === null) throw new ImportError(ctx.file, formatJsonPath(path), 'osv', 'a finding needs the id of its OSV record (a string)');
  const trace = arr(f, 'trace');
  const sink = trace[0];
  if (!isObject(sink)) throw new ImportError(ctx.file, formatJsonPath(path), 'trace', 'a finding needs a trace whose first step is an object');
  const module = str(sink, 'module');
  if (module === null) throw new ImportError(ctx.file, formatJsonPath([...path, 'trace', 0]), 'module', 'the first step of a trace needs its module');
  const level = levelOf(sink);
  let callSite: Group['callSite'] = null;
  if (level === 'symbol') {
    for (let i = trace.length - 1; i >= 0 && callSite === null; i--) {
      const pos = rec(trace[i], 'position');
      const file = str(pos, 'filename');
      if (file !== null) callSite = { file, line: num(pos, 'line') };
    }
  }
  addToGroup(groups, {
    osv,
    module,
    version: str(sink, 'version'),
    pkg: str(sink, 'package'),
    level,
    fixed: str(f, 'fixed_version'),
    trace: level === 'symbol' ? trace.map(traceStep) : null,
    callSite,
  });
}

/** An old-layout `Vulns[]` entry into its group; its OSV record is remembered by id. */
function readOldVuln(value: unknown, path: readonly (string | number)[], groups: Map<string, Group>, osvs: Map<string, OsvFacts>, requireSinks: Map<string, number>, ctx: ParseContext): void {
  const v = requireRecord(value, ctx, path);
  const osvRecord = rec(v, 'OSV');
  if (osvRecord === null) throw new ImportError(ctx.file, formatJsonPath(path), 'OSV', 'a Vulns entry needs its OSV record (an object)');
  const facts = osvFacts(osvRecord, ctx, [...path, 'OSV']);
  if (!osvs.has(facts.id)) osvs.set(facts.id, facts);
  const module = str(v, 'ModPath') ?? str(rec(arr(osvRecord, 'affected').find(isObject) ?? null, 'package'), 'name');
  if (module === null) throw new ImportError(ctx.file, formatJsonPath(path), 'ModPath', 'a Vulns entry needs its module path');
  const called = (num(v, 'CallSink') ?? 0) > 0;
  const imported = (num(v, 'ImportSink') ?? 0) > 0;
  const symbol = str(v, 'Symbol');
  const pkg = str(v, 'PkgPath');
  const sink = num(v, 'RequireSink');
  const key = JSON.stringify([facts.id, module]);
  if (sink !== null && !requireSinks.has(key)) requireSinks.set(key, sink);
  addToGroup(groups, {
    osv: facts.id,
    module,
    version: null,
    pkg,
    level: called ? 'symbol' : imported ? 'package' : 'module',
    fixed: null,
    trace: called && symbol !== null ? [[pkg, symbol].filter((p) => p !== null).join('.')] : null,
    callSite: null,
  });
}

export const govulncheckParser: Parser = {
  format: 'govulncheck',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const osvs = new Map<string, OsvFacts>();
    const groups = new Map<string, Group>();
    const modules = new Map<number, { path: string | null; version: string | null }>();
    const requireSinks = new Map<string, number>();
    let mainModule: string | null = null;
    /** The old layout's main module: the first module that is not `stdlib` and has no version. */
    let oldMain: string | null = null;
    let scanner: Record<string, unknown> | null = null;
    let scanLevel: string | null = null;
    let recognised = false;
    for await (const m of streamJson(source, PATTERNS, ctx, { sequence: true, allowEmpty: true, reportScalars: true })) {
      const inArray = typeof m.path[1] === 'number';
      if (m.pattern === -1) {
        if (m.path.length === 2 && m.path[1] === 'Vulns' && m.value === null) recognised = true;
        else if (m.path.length === 1 || (m.path.length === 2 && inArray)) {
          throw new ImportError(ctx.file, formatJsonPath(m.path), null, `expected a govulncheck message (a JSON object), got ${typeof m.value === 'string' ? m.value : 'null'}`);
        }
        continue;
      }
      const kind = KIND[m.pattern];
      // `[*, *, x]` reads messages inside an array only, not keys two levels into an object.
      if (m.pattern >= 3 && m.pattern <= 5 && !inArray) continue;
      if ((m.pattern === 10 || m.pattern === 12) && !inArray) continue;
      recognised = true;
      switch (kind) {
        case 'config': {
          const c = requireRecord(m.value, ctx, m.path);
          scanner = { name: str(c, 'scanner_name'), version: str(c, 'scanner_version'), db: str(c, 'db'), db_last_modified: str(c, 'db_last_modified'), go_version: str(c, 'go_version') };
          scanLevel = str(c, 'scan_level');
          break;
        }
        case 'sbom':
          mainModule ??= str(arr(m.value, 'modules').find(isObject) ?? null, 'path');
          break;
        case 'osv': {
          const facts = osvFacts(requireRecord(m.value, ctx, m.path), ctx, m.path);
          osvs.set(facts.id, facts);
          break;
        }
        case 'finding':
          readFinding(m.value, m.path, groups, ctx);
          break;
        case 'vuln':
          readOldVuln(m.value, m.path, groups, osvs, requireSinks, ctx);
          scanLevel = 'symbol';
          break;
        case 'module': {
          const mod = requireRecord(m.value, ctx, m.path);
          const path = str(mod, 'Path');
          const version = str(mod, 'Version');
          if (m.pattern === 7) modules.set(num(mod, 'ID') ?? Number(m.path[m.path.length - 1]), { path, version });
          if (path !== null && path !== 'stdlib' && version === null) oldMain ??= path;
          break;
        }
        default:
          break;
      }
    }
    if (!recognised) {
      const hint = ctx.hint === undefined ? '' : `; ${ctx.hint}`;
      throw new ImportError(ctx.file, null, null, `not a govulncheck report: no \`config\`, \`osv\` or \`finding\` message and no \`Vulns\`${hint}`);
    }
    mainModule ??= oldMain;
    const asset: AssetRef = mainModule === null ? reportAsset(ctx) : repoAsset(mainModule);
    const out: ImportItem[] = [];
    emit.asset(out, asset);
    for (const [key, g] of groups) {
      const sink = requireSinks.get(key);
      const version = g.version ?? (sink === undefined ? null : (modules.get(sink)?.version ?? null));
      const osv = osvs.get(g.osv) ?? null;
      const ids = primaryId(g.osv, osv?.aliases ?? []);
      const fixed = g.fixed ?? fixedFor(osv, version);
      emit.vulnerability(out, ids.id, () =>
        makeVulnerability({
          id: ids.id,
          fix_available: fixed !== null ? true : null,
          title: osv?.summary ?? g.osv,
          references: osv?.references ?? [],
          extra: { details: osv?.details ?? null, published: osv?.published ?? null, modified: osv?.modified ?? null },
        }),
      );
      const called = g.level === 'symbol' ? true : scanLevel === 'symbol' ? false : null;
      emit.finding(
        out,
        makeFinding({
          scanner: SCANNER,
          asset: asset.id,
          vulnerability: ids.id,
          aliases: ids.aliases,
          component: g.module,
          version,
          title: osv?.summary ?? g.osv,
          severity: severityWord(osv?.severity ?? null),
          file_path: g.callSite?.file ?? null,
          line: g.callSite?.line ?? null,
          fixed_version: fixed,
          reachability: called === true ? 'reachable' : 'unknown',
          extra: { osv_id: g.osv, called, level: g.level, package: g.packages[0] ?? null, packages: g.packages, traces: g.traces, scanner },
        }),
      );
      yield* out.splice(0, out.length);
    }
    yield* out.splice(0, out.length);
  },
};
