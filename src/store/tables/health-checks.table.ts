import type { Insertable, Selectable } from 'kysely';

/** A control health check: the period, how the sample was drawn, and its tally. */
export interface HealthChecksTable {
  id: string;
  /** First and last day of the period (YYYY-MM-DD, inclusive): incidents closed in it are the population. */
  period_from: string;
  period_to: string;
  /** The sample size asked for. */
  sample_size: number;
  seed: string;
  /** What the sample was stratified by (`severity`), or null. */
  stratify: string | null;
  /** How the sample was drawn, in words (sampleIncidents). */
  method: string;
  /** JSON: per stratum, its population and how many were picked. */
  strata: string;
  population: number;
  sampled: number;
  /** Sampled incidents with every question answered without a gap. */
  passed: number;
  control_id: string;
  control_version: number;
  created_by: string;
  created_at: string;
}

/** One sampled incident of a check and the four answers computed from its records. */
export interface HealthCheckSamplesTable {
  health_check_id: string;
  incident_id: string;
  /** Its place in the sample (1 first). */
  position: number;
  stratum: string;
  /** JSON: the four answers (domain/healthcheck.ts HealthCheckAnswers). */
  answers: string;
  passed: number;
  /** 1 when the check reopened the incident (soft gate mode). */
  reopened: number;
}

/** A reviewer's note on a sampled incident. */
export interface HealthCheckNotesTable {
  id: string;
  health_check_id: string;
  incident_id: string;
  author: string;
  text: string;
  created_at: string;
}

/** A gap a check found: its owner and the remediation item that tracks its correction. */
export interface ControlFindingsTable {
  id: string;
  health_check_id: string;
  incident_id: string;
  /** Which question found it: weakness, notified, followthrough, evidence. */
  question: string;
  /** What the gap is about (a role, a weakness id, a file), or null. */
  subject: string | null;
  message: string;
  owner_role: string;
  remediation_item_id: string;
  created_at: string;
}

export type HealthCheck = Selectable<HealthChecksTable>;
export type NewHealthCheck = Insertable<HealthChecksTable>;
export type HealthCheckSample = Selectable<HealthCheckSamplesTable>;
export type HealthCheckNote = Selectable<HealthCheckNotesTable>;
export type ControlFinding = Selectable<ControlFindingsTable>;
