/**
 * Stored triage as a job (`POST /triage`): the same use case as `closeloop triage [--escalate]` over
 * the store, run in the background of the server, its progress and then its summary on the job.
 * The ruleset is the shipped one, or YAML text the caller sends (never a path on the server).
 */
import { z } from 'zod';
import { parseRuleset, type Ruleset } from '../domain/escalation/index.js';
import { LIMITS } from '../domain/limits.js';
import { ClError, isClError } from '../errors.js';
import { authorize, type AppContext, type Caller } from './context.js';
import { createJob, type JobRunner, type JobView } from './jobs.js';
import { loadRuleset } from './load-ruleset.js';
import { triageStored } from './triage-stored.js';
import { parseInput, plainText, recordInput } from './validate.js';

export const triageJobInput = z.strictObject({
  /** Hand each escalation to incident response (open or link its incident, store its handoff note). */
  escalate: z.boolean().default(false),
  /** A ruleset as YAML text (as `rules/default.yaml` is written); the shipped ruleset when absent. */
  ruleset: plainText('ruleset', 4 * LIMITS.text).optional(),
});
recordInput('triage', triageJobInput);

/** A ruleset the caller sent: a bad one is the caller's input, refused naming the field. */
function sentRuleset(text: string): Ruleset {
  try {
    return parseRuleset(text, 'the ruleset sent');
  } catch (err) {
    if (isClError(err) && err.code === 'CL_CONFIG_INVALID') throw new ClError('CL_BAD_INPUT', err.message, { fields: [{ field: 'ruleset', message: err.message }] });
    throw err;
  }
}

/** `POST /triage`: records a job and starts the stored triage in the background. */
export async function startTriageJob(ctx: AppContext, caller: Caller, input: z.input<typeof triageJobInput>, runner: JobRunner): Promise<JobView> {
  await authorize(ctx, caller, 'vr.triage');
  const p = parseInput(triageJobInput, input);
  if (p.escalate) await authorize(ctx, caller, 'vr.escalate');
  // the ruleset is checked before the job exists: a bad one is a 400 naming its problem
  const ruleset: Ruleset = p.ruleset === undefined ? await loadRuleset() : sentRuleset(p.ruleset);
  const job = await createJob(ctx, caller, 'triage', { escalate: p.escalate, ruleset: ruleset.version });
  return runner.start(job, {
    run: (progress) =>
      triageStored(ctx, caller, { escalate: p.escalate, all: false }, ruleset, {
        progressIntervalMs: 0,
        onProgress: (x) => progress({ records: x.done, seconds: x.seconds, ...(x.counting !== undefined ? { counting: x.counting } : {}) }),
      }),
    present: (r) => r,
  });
}
