import type { Insertable } from 'kysely';
import type { Db } from '../schema.js';
import type { RulesetsTable, TriageRunsTable } from '../schema.js';

/** Triage runs and the rulesets they used: what `why` needs to replay a decision exactly. */

/** Stores a ruleset once per digest (a run that uses a known ruleset adds nothing). */
export async function storeRuleset(db: Db, ruleset: Insertable<RulesetsTable>): Promise<void> {
  await db.insertInto('rulesets').values(ruleset).onConflict((oc) => oc.column('digest').doNothing()).execute();
}

/** Records a finished triage run with its counts. */
export async function insertTriageRun(db: Db, run: Insertable<TriageRunsTable>): Promise<void> {
  await db.insertInto('triage_runs').values(run).execute();
}

/** The ruleset a run used, as stored (canonical JSON), or undefined when the run or its ruleset is not stored. */
export function rulesetOfRun(db: Db, runId: string): Promise<Pick<RulesetsTable, 'digest' | 'body'> | undefined> {
  return db
    .selectFrom('triage_runs')
    .innerJoin('rulesets', 'rulesets.digest', 'triage_runs.ruleset_digest')
    .select(['rulesets.digest', 'rulesets.body'])
    .where('triage_runs.id', '=', runId)
    .executeTakeFirst();
}
