/**
 * Canonical JSON: object keys sorted at every level, no insignificant white space, `undefined`
 * dropped (null inside arrays). Equal data always serialises — and so hashes — the same, whatever
 * engine or key order it came from. Used by the audit chain and by decision input digests.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += i === 0 ? canonicalJson(value[i]) : `,${canonicalJson(value[i])}`;
    return `${s}]`;
  }
  const o = value as Record<string, unknown>;
  // Default sort order is by UTF-16 code units, the same order as `<` on strings.
  const keys = Object.keys(o).sort();
  let s = '{';
  for (const k of keys) {
    const v = o[k];
    if (v === undefined) continue;
    s += `${s.length === 1 ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${s}}`;
}
