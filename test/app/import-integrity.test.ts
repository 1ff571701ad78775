import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { ClError } from '../../src/errors.js';
import { FREE_TEXT_MAX } from '../../src/ingest/free-text.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

/**
 * docs/importing.md "What an import refuses": a report of the wrong format, a malformed target or
 * record, and an empty file fail the whole import (nothing stored, nothing resolved, no hash
 * recorded); over-long free text is cut; `force` imports a file seen before.
 */
const vm = { actor: 'vm' };

interface TrivyVuln {
  VulnerabilityID: string | null;
  PkgName: string;
  InstalledVersion: string;
  Severity: string;
  Title?: string;
  Description?: string;
}
interface TrivyReport {
  SchemaVersion: number;
  ArtifactName: string;
  ArtifactType: string;
  Results: { Target: string; Class: string; Type: string; Vulnerabilities: TrivyVuln[] | string }[];
}

/** A Trivy report of two targets: `big` with `n` vulnerabilities, `small` with 3. */
function trivyReport(n: number): TrivyReport {
  const vulns = (prefix: string, count: number): TrivyVuln[] =>
    Array.from({ length: count }, (_, i) => ({ VulnerabilityID: `CVE-2026-${prefix}${String(i).padStart(4, '0')}`, PkgName: `pkg-${prefix}-${i}`, InstalledVersion: '1.0.0', Severity: 'HIGH' }));
  return {
    SchemaVersion: 2,
    ArtifactName: 'registry.example/shop:1.0',
    ArtifactType: 'container_image',
    Results: [
      { Target: 'registry.example/shop:1.0 (debian 12.5)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulns('1', n) },
      { Target: 'app/package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: vulns('2', 3) },
    ],
  };
}

async function refusal(p: Promise<unknown>): Promise<ClError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClError);
  if (!(err instanceof ClError)) throw new Error('no ClError');
  return err;
}

describe.each(ENGINES)('imports that cannot lie, on %s', (engine) => {
  let t: TestContext;
  const write = (name: string, content: unknown): string => {
    const file = path.join(t.dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 1));
    return file;
  };
  const imports = async () => t.ctx.store.db.selectFrom('imports').select(['id', 'sha256', 'counts']).orderBy('id').execute();
  const byStatus = async () => {
    const rows = await t.ctx.store.db.selectFrom('findings').select('status').execute();
    return { open: rows.filter((r) => r.status === 'open').length, resolved: rows.filter((r) => r.status === 'resolved').length };
  };

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'impint' });
  });
  afterEach(async () => t.cleanup());

  it.each([
    ['grype', 'not a grype report: no top-level `matches` array'],
    ['sarif', 'not a SARIF log: no top-level `runs` array'],
    ['osv-scanner', 'not an osv-scanner report: no top-level `results` array'],
    ['cyclonedx', 'not a CycloneDX BOM: no top-level `bomFormat` or `specVersion`'],
    ['npm-audit', 'not an npm audit report: no top-level `auditReportVersion`'],
  ])('a Trivy report forced as %s is refused, records nothing, and then imports as Trivy', async (format, expected) => {
    const file = write('trivy.json', trivyReport(20));
    const err = await refusal(importFile(t.ctx, vm, { kind: 'findings', file, format }));
    expect(err.code).toBe('CL_IMPORT_INVALID');
    expect(err.message).toContain(expected);
    expect(err.message).toContain('this looks like a Trivy report — try --format trivy');
    expect(await imports()).toEqual([]);
    expect(await byStatus()).toEqual({ open: 0, resolved: 0 });
    const ok = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(ok).toMatchObject({ format: 'trivy', count: 23, created: 23, duplicate_of: null });
  });

  it('a report detected as one format but not of its structure is refused (Trivy header, Results not an array)', async () => {
    const report = { ...trivyReport(1), Results: 'x' };
    const err = await refusal(importFile(t.ctx, vm, { kind: 'findings', file: write('bad.json', report) }));
    expect(err.code).toBe('CL_IMPORT_INVALID');
    expect(err.message).toContain('$.Results');
  });

  const corruptions: [string, (r: TrivyReport) => void, string][] = [
    [
      'one target\'s Vulnerabilities set to "x"',
      (r) => {
        const big = r.Results[0];
        if (big) big.Vulnerabilities = 'x';
      },
      '$.Results[0].Vulnerabilities: expected an array (or null), got a string',
    ],
    [
      'every VulnerabilityID of a target set to null',
      (r) => {
        const big = r.Results[0];
        if (big && Array.isArray(big.Vulnerabilities)) for (const v of big.Vulnerabilities) v.VulnerabilityID = null;
      },
      'record $.Results[0].Vulnerabilities[0], field VulnerabilityID',
    ],
  ];

  it.each(corruptions)('a corrupt report (%s) fails whole: 500 open findings stay open, nothing recorded, the good file then imports', async (_name, corrupt, where) => {
    const first = await importFile(t.ctx, vm, { kind: 'findings', file: write('first.json', trivyReport(500)) });
    expect(first).toMatchObject({ count: 503, created: 503 });
    const before = await imports();

    const bad = trivyReport(500);
    corrupt(bad);
    const badFile = write('corrupt.json', bad);
    const err = await refusal(importFile(t.ctx, vm, { kind: 'findings', file: badFile }));
    expect(err.code).toBe('CL_IMPORT_INVALID');
    expect(err.message).toContain(where);
    expect(await byStatus()).toEqual({ open: 503, resolved: 0 });
    expect(await imports()).toEqual(before);
    // its hash was not recorded: the same bytes are refused again, not taken for a duplicate
    expect((await refusal(importFile(t.ctx, vm, { kind: 'findings', file: badFile }))).code).toBe('CL_IMPORT_INVALID');

    // the good newer report (one vulnerability of the big target fixed) imports and resolves one
    const good = trivyReport(499);
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: write('good.json', good) });
    expect(second).toMatchObject({ count: 502, resolved: 1, duplicate_of: null });
    expect(await byStatus()).toEqual({ open: 502, resolved: 1 });
  });

  it('cuts over-long scanner free text with a marker and keeps identifiers whole', async () => {
    const report = trivyReport(1);
    const longId = `CVE-2026-${'9'.repeat(70_000)}`;
    const big = report.Results[0];
    if (!big || !Array.isArray(big.Vulnerabilities)) throw new Error('fixture');
    const v = big.Vulnerabilities[0];
    if (!v) throw new Error('fixture');
    v.Description = 'd'.repeat(200_000);
    v.Title = 't'.repeat(FREE_TEXT_MAX + 10);
    v.VulnerabilityID = longId;
    const r = await importFile(t.ctx, vm, { kind: 'findings', file: write('long.json', report) });
    expect(r.count).toBe(4);
    const vuln = await t.ctx.store.db.selectFrom('vulnerabilities').select(['id', 'title', 'extra']).where('id', '=', longId).executeTakeFirstOrThrow();
    expect(vuln.id).toBe(longId);
    const description = (JSON.parse(vuln.extra) as { description: string }).description;
    expect(description).toBe(`${'d'.repeat(FREE_TEXT_MAX)}… [truncated by closeloop: ${200_000 - FREE_TEXT_MAX} more characters]`);
    expect(vuln.title).toBe(`${'t'.repeat(FREE_TEXT_MAX)}… [truncated by closeloop: 10 more characters]`);
    const finding = await t.ctx.store.db.selectFrom('findings').select(['vulnerability_id', 'title']).where('vulnerability_id', '=', longId).executeTakeFirstOrThrow();
    expect(finding.title?.endsWith('… [truncated by closeloop: 10 more characters]')).toBe(true);
  });

  it('force imports a file already seen, and the import names the earlier one', async () => {
    const file = write('trivy.json', trivyReport(5));
    const first = await importFile(t.ctx, vm, { kind: 'findings', file });
    const dup = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(dup).toMatchObject({ id: null, duplicate_of: first.id });
    expect(await imports()).toHaveLength(1);
    const forced = await importFile(t.ctx, vm, { kind: 'findings', file, force: true });
    expect(forced).toMatchObject({ duplicate_of: null, reimport_of: first.id, count: 8, unchanged: 8 });
    expect(forced.id).not.toBe(first.id);
    const rows = await imports();
    expect(rows).toHaveLength(2);
    expect(JSON.parse(rows[1]?.counts ?? '{}')).toMatchObject({ reimport_of: first.id });
    const events = await t.ctx.store.db.selectFrom('audit_events').select(['action', 'entity_id']).where('entity_id', '=', forced.id ?? '').execute();
    expect(events).toEqual([{ action: 'import.findings', entity_id: forced.id }]);
  });

  it.each([
    ['an empty file', 'assets.json', '', 'the file is empty'],
    ['whitespace only', 'assets.ndjson', '\n \n', 'the file is empty'],
    ['an empty JSON array', 'assets.json', '[]', 'no assets in the file'],
    ['a CSV header alone', 'assets.csv', 'id,name,owner\n', 'no assets in the file'],
  ])('an assets file with no asset (%s) is refused and records nothing', async (_name, name, content, expected) => {
    const err = await refusal(importFile(t.ctx, vm, { kind: 'assets', file: write(name, content) }));
    expect(err.code).toBe('CL_IMPORT_INVALID');
    expect(err.message).toContain(expected);
    expect(await imports()).toEqual([]);
  });

  it('an empty scanner file is refused even with --format', async () => {
    const err = await refusal(importFile(t.ctx, vm, { kind: 'findings', file: write('empty.json', ''), format: 'osv-scanner' }));
    expect(err.message).toContain('the file is empty');
  });
});
