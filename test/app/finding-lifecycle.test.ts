import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

/**
 * docs/decisions/finding-lifecycle.md: a finding missing from a newer report of the same scanner
 * and target is resolved (not deleted), comes back open when reported again, and analyst fields
 * survive a re-scan. Driven by a real Trivy report from the corpus.
 */
const vm = { actor: 'vm' };
const ORIGINAL = corpusPath('scanners/trivy/all_statuses.json');

interface TrivyReport {
  Results: { Target: string; Vulnerabilities?: { VulnerabilityID: string }[] }[];
}

describe.each(ENGINES)('finding lifecycle across scanner reports on %s', (engine) => {
  let t: TestContext;
  let report: TrivyReport;
  const variant = (name: string, edit: (r: TrivyReport) => void): string => {
    const copy = JSON.parse(JSON.stringify(report)) as TrivyReport;
    edit(copy);
    const file = path.join(t.dir, name);
    writeFileSync(file, JSON.stringify(copy, null, 1));
    return file;
  };
  const statuses = async () => {
    const rows = await t.ctx.store.db.selectFrom('findings').select(['id', 'vulnerability_id', 'status', 'validation', 'first_seen']).orderBy('id').execute();
    return rows;
  };

  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'life' });
    report = JSON.parse(readFileSync(ORIGINAL, 'utf8')) as TrivyReport;
  });
  afterEach(async () => t.cleanup());

  it('resolves what a newer report omits, reopens what comes back, and keeps analyst validation', async () => {
    const first = await importFile(t.ctx, vm, { kind: 'findings', file: ORIGINAL });
    expect(first.format).toBe('trivy');
    expect(first.count).toBe(8);
    expect(first.created).toBe(8);
    expect(first.assets_created).toBe(1);
    const all = await statuses();
    expect(all.every((f) => f.status === 'open')).toBe(true);

    // an analyst validates one finding
    const validatedId = all[0]?.id ?? '';
    await t.ctx.store.db.updateTable('findings').set({ validation: 'validated' }).where('id', '=', validatedId).execute();

    // newer report: the first vulnerability is gone
    const dropped = report.Results[0]?.Vulnerabilities?.[0]?.VulnerabilityID ?? '';
    const newer = variant('newer.json', (r) => r.Results[0]?.Vulnerabilities?.shift());
    const second = await importFile(t.ctx, vm, { kind: 'findings', file: newer });
    expect(second).toMatchObject({ count: 7, created: 0, resolved: 1 });
    const after = await statuses();
    expect(after.filter((f) => f.status === 'resolved').map((f) => f.vulnerability_id)).toEqual([dropped]);
    expect(after.find((f) => f.id === validatedId)?.validation).toBe('validated');

    // the target is scanned clean: every finding of that scan key resolves
    const clean = variant('clean.json', (r) => {
      for (const res of r.Results) res.Vulnerabilities = [];
    });
    const third = await importFile(t.ctx, vm, { kind: 'findings', file: clean });
    expect(third).toMatchObject({ count: 0, resolved: 7 });
    expect((await statuses()).every((f) => f.status === 'resolved')).toBe(true);

    // the original report again (a new file: different bytes) reopens all 8, first_seen kept
    const again = variant('again.json', () => undefined);
    const fourth = await importFile(t.ctx, vm, { kind: 'findings', file: again });
    expect(fourth).toMatchObject({ count: 8, created: 0, resolved: 0 });
    const reopened = await statuses();
    expect(reopened.every((f) => f.status === 'open')).toBe(true);
    expect(reopened.map((f) => f.first_seen)).toEqual(all.map((f) => f.first_seen));
    expect(reopened.find((f) => f.id === validatedId)?.validation).toBe('validated');
  });

  it('a report for another target never resolves this target’s findings', async () => {
    await importFile(t.ctx, vm, { kind: 'findings', file: ORIGINAL });
    const other = variant('other.json', (r) => {
      for (const res of r.Results) res.Target = 'someone/else:1.0 (debian 12)';
      (r as unknown as { ArtifactName: string }).ArtifactName = 'someone/else:1.0';
      r.Results[0]?.Vulnerabilities?.splice(1);
    });
    const r = await importFile(t.ctx, vm, { kind: 'findings', file: other });
    expect(r.resolved).toBe(0);
    const rows = await statuses();
    expect(rows.filter((f) => f.status === 'open')).toHaveLength(9);
  });
});
