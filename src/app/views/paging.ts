/**
 * Paging of the read views: `limit` rows (default 100, at most 1,000) after an opaque keyset
 * cursor, the `next` of the previous page.
 */
import { z } from 'zod';
import { ClError } from '../../errors.js';
import type { Keyset } from '../../store/repositories/views.js';
import { identifier } from '../validate.js';

export const PAGE = { default: 100, max: 1000 } as const;

/** The paging fields every list's input has. */
export const pageFields = {
  /** Rows on this page (default 100, at most 1,000). */
  limit: z.coerce.number().int().min(1).max(PAGE.max).optional(),
  /** The `next` of the previous page. */
  after: identifier('after').optional(),
};

/** A yes/no filter as a query string gives it (`true`/`false`) or a JSON body does. */
export const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** The cursor of a row: its creation time and id. */
export function keysetCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

export function fromKeysetCursor(after: string | undefined): Keyset | undefined {
  if (after === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw badCursor();
  return [v[0], v[1]];
}

export function badCursor(): ClError {
  return new ClError('CL_BAD_INPUT', 'after is not a cursor of this list: pass the `next` value of the previous page, or leave it out for the first page', {
    fields: [{ field: 'after', message: 'a `next` value from the previous page' }],
  });
}

/** A page of `limit` rows out of `limit + 1` read, and the cursor of the next (null on the last page). */
export function pageOf<R, C>(rows: readonly R[], limit: number, cursor: (last: R) => C): { rows: R[]; next: C | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last !== undefined ? cursor(last) : null };
}
