/**
 * Canonical JSON: object keys sorted at every level, no insignificant white space, `undefined`
 * dropped (null inside arrays). Equal data always serialises — and so hashes — the same, whatever
 * engine or key order it came from. Used by the audit chain and by decision input digests.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
