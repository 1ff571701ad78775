#!/usr/bin/env node
/**
 * A rescan that finds nothing new: the report of the last `node bench/triage.mjs` run imported
 * again, unchanged, into a copy of the SQLite store that run left (bench/data/run-sqlite.db). The
 * copy of the report has a newline appended, so its SHA-256 differs and every finding is read,
 * looked up by fingerprint and marked as seen. Measured in this process: wall time, counts and
 * maxRSS. See docs/benchmarks.md.
 *
 *   node bench/triage.mjs --no-floor --no-retriage   # once, to leave the store
 *   node bench/reimport.mjs
 */
import { appendFileSync, copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const DATA = path.join(here, 'data');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;

const store = path.join(DATA, 'run-sqlite.db');
const params = path.join(DATA, 'params.json');
if (!existsSync(store) || !existsSync(params)) {
  console.error('bench/data has no run store: run `node bench/triage.mjs --no-floor --no-retriage` first');
  process.exit(2);
}
const report = JSON.parse(readFileSync(params, 'utf8')).files.trivy;
const db = path.join(DATA, 'reimport-sqlite.db');
const again = path.join(DATA, 'reimport-trivy.json');
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
copyFileSync(store, db);
for (const s of ['-wal', '-shm']) if (existsSync(store + s)) copyFileSync(store + s, db + s);
copyFileSync(report, again);
appendFileSync(again, '\n');

(await import(dist('runtime.js'))).tuneRuntime();
const { openStore } = await import(dist('store/db.js'));
const { importFile } = await import(dist('app/importer.js'));
const { validateConfig, defaultConfig } = await import(dist('config/load.js'));
const s = await openStore({ url: db });
const config = validateConfig(defaultConfig(path.join(DATA, 'evidence')), 'bench');
const { insertPersonIfAbsent } = await import(dist('store/repositories/people.js'));
const at = new Date().toISOString();
await insertPersonIfAbsent(s.db, { name: 'vm', roles: JSON.stringify(['vuln_mgmt_owner']), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null });
const ctx = { store: s, config, configPath: path.join(DATA, 'closeloop.yaml'), now: () => new Date('2026-12-05T12:00:00Z') };
const t = performance.now();
const r = await importFile(ctx, { actor: 'vm' }, { kind: 'findings', file: again, triage: true });
const seconds = (performance.now() - t) / 1000;
await s.close();
console.log(`re-import of ${r.count.toLocaleString('en')} findings, unchanged: ${seconds.toFixed(2)} s (${Math.round(r.count / seconds).toLocaleString('en')} findings/s), maxRSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
console.log(`  created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, resolved ${r.resolved}, decided ${r.triage?.evaluated ?? 0}`);
for (const f of [db, `${db}-wal`, `${db}-shm`, again]) rmSync(f, { force: true });
