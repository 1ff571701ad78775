// A writer process for the SQLite concurrency test (test/faults/sqlite-writers.test.ts): opens the
// store as a command does (src/app/open-context.ts, compiled in dist/) and runs COUNT use cases in
// turn, `openIncident` and `moveIncident … triage` (which reads the incident before it writes),
// then prints one JSON line: the ids it opened, the ids it moved and every failure.
// Usage: node test/helpers/cli-writer.mjs DIR DB LABEL COUNT
import { closeContext, openContext } from '../../dist/app/open-context.js';
import { moveIncident, openIncident } from '../../dist/app/incidents.js';

const [dir, db, label, countText] = process.argv.slice(2);
const count = Number(countText);
const ctx = await openContext({ env: { CLOSELOOP_DB: db, CLOSELOOP_CONFIG: `${dir}/closeloop.yaml` }, cwd: dir, now: () => new Date() });
const caller = { actor: 'lead' };

const opened = [];
const moved = [];
const failures = [];
const started = Date.now();
for (let i = 0; i < count; i += 1) {
  const last = opened[opened.length - 1];
  try {
    if (i % 2 === 0 || last === undefined) {
      opened.push((await openIncident(ctx, caller, { title: `${label} ${i}`, severity: 'low' })).id);
    } else {
      await moveIncident(ctx, caller, { id: last, state: 'triage' });
      moved.push(last);
    }
  } catch (err) {
    failures.push({ i, code: err.code ?? null, message: String(err.message).slice(0, 300) });
  }
}
await closeContext(ctx);
process.stdout.write(`${JSON.stringify({ opened, moved, failures, ms: Date.now() - started })}\n`);
