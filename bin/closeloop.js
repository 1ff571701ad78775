#!/usr/bin/env node
import { tuneFor, tuneRuntime } from '../dist/runtime.js';

tuneRuntime();
// `closeloop … | head`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) stream.on('error', (err) => (err.code === 'EPIPE' ? process.exit(0) : undefined));
const { runCli } = await import('../dist/cli/main.js');

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  tune: (workload) => tuneFor(workload),
  onStop: (stop) => {
    // The first signal drains (see `serve`); a second one, or a drain past DRAIN_MS, ends at once.
    const DRAIN_MS = 30_000;
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(1);
      stopping = true;
      setTimeout(() => process.exit(1), DRAIN_MS).unref();
      void stop().then((code) => process.exit(code));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  },
});
