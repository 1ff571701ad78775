// A dispatcher process for the delivery reliability tests (test/faults/delivery.test.ts) whose
// clock runs OFFSET_MS ahead of the system's (to take over a lease a killed one left), otherwise
// what `closeloop deliver` does: opens the context from its environment (src/app/open-context.ts,
// compiled in dist/; the channels built from closeloop.yaml and the secrets it references) and
// drains the outbox once; prints one JSON line with its summary.
// Usage: CLOSELOOP_DB=… CLOSELOOP_CONFIG=… node test/helpers/dispatcher.mjs OFFSET_MS
import { closeContext, openContext } from '../../dist/app/open-context.js';
import { runDelivery } from '../../dist/app/run-delivery.js';
import { DISPATCHER } from '../../dist/app/system-caller.js';

const offset = Number(process.argv[2]);
const ctx = await openContext({ env: process.env, cwd: process.cwd(), now: () => new Date(Date.now() + offset) });
const summary = await runDelivery(ctx, DISPATCHER);
await closeContext(ctx);
process.stdout.write(`${JSON.stringify(summary)}\n`);
