import { notFound } from '../errors.js';
import { findingFromRow } from '../store/records.js';
import { verdictsOfFinding } from '../store/repositories/finding-verdicts.js';
import { findingById } from '../store/repositories/knowledge.js';
import { latestDecisionOfFinding } from '../store/repositories/triage-decisions.js';
import { authorize, type AppContext, type Caller } from './context.js';

/**
 * `closeloop finding show ID`: a finding's facts, the analyst verdicts on it (who, when, why, what
 * they set) and its latest decision in brief; `closeloop why` explains the decision.
 */
export async function showFinding(ctx: AppContext, caller: Caller, findingId: string) {
  await authorize(ctx, caller, 'vr.triage');
  const db = ctx.store.db;
  const row = await findingById(db, findingId);
  if (!row) throw notFound('finding', findingId);
  const f = findingFromRow(row);
  const verdicts = (await verdictsOfFinding(db, findingId)).map((v) => ({
    id: v.id,
    actor: v.actor,
    at: v.at,
    note: v.note,
    set: { validation: v.validation, reachability: v.reachability, containment_needed: v.containment_needed },
    before: JSON.parse(v.before) as unknown,
    decision: v.decision_id,
  }));
  const d = await latestDecisionOfFinding(db, findingId);
  const port = typeof f.extra.port === 'number' ? f.extra.port : null;
  const extraText = (key: string): string | null => {
    const v = f.extra[key];
    return typeof v === 'string' ? v : null;
  };
  // where a network scanner saw it: the port and service, and the scanner's vantage point (docs/formats.md)
  const where = { port, protocol: extraText('protocol'), service: extraText('service'), vantage_point: extraText('vantage_point') };
  return {
    finding: {
      id: f.id, vulnerability: f.vulnerability, asset: f.asset, component: f.component, version: f.version, source: f.source,
      status: row.status, validation: f.validation, reachability: f.reachability, check: f.check, containment_needed: f.containment_needed,
      ruled_out_by: f.ruled_out_by, verdict_at: f.verdict_at, first_seen: row.first_seen, last_seen: row.last_seen,
      where: Object.values(where).every((v) => v === null) ? null : where,
    },
    verdicts,
    decision: d === undefined ? null : { id: d.id, outcome: d.outcome, triggers: JSON.parse(d.triggers) as string[], stay_reasons: JSON.parse(d.stay_reasons) as string[], ruleset: d.ruleset_version, engine: Number(d.engine_version), decided_at: d.decided_at },
  };
}
