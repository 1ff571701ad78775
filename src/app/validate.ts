import { z } from 'zod';
import { badInput } from '../errors.js';

/**
 * Parses use-case input with its zod schema; a failure names every bad field and what is expected,
 * and nothing has been written yet.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields = r.error.issues.flatMap((i) => {
    const at = i.path.join('.');
    // A misspelt field is refused by name rather than silently dropped.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown field' }));
    return [{ field: at || '(input)', message: i.message }];
  });
  const text = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw badInput(`invalid input: ${text}`, { fields });
}

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'a real calendar date as YYYY-MM-DD');

/** Text given by a caller. U+0000 is refused on both engines: PostgreSQL cannot store it in text. */
export const plainText = (what: string) => z.string().refine((s) => !s.includes('\u0000'), `${what} must not contain the character U+0000`);

export const nonEmpty = (what: string) => plainText(what).trim().min(1, `${what} must not be empty`);
