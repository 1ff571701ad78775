import type { z } from 'zod';
import { authorize, type AppContext, type Caller } from './context.js';
import { healthCheckIdInput, healthCheckView, type HealthCheckView } from './healthcheck.js';
import { QUESTIONS, type Answer } from './healthcheck-answers.js';
import { csvText } from './oscal/poam-csv.js';
import { parseInput } from './validate.js';

/**
 * A health check as a CSV worksheet for the assessor: one row per sampled incident, the four
 * answers with the ids they rest on, the gaps and their control findings, and the reviewers' notes.
 */

const answerCell = (a: Answer): string => `${a.passed ? 'yes' : 'gap'}: ${a.answer}`;

export const WORKSHEET_COLUMNS = [
  'position',
  'incident',
  'stratum',
  'passed',
  'reopened',
  ...QUESTIONS.flatMap((q, i) => [`q${i + 1}_${q}`, `q${i + 1}_records`]),
  'gaps',
  'control_findings',
  'reviewer_notes',
] as const;

/** The worksheet's text (CRLF lines, a header row first). */
export function worksheetCsv(view: HealthCheckView): string {
  const rows = view.samples.map((s) => {
    const gaps = QUESTIONS.flatMap((q) => s.answers[q].gaps.map((g) => g.message));
    return [
      String(s.position),
      s.incident_id,
      s.stratum,
      s.passed ? 'yes' : 'no',
      s.reopened ? 'yes' : 'no',
      ...QUESTIONS.flatMap((q) => [answerCell(s.answers[q]), s.answers[q].evidence.join(' ')]),
      gaps.join(' | '),
      s.findings.join(' '),
      s.notes.map((n) => `${n.author} ${n.created_at}: ${n.text}`).join(' | '),
    ];
  });
  return csvText(WORKSHEET_COLUMNS, rows);
}

/** The worksheet of a check: its file name and CSV text. */
export async function healthCheckWorksheet(ctx: AppContext, caller: Caller, input: z.input<typeof healthCheckIdInput>): Promise<{ file_name: string; csv: string }> {
  await authorize(ctx, caller, 'healthcheck.read');
  const p = parseInput(healthCheckIdInput, input);
  const view = await healthCheckView(ctx.store.db, p.id);
  return { file_name: `${view.id}-worksheet.csv`, csv: worksheetCsv(view) };
}
