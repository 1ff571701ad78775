/**
 * Control health checks: the checks run so far (newest first) and, for those who may, a form that
 * runs one over a period with a sample size and a seed (the same seed draws the same sample).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { healthCheckApi, healthCheckKeys } from '../api/healthchecks';
import { useCan } from '../auth/session';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Page } from '../components/Page';
import { Time } from '../components/Time';
import { TableWrap } from './incident/TableWrap';

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

function RunCheck() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const now = new Date();
  const [from, setFrom] = useState(isoDay(new Date(now.getTime() - 90 * 86_400_000)));
  const [to, setTo] = useState(isoDay(now));
  const [sample, setSample] = useState('10');
  const [seed, setSeed] = useState('');
  const [stratify, setStratify] = useState(true);
  const mutation = useMutation({
    mutationFn: () => healthCheckApi.run({ from, to, sample: Number(sample), seed: seed.trim(), ...(stratify ? { stratify: 'severity' as const } : {}) }),
    onSuccess: async (check) => {
      await qc.invalidateQueries({ queryKey: healthCheckKeys.all });
      void navigate(`/health-checks/${encodeURIComponent(check.id)}`);
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    mutation.mutate();
  }
  return (
    <form className="form" aria-label="Run a health check" onSubmit={submit}>
      <h2>Run a health check</h2>
      <p className="muted small">Samples the incidents closed in the period and answers the four questions of each from its records. Every gap becomes a control finding with a remediation item.</p>
      <label>
        From
        <input type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        To <span className="hint">inclusive</span>
        <input type="date" required value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <label>
        Sample size
        <input type="number" min={1} required value={sample} onChange={(e) => setSample(e.target.value)} />
      </label>
      <label>
        Seed <span className="hint">record it: the same seed draws the same sample</span>
        <input required value={seed} onChange={(e) => setSeed(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={stratify} onChange={(e) => setStratify(e.target.checked)} /> Stratify by severity
      </label>
      <ErrorNotice error={mutation.error} title="The health check did not run" />
      <button type="submit" className="primary" disabled={mutation.isPending}>
        {mutation.isPending ? 'Running…' : 'Run health check'}
      </button>
    </form>
  );
}

export default function HealthChecks() {
  const can = useCan();
  const list = useQuery({ queryKey: healthCheckKeys.all, queryFn: healthCheckApi.list });
  const checks = list.data?.checks ?? [];
  return (
    <Page title="Health checks">
      {list.isPending && <Loading what="Reading the health checks" />}
      <ErrorNotice error={list.error} title="The health checks could not be read" />
      {list.data !== undefined && (
        <>
          <p className="muted" role="status">
            {checks.length === 0 ? 'No health check has been run yet.' : `${checks.length} health check${checks.length === 1 ? '' : 's'}, newest first.`}
          </p>
          {checks.length > 0 && (
            <TableWrap label="Health checks">
              <table aria-label="Health checks">
                <thead>
                  <tr>
                    <th scope="col">Check</th>
                    <th scope="col">Closed from – to</th>
                    <th scope="col">Passed</th>
                    <th scope="col">Control findings</th>
                    <th scope="col">Seed</th>
                    <th scope="col">Run by</th>
                    <th scope="col">When</th>
                  </tr>
                </thead>
                <tbody>
                  {checks.map((c) => (
                    <tr key={c.id}>
                      <th scope="row">
                        <Link to={`/health-checks/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                      </th>
                      <td>
                        {c.period.from} – {c.period.to}
                      </td>
                      <td>
                        {c.passed} of {c.sampled} sampled ({c.population} closed)
                      </td>
                      <td>{c.findings}</td>
                      <td>
                        <code>{c.seed}</code>
                        {c.stratify !== null && <span className="muted"> by {c.stratify}</span>}
                      </td>
                      <td>{c.created_by}</td>
                      <td>
                        <Time at={c.created_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      )}
      {can('healthcheck.run') && <RunCheck />}
    </Page>
  );
}
