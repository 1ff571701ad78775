/**
 * List state the follow-through and operations pages share: filters kept in the query string (a
 * filtered list can be bookmarked and shared), and cursor paging that starts over whenever the
 * filters change.
 */
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';

/** The named filters from the query string, and a setter that writes them back (empty = removed). */
export function useUrlFilters<K extends string>(keys: readonly K[]): [Record<K, string>, (next: Partial<Record<K, string>>) => void] {
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>, [keys, params]);
  const set = useCallback(
    (next: Partial<Record<K, string>>) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(next) as [K, string | undefined][]) {
            if (v === undefined || v === '') p.delete(k);
            else p.set(k, v);
          }
          return p;
        },
        { replace: false },
      );
    },
    [setParams],
  );
  return [values, set];
}

/**
 * Cursor paging: the cursor of the page shown (undefined for the first), moving forward with the
 * API's `next` and back through the cursors seen. Starts over when `resetKey` (the filters) changes.
 */
export function useCursorPages(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: string[] }>({ key: resetKey, stack: [] });
  const stack = state.key === resetKey ? state.stack : [];
  return {
    after: stack[stack.length - 1],
    hasPrevious: stack.length > 0,
    next: (cursor: string) => setState({ key: resetKey, stack: [...stack, cursor] }),
    previous: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}
