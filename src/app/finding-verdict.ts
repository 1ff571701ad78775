/**
 * `closeloop finding set ID …`: an analyst's verdict on a finding (SPEC §2). It sets the fields a
 * person owns — validation, reachability, the containment flag — records who, when and why in
 * `finding_verdicts` and the audit chain, and decides the finding again at once, the way an import
 * with `--triage` decides the findings it changed (a triage run of its own, source `verdict`). An
 * escalation that follows is handed to IR as `triage --escalate` hands one over.
 *
 * A verdict that rules the finding out (`not_affected` / `false_positive`) names its actor in
 * `findings.ruled_out_by`, which the engine's `ruled_out` stay reason quotes. A re-import of the
 * scanner report keeps the verdict's fields (docs/decisions/analyst-verdicts.md).
 */
import { z } from 'zod';
import { REACHABILITIES, VALIDATIONS, type FindingRecord } from '../domain/records.js';
import type { Ruleset } from '../domain/escalation/index.js';
import { notFound } from '../errors.js';
import { findingFromRow, findingFactsFromValues, containmentToText } from '../store/records.js';
import { DECISION_COLUMN, findingValues, withBulkTransaction } from '../store/bulk/index.js';
import { insertFindingVerdict, lockFinding, setVerdictDecision, setVerdictFields } from '../store/repositories/finding-verdicts.js';
import { audit, authorize, isoNow, nextId, type AppContext, type Caller } from './context.js';
import { StoreFacts, TriageRun } from './decisions.js';
import { Handoff, type HandedOver } from './hand-over-escalations.js';
import { presentDecision, type PresentedDecision } from './knowledge.js';
import { loadRuleset } from './load-ruleset.js';
import { identifier, nonEmpty, parseInput, recordInput, shortText } from './validate.js';

/** Words that clear the containment flag, as the CLI and spreadsheets write "no". */
const NOT_NEEDED = new Set(['false', 'no', 'none', 'off']);

export const findingVerdictInput = z
  .strictObject({
    finding: identifier('finding id'),
    validation: z.enum(VALIDATIONS).optional(),
    reachability: z.enum(REACHABILITIES).optional(),
    /** true / false, or the containment action needed (isolation, account reset, …). */
    containment: z.union([z.boolean(), shortText('containment')]).optional(),
    /** Why: the analyst's reasoning, kept with the verdict and audited. */
    note: nonEmpty('note'),
  })
  .refine((v) => v.validation !== undefined || v.reachability !== undefined || v.containment !== undefined, {
    path: ['validation'],
    message: 'a verdict sets at least one of validation, reachability, containment',
  });
recordInput('finding verdict', findingVerdictInput);

export interface FindingVerdict {
  verdict: string;
  finding: string;
  actor: string;
  at: string;
  note: string;
  /** The verdict's fields as they are now on the finding. */
  validation: FindingRecord['validation'];
  reachability: FindingRecord['reachability'];
  containment_needed: FindingRecord['containment_needed'];
  ruled_out_by: string | null;
  before: VerdictFields;
  /** The decision made on the finding after the verdict. */
  decision: PresentedDecision & { id: string; ruleset: string };
  /** The incident an escalation went to (null when the finding stays). */
  incident: HandedOver | null;
}

type VerdictFields = Pick<FindingRecord, 'validation' | 'reachability' | 'containment_needed' | 'ruled_out_by'>;

function containmentOf(v: boolean | string): boolean | string {
  if (typeof v === 'boolean') return v;
  const word = v.trim().toLowerCase();
  if (NOT_NEEDED.has(word)) return false;
  if (word === 'true' || word === 'yes') return true;
  return v.trim();
}

/**
 * Records an analyst's verdict on a finding and decides the finding again, in one transaction: the
 * fields, the verdict row, the decision, any hand-over to IR and the audit events commit together.
 * `ruleset`: the policy to decide with (default: the shipped ruleset).
 */
export async function setFindingVerdict(ctx: AppContext, caller: Caller, input: z.input<typeof findingVerdictInput>, options: { ruleset?: Ruleset } = {}): Promise<FindingVerdict> {
  await authorize(ctx, caller, 'vr.verdict');
  const p = parseInput(findingVerdictInput, input);
  const ruleset = options.ruleset ?? (await loadRuleset());
  return withBulkTransaction(ctx.store, async (trx, bulk) => {
    const row = await lockFinding(trx, p.finding);
    if (!row) throw notFound('finding', p.finding);
    const at = isoNow(ctx);
    const was = findingFromRow(row);
    const before: VerdictFields = { validation: was.validation, reachability: was.reachability, containment_needed: was.containment_needed, ruled_out_by: was.ruled_out_by };
    const validation = p.validation ?? was.validation;
    const ruledOut = validation === 'not_affected' || validation === 'false_positive';
    const now: VerdictFields = {
      validation,
      reachability: p.reachability ?? was.reachability,
      containment_needed: p.containment === undefined ? was.containment_needed : containmentOf(p.containment),
      // who ruled it out: this analyst when the verdict rules it out, whoever did before when it leaves that as it was
      ruled_out_by: !ruledOut ? null : p.validation !== undefined ? caller.actor : was.ruled_out_by,
    };
    const fields = {
      validation: now.validation,
      reachability: now.reachability,
      containment_needed: containmentToText(now.containment_needed),
      ruled_out_by: now.ruled_out_by,
      verdict_at: at,
    };
    await setVerdictFields(trx, row.id, fields);
    const id = await nextId(trx, 'FV');
    await insertFindingVerdict(trx, {
      id,
      finding_id: row.id,
      actor: caller.actor,
      at,
      note: p.note,
      validation: p.validation ?? null,
      reachability: p.reachability ?? null,
      containment_needed: p.containment === undefined ? null : (fields.containment_needed ?? 'false'),
      before: JSON.stringify(before),
      decision_id: null,
    });

    // decide the finding again, as an import with --triage decides the findings it changed
    const run = await TriageRun.start(trx, ruleset, at, bulk.cacheBounds, 'verdict');
    const facts = await StoreFacts.open(trx, bulk, bulk.cacheBounds);
    const values = findingValues({ ...row, ...fields });
    await facts.loadRows([values]);
    const decided = run.decide(facts.inputFor(findingFactsFromValues(values)));
    await bulk.insertDecisions([decided.values]);
    await run.finish(trx, caller);
    await setVerdictDecision(trx, id, decided.id);

    let incident: HandedOver | null = null;
    if (decided.decision.outcome === 'escalate') {
      await authorize(ctx, caller, 'vr.escalate', trx);
      await bulk.settle();
      const handoff = new Handoff(trx, ctx, caller, ruleset, facts);
      const escalation = { id: decided.id, decision: decided.decision, inputHash: decided.values[DECISION_COLUMN.input_hash], snapshot: decided.values[DECISION_COLUMN.snapshot] };
      await handoff.prefetch([escalation]);
      incident = (await handoff.escalateChunk([escalation]))[0] ?? null;
    }
    const result: FindingVerdict = {
      verdict: id,
      finding: row.id,
      actor: caller.actor,
      at,
      note: p.note,
      ...now,
      before,
      decision: { id: decided.id, ruleset: ruleset.version, ...presentDecision(decided.decision) },
      incident,
    };
    await audit(trx, ctx, caller, {
      action: 'finding.verdict',
      entityType: 'finding',
      entityId: row.id,
      incidentId: incident?.incident ?? null,
      state: { verdict: id, note: p.note, set: { validation: p.validation ?? null, reachability: p.reachability ?? null, containment_needed: p.containment === undefined ? null : now.containment_needed }, before, after: now, decision: decided.id, outcome: decided.decision.outcome, run: run.id },
    });
    return result;
  });
}
