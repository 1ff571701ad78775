/**
 * The incident's handoff notes (what triage told IR when it escalated) with a copy button, and its
 * timeline: every audit event, oldest first, in words.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { incidentApi, incidentKeys, type IncidentView } from '../../api/incidents';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Empty, Loading } from '../../components/Page';
import { Time } from '../../components/Time';
import { actionWords } from './words';

export function HandoffNotes({ view }: { view: IncidentView }) {
  const id = view.incident.id;
  const notes = useQuery({ queryKey: incidentKeys.handoff(id), queryFn: () => incidentApi.handoff(id), enabled: view.handoff_notes.length > 0, retry: false });
  if (view.handoff_notes.length === 0) return null;
  // before the server serves the notes' text, their heads still say they exist and where they came from
  const unavailable = notes.isError && notes.error instanceof ApiError && notes.error.status === 404;
  return (
    <section className="panel" aria-labelledby="handoff-title" data-section="handoff">
      <h2 id="handoff-title">Handoff notes</h2>
      <p className="muted">This incident came from an escalation: triage handed it to incident response with these notes.</p>
      {notes.isPending ? (
        <Loading what="Loading the handoff notes" />
      ) : notes.isError && !unavailable ? (
        <ErrorNotice error={notes.error} title="The handoff notes could not be loaded" />
      ) : notes.data && notes.data.length > 0 ? (
        notes.data.map((n) => (
          <article key={n.id} className="subsection" aria-label={`Handoff note ${n.id}`}>
            <h3>
              {n.id} <span className="muted small">{n.decision !== null && <>from decision {n.decision}, </>}<Time at={n.created_at} /></span>
            </h3>
            <CopyButton text={n.markdown} label={`Copy handoff note ${n.id}`} />
            <pre>{n.markdown}</pre>
          </article>
        ))
      ) : (
        <ul>
          {view.handoff_notes.map((h) => (
            <li key={h.id}>
              {h.id} from decision {h.decision_id}, <Time at={h.created_at} />{' '}
              <span className="muted">(the note's text: <code>closeloop handoff show {id}</code>)</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <p>
      <button
        type="button"
        onClick={() => {
          navigator.clipboard.writeText(text).then(
            () => setState('copied'),
            () => setState('failed'),
          );
        }}
      >
        {label}
      </button>{' '}
      <span role="status" className="small">
        {state === 'copied' ? 'Copied.' : state === 'failed' ? 'The browser refused the clipboard: select the text below and copy it.' : ''}
      </span>
    </p>
  );
}

export function IncidentTimeline({ id }: { id: string }) {
  const timeline = useQuery({ queryKey: incidentKeys.timeline(id), queryFn: () => incidentApi.timeline(id), retry: false });
  const unavailable = timeline.isError && timeline.error instanceof ApiError && timeline.error.status === 404 && timeline.error.code !== 'CL_NOT_FOUND';
  return (
    <section className="panel" aria-labelledby="timeline-title" data-section="timeline">
      <h2 id="timeline-title">Timeline</h2>
      {timeline.isPending ? (
        <Loading what="Loading the timeline" />
      ) : unavailable ? (
        <Empty>The timeline is not available from this server yet; the audit log holds the events.</Empty>
      ) : timeline.isError ? (
        <ErrorNotice error={timeline.error} title="The timeline could not be loaded" />
      ) : timeline.data.events.length === 0 ? (
        <Empty>No event recorded.</Empty>
      ) : (
        <ol className="timeline" aria-label="Events, oldest first">
          {timeline.data.events.map((e) => (
            <li key={e.seq}>
              <Time at={e.at} /> — <strong>{e.actor}</strong> {actionWords(e.action)}{' '}
              <span className="muted small">
                ({e.entity.type} {e.entity.id})
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
