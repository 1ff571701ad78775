/**
 * The layer rule of docs/architecture.md ("Layers and their allowed imports"), checked over every
 * import in src/: static, `export … from` and dynamic `import()` alike.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root } from './helpers/cli.js';

const src = path.join(root, 'src');

interface Layer {
  name: string;
  /** `src/`-relative folder (ending in `/`) or file. */
  place: string;
  mayImport: ReadonlySet<string>;
}

/** The table under the "Layers and their allowed imports" heading of docs/architecture.md. */
export function layersFromDoc(markdown: string): Layer[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers and their allowed imports'));
  if (section === undefined) throw new Error('docs/architecture.md has no "Layers and their allowed imports" section');
  const layers: Layer[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[2]?.startsWith('`src/')) continue;
    const [, name = '', place = '', allowed = ''] = cells;
    layers.push({
      name,
      place: place.replaceAll('`', '').slice('src/'.length),
      mayImport: new Set(allowed === '—' ? [] : allowed.split(',').map((s) => s.trim())),
    });
  }
  return layers;
}

function layerOf(layers: readonly Layer[], srcRelative: string): Layer | undefined {
  return layers.find((l) => (l.place.endsWith('/') ? srcRelative.startsWith(l.place) : srcRelative === l.place.replace(/\.ts$/, '') + '.ts'));
}

export interface Violation {
  file: string;
  specifier: string;
  why: string;
}

/** The imports of one file (`file` relative to src/) that break the layer rule. */
export function violations(layers: readonly Layer[], file: string, text: string): Violation[] {
  const from = layerOf(layers, file);
  if (from === undefined) return [{ file, specifier: '', why: 'the file is in no layer of docs/architecture.md' }];
  const out: Violation[] = [];
  for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
    const specifier = imported.fileName;
    if (!specifier.startsWith('.')) {
      const builtin = specifier.replace(/^node:/, '').split('/')[0] ?? '';
      const isBuiltin = specifier.startsWith('node:') || BUILTINS.has(builtin);
      if (from.name === 'domain' && isBuiltin && builtin !== 'crypto') out.push({ file, specifier, why: 'domain does no I/O: no Node.js built-in modules' });
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
    if (target.startsWith('..')) {
      out.push({ file, specifier, why: 'imports from outside src/' });
      continue;
    }
    const to = layerOf(layers, target);
    if (to === undefined) out.push({ file, specifier, why: `${target} is in no layer` });
    else if (to.name !== from.name && !from.mayImport.has(to.name)) out.push({ file, specifier, why: `${from.name} may not import ${to.name}` });
  }
  if (from.name === 'domain') {
    for (const [pattern, what] of IMPURE) if (pattern.test(text)) out.push({ file, specifier: what, why: 'domain takes the clock and randomness as arguments' });
  }
  return out;
}

/** Ways to reach the clock, randomness or the process from code; the domain is given them instead. */
const IMPURE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\(/, 'Date.now()'],
  [/\bnew Date\(\)/, 'new Date()'],
  [/\bMath\.random\(/, 'Math.random()'],
  [/\brandom(UUID|Bytes|Int)\(/, 'crypto randomness'],
  [/\bprocess\./, 'process'],
];

const BUILTINS = new Set(['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'worker_threads', 'stream', 'url', 'v8', 'zlib', 'process', 'dns', 'tls']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const layers = layersFromDoc(readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8'));

describe('layers (docs/architecture.md)', () => {
  it('the table names every layer once', () => {
    expect(layers.map((l) => l.name).sort()).toEqual(['api', 'app', 'audit', 'cli', 'config', 'delivery', 'domain', 'errors', 'ingest', 'runtime', 'store']);
    for (const l of layers) for (const m of l.mayImport) expect(layers.some((x) => x.name === m), `${l.name} may import unknown layer ${m}`).toBe(true);
  });

  it('every import in src/ keeps to the table', () => {
    const found = sourceFiles(src).flatMap((f) => violations(layers, path.relative(src, f).split(path.sep).join('/'), readFileSync(f, 'utf8')));
    expect(found.map((v) => `${v.file}: ${v.specifier}: ${v.why}`)).toEqual([]);
  });

  it('catches an import that breaks the rule', () => {
    expect(violations(layers, 'domain/gate.ts', "import { readFile } from 'node:fs/promises';\n").map((v) => v.why)).toEqual(['domain does no I/O: no Node.js built-in modules']);
    expect(violations(layers, 'api/routes.ts', "import { openStore } from '../store/db.js';\n").map((v) => v.why)).toEqual(['api may not import store']);
    expect(violations(layers, 'delivery/x.ts', "export { audit } from '../app/context.js';\n").map((v) => v.why)).toEqual(['delivery may not import app']);
    expect(violations(layers, 'cli/commands/a.ts', "const m = await import('../../store/db.js');\n").map((v) => v.why)).toEqual(['cli may not import store']);
    expect(violations(layers, 'domain/x.ts', "import { createHash } from 'node:crypto';\nexport const t = () => Date.now();\n").map((v) => v.specifier)).toEqual(['Date.now()']);
    expect(violations(layers, 'app/x.ts', "import type { Store } from '../store/db.js';\nimport { z } from 'zod';\n")).toEqual([]);
  });
});
