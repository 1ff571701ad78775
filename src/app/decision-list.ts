/**
 * `GET /decisions`: the latest decision of each finding (what `closeloop why` explains), a page at a
 * time in finding id order, filtered by outcome, trigger, stay reason or incident. The engine's
 * words (triggers, stay reasons, flags, next actions) go out as the triage output spells them.
 */
import { z } from 'zod';
import { OUTCOMES, STAY_REASONS, TRIGGERS, type Flag, type NextAction, type Outcome, type SsvcOutcome, type StayReason, type Trigger } from '../domain/escalation/vocabulary.js';
import { ClError } from '../errors.js';
import { latestDecisionsPage } from '../store/repositories/decision-list.js';
import { authorize, type AppContext, type Caller } from './context.js';
import { identifier, nonEmpty, parseInput, recordInput } from './validate.js';

export const DECISION_PAGE = { default: 100, max: 1000 } as const;

export const listDecisionsInput = z.strictObject({
  outcome: z.enum(OUTCOMES).optional(),
  trigger: z.enum(TRIGGERS).optional(),
  stay_reason: z.enum(STAY_REASONS).optional(),
  incident: identifier('incident id').optional(),
  limit: z.coerce.number().int().min(1).max(DECISION_PAGE.max).optional(),
  /** The `next` of the previous page. */
  after: nonEmpty('after', 4096).optional(),
});
recordInput('decision list', listDecisionsInput);

export interface ListedDecision {
  decision: string;
  finding: string;
  asset: string;
  vulnerability: string;
  outcome: Outcome;
  triggers: Trigger[];
  stay_reasons: StayReason[];
  flags: Flag[];
  next_actions: NextAction[];
  ssvc: SsvcOutcome;
  ruleset: string;
  /** The incident the finding was handed to (escalations handed over only). */
  incident: string | null;
  decided_at: string;
}

export interface DecisionPage {
  decisions: ListedDecision[];
  next: string | null;
}

const cursorOf = (finding: string): string => Buffer.from(finding, 'utf8').toString('base64url');

function findingOfCursor(after: string): string {
  const finding = Buffer.from(after, 'base64url').toString('utf8');
  if (finding === '' || cursorOf(finding) !== after) {
    throw new ClError('CL_BAD_INPUT', 'after is not a cursor of this list: pass the `next` value of the previous page, or leave it out for the first page', {
      fields: [{ field: 'after', message: 'a `next` value from the previous page' }],
    });
  }
  return finding;
}

const words = <T>(text: string): T[] => JSON.parse(text) as T[];

export async function listDecisions(ctx: AppContext, caller: Caller, input: z.input<typeof listDecisionsInput>): Promise<DecisionPage> {
  await authorize(ctx, caller, 'vr.triage');
  const p = parseInput(listDecisionsInput, input);
  const limit = p.limit ?? DECISION_PAGE.default;
  const rows = await latestDecisionsPage(ctx.store.db, {
    outcome: p.outcome,
    trigger: p.trigger,
    stayReason: p.stay_reason,
    incident: p.incident,
    afterFinding: p.after === undefined ? undefined : findingOfCursor(p.after),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    decisions: page.map((r) => ({
      decision: r.id,
      finding: r.finding_id,
      asset: r.asset_id,
      vulnerability: r.vulnerability_id,
      outcome: r.outcome,
      triggers: words<Trigger>(r.triggers),
      stay_reasons: words<StayReason>(r.stay_reasons),
      flags: words<Flag>(r.flags),
      next_actions: words<NextAction>(r.next_actions),
      ssvc: r.ssvc as SsvcOutcome,
      ruleset: r.ruleset_version,
      incident: r.incident_id,
      decided_at: r.decided_at,
    })),
    next: rows.length > limit && last !== undefined ? cursorOf(last.finding_id) : null,
  };
}
