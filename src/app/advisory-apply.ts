import type { AdvisoryStatement, AssetRecord } from '../domain/records.js';
import { findingVulnerabilityIds, productCovers, vulnerabilityKey } from '../domain/escalation/advisory-match.js';
import { assetFromRow, findingFromRow } from '../store/records.js';
import { assetById } from '../store/repositories/knowledge.js';
import { getFinding, markFindingNotAffected, unvalidatedFindingsNaming } from '../store/repositories/findings.js';
import type { Trx } from './context.js';

/** Vulnerability ids per query: each query is one scan of the unvalidated findings. */
const IDS_PER_QUERY = 500;

/**
 * Applies `not_affected` VEX statements to stored findings: an unvalidated finding the statement
 * covers (its vulnerability or an alias, compared as the escalation engine compares them: trimmed,
 * case-insensitive; product matching its component or asset) becomes `not_affected`, and the
 * justification is kept in the finding's `extra.vex`. When several statements cover a finding, the
 * first in the file wins. A person's `validated` or `false_positive` is never overridden by a
 * vendor statement.
 *
 * The candidates are found with one scan per 500 vulnerability ids named (not one per statement),
 * reading only ids, vulnerabilities and aliases; a whole finding (and its asset) is loaded only
 * when a statement names its vulnerability. (SQLite's lower() folds ASCII letters only: a
 * vulnerability id with other letters in another case would be missed there. CVE, GHSA, OSV and
 * vendor ids are ASCII.)
 */
export async function applyNotAffected(trx: Trx, statements: readonly AdvisoryStatement[]): Promise<number> {
  const byId = new Map<string, { order: number; statement: AdvisoryStatement }[]>();
  statements.forEach((statement, order) => {
    if (statement.status !== 'not_affected') return;
    const key = vulnerabilityKey(statement.vulnerability);
    const list = byId.get(key);
    if (list) list.push({ order, statement });
    else byId.set(key, [{ order, statement }]);
  });
  if (byId.size === 0) return 0;
  const assets = new Map<string, AssetRecord | null>();
  const assetOf = async (id: string): Promise<AssetRecord | null> => {
    let a = assets.get(id);
    if (a === undefined) {
      const row = await assetById(trx, id);
      a = row ? assetFromRow(row) : null;
      assets.set(id, a);
    }
    return a;
  };
  const named = (ids: Iterable<string>): boolean => {
    for (const id of ids) if (byId.has(vulnerabilityKey(id))) return true;
    return false;
  };
  const keys = [...byId.keys()];
  const candidates = new Set<string>();
  for (let i = 0; i < keys.length; i += IDS_PER_QUERY) {
    const chunk = keys.slice(i, i + IDS_PER_QUERY);
    for (const r of await unvalidatedFindingsNaming(trx, chunk)) {
      if (named([r.vulnerability_id]) || (r.aliases !== '[]' && named(JSON.parse(r.aliases) as string[]))) candidates.add(r.id);
    }
  }
  let changed = 0;
  for (const id of [...candidates].sort()) {
    const row = await getFinding(trx, id);
    // an analyst's verdict beats a vendor statement, as it beats a scanner's field
    if (row.verdict_at !== null) continue;
    const finding = findingFromRow(row);
    const covering = [...findingVulnerabilityIds(finding)].flatMap((v) => byId.get(v) ?? []).sort((a, b) => a.order - b.order);
    for (const { statement: s } of covering) {
      if (!productCovers(s.product, finding, await assetOf(row.asset_id))) continue;
      const extra = { ...finding.extra, vex: { status: s.status, justification: s.justification, statement: s.statement, source: s.source, product: s.product } };
      await markFindingNotAffected(trx, row.id, JSON.stringify(extra));
      changed += 1;
      break;
    }
  }
  return changed;
}
