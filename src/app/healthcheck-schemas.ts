import { z } from 'zod';
import { QUESTIONS } from './healthcheck-answers.js';

/** What the health-check use cases answer, as zod schemas: the API documents its responses with them. */

export const healthCheckAnswerOutput = z.object({
  question: z.enum(QUESTIONS),
  passed: z.boolean(),
  answer: z.string(),
  /** Ids of the records (or the file) the answer rests on. */
  evidence: z.array(z.string()),
  gaps: z.array(z.object({ subject: z.string().nullable(), message: z.string() })),
});

export const healthCheckNoteOutput = z.object({ id: z.string(), health_check_id: z.string(), incident_id: z.string(), author: z.string(), text: z.string(), created_at: z.string() });

export const controlFindingOutput = z.object({
  id: z.string(),
  health_check_id: z.string(),
  incident_id: z.string(),
  question: z.string(),
  subject: z.string().nullable(),
  message: z.string(),
  owner_role: z.string(),
  remediation_item_id: z.string(),
  created_at: z.string(),
});

const checkFields = {
  id: z.string(),
  period: z.object({ from: z.string(), to: z.string() }),
  population_basis: z.literal('closed_in_period'),
  sample_size: z.number().int(),
  seed: z.string(),
  stratify: z.string().nullable(),
  method: z.string(),
  strata: z.array(z.object({ stratum: z.string(), population: z.number().int(), picked: z.number().int() })),
  population: z.number().int(),
  sampled: z.number().int(),
  passed: z.number().int(),
  control: z.object({ id: z.string(), version: z.number().int() }),
  created_by: z.string(),
  created_at: z.string(),
};

export const healthCheckSummaryOutput = z.object({ ...checkFields, findings: z.number().int() });
export const healthCheckListOutput = z.object({ checks: z.array(healthCheckSummaryOutput) });

export const healthCheckOutput = z.object({
  ...checkFields,
  samples: z.array(
    z.object({
      position: z.number().int(),
      incident_id: z.string(),
      stratum: z.string(),
      passed: z.boolean(),
      reopened: z.boolean(),
      answers: z.object(Object.fromEntries(QUESTIONS.map((q) => [q, healthCheckAnswerOutput])) as Record<(typeof QUESTIONS)[number], typeof healthCheckAnswerOutput>),
      notes: z.array(healthCheckNoteOutput),
      findings: z.array(z.string()),
    }),
  ),
  findings: z.array(controlFindingOutput),
});

export const healthCheckWorksheetOutput = z.object({ file_name: z.string(), csv: z.string() });
export const healthCheckOscalOutput = z.object({ file_name: z.string(), document: z.record(z.string(), z.unknown()) });
