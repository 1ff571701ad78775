#!/usr/bin/env node
import { tuneRuntime } from '../dist/runtime.js';

tuneRuntime();
// `closeloop … | head`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) stream.on('error', (err) => (err.code === 'EPIPE' ? process.exit(0) : undefined));
const { main } = await import('../dist/cli/main.js');

await main(process.argv);
