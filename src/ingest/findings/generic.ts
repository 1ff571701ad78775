/**
 * DefectDojo's "Generic Findings Import", in both its layouts, streamed:
 *
 * - JSON: `{"findings": [{title, severity, description, …}], "name"?, "type"?, …}`, read finding by
 *   finding (`findings[*]`; the other top-level keys are not read);
 * - CSV: a header line (`Date,Title,CweId,Url,Severity,Description,Mitigation,Impact,References,
 *   Active,Verified,FalsePositive,Duplicate` and optional `IsMitigated`, `MitigatedDate`, `CVE`,
 *   `Vulnerability Id`, `CweIds`, `CVSSV3`, `CVSSV4`, `CVSSV4_score`, `epss_score`,
 *   `epss_percentile`, `fix_available`, `fix_version`, `known_exploited`, `kev_date`, …), one row
 *   per finding.
 *
 * Column and key names are matched without regard to case, spaces and underscores, so the JSON
 * keys and the CSV columns are one vocabulary (`false_p` = `FalsePositive`, `file_path` =
 * `filePath`, `component_name` = `component`, `vulnerability_ids` = `Vulnerability Id`).
 *
 * One finding per entry and endpoint host. Entries that are the same finding (same host,
 * vulnerability, component, version and `unique_id_from_tool`, or file and line) are one finding;
 * DefectDojo's CSV import merges them the same way.
 *
 * - asset: each endpoint's host (`endpoints` of URLs, bare hosts or `{host, port, protocol,
 *   path}` objects; the CSV `Url`) by `urlHostAsset`/`networkHostAsset`; an entry without one
 *   belongs to `report:<file>`. The endpoints of a host are kept in `extra.endpoints`; an explicit
 *   port goes to `extra.port`, the URL scheme (DefectDojo's endpoint "protocol") to `extra.service`.
 * - vulnerability: `cve` and `vulnerability_ids` by `primaryId` (CVE preferred, the other ids and
 *   `vuln_id_from_tool` become aliases); else `generic:<vuln_id_from_tool>`; else
 *   `generic:<title slug>` (`SQL Injection in /login` → `generic:sql-injection-in-login`).
 * - title, severity (the word, lower-cased; anything else is unknown), `cwe`/`cwes`, `file_path`,
 *   `line`, `component_name`/`component_version`; a `line` that is not a number is dropped, as
 *   DefectDojo does.
 * - CVSS: `cvssv3` (vector) with `cvssv3_score`, else `cvssv4` with `cvssv4_score`.
 * - fixed_version: `fix_version` when it reads as a version (one token with a digit), else the text
 *   goes to `extra.fix`; `fix_available` sets the vulnerability's.
 * - EPSS: `epss_score` and `epss_percentile` (both needed) as the vulnerability's EPSS.
 * - exploit: `known_exploited` sets exploitation `active` (with `kev_date` and `ransomware_used`
 *   in the vulnerability's `extra.exploit`).
 * - first_seen: `date` (ISO 8601, or `dd/mm/yyyy` and `mm/dd/yyyy`: day first when the first number
 *   is over 12, else month first, as DefectDojo reads it).
 * - validation: `false_p` → `false_positive`; `active: false` → `not_affected` (whoever produced
 *   the report closed it); `verified` is kept as `extra.verified`, not as `validated`, because
 *   validation in closeloop is a person's confirmation recorded here.
 * - `description`, `mitigation`, `impact`, `references` (its URLs also become the vulnerability's
 *   references), `steps_to_reproduce`, `severity_justification`, `param`, `payload`, `service`,
 *   `tags`, `unique_id_from_tool`, `vuln_id_from_tool`, `risk_accepted`, `out_of_scope`,
 *   `duplicate` go to `extra`.
 * - check: null (the format does not say how the finding was found).
 *
 * Skipped: an entry with `is_mitigated` true (the report says it is fixed: it is counted as skipped,
 * and an earlier import's open finding is then resolved because this report no longer lists it).
 * Other keys (`files`, `thread_id`, `planned_remediation_*`, …) are not read.
 */
import type { Cvss, FindingSeverity } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject } from '../record-fields.js';
import { readCsvRows } from '../record-fields.js';
import { formatJsonPath, streamJson, type Structure } from '../stream/json-stream.js';
import { firstSignificantByte, peekLayout } from '../stream/peek.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { cvssOf } from './cvss.js';
import { Emitter, cweIds, makeFinding, makeVulnerability, networkHostAsset, primaryId, reportAsset, severityWord, toolRuleId, toolSlug, urlHostAsset } from './common.js';

const SCANNER = 'generic';
const STRUCTURE: Structure = {
  what: 'a DefectDojo generic findings report',
  expected: 'top-level `findings` array',
  anchors: [{ path: ['findings'], type: 'array' }],
};

/** `False_P`, `FalsePositive`, `Vulnerability Id` → `falsep`, `falsepositive`, `vulnerabilityid`. */
const canon = (key: string): string => key.toLowerCase().replace(/[\s_-]+/g, '');

/** Canonical names that mean the same field. */
const SYNONYMS: Record<string, string> = {
  falsepositive: 'falsep',
  mitigateddate: 'mitigated',
  vulnerabilityid: 'vulnerabilityids',
  cweid: 'cwe',
  cweids: 'cwes',
  component: 'componentname',
  version: 'componentversion',
  url: 'endpoints',
  uniqueid: 'uniqueidfromtool',
};

/** One entry (a JSON finding or a CSV row) by canonical field name, and where it is. */
class Entry {
  private readonly fields = new Map<string, unknown>();

  constructor(
    raw: Record<string, unknown>,
    readonly ctx: ParseContext,
    readonly record: string | number,
  ) {
    for (const [k, v] of Object.entries(raw)) {
      const c = canon(k);
      this.fields.set(SYNONYMS[c] ?? c, v);
    }
  }

  private fail(field: string, message: string): ImportError {
    return new ImportError(this.ctx.file, this.record, field, message);
  }

  raw(field: string): unknown {
    return this.fields.get(field);
  }

  text(field: string): string | null {
    const v = this.fields.get(field);
    if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (v === undefined || v === null) return null;
    throw this.fail(field, `expected text, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }

  /** A number, or null when absent or not a number (DefectDojo drops those too). */
  number(field: string): number | null {
    const v = this.fields.get(field);
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.trim()))) return Number(v.trim());
    return null;
  }

  bool(field: string): boolean | null {
    const v = this.fields.get(field);
    if (typeof v === 'boolean') return v;
    if (v === undefined || v === null) return null;
    const t = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : null;
    if (t === '') return null;
    if (t === 'true' || t === 't' || t === 'yes' || t === 'y' || t === '1') return true;
    if (t === 'false' || t === 'f' || t === 'no' || t === 'n' || t === '0') return false;
    throw this.fail(field, `expected true or false, got ${JSON.stringify(v)}`);
  }

  /** A list of strings: a JSON array of strings, or one string (a CSV cell, split on `sep` when given). */
  list(field: string, sep: RegExp | null = null): string[] {
    const v = this.fields.get(field);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) {
      return v.map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '')).filter((x) => x !== '');
    }
    const t = this.text(field);
    if (t === null) return [];
    return sep === null ? [t] : t.split(sep).map((x) => x.trim()).filter((x) => x !== '');
  }

  /** A date as ISO 8601 (see the module comment), or null when absent. */
  date(field: string): string | null {
    const t = this.text(field);
    if (t === null) return null;
    if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return t;
    const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
    if (m !== null) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      const [day, month] = a > 12 ? [a, b] : [b, a];
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return `${m[3] ?? ''}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    }
    throw this.fail(field, `not a date: ${JSON.stringify(t)} (expected YYYY-MM-DD, an ISO 8601 time, or dd/mm/yyyy)`);
  }
}

interface Endpoint {
  asset: AssetRef;
  url: string;
  port: number | null;
  scheme: string | null;
}

/** An endpoint given as a URL or a bare host (`www.example.com`, `127.0.0.1:80`, `foo.bar/path`). */
function endpointFromText(text: string): Endpoint | null {
  const withScheme = text.includes('://') ? text : `http://${text}`;
  const asset = urlHostAsset(withScheme);
  if (asset === null) return null;
  // Read from the text: URL parsing drops a port that is its scheme's default (`http://h:80`).
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]+):(\d{1,5})(?:[/?#]|$)/i.exec(text);
  const port = m?.[1] === undefined ? null : Number(m[1]);
  const scheme = text.includes('://') ? (text.split('://', 1)[0] ?? '').toLowerCase() : null;
  return { asset, url: text, port, scheme: scheme === '' ? null : scheme };
}

function endpointsOf(e: Entry): Endpoint[] {
  const v = e.raw('endpoints');
  const items = Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v];
  const out: Endpoint[] = [];
  for (const [i, item] of items.entries()) {
    if (typeof item === 'string') {
      if (item.trim() === '') continue;
      const ep = endpointFromText(item.trim());
      if (ep === null) throw new ImportError(e.ctx.file, e.record, `endpoints[${i}]`, `not a URL or host name: ${JSON.stringify(item)}`);
      out.push(ep);
    } else if (isObject(item)) {
      const host = typeof item.host === 'string' ? item.host.trim() : '';
      if (host === '') throw new ImportError(e.ctx.file, e.record, `endpoints[${i}].host`, 'an endpoint object needs its host');
      const scheme = typeof item.protocol === 'string' && item.protocol !== '' ? item.protocol.toLowerCase() : null;
      const port = typeof item.port === 'number' && Number.isInteger(item.port) ? item.port : typeof item.port === 'string' && /^\d+$/.test(item.port) ? Number(item.port) : null;
      const path = typeof item.path === 'string' && item.path !== '' ? `/${item.path.replace(/^\//, '')}` : '';
      const url = `${scheme === null ? '' : `${scheme}://`}${host}${port === null ? '' : `:${port}`}${path}`;
      const asset = /^[\d.]+$/.test(host) || host.includes(':') ? networkHostAsset({ ip: host }) : networkHostAsset({ fqdn: host });
      if (asset === null) throw new ImportError(e.ctx.file, e.record, `endpoints[${i}].host`, 'an endpoint object needs its host');
      out.push({ asset, url, port, scheme });
    } else {
      throw new ImportError(e.ctx.file, e.record, `endpoints[${i}]`, 'an endpoint is a URL (a string) or an object with its host');
    }
  }
  return out;
}

/** `2.1.3`, `v1.20.5`, `1:2.3-4ubuntu1`: one token with a digit. Advice text is not a version. */
const looksLikeVersion = (v: string): boolean => /^[^\s]{1,64}$/.test(v) && /\d/.test(v);

/** One entry into its findings (one per endpoint host), or a skip. */
function readEntry(e: Entry, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const title = e.text('title');
  if (title === null) throw new ImportError(ctx.file, e.record, 'title', 'a finding needs its title');
  if (e.bool('ismitigated') === true) {
    out.push({ kind: 'skipped', record: { reason: `mitigated: ${title}` } });
    return;
  }
  const toolId = e.text('vulnidfromtool');
  const given = [...e.list('cve'), ...e.list('vulnerabilityids', /[\s,;]+/)];
  const first = given[0];
  const ids =
    first !== undefined
      ? primaryId(first, [...given.slice(1), ...(toolId === null ? [] : [toolId])])
      : { id: toolRuleId(SCANNER, toolId ?? toolSlug(title)), aliases: [] };

  const cvss: Cvss | null = cvssOf(e.text('cvssv3'), e.number('cvssv3score')) ?? cvssOf(e.text('cvssv4'), e.number('cvssv4score'), '4.0');
  const score = e.number('epssscore');
  const percentile = e.number('epsspercentile');
  const knownExploited = e.bool('knownexploited') === true;
  const referencesText = e.text('references');
  const references = referencesText === null ? [] : [...referencesText.matchAll(/https?:\/\/[^\s<>"')\]]+/g)].map((m) => m[0]);
  emit.vulnerability(out, ids.id, () =>
    makeVulnerability({
      id: ids.id,
      cvss,
      title,
      references,
      fix_available: e.bool('fixavailable'),
      epss: score !== null && percentile !== null ? { score, percentile, date: null } : null,
      exploit: knownExploited ? { public: false, active: true, detail: { known_exploited: true, kev_date: e.text('kevdate'), ransomware_used: e.bool('ransomwareused') } } : null,
    }),
  );

  const severity: FindingSeverity | null = severityWord(e.text('severity'));
  const fix = e.text('fixversion');
  const filePath = e.text('filepath');
  const line = e.number('line');
  const uniqueId = e.text('uniqueidfromtool');
  const validation = e.bool('falsep') === true ? 'false_positive' : e.bool('active') === false ? 'not_affected' : 'unvalidated';
  const extra: Record<string, unknown> = {
    description: e.text('description'),
    mitigation: e.text('mitigation'),
    impact: e.text('impact'),
    references: referencesText,
    steps_to_reproduce: e.text('stepstoreproduce'),
    severity_justification: e.text('severityjustification'),
    param: e.text('param'),
    payload: e.text('payload'),
    service_name: e.text('service'),
    tags: e.list('tags', /[\s,]+/),
    unique_id_from_tool: uniqueId,
    vuln_id_from_tool: toolId,
    verified: e.bool('verified'),
    risk_accepted: e.bool('riskaccepted'),
    out_of_scope: e.bool('outofscope'),
    duplicate: e.bool('duplicate'),
    fix: fix !== null && !looksLikeVersion(fix) ? fix : null,
    epss: score !== null && percentile === null ? { score } : percentile !== null && score === null ? { percentile } : null,
  };
  const endpoints = endpointsOf(e);
  const hosts = new Map<string, Endpoint[]>();
  for (const ep of endpoints) hosts.set(ep.asset.id, [...(hosts.get(ep.asset.id) ?? []), ep]);
  const targets: { asset: AssetRef; eps: Endpoint[] }[] =
    hosts.size === 0 ? [{ asset: reportAsset(ctx), eps: [] }] : [...hosts.values()].map((eps) => ({ asset: (eps[0] ?? { asset: reportAsset(ctx) }).asset, eps }));
  for (const { asset, eps } of targets) {
    emit.asset(out, asset);
    const firstEp = eps[0];
    emit.finding(
      out,
      makeFinding({
        scanner: SCANNER,
        asset: asset.id,
        vulnerability: ids.id,
        aliases: ids.aliases,
        component: e.text('componentname'),
        version: e.text('componentversion'),
        location: uniqueId ?? (filePath === null ? null : `${filePath}:${line ?? ''}`),
        title,
        severity,
        cwe: cweIds([e.raw('cwe'), ...e.list('cwes', /[\s,;]+/)]),
        file_path: filePath,
        line: line !== null && Number.isInteger(line) ? line : null,
        fixed_version: fix !== null && looksLikeVersion(fix) ? fix : null,
        validation,
        network: firstEp === undefined ? null : { port: firstEp.port, protocol: null, service: firstEp.scheme },
        first_seen: e.date('date'),
        extra: { ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))), ...(eps.length > 0 ? { endpoints: eps.map((x) => x.url) } : {}) },
      }),
    );
  }
}

async function* parseJson(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  for await (const m of streamJson(source, [['findings', '*']], ctx, { structure: STRUCTURE })) {
    const record = formatJsonPath(m.path);
    if (!isObject(m.value)) throw new ImportError(ctx.file, record, null, 'a finding is a JSON object');
    readEntry(new Entry(m.value, ctx, record), emit, out, ctx);
    yield* out.splice(0, out.length);
  }
}

async function* parseCsv(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const emit = new Emitter(SCANNER);
  const out: ImportItem[] = [];
  let checked = false;
  for await (const { line, row } of readCsvRows(source, ctx)) {
    if (!checked) {
      checked = true;
      if (!Object.keys(row).some((k) => canon(k) === 'title')) {
        throw new ImportError(ctx.file, 1, 'Title', 'not a DefectDojo generic findings CSV: the header has no Title column');
      }
    }
    readEntry(new Entry(row, ctx, line), emit, out, ctx);
    yield* out.splice(0, out.length);
  }
}

/**
 * The header line of a generic findings CSV names DefectDojo's required columns, spelled as
 * DefectDojo requires them: Title, Severity, Description and Date.
 */
export function genericCsvHeader(text: string): boolean {
  const first = (text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '').split(',').map((c) => c.replace(/"/g, '').trim());
  return ['Title', 'Severity', 'Description', 'Date'].every((c) => first.includes(c));
}

/** `{` starts the JSON layout; anything else is read as CSV. */
export const genericParser: Parser = {
  format: 'generic',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const peeked = await peekLayout(source);
    if (firstSignificantByte(peeked.head) === 0x7b) yield* parseJson(peeked.source, ctx);
    else yield* parseCsv(peeked.source, ctx);
  },
};
