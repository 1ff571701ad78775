/**
 * A job the server runs in the background (an import, a triage run): polled every 700 ms until it
 * ends, its progress as a bar and a sentence, then what the caller shows for its end.
 */
import { useQuery } from '@tanstack/react-query';
import { Progress } from 'radix-ui';
import { getJob, type Job } from '../../api/vr';
import { ErrorNotice } from '../../components/ErrorNotice';
import { isDone, progressOf } from './words';

export const POLL_MS = 700;

export function useJob(id: string | null) {
  return useQuery({
    queryKey: ['job', id],
    queryFn: () => getJob(id ?? ''),
    enabled: id !== null,
    refetchInterval: (q) => (isDone(q.state.data) ? false : POLL_MS),
  });
}

/** A progress bar with its figures in words; indeterminate while the total is unknown. */
export function ProgressBar({ label, percent, text }: { label: string; percent: number | null; text: string }) {
  return (
    <div className="progress-box">
      <Progress.Root className="progress" value={percent} max={100} aria-label={label} aria-valuetext={text}>
        <Progress.Indicator className={percent === null ? 'progress-indicator indeterminate' : `progress-indicator w${Math.round(percent / 5) * 5}`} />
      </Progress.Root>
      <p className="small" aria-live="polite">
        {text}
      </p>
    </div>
  );
}

export function JobProgress({ job, label, uploadedBytes }: { job: Job; label: string; uploadedBytes?: number }) {
  const p = progressOf(job, uploadedBytes);
  return <ProgressBar label={label} percent={p.percent} text={p.text} />;
}

/** The job's polling error (the job itself may still be running: the next poll retries). */
export function JobPollError({ error }: { error: unknown }) {
  return <ErrorNotice error={error} title="The job's progress could not be read" />;
}
