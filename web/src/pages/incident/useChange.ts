import { useMutation, useQueryClient } from '@tanstack/react-query';
import { incidentKeys } from '../../api/incidents';

/**
 * A change to an incident: a TanStack mutation that, when it succeeds, refreshes everything shown
 * of the incident (view, gate, timeline, …) and the incident lists, then calls `done`.
 */
export function useIncidentChange<V, R = unknown>(incident: string, fn: (vars: V) => Promise<R>, done?: (result: R) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
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
  });
}
