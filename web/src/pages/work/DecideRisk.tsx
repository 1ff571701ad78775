/**
 * Approve or reject a requested risk acceptance where it is listed. Shown only when the API says
 * the signed-in person may decide it (`can_decide`: an approver role, and never the requester).
 * A rejection needs a reason; an approval may carry one.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { workApi, type RiskAcceptance } from '../../api/work';
import { useSession } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';

export function DecideRisk({ risk }: { risk: RiskAcceptance }) {
  const session = useSession();
  const qc = useQueryClient();
  const id = useId();
  const [reason, setReason] = useState('');
  const [missingReason, setMissingReason] = useState(false);
  const decide = useMutation({
    mutationFn: (approve: boolean) => (approve ? workApi.approveRisk(risk.id, reason.trim() === '' ? undefined : reason.trim()) : workApi.rejectRisk(risk.id, reason.trim())),
    onSuccess: async () => {
      setReason('');
      await Promise.all([qc.invalidateQueries({ queryKey: ['risks'] }), qc.invalidateQueries({ queryKey: ['my-work'] })]);
    },
  });
  if (!risk.can_decide || risk.requester === session.actor) return null;
  return (
    <div className="decide" role="group" aria-label={`Decide ${risk.id}`}>
      <label htmlFor={`${id}-reason`}>
        Reason <span className="hint">(required to reject)</span>
      </label>
      <textarea
        id={`${id}-reason`}
        value={reason}
        rows={2}
        aria-invalid={missingReason}
        aria-describedby={missingReason ? `${id}-missing` : undefined}
        onChange={(e) => {
          setReason(e.target.value);
          setMissingReason(false);
        }}
      />
      {missingReason && (
        <p id={`${id}-missing`} className="field-error">
          Give the reason for rejecting, then press Reject again.
        </p>
      )}
      <div className="button-row">
        <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate(true)}>
          Approve {risk.id}
        </button>
        <button
          type="button"
          className="danger"
          disabled={decide.isPending}
          onClick={() => {
            if (reason.trim() === '') setMissingReason(true);
            else decide.mutate(false);
          }}
        >
          Reject {risk.id}
        </button>
      </div>
      <ErrorNotice error={decide.error} title={`${risk.id} was not decided`} />
    </div>
  );
}
