/**
 * A health check's worksheet as a table (one row per sampled incident: the four answers with the
 * records they rest on, control findings, reviewer notes), the form that adds a note, and the
 * downloads of the CSV worksheet and the OSCAL assessment-results.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { QUESTION_KEYS, QUESTION_WORDS, healthCheckApi, healthCheckKeys, saveFile, type HealthCheck } from '../../api/healthchecks';
import { useCan } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Badge } from '../../components/Page';
import { Time } from '../../components/Time';
import { TableWrap } from '../incident/TableWrap';

export function WorksheetTable({ check }: { check: HealthCheck }) {
  if (check.samples.length === 0) return <p className="empty">No incident was closed in the period: nothing was sampled.</p>;
  return (
    <TableWrap label="Worksheet">
      <table aria-label="Worksheet">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Incident</th>
            <th scope="col">Result</th>
            {QUESTION_KEYS.map((q, i) => (
              <th scope="col" key={q}>
                {i + 1}. {QUESTION_WORDS[q]}
              </th>
            ))}
            <th scope="col">Control findings</th>
            <th scope="col">Reviewer notes</th>
          </tr>
        </thead>
        <tbody>
          {check.samples.map((s) => (
            <tr key={s.incident_id}>
              <td>{s.position}</td>
              <th scope="row">
                <Link to={`/incidents/${encodeURIComponent(s.incident_id)}`}>{s.incident_id}</Link>
                <div className="small muted">{s.stratum}</div>
              </th>
              <td>
                <Badge tone={s.passed ? 'good' : 'bad'}>{s.passed ? 'Passed' : 'Gaps'}</Badge>
                {s.reopened && (
                  <div>
                    <Badge tone="warn">Reopened</Badge>
                  </div>
                )}
              </td>
              {QUESTION_KEYS.map((q) => {
                const a = s.answers[q];
                return (
                  <td key={q}>
                    <Badge tone={a.passed ? 'good' : 'bad'}>{a.passed ? 'Yes' : 'Gap'}</Badge> {a.answer}
                    {a.evidence.length > 0 && <div className="small muted">Evidence: {a.evidence.join(', ')}</div>}
                    {a.gaps.length > 0 && (
                      <ul className="small">
                        {a.gaps.map((g) => (
                          <li key={`${g.subject ?? ''}:${g.message}`}>{g.message}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                );
              })}
              <td>{s.findings.length === 0 ? <span className="muted">—</span> : s.findings.join(', ')}</td>
              <td>
                {s.notes.length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="small">
                    {s.notes.map((n) => (
                      <li key={n.id}>
                        {n.text} <span className="muted">({n.author}, <Time at={n.created_at} />)</span>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The control findings of a check: each with its owner and the remediation item tracking it. */
export function ControlFindings({ check }: { check: HealthCheck }) {
  if (check.findings.length === 0) return <p className="muted">No gap found: no control finding.</p>;
  return (
    <TableWrap label="Control findings">
      <table aria-label="Control findings">
        <thead>
          <tr>
            <th scope="col">Finding</th>
            <th scope="col">Incident</th>
            <th scope="col">Question</th>
            <th scope="col">Gap</th>
            <th scope="col">Owner</th>
            <th scope="col">Remediation item</th>
          </tr>
        </thead>
        <tbody>
          {check.findings.map((f) => (
            <tr key={f.id}>
              <th scope="row">{f.id}</th>
              <td>{f.incident_id}</td>
              <td>{f.question}</td>
              <td>{f.message}</td>
              <td>{f.owner_role}</td>
              <td>
                <Link to={`/remediation?owner=${encodeURIComponent(f.owner_role)}`}>{f.remediation_item_id}</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function AddNote({ check }: { check: HealthCheck }) {
  const can = useCan();
  const qc = useQueryClient();
  const [incident, setIncident] = useState(check.samples[0]?.incident_id ?? '');
  const [text, setText] = useState('');
  const mutation = useMutation({
    mutationFn: () => healthCheckApi.note(check.id, incident, text.trim()),
    onSuccess: async () => {
      setText('');
      await qc.invalidateQueries({ queryKey: healthCheckKeys.one(check.id) });
    },
  });
  if (!can('healthcheck.note') || check.samples.length === 0) return null;
  function submit(e: FormEvent) {
    e.preventDefault();
    mutation.mutate();
  }
  return (
    <form className="form" aria-label="Add a reviewer's note" onSubmit={submit}>
      <label>
        Incident
        <select value={incident} onChange={(e) => setIncident(e.target.value)}>
          {check.samples.map((s) => (
            <option key={s.incident_id} value={s.incident_id}>
              {s.incident_id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Note <span className="hint">what you checked beyond the records, and what you found</span>
        <textarea required value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <ErrorNotice error={mutation.error} title="The note was not added" />
      <button type="submit" className="primary" disabled={mutation.isPending || text.trim() === ''}>
        {mutation.isPending ? 'Adding…' : 'Add note'}
      </button>
    </form>
  );
}

export function Downloads({ id }: { id: string }) {
  const csv = useMutation({
    mutationFn: () => healthCheckApi.worksheet(id),
    onSuccess: (w) => saveFile(w.file_name, w.csv, 'text/csv'),
  });
  const oscal = useMutation({
    mutationFn: () => healthCheckApi.oscal(id),
    onSuccess: (d) => saveFile(d.file_name, `${JSON.stringify(d.document, null, 2)}\n`, 'application/json'),
  });
  return (
    <div className="page-actions">
      <button type="button" disabled={csv.isPending} onClick={() => csv.mutate()}>
        Download worksheet (CSV)
      </button>
      <button type="button" disabled={oscal.isPending} onClick={() => oscal.mutate()}>
        Download OSCAL assessment-results
      </button>
      <ErrorNotice error={csv.error ?? oscal.error} title="The download failed" />
    </div>
  );
}
