/**
 * Imports: upload a report (its kind, its file) with the upload's progress, then the import job's
 * progress, then its result in counts or its failure in words (file, record, field); below, the
 * recent imports.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { IMPORT_KINDS, listImports, uploadImport, type ImportKind, type Job } from '../../api/vr';
import { useCan, useSession } from '../../auth/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Empty, Loading } from '../../components/Page';
import { Time } from '../../components/Time';
import { JobPollError, JobProgress, ProgressBar, useJob } from './JobStatus';
import { failureParts, formatBytes, summarizeImport, summarizeTriage } from './words';

const KIND_WORDS: Record<ImportKind, string> = {
  findings: 'Findings: a scanner report (Trivy, Grype, SARIF, OSV-Scanner, CycloneDX, Dependency-Check, npm audit, CSV/JSON)',
  assets: 'Assets: the inventory (CSV or JSON)',
  vulnerabilities: 'Vulnerabilities: advisory-level facts',
  kev: 'KEV: the CISA Known Exploited Vulnerabilities catalog (JSON)',
  epss: 'EPSS: FIRST exploit prediction scores (CSV)',
  signals: 'Signals: telemetry (NDJSON or OCSF detection findings)',
  advisories: 'Advisories: CSAF 2.0 or OpenVEX statements',
};

export function ImportsPanel() {
  const can = useCan();
  return (
    <>
      {can('vr.import') ? <UploadForm /> : <p className="muted">Your roles do not allow importing reports; you can read the imports below.</p>}
      <RecentImports />
    </>
  );
}

function UploadForm() {
  const session = useSession();
  const qc = useQueryClient();
  const hintId = useId();
  const [kind, setKind] = useState<ImportKind>('findings');
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (v: { kind: ImportKind; file: File }) => uploadImport(v.kind, v.file, session.csrf_token, (loaded, total) => setSent({ loaded, total })),
    onSuccess: (job: Job) => {
      setJobId(job.id);
      qc.setQueryData(['job', job.id], job);
    },
  });
  const job = useJob(jobId);
  const done = job.data?.state === 'succeeded' || job.data?.state === 'failed';
  // a finished import changes the lists and figures that count what it brought
  useEffect(() => {
    if (!done) return;
    void qc.invalidateQueries({ queryKey: ['imports'] });
    void qc.invalidateQueries({ queryKey: ['decisions'] });
    void qc.invalidateQueries({ queryKey: ['metrics'] });
  }, [done, jobId, qc]);
  const running = upload.isPending || (jobId !== null && !done);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file === null) return;
    setJobId(null);
    setSent(null);
    upload.mutate({ kind, file });
  };

  return (
    <section aria-labelledby="upload-heading" className="panel">
      <h2 id="upload-heading">Upload a report</h2>
      <form className="form" onSubmit={submit}>
        <label>
          Report kind
          <select value={kind} onChange={(e) => setKind(e.target.value as ImportKind)} aria-describedby={hintId}>
            {IMPORT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <span className="hint" id={hintId}>
            {KIND_WORDS[kind]}
          </span>
        </label>
        <label>
          Report file
          <input type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <div>
          <button type="submit" className="primary" disabled={file === null || running}>
            {upload.isPending ? 'Uploading…' : running ? 'Importing…' : 'Upload'}
          </button>
        </div>
      </form>
      {upload.isPending && sent !== null && (
        <ProgressBar label="Upload progress" percent={sent.total > 0 ? Math.min(100, (sent.loaded / sent.total) * 100) : null} text={`Sending: ${formatBytes(sent.loaded)} of ${formatBytes(sent.total)}`} />
      )}
      <ErrorNotice error={upload.error} title="The upload did not work" />
      {job.data !== undefined && !done && <JobProgress job={job.data} label="Import progress" uploadedBytes={sent?.total} />}
      {job.isError && <JobPollError error={job.error} />}
      {job.data !== undefined && done && <ImportResult job={job.data} />}
    </section>
  );
}

/** The end of an import: its counts, or the failure in words. */
export function ImportResult({ job }: { job: Job }) {
  const file = typeof job.input.file === 'string' ? job.input.file : 'the file';
  if (job.state === 'failed') {
    const e = job.error ?? { code: 'CL_INTERNAL', message: 'the import failed without saying why' };
    const parts = failureParts(e);
    return (
      <section role="region" aria-label="Import result" className="notice notice-error result">
        <h3>{file} was not imported</h3>
        <p>{e.message}</p>
        {parts.length > 0 && (
          <dl className="facts">
            {parts.map((p, i) => (
              <div key={i} className="fact">
                <dt>{p.label}</dt>
                <dd>
                  <code>{p.value}</code>
                </dd>
              </div>
            ))}
          </dl>
        )}
        <p className="next">Nothing was stored from this file. Fix the file (or choose the right report kind) and upload it again.</p>
      </section>
    );
  }
  const s = summarizeImport(job.result);
  const t = s.triage !== null ? summarizeTriage(s.triage) : null;
  return (
    <section role="region" aria-label="Import result" className="notice notice-ok result">
      <h3>{file} imported</h3>
      {s.duplicateOf !== null && <p>The same file was imported before ({s.duplicateOf}): nothing changed.</p>}
      <dl className="facts counts">
        {s.counts.map((c) => (
          <div key={c.label} className="fact">
            <dt>{c.label}</dt>
            <dd>{c.value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {s.skipped.length > 0 && (
        <>
          <h4>Skipped</h4>
          <ul>
            {s.skipped.map((c) => (
              <li key={c.label}>
                {c.label}: {c.value.toLocaleString()}
              </li>
            ))}
          </ul>
        </>
      )}
      {s.unknown.some((u) => u.value > 0) && (
        <>
          <h4>Records naming what the store does not know</h4>
          <ul>
            {s.unknown.map((c) => (
              <li key={c.label}>
                {c.label}: {c.value.toLocaleString()}
              </li>
            ))}
          </ul>
        </>
      )}
      {t !== null && (
        <p>
          Triage decided {t.evaluated ?? 0} finding(s): {t.byOutcome.map((o) => `${o.label} ${o.value}`).join(', ')}.
        </p>
      )}
      {s.warnings.length > 0 && (
        <>
          <h4>Warnings</h4>
          <ul className="warnings">
            {s.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function RecentImports() {
  const q = useQuery({ queryKey: ['imports'], queryFn: () => listImports(20) });
  return (
    <section aria-labelledby="recent-imports">
      <h2 id="recent-imports">Recent imports</h2>
      {q.isPending && <Loading what="Loading the recent imports" />}
      <ErrorNotice error={q.error} title="The recent imports could not be loaded" />
      {q.data !== undefined && q.data.length === 0 && <Empty>No report has been imported yet.</Empty>}
      {q.data !== undefined && q.data.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Recent imports table">
          <table>
            <caption className="visually-hidden">The most recent imports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Import</th>
                <th scope="col">Kind</th>
                <th scope="col">File</th>
                <th scope="col">Format</th>
                <th scope="col">Counts</th>
                <th scope="col">By</th>
                <th scope="col">At</th>
              </tr>
            </thead>
            <tbody>
              {q.data.map((i) => (
                <tr key={i.id}>
                  <td>
                    <code>{i.id}</code>
                  </td>
                  <td>{i.kind}</td>
                  <td className="wrap" title={i.file}>
                    {baseName(i.file)}
                  </td>
                  <td>{i.format}</td>
                  <td className="small">
                    {summarizeImport(i.counts)
                      .counts.filter((c) => c.value > 0)
                      .map((c) => `${c.label}: ${c.value.toLocaleString()}`)
                      .join(' · ') || 'nothing changed'}
                  </td>
                  <td>{i.by}</td>
                  <td>
                    <Time at={i.at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The file's own name: imports from the command line record the path they were given. */
function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
