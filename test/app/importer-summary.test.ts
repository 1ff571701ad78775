import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile, type ImportResult } from '../../src/app/importer.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

/**
 * docs/importing.md "What the summary counts": every finding the report lists is created, updated,
 * unchanged, resolved again or merged into a repeat, and every entry that looks like a finding but
 * is not imported is counted in `skipped` with its reason.
 */
const vm = { actor: 'vm' };

/** The sum the summary promises: each finding read is accounted for once. */
function accounted(r: ImportResult): number {
  return r.created + r.updated + r.unchanged + r.resolved_again + r.merged;
}

/** A JSON value as an object (a copy), or an empty object. */
function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v } : {};
}

/** An array member of a JSON object, or an empty array. */
function list(o: Record<string, unknown>, key: string): unknown[] {
  const v: unknown = o[key];
  return Array.isArray(v) ? v.map((x: unknown) => x) : [];
}

function json(rel: string): Record<string, unknown> {
  return obj(JSON.parse(readFileSync(corpusPath(rel), 'utf8')));
}

describe.each(ENGINES)('import summaries that account for every record, on %s', (engine) => {
  let t: TestContext;
  const write = (name: string, content: unknown): string => {
    const file = path.join(t.dir, name);
    writeFileSync(file, JSON.stringify(content, null, 1), { mode: 0o600 });
    return file;
  };

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'impsum' });
  });
  afterEach(async () => t.cleanup());

  it.each([
    ['scanners/anchore_grype/check_all_fields.json', 'grype', 6, {}],
    ['scanners/sarif/flawfinder.sarif', 'sarif', 53, { 'result of kind pass': 1 }],
    ['scanners/cyclonedx/jake2.json', 'cyclonedx', 7, {}],
    ['scanners/cyclonedx/log4j.xml', 'cyclonedx', 8, {}],
    ['scanners/dependency_check/multiple_vulnerabilities_has_multiple_findings.xml', 'dependency-check', 9, {}],
    ['scanners/dependency_check/single_dependency_with_related_no_vulnerability.xml', 'dependency-check', 0, {}],
    ['scanners/npm_audit_7_plus/many_vulns.json', 'npm-audit', 3, {}],
    ['scanners/npm_audit_7_plus/one_vuln.json', 'npm-audit', 2, {}],
    ['scanners/osv_scanner/many_findings.json', 'osv-scanner', 66, {}],
    ['scanners/trivy/misconfigurations_and_secrets.json', 'trivy', 5, {}],
  ])('%s (%s): %d findings, each accounted for, skipped %j — and again when re-imported', async (rel, format, findings, skipped) => {
    const file = corpusPath(rel);
    const first = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(first).toMatchObject({ format, count: findings, resolved_again: 0 });
    expect(first.skipped).toEqual(skipped);
    expect(accounted(first)).toBe(first.count);
    const again = await importFile(t.ctx, vm, { kind: 'findings', file, force: true });
    expect(again).toMatchObject({ count: findings, created: 0 });
    expect(again.skipped).toEqual(skipped);
    expect(accounted(again)).toBe(again.count);
  });

  it('counts grype matches an ignore rule dropped as skipped, not as findings', async () => {
    const report = json('scanners/anchore_grype/check_all_fields.json');
    const matches = list(report, 'matches');
    expect(matches.length).toBe(6);
    const ignored = matches.slice(0, 2).map((m) => ({ ...obj(m), appliedIgnoreRules: [{ vulnerability: 'CVE-IGNORED', reason: 'accepted' }] }));
    const file = write('grype-ignored.json', { ...report, matches: matches.slice(2), ignoredMatches: ignored });
    const r = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(r).toMatchObject({ format: 'grype', count: 4 });
    expect(r.skipped).toEqual({ 'match ignored by a grype ignore rule': 2 });
    expect(accounted(r)).toBe(4);
  });

  it('counts a CycloneDX vulnerability that affects no component as skipped', async () => {
    const bom = json('scanners/cyclonedx/jake2.json');
    const vulns = list(bom, 'vulnerabilities');
    expect(vulns.length).toBe(7);
    const [head, ...rest] = vulns;
    const file = write('bom-unaffected.json', { ...bom, vulnerabilities: [{ ...obj(head), affects: [] }, ...rest] });
    const r = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(r).toMatchObject({ format: 'cyclonedx', count: 6 });
    expect(r.skipped).toEqual({ 'vulnerability affecting no component': 1 });
    expect(accounted(r)).toBe(6);
  });

  it('counts findings trivy suppressed (--show-suppressed) as skipped by status, and not suppressed licenses', async () => {
    const report = json('scanners/trivy/all_statuses.json');
    const base = obj(list(report, 'Results')[0]);
    const vulns = list(base, 'Vulnerabilities');
    expect(vulns.length).toBe(8);
    const modified = [
      { Type: 'vulnerability', Status: 'not_affected', Statement: 'vulnerable_code_not_in_execute_path', Source: 'openvex.json', Finding: vulns[0] },
      { Type: 'vulnerability', Status: 'ignored', Source: '.trivyignore', Finding: vulns[1] },
      { Type: 'license', Status: 'ignored', Source: '.trivyignore', Finding: { Name: 'GPL-3.0' } },
    ];
    const file = write('trivy-suppressed.json', { ...report, Results: [{ ...base, Vulnerabilities: vulns.slice(2), ExperimentalModifiedFindings: modified }] });
    const r = await importFile(t.ctx, vm, { kind: 'findings', file });
    expect(r).toMatchObject({ format: 'trivy', count: 6 });
    expect(r.skipped).toEqual({ 'finding suppressed by trivy (not_affected)': 1, 'finding suppressed by trivy (ignored)': 1 });
    expect(accounted(r)).toBe(6);
  });

  it.each(['kev', 'epss', 'advisories'] as const)('refuses a Trivy report given as %s by name and records no import', async (kind) => {
    const file = corpusPath('scanners/trivy/all_statuses.json');
    await expect(importFile(t.ctx, vm, { kind, file })).rejects.toThrow(`all_statuses.json is not a format closeloop reads as ${kind} (it looks like a Trivy report: import it as findings)`);
    expect(await t.ctx.store.db.selectFrom('imports').select('id').execute()).toEqual([]);
  });
});
