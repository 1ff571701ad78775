// Builds dist/ (the server with tsc, the web application with Vite) when it is missing or older
// than any source file, so `npm start` works on a fresh clone and after a pull without a separate
// build step.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = path.join(root, 'dist', 'cli', 'main.js');
const webMarker = path.join(root, 'dist', 'web', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale = !existsSync(marker) || newest(path.join(root, 'src')) > statSync(marker).mtimeMs;
if (stale) {
  process.stdout.write('building closeloop (tsc)…\n');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const webStale = !existsSync(webMarker) || newest(path.join(root, 'web', 'src')) > statSync(webMarker).mtimeMs;
if (webStale) {
  process.stdout.write('building the web application (vite)…\n');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', path.join(root, 'web', 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
