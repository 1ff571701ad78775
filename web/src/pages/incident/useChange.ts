import { useMutation, useQueryClient } from '@tanstack/react-query';
import { incidentKeys } from '../../api/incidents';

/**
 * Where focus goes after a change: a button disabled while its change runs loses focus, and one
 * the change removes (an Acknowledge, a Move) is gone. If nothing else took focus (a dialog gives it
 * back to its opener itself), it returns to the button, or to the heading of its section.
 */
function restoreFocus(origin: Element | null, section: string | null): void {
  const settle = () => {
    if (document.activeElement !== null && document.activeElement !== document.body) return;
    if (origin instanceof HTMLElement && origin.isConnected) {
      origin.focus();
      return;
    }
    const heading = (section !== null ? document.querySelector<HTMLElement>(`[data-section="${section}"] h2`) : null) ?? document.querySelector<HTMLElement>('#main h1');
    if (heading !== null) {
      heading.tabIndex = -1;
      heading.focus();
    }
  };
  // once the page has shown the change, and again after a closing dialog has handed focus back
  // (to a button the change may have removed)
  setTimeout(settle, 60);
  setTimeout(settle, 400);
}

/**
 * A change to an incident: a TanStack mutation that, when it succeeds, refreshes everything shown
 * of the incident (view, gate, timeline, …) and the incident lists, then calls `done`.
 */
export function useIncidentChange<V, R = unknown>(incident: string, fn: (vars: V) => Promise<R>, done?: (result: R) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onMutate: () => {
      const origin = document.activeElement;
      return { origin, section: origin instanceof HTMLElement ? (origin.closest<HTMLElement>('[data-section]')?.dataset.section ?? null) : null };
    },
    onSuccess: async (result) => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: incidentKeys.one(incident) }),
        qc.invalidateQueries({ queryKey: incidentKeys.all }),
        qc.invalidateQueries({ queryKey: ['me'] }),
        qc.invalidateQueries({ queryKey: ['remediation'] }),
        qc.invalidateQueries({ queryKey: ['risk-acceptances'] }),
      ]);
      done?.(result);
    },
    onSettled: (_r, _e, _v, context) => restoreFocus(context?.origin ?? null, context?.section ?? null),
  });
}
