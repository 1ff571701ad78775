#!/usr/bin/env node
/**
 * `npm run bench:triage`: import + enrichment + triage + store of a large Trivy report, measured
 * on closeloop's own code (dist/), beside its floor. See docs/benchmarks.md.
 *
 *   node bench/triage.mjs [--findings 1000000] [--assets 100000] [--epss 250000] [--signals 100000]
 *                         [--seed 1] [--pg] [--no-sqlite] [--no-floor] [--no-retriage] [--escalate]
 *                         [--rounds N] [--json FILE]
 *
 * Steps (each measured run in a child process of its own, so peak RSS is that run's alone):
 * 1. Data: generated deterministically into bench/data/ (gitignored) by bench/gen-data.mjs, and
 *    reused when bench/data/params.json records the same parameters. KEV is the full catalog of
 *    the shared corpus.
 * 2. Run, per engine (SQLite file in bench/data/, PostgreSQL schema `bench_run` with --pg): a fresh
 *    store; `importFile` KEV, EPSS, assets, signals, then the Trivy report with `triage: true`
 *    (`closeloop import findings F --triage`: every finding decided and its Decision stored in the
 *    import's transaction). That is the measured pipeline: wall time per phase, findings/s, peak
 *    RSS read from outside every 20 ms (/proc/<pid>/status) and process.resourceUsage().maxRSS.
 *    Then, outside the total and in a child process of its own (so its peak RSS is its own),
 *    `triageStored` over everything the run stored (a later `closeloop triage`; with --escalate,
 *    `closeloop triage --escalate`: incidents, handoff notes, remediation items), unless
 *    --no-retriage. CLOSELOOP_BENCH_PROFILE=<phase> (or `retriage`) writes
 *    bench/data/<phase>.cpuprofile.
 * 3. Floor, from the same data: the time to only tokenize the Trivy file with the fastest
 *    streaming approach (the hand-written reader capturing each finding object, JSON.parse per
 *    finding, no records built), plus the time to insert exactly the rows the run stored into a
 *    fresh store with the same schema, the cheapest way the engine offers (SQLite: one transaction
 *    of prepared inserts, findings and decisions indexes built after the load; PostgreSQL: COPY);
 *    of the decisions, only the pipeline's own run (not the re-triage).
 *    The ratio printed is run total / floor.
 * 4. --rounds N (default 1): the run and both floors N times per engine, back to back, each round's
 *    ratio from its own measurements: this VM's speed drifts by a third within minutes, and a
 *    ratio of a run and a floor measured minutes apart drifts with it. Printed: every round's ratio
 *    and their median; the phases are the first round's.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GENERATOR_VERSION, generate } from './gen-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
const DATA = path.join(here, 'data');
const PG_URL = process.env.CLOSELOOP_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const TABLES = ['vulnerabilities', 'assets', 'signals', 'findings', 'decisions', 'triage_runs', 'rulesets'];

function parseArgs(argv) {
  const o = { findings: 1000000, assets: 100000, epss: 250000, signals: 100000, seed: 1, pg: false, sqlite: true, floor: true, retriage: true, escalate: false, json: null, child: null, engine: null, run: null, rounds: 1 };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'pg') o.pg = true;
    else if (k === 'no-sqlite') o.sqlite = false;
    else if (k === 'no-floor') o.floor = false;
    else if (k === 'no-retriage') o.retriage = false;
    else if (k === 'escalate') o.escalate = true;
    else if (['findings', 'assets', 'epss', 'signals', 'seed', 'rounds'].includes(k)) o[k] = Number(argv[++i]);
    else if (['json', 'child', 'engine', 'run'].includes(k)) o[k] = argv[++i];
    else {
      console.error(`unknown option ${argv[i]}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1) {
    console.error('--rounds takes a whole number of at least 1');
    process.exit(2);
  }
  if (o.rounds > 1 && !o.floor) {
    console.error('--rounds compares runs with their floors: it cannot go with --no-floor');
    process.exit(2);
  }
  return o;
}

const secs = (ms) => Math.round(ms) / 1000;
const mib = (bytes) => Math.round(bytes / 1048576);

/** Peak RSS: sampled on an interval, and the kernel's maxRSS for the whole process. */
function rssMeter() {
  let peak = process.memoryUsage.rss();
  let phasePeak = peak;
  const t = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
    if (r > phasePeak) phasePeak = r;
  }, 20);
  t.unref();
  return {
    /** Peak RSS since the previous mark (MiB). */
    mark() {
      const r = Math.max(phasePeak, process.memoryUsage.rss());
      phasePeak = process.memoryUsage.rss();
      return mib(r);
    },
    stop() {
      clearInterval(t);
      const r = process.memoryUsage.rss();
      if (r > peak) peak = r;
      return { sampledPeakMiB: mib(peak), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// data

async function ensureData(o) {
  const params = { generator: GENERATOR_VERSION, findings: o.findings, assets: o.assets, epss: o.epss, signals: o.signals, seed: o.seed };
  const file = path.join(DATA, 'params.json');
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, 'utf8'));
    if (JSON.stringify(old.params) === JSON.stringify(params) && Object.values(old.files).every((f) => existsSync(f))) return old;
  }
  mkdirSync(DATA, { recursive: true });
  process.stdout.write(`generating data into ${path.relative(root, DATA)}/ … `);
  const t0 = performance.now();
  const g = await generate(params, DATA);
  console.log(`${secs(performance.now() - t0)} s`);
  const rec = { params, ...g };
  writeFileSync(file, JSON.stringify(rec, null, 2));
  return rec;
}

// ---------------------------------------------------------------------------------------------
// children

/**
 * The child's RSS read from outside, from `/proc/<pid>/status` every 20 ms: the child's own timer
 * cannot be trusted for it (during the findings import its main thread seldom reaches the event
 * loop's timer phase, so an in-process sampler misses the peaks). Null where there is no /proc.
 */
function outsideRss(pid) {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return null;
  const samples = [];
  const read = () => {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(file, 'utf8'));
      if (m) samples.push([Date.now(), Number(m[1]) * 1024]);
    } catch {
      // the child has exited
    }
  };
  read();
  const t = setInterval(read, 20);
  return {
    stop: () => clearInterval(t),
    /** Peak RSS (MiB) between two wall-clock times, or over the whole run. */
    peak: (from = 0, to = Infinity) => mib(samples.reduce((max, [at, rss]) => (at >= from && at <= to && rss > max ? rss : max), 0)),
  };
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const outside = outsideRss(p.pid);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      outside?.stop();
      if (code !== 0) return reject(new Error(`child ${args.join(' ')} exited ${code}`));
      const line = out.trim().split('\n').pop();
      const r = JSON.parse(line);
      if (outside !== null && r.rss) {
        // per phase and overall, from outside; the child's own samples stay as insideMiB
        r.rss.insideMiB = r.rss.sampledPeakMiB;
        r.rss.sampledPeakMiB = outside.peak();
        r.rss.sampledFrom = 'outside';
        for (const [phase, [from, to]] of Object.entries(r.windows ?? {})) r.phaseRss[phase] = outside.peak(from, to);
      }
      resolve(r);
    });
  });
}

/** The run's store: a fresh one, or (`existing`) the one the last run left. */
async function benchStore(engine, existing = false) {
  const { openStore } = await import(dist('store/db.js'));
  if (engine === 'sqlite') {
    const file = path.join(DATA, 'run-sqlite.db');
    if (!existing) for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
    return { store: await openStore({ url: file }), location: file };
  }
  if (!existing) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query('DROP SCHEMA IF EXISTS bench_run CASCADE');
    await c.end();
  }
  const u = new URL(PG_URL);
  u.searchParams.set('schema', 'bench_run');
  return { store: await openStore({ url: u.toString() }), location: 'bench_run' };
}

/** CLOSELOOP_BENCH_PROFILE=<phase>: a CPU profile of the main thread for that phase (bench/data/<phase>.cpuprofile). */
async function startProfile() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (file) => {
    const { profile } = await post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** People in the store's directory (the measured use cases authorize against it). */
async function addBenchPeople(store, people) {
  const { insertPersonIfAbsent } = await import(dist('store/repositories/people.js'));
  const at = new Date().toISOString();
  for (const [name, roles] of Object.entries(people)) {
    await insertPersonIfAbsent(store.db, { name, roles: JSON.stringify(roles), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null });
  }
}

/** The store, configuration and caller the measured children use, with the CLI's runtime tuning. */
async function benchContext(engine, existing) {
  // the same runtime tuning as bin/closeloop.js
  (await import(dist('runtime.js'))).tuneRuntime();
  const { validateConfig, defaultConfig } = await import(dist('config/load.js'));
  const { store, location } = await benchStore(engine, existing);
  const config = validateConfig(defaultConfig(path.join(DATA, 'evidence')), 'bench');
  const ctx = { store, config, configPath: path.join(DATA, 'closeloop.yaml'), now: () => new Date('2026-11-28T12:00:00Z') };
  await addBenchPeople(store, { bench: ['admin'], vm: ['vuln_mgmt_owner'] });
  return { store, location, ctx, caller: { actor: 'vm' } };
}

async function childRun(o) {
  const data = JSON.parse(readFileSync(path.join(DATA, 'params.json'), 'utf8'));
  const { importFile } = await import(dist('app/importer.js'));
  const { store, location, ctx, caller } = await benchContext(o.engine, false);
  const meter = rssMeter();
  const phases = {};
  const counts = {};
  const phaseRss = {};
  /** Wall-clock start and end of each phase, for the parent's outside RSS readings. */
  const windows = {};
  const t0 = performance.now();
  for (const [phase, kind, file, triage] of [
    ['kev', 'kev', data.files.kev, false],
    ['epss', 'epss', data.files.epss, false],
    ['assets', 'assets', data.files.assets, false],
    ['signals', 'signals', data.files.signals, false],
    ['findings', 'findings', data.files.trivy, true],
  ]) {
    const stopProfile = process.env.CLOSELOOP_BENCH_PROFILE === phase ? await startProfile() : null;
    const t = performance.now();
    const w0 = Date.now();
    const r = await importFile(ctx, caller, { kind, file, ...(triage ? { triage: true } : {}) });
    phases[phase] = secs(performance.now() - t);
    windows[phase] = [w0, Date.now()];
    if (stopProfile) await stopProfile(path.join(DATA, `${phase}.cpuprofile`));
    phaseRss[phase] = meter.mark();
    if (process.env.CLOSELOOP_BENCH_MEMORY) {
      globalThis.gc?.();
      const m = process.memoryUsage();
      const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /^Rss(Anon|File|Shmem)/.test(l)).map((l) => l.replace(/\s+/g, ' ')).join(', ') : '';
      console.error(`${phase}: rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB; ${status}`);
    }
    counts[phase] = { count: r.count, created: r.created, updated: r.updated, unchanged: r.unchanged, ...(kind === 'findings' ? { assets_created: r.assets_created, vulnerabilities_created: r.vulnerabilities_created } : {}) };
    if (r.triage) counts.triage = { run: r.triage.run, evaluated: r.triage.evaluated, by_outcome: r.triage.by_outcome };
  }
  const total = secs(performance.now() - t0);
  const rss = meter.stop();
  await store.close();
  console.log(JSON.stringify({ engine: o.engine, location, phases, phaseRss, windows, total, counts, rss }));
}

/**
 * Not part of the pipeline's total: a later `closeloop triage` over everything the run stored (after
 * a KEV/EPSS refresh; with --escalate, `closeloop triage --escalate`), in a process of its own so
 * its peak RSS is its own.
 */
async function childRetriage(o) {
  const { triageStored, loadRuleset } = await import(dist('app/triage.js'));
  const { store, ctx, caller } = await benchContext(o.engine, true);
  // as `closeloop triage` over the store tunes itself (src/cli/commands/triage.ts, through bin/closeloop.js)
  (await import(dist('runtime.js'))).tuneFor('stored-triage');
  const ruleset = await loadRuleset();
  const meter = rssMeter();
  const stopProfile = process.env.CLOSELOOP_BENCH_PROFILE === 'retriage' ? await startProfile() : null;
  const t = performance.now();
  const summary = await triageStored(ctx, caller, { escalate: o.escalate }, ruleset);
  const seconds = secs(performance.now() - t);
  if (stopProfile) await stopProfile(path.join(DATA, 'retriage.cpuprofile'));
  const rss = meter.stop();
  await store.close();
  const escalation = o.escalate ? { incidents: summary.incidents.filter((i) => i.created).length, handoffs: summary.incidents.filter((i) => i.resent).length } : {};
  console.log(JSON.stringify({ seconds, evaluated: summary.evaluated, by_outcome: summary.by_outcome, ...escalation, rss }));
}

/** Floor 1: tokenize the Trivy file with the hand-written streaming reader (in batches); a value per finding. */
async function childTokenize() {
  const data = JSON.parse(readFileSync(path.join(DATA, 'params.json'), 'utf8'));
  const { streamJsonBatches } = await import(dist('ingest/stream/json-stream.js'));
  const file = data.files.trivy;
  const meter = rssMeter();
  const t0 = performance.now();
  let n = 0;
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const batch of streamJsonBatches(src, [['*', '*', 'Results', '*', 'Vulnerabilities', '*']], { file })) for (const m of batch) if (m.value !== null) n++;
  console.log(JSON.stringify({ seconds: secs(performance.now() - t0), findings: n, rss: meter.stop() }));
}

/** Floor 2 (SQLite): the run's rows into a fresh store, prepared inserts, one transaction. */
/** The rows the pipeline stored: of the decisions and runs, only the import's own run (not the re-triage). */
function onlyRun(table, run) {
  if (run === null || !/^TR-[0-9]+$/.test(run)) return '';
  if (table === 'decisions') return ` AND id >= '${run}/' AND id < '${run}0'`;
  if (table === 'triage_runs') return ` AND id = '${run}'`;
  return '';
}

async function floorSqlite(o) {
  const Database = (await import('better-sqlite3')).default;
  const { openStore } = await import(dist('store/db.js'));
  const file = path.join(DATA, 'floor-sqlite.db');
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
  const store = await openStore({ url: file });
  await store.close();
  const src = new Database(path.join(DATA, 'run-sqlite.db'), { readonly: true });
  const dst = new Database(file);
  dst.pragma('journal_mode = WAL');
  dst.pragma('synchronous = NORMAL');
  dst.pragma('cache_size = -65536');
  let ms = 0;
  let rows = 0;
  const tick = (f) => {
    const t = performance.now();
    f();
    ms += performance.now() - t;
  };
  tick(() => dst.exec('BEGIN'));
  const findingsIndexes = dst.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('findings', 'decisions') AND sql IS NOT NULL").all();
  tick(() => findingsIndexes.forEach((ix) => dst.exec(`DROP INDEX ${ix.name}`)));
  for (const table of TABLES) {
    const cols = src.prepare(`SELECT * FROM ${table} LIMIT 0`).columns().map((c) => c.name);
    const ins = dst.prepare(`INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`);
    const only = onlyRun(table, o.run);
    const read = src.prepare(`SELECT * FROM ${table} WHERE rowid > ?${only} ORDER BY rowid LIMIT 20000`).raw();
    const rowid = src.prepare(`SELECT max(rowid) AS m FROM (SELECT rowid FROM ${table} WHERE rowid > ?${only} ORDER BY rowid LIMIT 20000)`);
    let after = 0;
    for (;;) {
      const batch = read.all(after);
      if (batch.length === 0) break;
      after = rowid.get(after).m;
      tick(() => {
        for (const r of batch) ins.run(r);
      });
      rows += batch.length;
    }
  }
  tick(() => findingsIndexes.forEach((ix) => dst.exec(ix.sql)));
  tick(() => dst.exec('COMMIT'));
  src.close();
  dst.close();
  console.log(JSON.stringify({ seconds: secs(ms), rows }));
}

/** Floor 2 (PostgreSQL): the run's rows into a fresh schema with COPY, one transaction. */
async function floorPg(o) {
  const pg = (await import('pg')).default;
  const { from: copyFrom } = await import('pg-copy-streams');
  const { openStore } = await import(dist('store/db.js'));
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query('DROP SCHEMA IF EXISTS bench_floor CASCADE');
  const u = new URL(PG_URL);
  u.searchParams.set('schema', 'bench_floor');
  const store = await openStore({ url: u.toString() });
  await store.close();
  const dst = new pg.Client({ connectionString: PG_URL, options: '-c search_path=bench_floor' });
  await dst.connect();
  let ms = 0;
  let rows = 0;
  const t = async (f) => {
    const s = performance.now();
    await f();
    ms += performance.now() - s;
  };
  await t(() => dst.query('BEGIN'));
  for (const table of TABLES) {
    const cols = (await admin.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'bench_run' AND table_name = $1 ORDER BY ordinal_position`, [table])).rows.map((r) => r.column_name);
    const key = table === 'rulesets' ? 'digest' : 'id';
    let after = '';
    for (;;) {
      const r = await admin.query({ text: `SELECT ${cols.join(',')} FROM bench_run.${table} WHERE ${key} > $1${onlyRun(table, o.run)} ORDER BY ${key} LIMIT 20000`, values: [after], rowMode: 'array' });
      if (r.rows.length === 0) break;
      after = r.rows[r.rows.length - 1][cols.indexOf(key)];
      const text = r.rows.map((row) => row.map((v) => (v === null ? '\\N' : String(v).replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]))).join('\t')).join('\n') + '\n';
      await t(
        () =>
          new Promise((resolve, reject) => {
            const s = dst.query(copyFrom(`COPY ${table} (${cols.join(',')}) FROM STDIN`));
            s.on('finish', resolve);
            s.on('error', reject);
            s.end(text);
          }),
      );
      rows += r.rows.length;
    }
  }
  await t(() => dst.query('COMMIT'));
  await dst.end();
  await admin.query('DROP SCHEMA IF EXISTS bench_floor CASCADE');
  await admin.end();
  console.log(JSON.stringify({ seconds: secs(ms), rows }));
}

// ---------------------------------------------------------------------------------------------
// report

function report(o, data, runs, floors) {
  const lines = [];
  const say = (s = '') => lines.push(s);
  const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
  say(`closeloop bench:triage — ${o.findings.toLocaleString('en')} findings over ${o.assets.toLocaleString('en')} assets, KEV ${data.kevCount}, EPSS ${o.epss.toLocaleString('en')} rows, ${o.signals.toLocaleString('en')} signals`);
  say(`Trivy report ${mb(data.sizes.trivy)} (${Math.round(data.sizes.trivy / o.findings)} B/finding); node ${process.version}, ${cpus().length} cores`);
  if (floors.tokenize) say(`floor: tokenize the report: ${floors.tokenize.seconds} s (${Math.round(floors.tokenize.findings / floors.tokenize.seconds).toLocaleString('en')} findings/s)`);
  for (const r of runs) {
    say();
    say(`${r.engine}:`);
    for (const [k, v] of Object.entries(r.phases)) say(`  ${k.padEnd(9)} ${String(v.toFixed(2)).padStart(7)} s   peak RSS ${r.phaseRss[k]} MiB`);
    say(`  ${'total'.padEnd(9)} ${String(r.total.toFixed(2)).padStart(7)} s   ${Math.round(o.findings / r.total).toLocaleString('en')} findings/s overall; findings import with triage alone ${Math.round(o.findings / r.phases.findings).toLocaleString('en')}/s`);
    say(`  peak RSS ${r.rss.sampledPeakMiB} MiB sampled${r.rss.sampledFrom === 'outside' ? ' from outside every 20 ms' : ''}, maxRSS ${r.rss.maxRssMiB} MiB`);
    say(`  triage: ${JSON.stringify(r.counts.triage)}`);
    if (r.extra?.retriage) say(`  re-triage of everything stored${r.extra.retriage.incidents === undefined ? '' : ` with escalation (${r.extra.retriage.incidents.toLocaleString('en')} incidents opened, ${r.extra.retriage.handoffs.toLocaleString('en')} handoff notes)`} (not in the total): ${r.extra.retriage.seconds} s (${Math.round(r.extra.retriage.evaluated / r.extra.retriage.seconds).toLocaleString('en')} findings/s), maxRSS ${r.extra.retriage.maxRssMiB} MiB (sampled in the process: ${r.extra.retriage.peakRssMiB} MiB), ${JSON.stringify(r.extra.retriage.by_outcome)}`);
    const f = floors[r.engine];
    if (f && floors.tokenize) {
      const floor = floors.tokenize.seconds + f.seconds;
      say(`  floor: tokenize ${floors.tokenize.seconds} s + insert the same ${f.rows.toLocaleString('en')} rows ${f.seconds} s = ${floor.toFixed(2)} s; run / floor = ${(r.total / floor).toFixed(2)}×`);
    }
    const rounds = r.rounds ?? [];
    if (rounds.length > 1) {
      const ratios = rounds.map((x) => x.ratio).sort((a, b) => a - b);
      const median = ratios.length % 2 === 1 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
      say(`  ${rounds.length} rounds, each run / (tokenize + insert) measured back to back:`);
      rounds.forEach((x, i) => say(`    ${i + 1}: ${x.total.toFixed(2)} s / (${x.tokenize} + ${x.insert} s) = ${x.ratio.toFixed(2)}×, maxRSS ${x.maxRssMiB} MiB`));
      say(`    median run / floor ${median.toFixed(2)}× (${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}×)`);
    }
  }
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv);
  if (o.child === 'run') return childRun(o);
  if (o.child === 'retriage') return childRetriage(o);
  if (o.child === 'tokenize') return childTokenize();
  if (o.child === 'floor') return o.engine === 'sqlite' ? floorSqlite(o) : floorPg(o);
  const data = await ensureData(o);
  const engines = [...(o.sqlite ? ['sqlite'] : []), ...(o.pg ? ['postgres'] : [])];
  const runs = [];
  const floors = {};
  for (const engine of engines) {
    process.stdout.write(`run ${engine} … `);
    const r = await runChild(['--child', 'run', '--engine', engine]);
    console.log(`${r.total} s`);
    runs.push(r);
    if (o.floor && o.rounds > 1) {
      r.rounds = [];
      for (let round = 1; round <= o.rounds; round++) {
        const run = round === 1 ? r : await runChild(['--child', 'run', '--engine', engine]);
        if (round > 1) console.log(`run ${engine} (round ${round}) … ${run.total} s`);
        const insert = await runChild(['--child', 'floor', '--engine', engine, '--run', run.counts.triage.run]);
        const tokenize = await runChild(['--child', 'tokenize']);
        console.log(`  floor (round ${round}): insert ${insert.seconds} s, tokenize ${tokenize.seconds} s`);
        if (round === 1) {
          floors[engine] = insert;
          floors.tokenize ??= tokenize;
        }
        r.rounds.push({ total: run.total, insert: insert.seconds, tokenize: tokenize.seconds, ratio: run.total / (insert.seconds + tokenize.seconds), maxRssMiB: run.rss.maxRssMiB });
      }
    }
    if (o.retriage) {
      process.stdout.write(`re-triage ${engine}${o.escalate ? ' with escalation' : ''} … `);
      const t = await runChild(['--child', 'retriage', '--engine', engine, ...(o.escalate ? ['--escalate'] : [])]);
      console.log(`${t.seconds} s`);
      r.extra = { retriage: { ...t, peakRssMiB: t.rss.sampledPeakMiB, maxRssMiB: t.rss.maxRssMiB } };
    }
    if (o.floor && o.rounds === 1) {
      process.stdout.write(`floor insert ${engine} … `);
      floors[engine] = await runChild(['--child', 'floor', '--engine', engine, '--run', r.counts.triage.run]);
      console.log(`${floors[engine].seconds} s`);
    }
  }
  if (o.floor && floors.tokenize === undefined) {
    process.stdout.write('floor tokenize … ');
    floors.tokenize = await runChild(['--child', 'tokenize']);
    console.log(`${floors.tokenize.seconds} s`);
  }
  const text = report(o, data, runs, floors);
  console.log(`\n${text}`);
  if (o.json) writeFileSync(o.json, JSON.stringify({ params: data.params, sizes: data.sizes, runs, floors }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
