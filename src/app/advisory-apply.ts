import type { AdvisoryStatement } from '../domain/records.js';
import { productCovers } from '../domain/escalation/advisory-match.js';
import { assetFromRow, findingFromRow } from '../store/records.js';
import type { Trx } from './context.js';

/**
 * Applies `not_affected` VEX statements to stored findings: an unvalidated finding the statement
 * covers (same vulnerability or alias, product matching its component or asset) becomes
 * `not_affected`, and the justification is kept in the finding's `extra.vex`. A person's
 * `validated` or `false_positive` is never overridden by a vendor statement.
 */
export async function applyNotAffected(trx: Trx, statements: readonly AdvisoryStatement[]): Promise<number> {
  let changed = 0;
  for (const s of statements) {
    if (s.status !== 'not_affected') continue;
    const rows = await trx
      .selectFrom('findings')
      .selectAll()
      .where('validation', '=', 'unvalidated')
      .where((eb) => eb.or([eb('vulnerability_id', '=', s.vulnerability), eb('aliases', 'like', `%${JSON.stringify(s.vulnerability)}%`)]))
      .execute();
    for (const row of rows) {
      const finding = findingFromRow(row);
      const assetRow = await trx.selectFrom('assets').selectAll().where('id', '=', row.asset_id).executeTakeFirst();
      if (!productCovers(s.product, finding, assetRow ? assetFromRow(assetRow) : null)) continue;
      const extra = { ...finding.extra, vex: { status: s.status, justification: s.justification, statement: s.statement, source: s.source, product: s.product } };
      await trx.updateTable('findings').set({ validation: 'not_affected', extra: JSON.stringify(extra) }).where('id', '=', row.id).execute();
      changed += 1;
    }
  }
  return changed;
}
