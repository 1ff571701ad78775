/**
 * The calls of the Health checks pages, typed from the OpenAPI document: list, run, show, add a
 * reviewer's note, and the worksheet (CSV) and OSCAL assessment-results to download.
 */
import { api, data } from './client';
import type { operations } from './schema';

/** The JSON a documented operation answers with on success (200 or 201). */
type Answer<O extends keyof operations> = operations[O]['responses'] extends { 200: { content: { 'application/json': infer T } } }
  ? T
  : operations[O]['responses'] extends { 201: { content: { 'application/json': infer T } } }
    ? T
    : never;

export type HealthCheck = Answer<'showHealthCheck'>;
export type HealthCheckSummary = Answer<'listHealthChecks'>['checks'][number];
export type SampledIncident = HealthCheck['samples'][number];
export type HealthCheckNote = Answer<'addHealthCheckNote'>;
export type QuestionKey = keyof SampledIncident['answers'];

export const QUESTION_KEYS: readonly QuestionKey[] = ['weakness', 'notified', 'followthrough', 'evidence'];
export const QUESTION_WORDS: Record<QuestionKey, string> = {
  weakness: 'Weakness identified, or none with a rationale',
  notified: 'Correct roles notified and delivered',
  followthrough: 'Remediation or approved acceptance',
  evidence: 'Evidence stored and verifying',
};

export interface RunInput {
  from: string;
  to: string;
  sample: number;
  seed: string;
  stratify?: 'severity';
}

export const healthCheckKeys = {
  all: ['health-checks'] as const,
  one: (id: string) => ['health-checks', id] as const,
};

export const healthCheckApi = {
  list: async () => data(await api.GET('/api/v1/health-checks')),
  show: async (id: string) => data(await api.GET('/api/v1/health-checks/{id}', { params: { path: { id } } })),
  run: async (input: RunInput) => data(await api.POST('/api/v1/health-checks', { body: input })),
  note: async (id: string, incident: string, text: string) => data(await api.POST('/api/v1/health-checks/{id}/notes', { params: { path: { id } }, body: { incident, text } })),
  worksheet: async (id: string) => data(await api.GET('/api/v1/health-checks/{id}/worksheet', { params: { path: { id } } })),
  oscal: async (id: string) => data(await api.GET('/api/v1/health-checks/{id}/oscal', { params: { path: { id } } })),
};

/** Saves `text` as a file named `fileName` through the browser's download. */
export function saveFile(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
