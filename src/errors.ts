/**
 * One catalogue of errors with stable codes. The domain raises codes; the HTTP edge maps a code to
 * a status and the CLI edge maps it to an exit code. Clients match on `code`, never on the message.
 */

export const ERROR_CODES = {
  CL_BAD_INPUT: { status: 400, exit: 2 },
  CL_NOT_FOUND: { status: 404, exit: 2 },
  CL_CONFLICT: { status: 409, exit: 3 },
  CL_INVALID_TRANSITION: { status: 409, exit: 3 },
  CL_GATE_REFUSED: { status: 409, exit: 3 },
  CL_RULE_REFUSED: { status: 409, exit: 3 },
  CL_UNAUTHENTICATED: { status: 401, exit: 2 },
  CL_FORBIDDEN: { status: 403, exit: 3 },
  CL_CONFIG_INVALID: { status: 500, exit: 2 },
  CL_IMPORT_INVALID: { status: 400, exit: 2 },
  CL_AUDIT_BROKEN: { status: 500, exit: 1 },
  CL_INTERNAL: { status: 500, exit: 1 },
  /** The store does not answer (down, restarting, connection lost) or its write lock stayed busy: nothing was done; retry. */
  CL_UNAVAILABLE: { status: 503, exit: 1 },
  /** The disk under the database is full: the change was rolled back whole; free space, then retry. */
  CL_STORAGE_FULL: { status: 507, exit: 1 },
  // A request or a field over a limit (413; the HTTP edge answers 414 and 431 with it too).
  CL_TOO_LARGE: { status: 413, exit: 2 },
  // A method a route does not answer (HTTP only).
  CL_METHOD_NOT_ALLOWED: { status: 405, exit: 2 },
  /** Too many requests (sign-in attempts, or calls with one API token) in a short time: wait `retry-after` seconds (HTTP only). */
  CL_RATE_LIMITED: { status: 429, exit: 1 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected, user-facing failure: printed without a stack trace. */
export class ClError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ClError';
    this.code = code;
    this.details = details;
  }
}

export function isClError(err: unknown): err is ClError {
  return err instanceof ClError;
}

export const badInput = (message: string, details?: unknown): ClError =>
  new ClError('CL_BAD_INPUT', message, details);

export const notFound = (what: string, id: string): ClError =>
  new ClError('CL_NOT_FOUND', `${what} ${id} not found`, { what, id });

/**
 * A problem in an input file. `record` is a 1-based line number for line formats (NDJSON, CSV) or a
 * 0-based index / JSON path for documents; `field` names the offending field when known.
 */
export class ImportError extends ClError {
  readonly file: string;
  readonly record: string | number | null;
  readonly field: string | null;

  constructor(file: string, record: string | number | null, field: string | null, problem: string) {
    const where = [
      `file ${file}`,
      record === null ? null : `record ${record}`,
      field === null ? null : `field ${field}`,
    ]
      .filter((s) => s !== null)
      .join(', ');
    super('CL_IMPORT_INVALID', `${where}: ${problem}`, { file, record, field, problem });
    this.name = 'ImportError';
    this.file = file;
    this.record = record;
    this.field = field;
  }
}
