/**
 * Where the shared test corpus lives: `../shared/corpus` next to the repository, so fixture tests
 * read the real published files instead of copies that could drift.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a corpus file, given its path relative to the corpus folder. */
export function corpusPath(rel: string): string {
  return path.resolve(repoRoot, '..', 'shared', 'corpus', rel);
}
