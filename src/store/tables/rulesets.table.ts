import type { Insertable, Selectable, Updateable } from 'kysely';

/** A ruleset as a triage run used it (canonical JSON), stored once per digest so `why` can replay. */
export interface RulesetsTable {
  digest: string;
  version: string;
  body: string;
  first_used_at: string;
}

export type RulesetRow = Selectable<RulesetsTable>;
export type NewRulesetRow = Insertable<RulesetsTable>;
export type RulesetRowUpdate = Updateable<RulesetsTable>;
