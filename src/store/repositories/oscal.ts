import type { Db, FindingRow, VulnerabilityRow, Incident, RemediationHistoryEntry, RemediationItem, RiskAcceptance, ThirdPartyNotice, Weakness } from '../schema.js';

/** What a Plan of Action and Milestones is built from: every weakness and its follow-through. */
export interface PoamRecords {
  weaknesses: Weakness[];
  items: RemediationItem[];
  history: RemediationHistoryEntry[];
  risks: RiskAcceptance[];
  notices: ThirdPartyNotice[];
  incidents: Pick<Incident, 'id' | 'title' | 'severity' | 'service' | 'state'>[];
  /** The findings remediation items without a weakness were opened for. */
  findings: Pick<FindingRow, 'id' | 'vulnerability_id' | 'asset_id' | 'component' | 'version' | 'source' | 'title' | 'severity' | 'first_seen' | 'fixed_version'>[];
  /** The advisory facts of the vulnerabilities the weaknesses and those findings name. */
  vulnerabilities: Pick<VulnerabilityRow, 'id' | 'title' | 'cvss_score' | 'kev_date_added' | 'kev_due_date'>[];
}

/** Every row a POA&M reads, each list in id order (history by item, then sequence), so two reads of one store give the same lists. */
export async function poamRecords(db: Db): Promise<PoamRecords> {
  const weaknesses = await db.selectFrom('weaknesses').selectAll().orderBy('id').execute();
  const items = await db.selectFrom('remediation_items').selectAll().orderBy('id').execute();
  const history = await db.selectFrom('remediation_history').selectAll().orderBy('item_id').orderBy('seq').execute();
  const risks = await db.selectFrom('risk_acceptances').selectAll().orderBy('id').execute();
  const notices = await db.selectFrom('third_party_notices').selectAll().orderBy('id').execute();
  // subqueries, not lists of ids: a store's worth of ids would pass the engines' parameter limits
  const incidents = await db
    .selectFrom('incidents')
    .select(['id', 'title', 'severity', 'service', 'state'])
    .where((eb) => eb.or([eb('id', 'in', eb.selectFrom('weaknesses').select('incident_id')), eb('id', 'in', eb.selectFrom('remediation_items').select('incident_id').where('incident_id', 'is not', null).$narrowType<{ incident_id: string }>())]))
    .orderBy('id')
    .execute();
  const findings = await db
    .selectFrom('findings')
    .select(['id', 'vulnerability_id', 'asset_id', 'component', 'version', 'source', 'title', 'severity', 'first_seen', 'fixed_version'])
    .where('id', 'in', (eb) => eb.selectFrom('remediation_items').select('finding_id').where('weakness_id', 'is', null).where('finding_id', 'is not', null).$narrowType<{ finding_id: string }>())
    .orderBy('id')
    .execute();
  const vulnIds = [...new Set([...weaknesses.flatMap((w) => JSON.parse(w.vulnerabilities) as string[]), ...findings.map((f) => f.vulnerability_id)])].sort();
  const vulnerabilities: PoamRecords['vulnerabilities'] = [];
  for (let i = 0; i < vulnIds.length; i += 500) {
    const chunk = vulnIds.slice(i, i + 500);
    vulnerabilities.push(...(await db.selectFrom('vulnerabilities').select(['id', 'title', 'cvss_score', 'kev_date_added', 'kev_due_date']).where('id', 'in', chunk).orderBy('id').execute()));
  }
  return { weaknesses, items, history, risks, notices, incidents, findings, vulnerabilities };
}
