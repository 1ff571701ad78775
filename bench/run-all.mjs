#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark of the project, in turn. Arguments are passed on to each
 * (e.g. `npm run bench -- --findings 100000 --assets 10000 --pg` for a quick run on both engines).
 * See docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches = ['triage.mjs', 'checkpoints.mjs', 'scanner-reports.mjs'];
let failed = 0;
for (const b of benches) {
  console.log(`\n== bench/${b} ${process.argv.slice(2).join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(here, b), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
