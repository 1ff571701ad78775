/**
 * Bounds on what a caller may store, and the rule for names that become keys. Free text is bounded
 * so that one request cannot fill the store or the audit chain with a single field; identifiers
 * (actor, role and record ids, labels) are bounded and refused when they could reach
 * `Object.prototype` in a lookup or hide in a log line. See docs/reliability.md, "Limits".
 */

/** Largest value, in UTF-8 bytes, of each kind of caller-given text. */
export const LIMITS = {
  /** Notes, rationale, criteria, comments, vendor responses: 64 KiB. */
  text: 64 * 1024,
  /** Titles, tickets, tracking items, token labels. */
  title: 1024,
  /** Actor and role names, record ids (incident, weakness, …), asset ids, services. */
  identifier: 128,
} as const;

/** Names that are properties of every JavaScript object: never a person, role or record id. */
export const RESERVED_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

// Control characters (C0, DEL, C1) and the line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** UTF-8 length of `s`, counted without a Buffer so the domain stays free of I/O modules. */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Why `name` is not a valid identifier, or null when it is. */
export function identifierProblem(name: string): string | null {
  if (name.trim() === '') return 'must not be empty';
  if (name !== name.trim()) return 'must not start or end with white space';
  if (CONTROL.test(name)) return 'must not contain control characters';
  if (RESERVED_NAMES.includes(name)) return `must not be ${RESERVED_NAMES.join(', ')}`;
  if (utf8Length(name) > LIMITS.identifier) return `must be at most ${LIMITS.identifier} bytes`;
  return null;
}

/** A readable size: `65,536 bytes (64 KiB)`. */
export function describeBytes(n: number): string {
  return n % 1024 === 0 ? `${n.toLocaleString('en')} bytes (${n / 1024} KiB)` : `${n.toLocaleString('en')} bytes`;
}
