import type { Insertable, Selectable, Updateable } from 'kysely';
import type { AdvisoryStatement } from '../../domain/records.js';

export interface AdvisoryStatementsTable {
  id: string;
  vulnerability_id: string;
  product: string | null;
  status: AdvisoryStatement['status'];
  justification: string | null;
  statement: string | null;
  source: string;
}

export type AdvisoryStatementRow = Selectable<AdvisoryStatementsTable>;
export type NewAdvisoryStatementRow = Insertable<AdvisoryStatementsTable>;
export type AdvisoryStatementRowUpdate = Updateable<AdvisoryStatementsTable>;
