import { ERROR_CODES, isClError } from '../errors.js';
import type { CliIo } from './io.js';

/** Exit codes: 0 ok, 1 failure, 2 usage or bad input, 3 refused by a gate or rule. */
export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 3 } as const;

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: the value as JSON with `--json`, else the human text. */
export function print(io: CliIo, opts: OutputOptions, value: unknown, human: () => string): void {
  if (opts.json) io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else io.stdout.write(`${human()}\n`);
}

/**
 * Reports an error the way a user can act on: expected errors (ClError) print their message and
 * map to their exit code; anything else is a bug, printed with a short note (stack only with
 * CLOSELOOP_DEBUG=1).
 */
export function reportError(io: CliIo, opts: OutputOptions, err: unknown): number {
  if (isClError(err)) {
    const exit = ERROR_CODES[err.code].exit;
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details ?? undefined } }, null, 2)}\n`);
    } else {
      io.stderr.write(`closeloop: ${err.message}\n`);
    }
    return exit;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (opts.json) io.stdout.write(`${JSON.stringify({ error: { code: 'CL_INTERNAL', message } }, null, 2)}\n`);
  else io.stderr.write(`closeloop: unexpected failure: ${message}\n`);
  if (io.env.CLOSELOOP_DEBUG === '1' && err instanceof Error) io.stderr.write(`${err.stack ?? ''}\n`);
  return EXIT.failure;
}

/** A fixed-width table for human output. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
