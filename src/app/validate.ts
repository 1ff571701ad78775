import { z } from 'zod';
import { describeBytes, identifierProblem, LIMITS, utf8Length } from '../domain/limits.js';
import { badInput } from '../errors.js';

/** The record each use-case input schema describes, so a refusal names it (`weakness`, `incident`). */
const RECORD_OF = new WeakMap<z.ZodType, string>();

/** Marks `schema` as the input of a `record` (named in refusals as `record.field`). */
export function recordInput<S extends z.ZodType>(record: string, schema: S): S {
  RECORD_OF.set(schema, record);
  return schema;
}

/**
 * Parses use-case input with its zod schema; a failure names every bad field and what is expected,
 * and nothing has been written yet.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const record = RECORD_OF.get(schema);
  const fields = r.error.issues.flatMap((i) => {
    const at = i.path.join('.');
    // A misspelt field is refused by name rather than silently dropped.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: at ? `${at}.${k}` : k, message: 'unknown field' }));
    return [{ field: at || '(input)', message: i.message }];
  });
  const text = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  if (record === undefined) throw badInput(`invalid input: ${text}`, { fields });
  throw badInput(`invalid input for a ${record}: ${text}`, { record, fields });
}

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'a real calendar date as YYYY-MM-DD');

/**
 * Text given by a caller, at most `maxBytes` of UTF-8 (64 KiB unless said). U+0000 is refused on
 * both engines: PostgreSQL cannot store it in text.
 */
export const plainText = (what: string, maxBytes: number = LIMITS.text) =>
  z
    .string()
    .refine((s) => !s.includes('\u0000'), `${what} must not contain the character U+0000`)
    .refine((s) => utf8Length(s) <= maxBytes, `${what} must be at most ${describeBytes(maxBytes)} of UTF-8 text`);

export const nonEmpty = (what: string, maxBytes: number = LIMITS.text) => plainText(what, maxBytes).trim().min(1, `${what} must not be empty`);

/** A short line of text: a title, a ticket, a label (at most LIMITS.title bytes). */
export const shortText = (what: string) => nonEmpty(what, LIMITS.title);

/**
 * A name that becomes a key or an id: an actor, a role, a record id, an asset id. Bounded, without
 * control characters, and never `__proto__`, `constructor` or `prototype` (see domain/limits.ts).
 */
export const identifier = (what: string) =>
  z
    .string()
    .trim()
    .superRefine((s, ctx) => {
      const problem = identifierProblem(s);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
    });
