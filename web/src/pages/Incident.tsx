/**
 * One incident: its header, the workflow actions its state allows (move, close through the gate,
 * close as a non-incident, reopen), the closure gate, the report-out with delivery and
 * acknowledgments, the follow-through of each weakness, third-party notices, handoff notes and
 * the timeline.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { incidentApi, incidentKeys, type GateMissing, type IncidentState, type IncidentView } from '../api/incidents';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Badge, Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import { EvidencePanel } from './incident/Evidence';
import { DialogButtons, FormDialog } from './incident/FormDialog';
import { ClosureGate } from './incident/Gate';
import { refusedItems } from './incident/gate';
import { HandoffNotes, IncidentTimeline } from './incident/History';
import { RiskAcceptances, Remediation } from './incident/FollowThrough';
import { ReportOut } from './incident/ReportOut';
import { useIncidentChange } from './incident/useChange';
import { ThirdPartyNotices } from './incident/Vendors';
import { SEVERITY_WORDS, STATE_WORDS, severityTone } from './incident/words';

/** Moves a responder may make (src/domain/incident.ts); closing and reopening are their own acts. */
export const MOVES: Record<IncidentState, readonly IncidentState[]> = {
  reported: ['triage'],
  triage: ['containment', 'eradication'],
  containment: ['eradication'],
  eradication: ['recovery'],
  recovery: ['post_incident'],
  post_incident: [],
  closed: [],
  closed_non_incident: [],
};
const CLOSABLE_FROM: readonly IncidentState[] = ['post_incident'];
const NON_INCIDENT_CLOSABLE_FROM: readonly IncidentState[] = ['reported', 'triage'];

export default function Incident() {
  const { id = '' } = useParams();
  const can = useCan();
  const view = useQuery({ queryKey: incidentKeys.view(id), queryFn: () => incidentApi.view(id) });
  if (view.isPending) return <Loading what={`Loading ${id}`} />;
  if (view.isError) {
    return (
      <Page title={id}>
        <ErrorNotice error={view.error} title={`${id} could not be loaded`} />
        <p>
          <Link to="/incidents">Back to the incidents</Link>
        </p>
      </Page>
    );
  }
  const v = view.data;
  const inc = v.incident;
  return (
    <Page title={`${inc.id}: ${inc.title}`}>
      <dl className="facts header-facts" aria-label="Incident">
        <dt>State</dt>
        <dd>
          <Badge tone={inc.state.startsWith('closed') ? 'good' : 'info'}>{STATE_WORDS[inc.state]}</Badge>
        </dd>
        <dt>Severity</dt>
        <dd>
          <Badge tone={severityTone(inc.severity)}>{SEVERITY_WORDS[inc.severity]}</Badge>
        </dd>
        <dt>Service</dt>
        <dd>{inc.service ?? <span className="muted">—</span>}</dd>
        <dt>IR lead</dt>
        <dd>{inc.ir_lead ?? <span className="muted">—</span>}</dd>
        <dt>Assets</dt>
        <dd>{v.assets.length > 0 ? v.assets.join(', ') : <span className="muted">—</span>}</dd>
        <dt>Created</dt>
        <dd>
          <Time at={inc.created_at} /> by {inc.opened_by}
        </dd>
        <dt>Control card</dt>
        <dd>{inc.control_card_version === null ? <span className="muted">before versioning</span> : `version ${inc.control_card_version}`}</dd>
        {inc.closed_at !== null && (
          <>
            <dt>Closed</dt>
            <dd>
              <Time at={inc.closed_at} />
            </dd>
          </>
        )}
        {inc.determination_rationale !== null && (
          <>
            <dt>Determination</dt>
            <dd>
              {inc.determination === 'non_incident' ? 'Not an incident' : 'Incident'}: {inc.determination_rationale}
            </dd>
          </>
        )}
      </dl>
      <Actions view={v} />
      <ClosureGate view={v} />
      <HandoffNotes view={v} />
      <ReportOut view={v} />
      <Remediation view={v} />
      <RiskAcceptances view={v} />
      <ThirdPartyNotices view={v} />
      <IncidentTimeline id={inc.id} />
      <EvidencePanel id={inc.id} allowed={can('evidence.export')} />
    </Page>
  );
}

function Actions({ view }: { view: IncidentView }) {
  const can = useCan();
  const inc = view.incident;
  const closed = inc.state === 'closed' || inc.state === 'closed_non_incident';
  const moves = MOVES[inc.state];
  const move = useIncidentChange(inc.id, (to: IncidentState) => incidentApi.move(inc.id, to));
  const showMoves = can('incident.move') && moves.length > 0;
  const showClose = can('incident.close') && CLOSABLE_FROM.includes(inc.state);
  // a non-incident has no weakness: the server refuses the determination once one is recorded
  const showNonIncident = can('incident.close') && NON_INCIDENT_CLOSABLE_FROM.includes(inc.state) && view.weaknesses.length === 0;
  const showReopen = closed && can('incident.reopen');
  if (!showMoves && !showClose && !showNonIncident && !showReopen) return null;
  return (
    <section className="panel" aria-labelledby="actions-title" data-section="actions">
      <h2 id="actions-title">Workflow</h2>
      <div className="actions">
        {showMoves &&
          moves.map((to) => (
            <button key={to} type="button" disabled={move.isPending} onClick={() => move.mutate(to)}>
              Move to {STATE_WORDS[to]}
            </button>
          ))}
        {showClose && <CloseIncident id={inc.id} />}
        {showNonIncident && <CloseNonIncident id={inc.id} />}
        {showReopen && <Reopen id={inc.id} />}
      </div>
      {!closed && !CLOSABLE_FROM.includes(inc.state) && can('incident.close') && <p className="hint">An incident closes through the gate from Post-incident.</p>}
      <ErrorNotice error={move.error} title="The incident was not moved" />
    </section>
  );
}

function CloseIncident({ id }: { id: string }) {
  const [flagged, setFlagged] = useState<GateMissing[]>([]);
  const close = useIncidentChange(id, () => incidentApi.close(id, {}), (r) => setFlagged(r.flagged));
  const refused = close.error instanceof ApiError && close.error.code === 'CL_GATE_REFUSED' ? refusedItems(close.error.details) : [];
  return (
    <>
      <button type="button" className="primary" disabled={close.isPending} onClick={() => close.mutate(undefined)}>
        Close incident
      </button>
      {refused.length > 0 ? (
        <div role="alert" className="notice notice-error gate-refused">
          <strong>The incident cannot close yet: {refused.length} item{refused.length === 1 ? '' : 's'} missing.</strong>
          <ul>
            {refused.map((m) => (
              <li key={`${m.item}:${m.subject ?? ''}`}>{m.message}</li>
            ))}
          </ul>
          <p className="next">Complete the missing items listed, then close again.</p>
        </div>
      ) : (
        <ErrorNotice error={close.error} title="The incident was not closed" />
      )}
      {flagged.length > 0 && (
        <p role="status" className="notice notice-error">
          Closed with {flagged.length} gate item(s) missing (soft gate): a post-closure review will reopen it.
        </p>
      )}
    </>
  );
}

function CloseNonIncident({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [rationale, setRationale] = useState('');
  const close = useIncidentChange(id, () => incidentApi.close(id, { non_incident: true, rationale: rationale.trim() }), () => setOpen(false));
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) close.reset();
      }}
      title="Close as a non-incident"
      description="The determination: this was not an incident. The rationale is kept with the record and the report-out is recorded as none identified."
      trigger={<button type="button">Close as non-incident</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          close.mutate(undefined);
        }}
      >
        <label>
          Rationale
          <textarea required value={rationale} onChange={(e) => setRationale(e.target.value)} />
        </label>
        <ErrorNotice error={close.error} title="The incident was not closed" />
        <DialogButtons submit="Close as non-incident" pending={close.isPending} />
      </form>
    </FormDialog>
  );
}

function Reopen({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const reopen = useIncidentChange(id, () => incidentApi.reopen(id, reason.trim()), () => setOpen(false));
  return (
    <FormDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) reopen.reset();
      }}
      title={`Reopen ${id}`}
      description="Reopening is audited: say why."
      trigger={<button type="button">Reopen incident</button>}
    >
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          reopen.mutate(undefined);
        }}
      >
        <label>
          Reason
          <textarea required value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <ErrorNotice error={reopen.error} title="The incident was not reopened" />
        <DialogButtons submit="Reopen incident" pending={reopen.isPending} />
      </form>
    </FormDialog>
  );
}
