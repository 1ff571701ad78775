/**
 * SARIF 2.1.0 (any tool: CodeQL, Semgrep, flawfinder, gitleaks, Grype/Trivy/Dockle, …), streamed
 * result by result (`runs[*].results[*]`).
 *
 * - Only results of kind `fail` (the default) are findings; `pass`, `notApplicable`, `informational`,
 *   `open` and `review` are not, and neither are results whose `baselineState` is `absent` (gone).
 * - vulnerability: a CVE found in the rule id (scanners such as Grype name rules
 *   `CVE-…-<package>`), else `<tool>:<ruleId>` (rule ids only mean something inside one tool); the
 *   raw rule id is kept as an alias. A result without any rule is keyed by its message (gitleaks
 *   writes no rule id); a result with neither a rule nor a message (which SARIF requires) is
 *   malformed and fails the import, naming the result.
 * - severity: the rule's (or result's) `security-severity` score when given (GitHub convention),
 *   else the result `level`, else the rule's default level, else SARIF's default `warning`:
 *   error → high, warning → medium, note/none → info.
 * - location (part of the fingerprint): `uri:startLine:startColumn`, else the logical location,
 *   else the message. Tools' own `fingerprints`/`partialFingerprints` are kept in `extra` but not
 *   used: they hash the code context, so identical lines in one file share them (flawfinder).
 *   Exact repeats of a result (same rule and location) collapse into one finding.
 * - fixes (`result.fixes[].description`) go to `extra.fix`; suppressions to `extra.suppressions`
 *   (they do not change `validation`: a suppression may mean accepted risk as well as a false
 *   positive).
 *
 * Asset: `repo:<repositoryUri>` from `versionControlProvenance` when it precedes the results,
 * else the report file (`report:<name>`). The scanner (and scan key) is the tool's driver name.
 * Results that come before their run's `tool` wait in a bounded buffer until it arrives.
 */
import type { Cvss, FindingSeverity } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { formatJsonPath, streamJson, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { cvssOf, severityFromScore } from './cvss.js';
import {
  DeferredQueue,
  Emitter,
  arr,
  cweIds,
  makeFinding,
  makeVulnerability,
  num,
  rec,
  repoAsset,
  reportAsset,
  requireRecord,
  str,
  strings,
  toolRuleId,
  toolSlug,
} from './common.js';
import { isObject, type JsonObject } from '../record-fields.js';

/** A SARIF log has its `runs` array (SARIF 2.1.0 §3.13.4). */
const STRUCTURE: Structure = { what: 'a SARIF log', expected: 'top-level `runs` array', anchors: [{ path: ['runs'], type: 'array' }] };

const PATTERNS: PathPattern[] = [
  ['runs', '*', 'tool'],
  ['runs', '*', 'results', '*'],
  ['runs', '*', 'versionControlProvenance'],
];

interface Tool {
  slug: string;
  name: string;
  byId: Map<string, JsonObject>;
  byIndex: JsonObject[];
}

interface RunState {
  index: number;
  tool: Tool | null;
  asset: AssetRef | null;
  deferred: DeferredQueue | null;
}

const CVE_IN = /CVE-\d{4}-\d{4,}/i;

function readTool(v: unknown): Tool {
  const driver = rec(v, 'driver');
  const name = str(driver, 'name') ?? 'sarif';
  const byId = new Map<string, JsonObject>();
  const byIndex = arr(driver, 'rules').filter(isObject);
  const add = (rules: JsonObject[]): void => {
    for (const r of rules) {
      const id = str(r, 'id');
      if (id !== null && !byId.has(id)) byId.set(id, r);
    }
  };
  add(byIndex);
  for (const ext of arr(v, 'extensions')) add(arr(ext, 'rules').filter(isObject));
  return { slug: toolSlug(name), name, byId, byIndex };
}

/** Resolves a multiformat message: `text`, or a rule `messageStrings` template with arguments. */
function messageText(msg: unknown, rule: JsonObject | null): string | null {
  const text = str(msg, 'text');
  if (text !== null) return text;
  const id = str(msg, 'id');
  if (id === null || rule === null) return null;
  const template = str(rec(rec(rule, 'messageStrings'), id), 'text');
  if (template === null) return null;
  const args = arr(msg, 'arguments').map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
  return template.replace(/\{(\d+)\}/g, (whole, n: string) => args[Number(n)] ?? whole);
}

function levelSeverity(level: string | null): FindingSeverity {
  if (level === 'error') return 'high';
  if (level === 'note' || level === 'none') return 'info';
  return 'medium';
}

/** `security-severity` (a CVSS-like score as a string or number) from a properties bag. */
function securitySeverity(o: unknown): number | null {
  const n = num(rec(o, 'properties'), 'security-severity');
  return n !== null && n >= 0 && n <= 10 ? n : null;
}

function ruleCwes(rule: JsonObject | null, result: JsonObject): string[] {
  const values: unknown[] = [];
  for (const rel of arr(rule, 'relationships')) values.push(str(rec(rel, 'target'), 'id'));
  for (const tag of strings(rec(rule, 'properties'), 'tags')) {
    const m = /cwe[-/](\d+)/i.exec(tag);
    if (m !== null) values.push(m[1]);
  }
  const props = rec(result, 'properties');
  const fromResult = props === null ? undefined : props.cwe;
  if (typeof fromResult === 'string' || typeof fromResult === 'number') values.push(fromResult);
  if (Array.isArray(fromResult)) values.push(...(fromResult as unknown[]));
  return cweIds(values.filter((v) => v !== null && v !== undefined));
}

class SarifReader {
  private readonly emitters = new Map<string, Emitter>();
  private run: RunState = { index: -1, tool: null, asset: null, deferred: null };

  constructor(private readonly ctx: ParseContext) {}

  private emitter(slug: string): Emitter {
    let e = this.emitters.get(slug);
    if (e === undefined) {
      e = new Emitter(slug);
      this.emitters.set(slug, e);
    }
    return e;
  }

  /** Switches to run `index`, finishing the previous one. */
  async *enter(index: number): AsyncGenerator<ImportItem> {
    if (this.run.index === index) return;
    yield* this.finishRun();
    this.run = { index, tool: null, asset: null, deferred: null };
  }

  async *finishRun(): AsyncGenerator<ImportItem> {
    const run = this.run;
    if (run.tool === null && run.deferred !== null) run.tool = readTool({ driver: { name: 'sarif' } });
    yield* this.flush();
  }

  private async *flush(): AsyncGenerator<ImportItem> {
    const run = this.run;
    const deferred = run.deferred;
    if (deferred === null || run.tool === null) return;
    run.deferred = null;
    for await (const entry of deferred.drain()) {
      const r = rec(entry, 'result');
      if (r !== null) yield* this.result(r, str(entry, 'record') ?? '$.runs');
    }
  }

  async *tool(value: unknown): AsyncGenerator<ImportItem> {
    this.run.tool = readTool(value);
    yield* this.flush();
  }

  provenance(value: unknown): void {
    const list = Array.isArray(value) ? value : [];
    const uri = list.map((p) => str(p, 'repositoryUri')).find((u) => u !== null);
    if (uri !== undefined && uri !== null && this.run.asset === null) this.run.asset = repoAsset(uri);
  }

  /** Drops anything still buffered (on error or early exit). */
  async dispose(): Promise<void> {
    await this.run.deferred?.dispose();
  }

  async *resultOrDefer(r: JsonObject, record: string): AsyncGenerator<ImportItem> {
    if (this.run.tool === null) {
      this.run.deferred ??= new DeferredQueue();
      await this.run.deferred.push({ record, result: r });
      return;
    }
    yield* this.result(r, record);
  }

  private *result(r: JsonObject, record: string): Generator<ImportItem> {
    const tool = this.run.tool;
    if (tool === null) return;
    const kind = str(r, 'kind') ?? 'fail';
    if (kind !== 'fail') {
      yield { kind: 'skipped', record: { reason: `result of kind ${kind}` } };
      return;
    }
    if (str(r, 'baselineState') === 'absent') {
      yield { kind: 'skipped', record: { reason: 'result with baselineState absent' } };
      return;
    }
    const ruleRef = rec(r, 'rule');
    const ruleIndex = num(r, 'ruleIndex') ?? num(ruleRef, 'index');
    const ruleId = str(r, 'ruleId') ?? str(ruleRef, 'id') ?? (ruleIndex === null ? null : str(tool.byIndex[ruleIndex], 'id'));
    const rule = (ruleId === null ? undefined : tool.byId.get(ruleId)) ?? (ruleIndex === null ? undefined : tool.byIndex[ruleIndex]) ?? null;
    const message =
      messageText(rec(r, 'message'), rule) ??
      messageText(rec(rule, 'shortDescription'), rule) ??
      messageText(rec(rule, 'fullDescription'), rule) ??
      str(rule, 'name') ??
      ruleId;
    if (ruleId === null && message === null) {
      throw new ImportError(this.ctx.file, record, 'message', 'a result needs its message (SARIF requires it) when it names no rule');
    }

    const cve = ruleId === null ? null : CVE_IN.exec(ruleId)?.[0]?.toUpperCase() ?? null;
    const vulnId =
      cve ?? (ruleId !== null ? toolRuleId(tool.slug, ruleId) : toolRuleId(tool.slug, toolSlug(message ?? 'unknown')));
    const aliases = ruleId !== null && ruleId !== vulnId ? [ruleId] : [];

    const score = securitySeverity(rule) ?? securitySeverity(r);
    const level = str(r, 'level') ?? str(rec(rule, 'defaultConfiguration'), 'level');
    const severity = score !== null ? severityFromScore(score) : levelSeverity(level);
    const cvss: Cvss | null = score === null ? null : cvssOf(null, score, '3.x');

    const loc = arr(r, 'locations')[0];
    const physical = rec(loc, 'physicalLocation');
    const uri = str(rec(physical, 'artifactLocation'), 'uri');
    const region = rec(physical, 'region');
    const line = num(region, 'startLine');
    const column = num(region, 'startColumn');
    const logical = str(arr(loc, 'logicalLocations')[0], 'fullyQualifiedName');
    const fingerprints = rec(r, 'fingerprints');
    const location = uri !== null ? `${uri}:${line ?? ''}:${column ?? ''}` : logical ?? `message:${message ?? ''}`;

    // Package scanners that emit SARIF (Grype, Trivy) describe the package in the rule's help.
    const help = str(rec(rule, 'help'), 'text') ?? '';
    const component = /^Package:\s*(.+)$/m.exec(help)?.[1]?.trim() ?? null;
    const version = /^(?:Installed )?Version:\s*(.+)$/m.exec(help)?.[1]?.trim() ?? null;
    const fixed = /^Fix(?:ed)? Version:\s*(.+)$/m.exec(help)?.[1]?.trim() ?? null;

    const asset = this.run.asset ?? reportAsset(this.ctx);
    const emit = this.emitter(tool.slug);
    const out: ImportItem[] = [];
    emit.asset(out, asset);
    const helpUri = str(rule, 'helpUri');
    emit.vulnerability(out, vulnId, () =>
      makeVulnerability({
        id: vulnId,
        cvss,
        title: messageText(rec(rule, 'shortDescription'), rule) ?? str(rule, 'name') ?? message,
        references: helpUri === null ? [] : [helpUri],
        extra: { full_description: messageText(rec(rule, 'fullDescription'), rule), tool: tool.name },
      }),
    );
    const fixes = arr(r, 'fixes')
      .map((f) => messageText(rec(f, 'description'), rule))
      .filter((t): t is string => t !== null);
    const suppressions = arr(r, 'suppressions').filter(isObject);
    emit.finding(
      out,
      makeFinding({
        scanner: tool.slug,
        asset: asset.id,
        vulnerability: vulnId,
        aliases,
        component,
        version: component === null ? null : version,
        location,
        // A title is one line: SARIF messages may span lines (the full text stays in the rule).
        title: message === null ? null : message.replace(/\s+/g, ' ').trim(),
        severity,
        cwe: ruleCwes(rule, r),
        file_path: uri,
        line,
        fixed_version: component === null || fixed === null || /^(unknown|none|)$/i.test(fixed) ? null : fixed,
        extra: {
          rule_id: ruleId,
          level,
          column,
          logical_location: logical,
          fix: fixes.length > 0 ? fixes.join('\n') : null,
          suppressions: suppressions.length > 0 ? suppressions : null,
          fingerprints,
          partial_fingerprints: rec(r, 'partialFingerprints'),
          baseline_state: str(r, 'baselineState'),
          tool: tool.name,
        },
      }),
    );
    yield* out;
  }
}

export const sarifParser: Parser = {
  format: 'sarif',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const reader = new SarifReader(ctx);
    try {
      for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE })) {
        const runIndex = typeof m.path[1] === 'number' ? m.path[1] : 0;
        yield* reader.enter(runIndex);
        if (m.pattern === 0) yield* reader.tool(m.value);
        else if (m.pattern === 2) reader.provenance(m.value);
        else yield* reader.resultOrDefer(requireRecord(m.value, ctx, m.path), formatJsonPath(m.path));
      }
      yield* reader.finishRun();
    } finally {
      await reader.dispose();
    }
  },
};
