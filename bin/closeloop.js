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
  tune: (workload) => tuneFor(workload),
  onStop: (stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
});
