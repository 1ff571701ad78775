/**
 * The closure gate, live: every item of IR-6(2)'s closure gate, done or missing, in words.
 */
import { useQuery } from '@tanstack/react-query';
import { incidentApi, incidentKeys, type GateMissing, type IncidentView } from '../../api/incidents';
import { Badge } from '../../components/Page';
import { gateChecklist } from './gate';

export function ClosureGate({ view }: { view: IncidentView }) {
  const id = view.incident.id;
  const closed = view.incident.state === 'closed' || view.incident.state === 'closed_non_incident';
  // the gate's own route answers what is missing now; the view's copy stands in until it answers
  const gate = useQuery({ queryKey: incidentKeys.gate(id), queryFn: () => incidentApi.gate(id), enabled: !closed });
  const missing = gate.data?.missing ?? view.gate.missing;
  const list = gateChecklist(view, missing);
  return (
    <section className="panel" aria-labelledby="gate-title" data-section="gate">
      <h2 id="gate-title">Closure gate</h2>
      {closed ? (
        <ClosedGate flags={view.incident.gate_flags} nonIncident={view.incident.state === 'closed_non_incident'} />
      ) : (
        <>
          <p>{missing.length === 0 ? <Badge tone="good">Ready to close</Badge> : <Badge tone="warn">{missing.length} item{missing.length === 1 ? '' : 's'} missing</Badge>}</p>
          <ul className="gate-list">
            {list.map((entry) => (
              <li key={entry.item} className={entry.done ? 'done' : 'missing'}>
                <span className="visually-hidden">{entry.done ? 'Done: ' : 'Missing: '}</span>
                <strong>{entry.label}</strong>
                {entry.lines.length > 0 && (
                  <ul className="checklist">
                    {entry.lines.map((l) => (
                      <li key={l.text} className={l.done ? 'done' : 'missing'}>
                        <span className="visually-hidden">{l.done ? 'done: ' : 'missing: '}</span>
                        {l.text}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ClosedGate({ flags, nonIncident }: { flags: GateMissing[]; nonIncident: boolean }) {
  if (nonIncident) return <p>Closed as a non-incident: the gate does not apply.</p>;
  if (flags.length === 0) return <p>Closed with every gate item done.</p>;
  return (
    <>
      <p>
        <Badge tone="bad">Closed with gaps</Badge> The gate was in soft mode; these items were missing at closure and a post-closure review reopens the incident:
      </p>
      <ul className="checklist">
        {flags.map((f) => (
          <li key={`${f.item}:${f.subject ?? ''}`} className="missing">
            {f.message}
          </li>
        ))}
      </ul>
    </>
  );
}
