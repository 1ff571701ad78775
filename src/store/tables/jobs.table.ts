import type { Insertable, Selectable, Updateable } from 'kysely';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Work that outlives a request, polled by id. `input`, `progress`, `result`, `error` are JSON. */
export interface JobsTable {
  id: string;
  kind: string;
  actor: string;
  state: JobState;
  input: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export type Job = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;
