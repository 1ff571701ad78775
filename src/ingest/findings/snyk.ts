/**
 * Snyk Open Source and Snyk Container JSON, streamed: `snyk test --json` (one project object),
 * `snyk test --all-projects --json` (an array of project objects) and `snyk container test --json`
 * (a project object for the image's OS packages, with `applications[]`, one project object per
 * application found in the image).
 *
 * One finding per entry of a project's `vulnerabilities[]`: Snyk lists a vulnerability once per
 * dependency path (`from`), and so does closeloop (as DefectDojo does), so the same vulnerable
 * package reached through two direct dependencies is two findings.
 *
 * - asset: a container project (a `docker` object, or a `projectName` `docker-image|<image>`) is
 *   `image:<repository>`, and its `applications[]` belong to the same image; any other project is
 *   `repo:<projectName>` (else `repo:<path>`, else `report:<file name>`). Each project of the array
 *   form is its own asset. Snyk writes `vulnerabilities` before the project's name, so a project's
 *   entries wait in a bounded buffer (spilling to a temporary file) until the project ends.
 * - vulnerability: the lowest CVE of `identifiers.CVE` (`primaryId`), else the Snyk id
 *   (`SNYK-…`); the Snyk id, GHSA and every other identifier (NSP, SUSE, …) become aliases.
 * - component/version: `packageName` / `version`; `file_path` is the dependency path without
 *   versions (`app > lib > vulnerable-lib`), the location (what tells two findings apart) is the
 *   manifest (`displayTargetFile`) and the dependency path with versions; `from` and the upgrade
 *   path are kept in `extra`.
 * - severity: Snyk's own (`severityWithCritical`, else `severity`); CWE from `identifiers.CWE`;
 *   CVSS: a v4 vector of `cvssDetails` when there is one, else `CVSSv3` with `cvssScore`
 *   (`cvssOf`); EPSS from `epssDetails` (probability, percentile).
 * - fix: `fixed_version` is the version the upgrade path moves this package to, else
 *   `nearestFixedInVersion`, else the `fixedIn` versions; `isUpgradable`, `isPatchable` or a
 *   `fixedIn` version → the vulnerability's `fix_available`. The description's "Remediation"
 *   section and the project's `remediation.upgrade` advice for this vulnerability go to
 *   `extra.remediation` and `extra.upgrade`.
 * - exploit maturity (`exploit`): "Mature", "Functional", "High" and "Proof of Concept" mean an
 *   exploit is public (`public_poc`); Snyk's maturity never says one is used in attacks, so it
 *   never sets exploitation `active`. "No Known Exploit", "Unproven", "Not Defined" set nothing.
 * - check: null (a dependency scan tests no listening service); no vantage point.
 *
 * Skipped (counted in the summary): license issues (`type: "license"`: a licence policy, not a
 * vulnerability) and the entries of `filtered.ignore` (issues a Snyk policy ignores).
 */
import type { Cvss, EpssFacts } from '../../domain/records.js';
import { ImportError } from '../../errors.js';
import { isObject, type JsonObject } from '../record-fields.js';
import { formatJsonPath, streamJson, type JsonMatch, type PathPattern, type Structure } from '../stream/json-stream.js';
import type { AssetRef, ByteSource, ImportItem, ParseContext, Parser } from '../types.js';
import { bestCvss, cvssOf } from './cvss.js';
import {
  DeferredQueue,
  Emitter,
  arr,
  cweIds,
  imageAsset,
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
} from './common.js';

const SCANNER = 'snyk';

/** Project fields read for the asset and the findings' context. */
const HEADER_KEYS = ['projectName', 'displayTargetFile', 'targetFile', 'path', 'packageManager', 'docker'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];

/** The same project-relative paths for the object form (no prefix) and the array form (`*`). */
const RELATIVE: PathPattern[] = [
  ['vulnerabilities', '*'],
  ['applications', '*', 'vulnerabilities', '*'],
  ...HEADER_KEYS.map((k) => [k]),
  ...HEADER_KEYS.map((k) => ['applications', '*', k]),
  ['remediation', 'upgrade'],
  ['applications', '*', 'remediation', 'upgrade'],
  ['filtered', 'ignore', '*'],
  ['applications', '*', 'filtered', 'ignore', '*'],
];
const PATTERNS: PathPattern[] = [...RELATIVE, ...RELATIVE.map((p) => ['*', ...p])];

/** A project object with its `vulnerabilities` array, or an array of them. */
const STRUCTURE: Structure = {
  what: 'a Snyk report',
  expected: 'top-level `vulnerabilities` array (or an array of projects)',
  anchors: [
    { path: [], type: 'array' },
    { path: ['vulnerabilities'], type: 'array' },
  ],
};

/** What a match is, relative to its project (and application inside a container project). */
type Place =
  | { kind: 'vuln'; app: number | null; value: unknown }
  | { kind: 'header'; app: number | null; key: HeaderKey; value: unknown }
  | { kind: 'upgrade'; app: number | null; value: unknown }
  | { kind: 'ignored' };

interface Project {
  /** Array index of the project, or -1 for the object form. */
  index: number;
  header: Partial<Record<HeaderKey, unknown>>;
  upgrade: JsonObject | null;
  apps: Map<number, { header: Partial<Record<HeaderKey, unknown>>; upgrade: JsonObject | null }>;
}

const newProject = (index: number): Project => ({ index, header: {}, upgrade: null, apps: new Map() });

function place(rest: readonly (string | number)[], value: unknown): Place | null {
  let app: number | null = null;
  let p = rest;
  if (p[0] === 'applications' && typeof p[1] === 'number') {
    app = p[1];
    p = p.slice(2);
  }
  if (p.length === 2 && p[0] === 'vulnerabilities' && typeof p[1] === 'number') return { kind: 'vuln', app, value };
  if (p.length === 1 && typeof p[0] === 'string' && (HEADER_KEYS as readonly string[]).includes(p[0])) {
    return { kind: 'header', app, key: p[0] as HeaderKey, value };
  }
  if (p.length === 2 && p[0] === 'remediation' && p[1] === 'upgrade') return { kind: 'upgrade', app, value };
  if (p.length === 3 && p[0] === 'filtered' && p[1] === 'ignore' && typeof p[2] === 'number') return { kind: 'ignored' };
  return null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** The image a container project scanned (`docker-image|sarim04/juiceshop` → `sarim04/juiceshop`), or null. */
function containerImage(header: Partial<Record<HeaderKey, unknown>>): string | null {
  const name = text(header.projectName);
  if (name !== null && name.startsWith('docker-image|')) return text(name.slice('docker-image|'.length));
  if (header.docker !== undefined && header.docker !== null) return name ?? text(header.path);
  return null;
}

function projectAsset(project: Project, ctx: ParseContext): AssetRef {
  const image = containerImage(project.header);
  if (image !== null) return imageAsset(image);
  const name = text(project.header.projectName) ?? text(project.header.path);
  return name !== null ? repoAsset(name) : reportAsset(ctx);
}

/** `name@1.2.3` → `name` (scoped npm names keep their leading `@`). */
function withoutVersion(entry: string): string {
  const at = entry.lastIndexOf('@');
  return at > 0 ? entry.slice(0, at) : entry;
}

const EXPLOIT_PUBLIC = new Set(['mature', 'functional', 'high', 'proof of concept']);

function snykCvss(v: JsonObject): Cvss | null {
  const v4 = arr(v, 'cvssDetails').map((d) => {
    const vector = str(d, 'cvssV4Vector');
    return vector === null ? null : cvssOf(vector, num(d, 'cvssV4BaseScore'), '4.0');
  });
  return bestCvss([...v4, cvssOf(str(v, 'CVSSv3'), num(v, 'cvssScore'), '3.1')]);
}

function snykEpss(v: JsonObject): EpssFacts | null {
  const e = rec(v, 'epssDetails');
  const score = num(e, 'probability');
  const percentile = num(e, 'percentile');
  if (score === null || percentile === null || score < 0 || score > 1 || percentile < 0 || percentile > 1) return null;
  return { score, percentile, date: null };
}

/** The "## Remediation" section of a Snyk description (up to the next heading), or null. */
function remediationText(description: string | null): string | null {
  if (description === null) return null;
  const start = description.indexOf('## Remediation');
  if (start < 0) return null;
  const next = description.indexOf('\n## ', start + 1);
  return description.slice(start, next < 0 ? undefined : next).trim();
}

/** The project's upgrade advice that fixes vulnerability `id`: `{ from, to }`, or null. */
function upgradeFor(upgrade: JsonObject | null, id: string): { from: string; to: string | null } | null {
  if (upgrade === null) return null;
  for (const [from, advice] of Object.entries(upgrade)) {
    if (strings(advice, 'vulns').includes(id)) return { from, to: str(advice, 'upgradeTo') };
  }
  return null;
}

/** The version the upgrade path moves `pkg` to (`upgradePath` entries are `name@version` or false). */
function upgradedVersion(v: JsonObject, pkg: string | null): string | null {
  if (pkg === null) return null;
  for (const step of arr(v, 'upgradePath')) {
    if (typeof step === 'string' && withoutVersion(step) === pkg) return step.slice(pkg.length + 1) || null;
  }
  return null;
}

/**
 * Every id of `identifiers` but the CWEs: CVE, GHSA, ALTERNATIVE (older Snyk ids) and vendor ids
 * as they are; a bare number (NSP advisories: `17`) is written `<kind>:<number>` (`nsp:17`).
 */
function identifierIds(identifiers: JsonObject | null): string[] {
  if (identifiers === null) return [];
  return Object.entries(identifiers)
    .filter(([kind]) => kind !== 'CWE')
    .flatMap(([kind, list]) =>
      (Array.isArray(list) ? list : []).flatMap((id) => {
        const s = typeof id === 'number' && Number.isFinite(id) ? String(id) : typeof id === 'string' ? id.trim() : '';
        if (s === '') return [];
        return [/^\d+$/.test(s) ? `${kind.toLowerCase()}:${s}` : s];
      }),
    );
}

interface Context {
  asset: AssetRef;
  targetFile: string | null;
  upgrade: JsonObject | null;
  application: string | null;
}

function handleVuln(v: JsonObject, record: string, c: Context, emit: Emitter, out: ImportItem[], ctx: ParseContext): void {
  const snykId = str(v, 'id');
  if (snykId === null) throw new ImportError(ctx.file, record, 'id', 'a vulnerability needs its Snyk id (a string)');
  if (str(v, 'type') === 'license') {
    out.push({ kind: 'skipped', record: { reason: 'Snyk license issue (a licence policy, not a vulnerability)' } });
    return;
  }
  const identifiers = rec(v, 'identifiers');
  const others = identifierIds(identifiers);
  const ids = primaryId(snykId, others);
  const from = strings(v, 'from');
  const pkg = str(v, 'packageName') ?? str(v, 'name');
  const version = str(v, 'version');
  const fixedIn = strings(v, 'fixedIn');
  const fixed = upgradedVersion(v, pkg) ?? str(v, 'nearestFixedInVersion') ?? (fixedIn.length > 0 ? fixedIn.join(', ') : null);
  const upgradable = v.isUpgradable === true || v.isPatchable === true || fixedIn.length > 0 || fixed !== null;
  const knowsFix = typeof v.isUpgradable === 'boolean' || typeof v.isPatchable === 'boolean' || Array.isArray(v.fixedIn);
  const exploit = str(v, 'exploit');
  const description = str(v, 'description');
  const title = str(v, 'title');
  emit.asset(out, c.asset);
  emit.vulnerability(out, ids.id, () =>
    makeVulnerability({
      id: ids.id,
      cvss: snykCvss(v),
      fix_available: upgradable ? true : knowsFix ? false : null,
      title,
      references: arr(v, 'references')
        .map((r) => str(r, 'url'))
        .filter((u): u is string => u !== null),
      exploit: exploit === null ? null : { public: EXPLOIT_PUBLIC.has(exploit.toLowerCase()), active: false, detail: { snyk_exploit_maturity: exploit } },
      epss: snykEpss(v),
      extra: { description, snyk_id: snykId, vulnerable: arr(rec(v, 'semver'), 'vulnerable').filter((x) => typeof x === 'string') },
    }),
  );
  const path = from.join(' > ');
  const upgrade = upgradeFor(c.upgrade, snykId);
  emit.finding(
    out,
    makeFinding({
      scanner: SCANNER,
      asset: c.asset.id,
      vulnerability: ids.id,
      aliases: ids.aliases,
      component: pkg,
      version,
      location: `${c.targetFile ?? ''}|${path}`,
      title,
      severity: severityWord(str(v, 'severityWithCritical') ?? str(v, 'severity')),
      cwe: cweIds(arr(identifiers, 'CWE')),
      file_path: from.length > 0 ? from.map(withoutVersion).join(' > ') : null,
      fixed_version: fixed,
      extra: {
        from,
        target_file: c.targetFile,
        application: c.application,
        package_manager: str(v, 'packageManager'),
        upgrade_path: arr(v, 'upgradePath').filter((s) => typeof s === 'string'),
        remediation: remediationText(description),
        upgrade,
        exploit_maturity: exploit,
      },
    }),
  );
}

export const snykParser: Parser = {
  format: 'snyk',
  async *parse(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
    const emit = new Emitter(SCANNER);
    const out: ImportItem[] = [];
    let project: Project | null = null;
    let deferred = new DeferredQueue();

    /** Emits the buffered entries of the project that just ended. */
    async function* finish(p: Project): AsyncGenerator<ImportItem> {
      const asset = projectAsset(p, ctx);
      emit.asset(out, asset);
      const queue = deferred;
      deferred = new DeferredQueue();
      for await (const entry of queue.drain()) {
        const v = rec(entry, 'value');
        const app = num(entry, 'app');
        const a = app === null ? undefined : p.apps.get(app);
        const header = a?.header ?? p.header;
        handleVuln(
          v ?? {},
          str(entry, 'record') ?? '$',
          {
            asset,
            targetFile: text(header.displayTargetFile) ?? text(header.targetFile),
            upgrade: a === undefined ? p.upgrade : a.upgrade,
            application: a === undefined ? null : (text(header.projectName) ?? text(header.targetFile)),
          },
          emit,
          out,
          ctx,
        );
        if (out.length > 0) yield* out.splice(0, out.length);
      }
      yield* out.splice(0, out.length);
    }

    try {
      for await (const m of streamJson(source, PATTERNS, ctx, { structure: STRUCTURE, reportScalars: true })) {
        const first = m.path[0];
        const arrayForm = typeof first === 'number';
        if (m.pattern === -1) {
          scalar(m, arrayForm, ctx);
          continue;
        }
        // Patterns of the other form can match by accident (`*` is any key): read each match in its own form.
        const index = typeof first === 'number' ? first : -1;
        if ((m.pattern >= RELATIVE.length) !== arrayForm) continue;
        const at = place(arrayForm ? m.path.slice(1) : m.path, m.value);
        if (at === null) continue;
        if (project !== null && project.index !== index) yield* finish(project);
        if (project === null || project.index !== index) project = newProject(index);
        const app = at.kind === 'ignored' ? null : at.app;
        if (app !== null && !project.apps.has(app)) project.apps.set(app, { header: {}, upgrade: null });
        const target = app === null ? project : project.apps.get(app);
        switch (at.kind) {
          case 'vuln':
            await deferred.push({ record: formatJsonPath(m.path), app, value: requireRecord(at.value, ctx, m.path) });
            break;
          case 'header':
            if (target !== undefined) target.header[at.key] = at.value;
            break;
          case 'upgrade':
            if (target !== undefined && isObject(at.value)) target.upgrade = at.value;
            break;
          case 'ignored':
            yield { kind: 'skipped', record: { reason: 'issue ignored by a Snyk policy (filtered.ignore)' } };
            break;
        }
      }
      if (project !== null) yield* finish(project);
    } finally {
      await deferred.dispose();
    }
  },
};

/**
 * A value that is no container where the report needs one (a project that is a string,
 * `"vulnerabilities": 3`): reading past it would make the project's findings look absent (and
 * resolve them). Null lists are read as empty; other scalars are not Snyk's structure.
 */
function scalar(m: JsonMatch, arrayForm: boolean, ctx: ParseContext): void {
  const p = arrayForm ? m.path.slice(1) : m.path;
  const got = typeof m.value === 'string' ? m.value : 'null';
  if (arrayForm && p.length === 0) throw new ImportError(ctx.file, formatJsonPath(m.path), null, `a project must be an object, got ${got}`);
  if (m.value === null) return;
  const last = p[p.length - 1];
  if (last === 'vulnerabilities' || last === 'applications' || (p[0] === 'applications' && p.length === 2)) {
    throw new ImportError(ctx.file, formatJsonPath(m.path), null, `expected ${p.length === 2 && p[0] === 'applications' ? 'an application object' : 'an array'}, got ${got}`);
  }
}
