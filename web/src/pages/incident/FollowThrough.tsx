/**
 * Follow-through of each weakness: remediation items (add, move along the allowed statuses, their
 * history, overdue ones highlighted) and risk acceptances (request, and approve or reject for
 * someone who may decide: an approver who did not request it; the API enforces it anyway).
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { incidentApi, incidentKeys, type IncidentView, type RemediationItem, type RemediationState, type RiskAcceptance, type Weakness } from '../../api/incidents';
import { useCan, useSession } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge, Empty } from '../../components/Page';
import { Time } from '../../components/Time';
import { DialogButtons, FormDialog } from './FormDialog';
import { TableWrap } from './TableWrap';
import { useIncidentChange } from './useChange';
import { REMEDIATION_WORDS, RISK_WORDS, riskTone, roleWords, WEAKNESS_TYPE_HELP } from './words';

/** The statuses a remediation item may move to (src/domain/incident.ts REMEDIATION_MOVES). */
export const REMEDIATION_MOVES: Record<RemediationState, readonly RemediationState[]> = {
  open: ['in_progress', 'resolved'],
  in_progress: ['resolved', 'open'],
  resolved: ['verified', 'in_progress'],
  verified: [],
};

function weaknessTitle(w: Weakness): string {
  return `${w.id} · ${WEAKNESS_TYPE_HELP[w.type].label}`;
}

export function Remediation({ view }: { view: IncidentView }) {
  const can = useCan();
  const closed = view.incident.state === 'closed' || view.incident.state === 'closed_non_incident';
  const other = view.remediation.filter((r) => r.weakness_id === null || !view.weaknesses.some((w) => w.id === r.weakness_id));
  return (
    <section className="panel" aria-labelledby="remediation-title" data-section="remediation">
      <h2 id="remediation-title">Remediation items</h2>
      {view.weaknesses.length === 0 && other.length === 0 && <Empty>Remediation items belong to weaknesses: add a weakness to the report-out first.</Empty>}
      {view.weaknesses.map((w) => {
        const items = view.remediation.filter((r) => r.weakness_id === w.id);
        return (
          <div key={w.id} className="subsection">
            <h3>{weaknessTitle(w)}</h3>
            {items.length === 0 ? <p className="muted">No remediation item for this weakness.</p> : <RemediationTable id={view.incident.id} items={items} label={`Remediation items of ${w.id}`} />}
            {!closed && can('remediation.edit') && <AddRemediation incident={view.incident.id} weakness={w.id} roles={view.required_roles} />}
          </div>
        );
      })}
      {other.length > 0 && (
        <div className="subsection">
          <h3>Items of the incident's findings</h3>
          <RemediationTable id={view.incident.id} items={other} label="Remediation items of the incident's findings" />
        </div>
      )}
    </section>
  );
}

function RemediationTable({ id, items, label }: { id: string; items: RemediationItem[]; label: string }) {
  const can = useCan();
  return (
    <TableWrap label={label}>
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Owner</th>
            <th scope="col">Due</th>
            <th scope="col">Ticket</th>
            <th scope="col">Closure criteria</th>
            <th scope="col">Status</th>
            <th scope="col">History</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => {
            const overdue = r.overdue_since !== null && r.status !== 'verified' && r.status !== 'resolved';
            return (
              <tr key={r.id} className={overdue ? 'overdue' : undefined}>
                <th scope="row">{r.id}</th>
                <td>
                  {roleWords(r.owner_role)}
                  <div className="small">{r.assignee}</div>
                </td>
                <td>
                  <Time at={r.due} />
                  {overdue && (
                    <div>
                      <Badge tone="bad">Overdue</Badge>
                    </div>
                  )}
                </td>
                <td>{r.ticket ?? <span className="muted">—</span>}</td>
                <td className="prose">{r.criteria}</td>
                <td>
                  <Badge tone={r.status === 'verified' ? 'good' : r.status === 'resolved' ? 'info' : 'neutral'}>{REMEDIATION_WORDS[r.status]}</Badge>
                  {can('remediation.edit') && <MoveRemediation id={id} item={r} />}
                </td>
                <td>
                  <ol className="history">
                    {r.history.map((h) => (
                      <li key={h.seq}>
                        {REMEDIATION_WORDS[h.status]} by {h.actor}, <Time at={h.at} />
                      </li>
                    ))}
                  </ol>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

function MoveRemediation({ id, item }: { id: string; item: RemediationItem }) {
  const move = useIncidentChange(id, (state: RemediationState) => incidentApi.moveRemediation(item.id, state));
  const targets = REMEDIATION_MOVES[item.status];
  if (targets.length === 0) return null;
  return (
    <div className="row-actions">
      {targets.map((t) => (
        <button key={t} type="button" className="small-button" disabled={move.isPending} onClick={() => move.mutate(t)} aria-label={`Move ${item.id} to ${REMEDIATION_WORDS[t]}`}>
          {REMEDIATION_WORDS[t]}
        </button>
      ))}
      <ErrorNotice error={move.error} title={`${item.id} was not moved`} />
    </div>
  );
}

function AddRemediation({ incident, weakness, roles }: { incident: string; weakness: string; roles: string[] }) {
  const [open, setOpen] = useState(false);
  const [owner, setOwner] = useState(roles.includes('service_owner') ? 'service_owner' : (roles[0] ?? ''));
  const [assignee, setAssignee] = useState('');
  const [criteria, setCriteria] = useState('');
  const [due, setDue] = useState('');
  const [ticket, setTicket] = useState('');
  const add = useIncidentChange(
    incident,
    () =>
      incidentApi.addRemediation(weakness, {
        owner_role: owner.trim(),
        assignee: assignee.trim(),
        criteria: criteria.trim(),
        ...(due ? { due } : {}),
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
      }),
    () => setOpen(false),
  );
  const listId = `owner-roles-${weakness}`;
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) add.reset();
      }}
      title={`Remediation item for ${weakness}`}
      description="The fix for the weakness: who owns it, what closes it, by when. Without a due date the SLA policy for the incident's severity sets one."
      trigger={<button type="button">Add remediation item for {weakness}</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate(undefined);
        }}
      >
        <label>
          Owner role
          <input required list={listId} value={owner} onChange={(e) => setOwner(e.target.value)} />
          <datalist id={listId}>
            {roles.map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
        </label>
        <label>
          Assignee <span className="hint">the person or team doing the fix</span>
          <input required value={assignee} onChange={(e) => setAssignee(e.target.value)} />
        </label>
        <label>
          Closure criteria <span className="hint">what must be true for the item to be verified</span>
          <textarea required value={criteria} onChange={(e) => setCriteria(e.target.value)} />
        </label>
        <label>
          Due date <span className="hint">optional: the SLA policy decides when empty</span>
          <input type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        </label>
        <label>
          Ticket <span className="hint">optional: e.g. OPS-1234</span>
          <input value={ticket} onChange={(e) => setTicket(e.target.value)} />
        </label>
        <ErrorNotice error={add.error} title="The remediation item was not added" />
        <DialogButtons submit="Add remediation item" pending={add.isPending} />
      </form>
    </FormDialog>
  );
}

export function RiskAcceptances({ view }: { view: IncidentView }) {
  const can = useCan();
  const session = useSession();
  const id = view.incident.id;
  const closed = view.incident.state === 'closed' || view.incident.state === 'closed_non_incident';
  const requested = view.risk_acceptances.some((r) => r.effective_state === 'requested');
  // who may decide comes from the server (approver roles of the control card, never the requester)
  const decidable = useQuery({ queryKey: incidentKeys.risks(id), queryFn: () => incidentApi.riskDecidable(id), enabled: requested, retry: false });
  const mayDecide = (r: RiskAcceptance): boolean => {
    if (r.effective_state !== 'requested' || r.requester === session.actor) return false;
    if (decidable.data !== undefined) return decidable.data[r.id] === true;
    return session.roles.includes('risk_approver');
  };
  return (
    <section className="panel" aria-labelledby="risks-title" data-section="risks">
      <h2 id="risks-title">Risk acceptances</h2>
      {view.risk_acceptances.length === 0 ? (
        <Empty>No risk acceptance requested.</Empty>
      ) : (
        <TableWrap label="Risk acceptances">
          <table aria-label="Risk acceptances">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Weakness</th>
                <th scope="col">Requested by</th>
                <th scope="col">Justification</th>
                <th scope="col">Compensating controls</th>
                <th scope="col">Review date</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {view.risk_acceptances.map((r) => (
                <tr key={r.id} className={r.effective_state === 'expired' ? 'overdue' : undefined}>
                  <th scope="row">{r.id}</th>
                  <td>{r.weakness_id}</td>
                  <td>
                    {r.requester}
                    <div className="small">
                      <Time at={r.created_at} />
                    </div>
                  </td>
                  <td className="prose">{r.rationale}</td>
                  <td className="prose">{r.controls}</td>
                  <td>
                    <Time at={r.review_by} />
                  </td>
                  <td>
                    <Badge tone={riskTone(r.effective_state)}>{RISK_WORDS[r.effective_state]}</Badge>
                    {r.approver !== null && (
                      <div className="small">
                        {r.state === 'rejected' ? 'rejected' : 'approved'} by {r.approver} <Time at={r.decided_at} />
                      </div>
                    )}
                    {r.reason !== null && <div className="small">reason: {r.reason}</div>}
                    {mayDecide(r) && <Decide incident={id} risk={r} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {!closed && can('risk.request') && view.weaknesses.length > 0 && (
        <div className="actions">
          {view.weaknesses.map((w) => (
            <RequestRisk key={w.id} incident={id} weakness={w.id} />
          ))}
        </div>
      )}
    </section>
  );
}

function Decide({ incident, risk }: { incident: string; risk: RiskAcceptance }) {
  const approve = useIncidentChange(incident, () => incidentApi.approveRisk(risk.id));
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const reject = useIncidentChange(incident, () => incidentApi.rejectRisk(risk.id, reason.trim()), () => setOpen(false));
  return (
    <div className="row-actions">
      <button type="button" className="primary small-button" disabled={approve.isPending} onClick={() => approve.mutate(undefined)} aria-label={`Approve ${risk.id}`}>
        Approve
      </button>
      <FormDialog
        open={open}
        onOpenChange={(o) => {
          setOpen(o);
          if (!o) reject.reset();
        }}
        title={`Reject ${risk.id}`}
        description="Say why: the requester reads it and chooses another path (remediation, or a new request)."
        trigger={
          <button type="button" className="danger small-button" aria-label={`Reject ${risk.id}`}>
            Reject
          </button>
        }
      >
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            reject.mutate(undefined);
          }}
        >
          <label>
            Reason
            <textarea required value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <ErrorNotice error={reject.error} title="The risk acceptance was not rejected" />
          <DialogButtons submit="Reject" pending={reject.isPending} />
        </form>
      </FormDialog>
      <ErrorNotice error={approve.error} title={`${risk.id} was not approved`} />
    </div>
  );
}

function RequestRisk({ incident, weakness }: { incident: string; weakness: string }) {
  const [open, setOpen] = useState(false);
  const [rationale, setRationale] = useState('');
  const [controls, setControls] = useState('');
  const [review, setReview] = useState('');
  const request = useIncidentChange(incident, () => incidentApi.requestRisk(weakness, { rationale: rationale.trim(), controls: controls.trim(), review_by: review }), () => setOpen(false));
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) request.reset();
      }}
      title={`Request a risk acceptance for ${weakness}`}
      description="The exception path, when the weakness cannot be remediated quickly. An approver who is not you decides; an approved acceptance expires at its review date."
      trigger={<button type="button">Request risk acceptance for {weakness}</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          request.mutate(undefined);
        }}
      >
        <label>
          Justification
          <textarea required value={rationale} onChange={(e) => setRationale(e.target.value)} />
        </label>
        <label>
          Compensating controls
          <textarea required value={controls} onChange={(e) => setControls(e.target.value)} />
        </label>
        <label>
          Review date
          <input type="date" required value={review} onChange={(e) => setReview(e.target.value)} />
        </label>
        <ErrorNotice error={request.error} title="The risk acceptance was not requested" />
        <DialogButtons submit="Request risk acceptance" pending={request.isPending} />
      </form>
    </FormDialog>
  );
}
