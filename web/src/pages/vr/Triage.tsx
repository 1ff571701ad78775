/**
 * Triage: decide every open finding with the shipped ruleset, as a job; with "hand escalations to
 * incident response" each escalation opens or joins an incident. Its progress, then its summary.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { startTriage, type Job } from '../../api/vr';
import { useCan } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JobPollError, JobProgress, useJob } from './JobStatus';
import { summarizeTriage } from './words';

export function TriagePanel() {
  const can = useCan();
  const qc = useQueryClient();
  const mayEscalate = can('vr.escalate');
  const [escalate, setEscalate] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: (v: { escalate: boolean }) => startTriage(v.escalate),
    onSuccess: (job) => {
      qc.setQueryData(['job', job.id], job);
      setJobId(job.id);
    },
  });
  const job = useJob(jobId);
  const done = job.data?.state === 'succeeded' || job.data?.state === 'failed';
  useEffect(() => {
    if (!done) return;
    for (const key of ['decisions', 'metrics', 'incidents']) void qc.invalidateQueries({ queryKey: [key] });
  }, [done, jobId, qc]);
  const running = run.isPending || (jobId !== null && !done);

  if (!can('vr.triage') && !mayEscalate) return <p className="muted">Your roles do not allow running triage.</p>;
  return (
    <section aria-labelledby="triage-heading" className="panel">
      <h2 id="triage-heading">Run triage</h2>
      <p>
        Decides every open finding with the shipped ruleset: escalate when a trigger fires, stay otherwise (with the reasons). Each decision is stored and can be explained on its
        finding's page.
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setJobId(null);
          run.mutate({ escalate: mayEscalate && escalate });
        }}
      >
        {mayEscalate && (
          <label className="check">
            <input type="checkbox" checked={escalate} onChange={(e) => setEscalate(e.target.checked)} />
            Hand escalations to incident response (opens or joins an incident and stores its handoff note)
          </label>
        )}
        <div>
          <button type="submit" className="primary" disabled={running}>
            {running ? 'Triage running…' : 'Run triage'}
          </button>
        </div>
      </form>
      <ErrorNotice error={run.error} title="Triage could not start" />
      {job.data !== undefined && !done && <JobProgress job={job.data} label="Triage progress" />}
      {job.isError && <JobPollError error={job.error} />}
      {job.data !== undefined && done && <TriageResult job={job.data} />}
    </section>
  );
}

function TriageResult({ job }: { job: Job }) {
  if (job.state === 'failed') {
    return (
      <section role="region" aria-label="Triage result" className="notice notice-error result">
        <h3>Triage failed</h3>
        <p>{job.error?.message ?? 'the run failed without saying why'}</p>
        <p className="next">Nothing was decided by this run (a run is stored whole or not at all). Fix what the message names and run it again.</p>
      </section>
    );
  }
  const s = summarizeTriage(job.result);
  return (
    <section role="region" aria-label="Triage result" className="notice notice-ok result">
      <h3>Triage finished</h3>
      <dl className="facts counts">
        <div className="fact">
          <dt>Findings decided</dt>
          <dd>{(s.evaluated ?? 0).toLocaleString()}</dd>
        </div>
        {s.byOutcome.map((o) => (
          <div key={o.label} className="fact">
            <dt>{o.label}</dt>
            <dd>{o.value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {s.byTrigger.length > 0 && (
        <>
          <h4>Escalations by trigger</h4>
          <ul>
            {s.byTrigger.map((t) => (
              <li key={t.label}>
                {t.label}: {t.value.toLocaleString()}
              </li>
            ))}
          </ul>
        </>
      )}
      {s.incidents.length > 0 && (
        <>
          <h4>Handed to incident response</h4>
          <ul>
            {s.incidents.map((i) => (
              <li key={i.incident}>
                <Link to={`/incidents/${encodeURIComponent(i.incident)}`}>{i.incident}</Link> {i.created ? '(opened)' : '(joined)'}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
