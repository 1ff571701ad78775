/**
 * Scanner free text (descriptions, messages, matched lines, plugin output) is kept up to a bound
 * and cut with a marker beyond it: a 60 MB description is a scanner's quirk, not a reason to
 * refuse the report, and not something to store whole. Identifiers (vulnerability ids, asset ids,
 * package names, versions, locations: what fingerprints are made of) are never cut.
 */

/** Characters (UTF-16 code units) of one free-text field kept from a scanner report: 64 Ki. */
export const FREE_TEXT_MAX = 64 * 1024;

/** The marker appended to cut text; `N` counts the characters left out. */
export function truncationMarker(left: number): string {
  return `… [truncated by closeloop: ${left} more characters]`;
}

/** `text` itself when within `max`, else its first `max` characters and the marker. */
export function truncateText(text: string, max = FREE_TEXT_MAX): string {
  if (text.length <= max) return text;
  // never split a surrogate pair
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end) + truncationMarker(text.length - end);
}

/** A value of an `extra` map with its strings (and those of arrays and objects in it) cut. */
function truncateValue(v: unknown): unknown {
  if (typeof v === 'string') return truncateText(v);
  if (Array.isArray(v)) return v.map(truncateValue);
  if (v !== null && typeof v === 'object') return truncateExtra(v as Record<string, unknown>);
  return v;
}

/** An `extra` map (scanner details kept beside the record) with every string in it bounded. */
export function truncateExtra(extra: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(extra)) {
    const t = truncateValue(v);
    if (t !== v) (out ??= { ...extra })[k] = t;
  }
  return out ?? extra;
}

/** A nullable free-text field, bounded. */
export function truncateNullable(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : truncateText(text);
}
