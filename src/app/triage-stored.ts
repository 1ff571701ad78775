import { z } from 'zod';
import type { Ruleset } from '../domain/escalation/index.js';
import { findingFactsFromValues } from '../store/records.js';
import { DECISION_COLUMN, withBulkTransaction, type DecisionValues } from '../store/bulk/index.js';
import { audit, authorize, isoNow, type AppContext, type Caller } from './context.js';
import { presentDecision, type PresentedDecision } from './knowledge.js';
import { StoreFacts, TriageRun } from './decisions.js';
import { ESCALATION_CHUNK, Handoff, type Escalation, type HandedOver, type HandoffRevised } from './hand-over-escalations.js';
import { throttled, type Progress } from './progress.js';
import { parseInput } from './validate.js';

/** `closeloop triage` over the store: hand the escalations to IR (`escalate`), list every decision (`all`). */
export const triageStoredInput = z.object({ escalate: z.boolean().default(false), all: z.boolean().default(false) });

export interface TriageSummary {
  run: string;
  ruleset: string;
  evaluated: number;
  by_outcome: Record<string, number>;
  by_trigger: Record<string, number>;
  escalations: PresentedDecision[];
  decisions: PresentedDecision[] | null;
  incidents: HandedOver[];
  /** The handoff revision each incident the run handed findings to got (one per incident, queued to the IR lead). */
  revisions: HandoffRevised[];
}

/** Decision rows per bulk write. */
const DECISION_BATCH = 2000;

/**
 * `closeloop triage` over the store: decides every open finding, records each Decision (ruleset
 * version, input hash, the KEV/EPSS values as they were), and with `escalate` hands each escalation
 * to incident response. One transaction: a triage run is recorded whole or not at all. Findings
 * stream a page at a time and decisions are written through the bulk path, so memory stays flat
 * whatever the number of findings (escalations, and with `all` every decision, are kept for the
 * summary).
 */
export async function triageStored(ctx: AppContext, caller: Caller, input: z.input<typeof triageStoredInput>, ruleset: Ruleset, options: { onProgress?: (p: Progress) => void; progressIntervalMs?: number } = {}): Promise<TriageSummary> {
  await authorize(ctx, caller, input.escalate ? 'vr.escalate' : 'vr.triage');
  const p = parseInput(triageStoredInput, input);
  return withBulkTransaction(ctx.store, async (trx, bulk) => {
    const run = await TriageRun.start(trx, ruleset, isoNow(ctx), bulk.cacheBounds, 'triage');
    const facts = await StoreFacts.open(trx, bulk, bulk.cacheBounds);
    const summary: TriageSummary = { run: run.id, ruleset: ruleset.version, evaluated: 0, by_outcome: run.counts.by_outcome, by_trigger: run.counts.by_trigger, escalations: [], decisions: p.all ? [] : null, incidents: [], revisions: [] };
    const escalated: Escalation[] = [];
    let batch: DecisionValues[] = [];
    const progress = throttled(options.onProgress, { intervalMs: options.progressIntervalMs });
    for await (const rows of bulk.openFindings(5000)) {
      progress(run.counts.evaluated);
      await facts.loadRows(rows);
      for (const row of rows) {
        const ein = facts.inputFor(findingFactsFromValues(row));
        const { id, decision, values } = run.decide(ein);
        batch.push(values);
        if (batch.length >= DECISION_BATCH) {
          await bulk.insertDecisions(batch);
          batch = [];
        }
        if (p.all || decision.outcome === 'escalate') {
          const presented = presentDecision(decision);
          summary.decisions?.push(presented);
          if (decision.outcome === 'escalate') {
            summary.escalations.push(presented);
            if (p.escalate) escalated.push({ id, decision, inputHash: values[DECISION_COLUMN.input_hash], snapshot: values[DECISION_COLUMN.snapshot] });
          }
        }
      }
    }
    if (batch.length > 0) await bulk.insertDecisions(batch);
    summary.evaluated = run.counts.evaluated;
    await run.finish(trx, caller);
    if (p.escalate) {
      // escalation queries the decisions just written (decisions_link, by finding): indexes first
      await bulk.settle();
      const handoff = new Handoff(trx, ctx, caller, ruleset, facts);
      const handed = throttled(options.onProgress, { intervalMs: options.progressIntervalMs, counting: 'escalations handed to IR' });
      for (let i = 0; i < escalated.length; i += ESCALATION_CHUNK) {
        const chunk = escalated.slice(i, i + ESCALATION_CHUNK);
        await handoff.prefetch(chunk);
        summary.incidents.push(...(await handoff.escalateChunk(chunk)));
        handed(summary.incidents.length);
      }
      summary.revisions = await handoff.finish();
    }
    await audit(trx, ctx, caller, {
      action: p.escalate ? 'triage.escalated' : 'triage.run',
      entityType: 'triage_run',
      entityId: run.id,
      incidentId: null,
      state: { run: run.id, ruleset: ruleset.version, ruleset_digest: run.rulesetDigest, evaluated: summary.evaluated, by_outcome: summary.by_outcome, by_trigger: summary.by_trigger, incidents: summary.incidents },
    });
    return summary;
  });
}
