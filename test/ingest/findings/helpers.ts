/** Small helpers for the finding importer tests (sources in chunks, collection, error capture). */
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ImportError } from '../../../src/errors.js';
import type { FindingFormat } from '../../../src/ingest/findings/index.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from '../../../src/ingest/types.js';
import { corpusPath } from '../../helpers/corpus.js';

/** The corpus folders of the software-composition tools. */
export const SCA_TOOL_DIRS: Record<string, FindingFormat> = {
  trivy: 'trivy',
  anchore_grype: 'grype',
  sarif: 'sarif',
  osv_scanner: 'osv-scanner',
  cyclonedx: 'cyclonedx',
  dependency_check: 'dependency-check',
  npm_audit_7_plus: 'npm-audit',
};

/** The corpus folder of each tool whose reports these importers read. */
export const TOOL_DIRS: Record<string, FindingFormat> = {
  ...SCA_TOOL_DIRS,
  snyk: 'snyk',
  semgrep: 'semgrep',
  openvas: 'openvas',
  tenable: 'tenable',
  govulncheck: 'govulncheck',
  generic: 'generic',
  zap: 'zap',
  qualys: 'qualys',
};

/** Every corpus file of a tool, as paths relative to the corpus folder. */
export function corpusFiles(tool: string): string[] {
  const dir = corpusPath(`scanners/${tool}`);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(corpusPath(''), p));
    }
  };
  walk(dir);
  return out;
}

export function corpusBytes(rel: string): Buffer {
  return readFileSync(corpusPath(rel));
}

export function corpusStream(rel: string): ByteSource {
  return createReadStream(corpusPath(rel), { highWaterMark: 16 * 1024 });
}

/** A source yielding `buf` in chunks of `chunk` bytes (0 = one chunk). */
export function chunked(buf: Buffer, chunk = 0): ByteSource {
  return (async function* () {
    if (chunk <= 0) {
      if (buf.length > 0) yield buf;
      return;
    }
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  })();
}

export async function collect(gen: AsyncGenerator<ImportItem>): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

export async function parseAll(parser: Parser, source: ByteSource, file = 'input'): Promise<ImportItem[]> {
  const ctx: ParseContext = { file };
  return collect(parser.parse(source, ctx));
}

/** The error a promise rejects with, or undefined when it resolves. */
export async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * Runs a parser over `input` and resolves when it finished or threw an ImportError; rejects with
 * any other error, or when it has not finished after `ms` milliseconds (a hang).
 */
export async function finishesOrImportError(parser: Parser, input: Buffer, chunk: number, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`parser ${parser.format} did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([parseAll(parser, chunked(input, chunk), 'fuzz.bin'), timeout]);
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    if (err.file !== 'fuzz.bin') throw new Error(`ImportError names ${err.file}, not the input file`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
