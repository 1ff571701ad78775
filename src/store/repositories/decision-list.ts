import type { Db, DecisionRow } from '../schema.js';
import type { Outcome } from '../../domain/escalation/vocabulary.js';

export interface LatestDecisionQuery {
  outcome?: Outcome | undefined;
  /** A trigger the decision lists. */
  trigger?: string | undefined;
  /** A stay reason the decision lists. */
  stayReason?: string | undefined;
  incident?: string | undefined;
  /** The finding id after which the page starts. */
  afterFinding?: string | undefined;
  limit: number;
}

export type ListedDecisionRow = Pick<DecisionRow, 'id' | 'finding_id' | 'asset_id' | 'vulnerability_id' | 'outcome' | 'triggers' | 'stay_reasons' | 'flags' | 'next_actions' | 'ssvc' | 'ruleset_version' | 'incident_id' | 'decided_at'>;

/**
 * The latest decision of each finding (by time, then id: as `why` picks it), in finding id order,
 * filtered on that latest decision. Triggers and stay reasons are JSON arrays of closed-vocabulary
 * words, so a quoted word matches one element exactly.
 */
export function latestDecisionsPage(db: Db, q: LatestDecisionQuery): Promise<ListedDecisionRow[]> {
  let query = db
    .selectFrom('decisions as d')
    .select(['d.id', 'd.finding_id', 'd.asset_id', 'd.vulnerability_id', 'd.outcome', 'd.triggers', 'd.stay_reasons', 'd.flags', 'd.next_actions', 'd.ssvc', 'd.ruleset_version', 'd.incident_id', 'd.decided_at'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('decisions as n')
            .select('n.id')
            .whereRef('n.finding_id', '=', 'd.finding_id')
            .where((n) => n.or([n('n.decided_at', '>', n.ref('d.decided_at')), n.and([n('n.decided_at', '=', n.ref('d.decided_at')), n('n.id', '>', n.ref('d.id'))])])),
        ),
      ),
    )
    .orderBy('d.finding_id')
    .limit(q.limit);
  if (q.outcome !== undefined) query = query.where('d.outcome', '=', q.outcome);
  if (q.trigger !== undefined) query = query.where('d.triggers', 'like', `%"${q.trigger}"%`);
  if (q.stayReason !== undefined) query = query.where('d.stay_reasons', 'like', `%"${q.stayReason}"%`);
  if (q.incident !== undefined) query = query.where('d.incident_id', '=', q.incident);
  if (q.afterFinding !== undefined) query = query.where('d.finding_id', '>', q.afterFinding);
  return query.execute();
}
