/**
 * Jobs: work that outlives the request that started it (an uploaded file's import, a stored triage
 * run). A job is a row (`jobs`) the caller polls by id; the work runs in the background of the
 * server process that accepted it, through a `JobRunner`, which writes its progress to the row
 * (at most every `progressEveryMs`), then its result or its error. Only the job's actor or an
 * admin reads it. A job a stopped server left queued or running is marked failed when a server
 * starts (`failInterruptedJobs`).
 */
import { ClError, isClError, notFound } from '../errors.js';
import { failJobsIn, insertJob, jobById, updateJob } from '../store/repositories/jobs.js';
import type { Job } from '../store/schema.js';
import type { JobState } from '../store/tables/jobs.table.js';
import { activeRoles } from '../store/repositories/people.js';
import { inTransaction, isoNow, nextId, type AppContext, type Caller } from './context.js';

/** How far a job has got: records read or findings decided, and for an upload its size. */
export interface JobProgress {
  /** Items done so far: records read (import), findings decided or escalations handed over (triage). */
  records: number;
  /** What `records` counts when it is a later stage (`escalations handed to IR`). */
  counting?: string;
  /** The upload's size in bytes (imports). */
  total_bytes?: number;
  seconds: number;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

/** A job as the API shows it. */
export interface JobView {
  id: string;
  kind: string;
  actor: string;
  state: JobState;
  input: Record<string, unknown>;
  progress: JobProgress | null;
  result: unknown;
  error: JobError | null;
  created_at: string;
  updated_at: string;
}

const parsed = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function jobView(row: Job): JobView {
  return {
    id: row.id,
    kind: row.kind,
    actor: row.actor,
    state: row.state,
    input: parsed<Record<string, unknown>>(row.input) ?? {},
    progress: parsed<JobProgress>(row.progress),
    result: parsed<unknown>(row.result),
    error: parsed<JobError>(row.error),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Records a new job, queued, for the caller (its own transaction: the job exists before the work starts). */
export async function createJob(ctx: AppContext, caller: Caller, kind: string, input: Record<string, unknown>): Promise<JobView> {
  return inTransaction(ctx, async (trx) => {
    const at = isoNow(ctx);
    const row: Job = { id: await nextId(trx, 'JB'), kind, actor: caller.actor, state: 'queued', input: JSON.stringify(input), progress: null, result: null, error: null, created_at: at, updated_at: at };
    await insertJob(trx, row);
    return jobView(row);
  });
}

/** The error of a failed job in words: a closeloop error as it is, anything else without its internals. */
export function jobErrorOf(err: unknown): JobError {
  if (isClError(err)) return err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
  return { code: 'CL_INTERNAL', message: 'the job failed on an unexpected error; the server log has the details' };
}

export interface JobWork<T> {
  /** Runs the work; `progress` may be called as often as the work likes (it is throttled). */
  run(progress: (p: JobProgress) => void): Promise<T>;
  /** The result as the job row keeps it. */
  present(result: T): unknown;
  /** Runs after the work, whatever happened (removing a temporary file). */
  cleanup?(): Promise<void>;
  /** Rewrites an error before it is kept (naming the uploaded file instead of its temporary path). */
  describeError?(e: JobError): JobError;
}

interface Running {
  view: JobView;
  done: Promise<void>;
}

/**
 * Runs jobs in the background of this process. Each job's row writes are chained, so the final state
 * is never overtaken by a late progress write; `idle()` waits for every job started (the server
 * waits on it before it closes the store). While a job runs here, `show` answers from memory: on
 * SQLite the import's transaction holds the one connection until it commits.
 */
export class JobRunner {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly ctx: AppContext,
    private readonly options: { progressEveryMs?: number; onError?: (job: string, err: unknown) => void } = {},
  ) {}

  start<T>(job: JobView, work: JobWork<T>): JobView {
    const ctx = this.ctx;
    const view: JobView = { ...job };
    const every = this.options.progressEveryMs ?? 500;
    let chain: Promise<void> = Promise.resolve();
    const write = (set: Parameters<typeof updateJob>[2]) => {
      chain = chain.then(() => updateJob(ctx.store.db, job.id, set)).catch((err: unknown) => this.options.onError?.(job.id, err));
    };
    let lastWrite = -Infinity;
    let pending = false;
    const progress = (p: JobProgress) => {
      view.progress = p;
      view.updated_at = isoNow(ctx);
      const t = performance.now();
      if (t - lastWrite < every) return;
      lastWrite = t;
      if (pending) return; // a write is queued already: it takes the latest progress when it runs
      pending = true;
      chain = chain
        .then(() => {
          pending = false;
          return updateJob(ctx.store.db, job.id, { progress: JSON.stringify(view.progress), updated_at: view.updated_at });
        })
        .catch((err: unknown) => this.options.onError?.(job.id, err));
    };
    const done = (async () => {
      view.state = 'running';
      write({ state: 'running', updated_at: isoNow(ctx) });
      try {
        const result = work.present(await work.run(progress));
        view.state = 'succeeded';
        view.result = result;
        view.updated_at = isoNow(ctx);
        write({ state: 'succeeded', result: JSON.stringify(result), progress: view.progress === null ? null : JSON.stringify(view.progress), updated_at: view.updated_at });
      } catch (err) {
        if (!isClError(err)) this.options.onError?.(job.id, err);
        const e = jobErrorOf(err);
        view.state = 'failed';
        view.error = work.describeError ? work.describeError(e) : e;
        view.updated_at = isoNow(ctx);
        write({ state: 'failed', error: JSON.stringify(view.error), updated_at: view.updated_at });
      } finally {
        await work.cleanup?.().catch((err: unknown) => this.options.onError?.(job.id, err));
        await chain;
        this.running.delete(job.id);
      }
    })();
    this.running.set(job.id, { view, done });
    return { ...view };
  }

  /** The job as this process knows it while it runs here. */
  current(id: string): JobView | undefined {
    const r = this.running.get(id);
    return r === undefined ? undefined : { ...r.view };
  }

  /** Waits for every job running here to finish and record its end. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }
}

/** `GET /jobs/:id`: a job, to its actor or an admin (anyone else is told it does not exist). */
export async function showJob(ctx: AppContext, caller: Caller, id: string, runner?: JobRunner): Promise<JobView> {
  const roles = await activeRoles(ctx.store.db, caller.actor);
  if (roles === null) throw new ClError('CL_FORBIDDEN', `${caller.actor} is not in the people directory; an admin can add them with \`closeloop people add\``, { actor: caller.actor });
  const view = runner?.current(id) ?? (await jobById(ctx.store.db, id).then((row) => (row === undefined ? undefined : jobView(row))));
  const admin = roles.includes('admin');
  if (view === undefined || (view.actor !== caller.actor && !admin)) throw notFound('job', id);
  return view;
}

export const INTERRUPTED_MESSAGE = 'the server stopped during this job; upload the file again (or start the triage again)';

/** On a server's start: jobs a stopped server left queued or running are failed, saying why. */
export async function failInterruptedJobs(ctx: AppContext): Promise<string[]> {
  const error: JobError = { code: 'CL_UNAVAILABLE', message: INTERRUPTED_MESSAGE };
  return failJobsIn(ctx.store.db, ['queued', 'running'], JSON.stringify(error), isoNow(ctx));
}

const runners = new WeakMap<AppContext, JobRunner>();

/** The job runner of a context: one per server process and store; `onError` (the server's log) is taken when it is made. */
export function jobRunnerOf(ctx: AppContext, onError?: (job: string, err: unknown) => void): JobRunner {
  let r = runners.get(ctx);
  if (r === undefined) {
    r = new JobRunner(ctx, onError === undefined ? {} : { onError });
    runners.set(ctx, r);
  }
  return r;
}
