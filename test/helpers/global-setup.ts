/**
 * Vitest global set-up: migrates one PostgreSQL schema and one SQLite file with the real
 * migrations for the whole run, which makeTestContext copies for each test instead of migrating
 * again (see store-templates.ts). Both are removed when the run ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropPgSchema, makePgTemplate, makeSqliteTemplate, testPgUrl } from './store-templates.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = testPgUrl();
  const schema = `t_template_${process.pid}_${Date.now()}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'closeloop-template-'));
  const [pgTemplate, sqliteTemplate] = await Promise.allSettled([makePgTemplate(url, schema), makeSqliteTemplate(dir)]);
  // Without a template the tests migrate each store themselves (and show why PostgreSQL fails).
  for (const [what, r] of [['PostgreSQL', pgTemplate], ['SQLite', sqliteTemplate]] as const) {
    if (r.status === 'rejected') console.warn(`no ${what} template store, each test migrates its own: ${String(r.reason)}`);
  }
  project.provide('pgTemplate', pgTemplate.status === 'fulfilled' ? pgTemplate.value : null);
  project.provide('sqliteTemplate', sqliteTemplate.status === 'fulfilled' ? sqliteTemplate.value : null);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    if (pgTemplate.status === 'fulfilled') await dropPgSchema(url, schema);
  };
}
