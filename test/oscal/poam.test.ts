/**
 * The OSCAL POA&M and its FedRAMP-style CSV from a store built with known data on both engines:
 * valid against NIST's 1.1.3 schema, one item per weakness (and per finding's remediation item)
 * with the status, tracking, risk log and deviations the records say, identical on a second export,
 * role-checked and audited.
 */
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addRemediation, decideRisk, moveRemediation, notifyVendor, recordVendorResponse, requestRisk } from '../../src/app/followthrough.js';
import { moveIncident, openIncident } from '../../src/app/incidents.js';
import { uuidV5 } from '../../src/app/oscal/common.js';
import { csvField, POAM_CSV_COLUMNS } from '../../src/app/oscal/poam-csv.js';
import { exportPoam, riskStatus } from '../../src/app/oscal/poam.js';
import { addWeakness } from '../../src/app/reportout.js';
import { auditEventsFrom } from '../../src/store/repositories/audit-events.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { oscalErrors, oscalValidator } from '../helpers/oscal-schema.js';

const lead = { actor: 'lead' };
const vm = { actor: 'vm' };
const grc = { actor: 'grc' };
const approver = { actor: 'approver' };

const validate = oscalValidator('oscal_poam_schema.json');

/** The parts of the document the assertions read. */
interface Prop { name: string; value: string; ns?: string }
interface LogEntry { uuid: string; title: string; 'status-change'?: string; 'logged-by'?: { 'party-uuid': string }[]; 'related-responses'?: { 'response-uuid': string }[] }
interface Response { uuid: string; lifecycle: string; title: string; description: string; props?: Prop[]; tasks?: { timing: { 'on-date': { date: string } } }[] }
interface Risk { uuid: string; status: string; deadline?: string; props?: Prop[]; 'mitigating-factors'?: { description: string }[]; remediations?: Response[]; 'risk-log'?: { entries: LogEntry[] } }
interface Observation { uuid: string; props?: Prop[]; subjects?: { 'subject-uuid': string; type: string; title?: string }[] }
interface PoamItem { uuid: string; props?: Prop[]; 'related-observations': { 'observation-uuid': string }[]; 'related-risks': { 'risk-uuid': string }[] }
interface Poam {
  uuid: string;
  metadata: { 'oscal-version': string; 'last-modified': string; version: string; parties?: { uuid: string; 'short-name'?: string }[]; roles?: { id: string }[]; 'responsible-parties'?: { 'role-id': string; 'party-uuids': string[] }[] };
  observations: Observation[];
  risks: Risk[];
  'poam-items': PoamItem[];
  'local-definitions'?: { 'inventory-items': { uuid: string }[] };
}

const poamOf = (doc: unknown): Poam => (doc as { 'plan-of-action-and-milestones': Poam })['plan-of-action-and-milestones'];

function must<T>(v: T | undefined | null, what = 'value'): T {
  if (v === undefined || v === null) throw new Error(`${what} missing`);
  return v;
}

function expectValid(doc: unknown): void {
  expect(validate(doc), oscalErrors(validate)).toBe(true);
}

describe('uuidV5', () => {
  it('gives the RFC 4122 example value and the version and variant bits', () => {
    // RFC 4122 / Python uuid.uuid5(NAMESPACE_DNS, 'python.org')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
});

describe('riskStatus', () => {
  const day = '2026-12-01';
  it('orders closed, deviation-approved, remediating, deviation-requested, open, investigating', () => {
    const approved = { state: 'approved' as const, review_by: '2027-01-01' };
    expect(riskStatus([{ status: 'verified' }], [approved], day)).toBe('closed');
    expect(riskStatus([{ status: 'open' }], [approved], day)).toBe('deviation-approved');
    expect(riskStatus([{ status: 'open' }], [{ state: 'approved', review_by: '2026-12-01' }], day)).toBe('open');
    expect(riskStatus([{ status: 'resolved' }], [{ state: 'requested', review_by: '2027-01-01' }], day)).toBe('remediating');
    expect(riskStatus([], [{ state: 'requested', review_by: '2027-01-01' }], day)).toBe('deviation-requested');
    expect(riskStatus([], [{ state: 'rejected', review_by: '2027-01-01' }], day)).toBe('investigating');
  });
});

describe('csvField', () => {
  it('quotes what needs it and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});

describe.each(ENGINES)('the POA&M on %s', (engine) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'poam' });
  });
  afterEach(async () => t.cleanup());

  /** Known data: six weaknesses in every state the POA&M tells apart, and a finding's remediation item. */
  async function seed() {
    const inc = (await openIncident(t.ctx, lead, { title: 'Web shell on web-01', severity: 'high', assets: ['web-01'], service: 'shop', ir_lead: 'lead' })).id;
    await moveIncident(t.ctx, lead, { id: inc, state: 'triage' });
    await moveIncident(t.ctx, lead, { id: inc, state: 'eradication' });
    const wk = async (type: 'technical' | 'third_party' | 'configuration', notes: string, extra: { vendor?: string; vulnerabilities?: string[] } = {}) =>
      (await addWeakness(t.ctx, lead, { incident: inc, type, relation: 'enabled', assets: ['web-01'], notes, action: 'patch, then "verify", with care', ...extra })).id;
    const closed = await wk('technical', 'unpatched CMS plugin, exploited', { vulnerabilities: ['CVE-2025-0001'] });
    const deviation = await wk('third_party', 'CDN served the shell', { vendor: 'AcmeCDN' });
    const remediating = await wk('configuration', 'debug endpoint left on');
    const requested = await wk('technical', '=cmd|calc formula-looking notes');
    const investigating = await wk('technical', 'no plan yet');
    const expired = await wk('technical', 'accepted for a week');

    t.clock.advance({ hours: 1 });
    const ri = await addRemediation(t.ctx, vm, { weakness: closed, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'plugin at 2.4.1', due: '2026-12-20' });
    for (const state of ['in_progress', 'resolved', 'verified'] as const) {
      t.clock.advance({ hours: 1 });
      await moveRemediation(t.ctx, { actor: 'so' }, { item: ri.id, state });
    }
    const ri2 = await addRemediation(t.ctx, vm, { weakness: remediating, owner_role: 'service_owner', assignee: 'so', criteria: 'endpoint off', due: '2026-12-15' });
    await moveRemediation(t.ctx, { actor: 'so' }, { item: ri2.id, state: 'in_progress' });
    // names OSCAL cannot take as they are: a role with a space, values over several lines
    await addRemediation(t.ctx, vm, { weakness: remediating, owner_role: 'on-call team', assignee: 'ops', criteria: 'line one\nline two' });
    const rejected = await requestRisk(t.ctx, vm, { weakness: remediating, rationale: 'busy', controls: 'none', review_by: '2027-01-15' });
    await decideRisk(t.ctx, approver, { risk: rejected.id, approve: false, reason: 'no control' });

    const ra = await requestRisk(t.ctx, vm, { weakness: deviation, rationale: 'vendor fix in Q1', controls: 'WAF rule 9001', review_by: '2027-03-01' });
    t.clock.advance({ hours: 1 });
    await decideRisk(t.ctx, approver, { risk: ra.id, approve: true });
    const notice = await notifyVendor(t.ctx, { actor: 'tpm' }, { weakness: deviation, channel: 'portal' });
    t.clock.advance({ hours: 1 });
    await recordVendorResponse(t.ctx, { actor: 'tpm' }, { notice: notice.id, text: 'RCA attached' });

    await requestRisk(t.ctx, vm, { weakness: requested, rationale: 'waiting on release', controls: 'monitoring\n  and alerts', review_by: '2027-02-01' });
    const short = await requestRisk(t.ctx, vm, { weakness: expired, rationale: 'one week', controls: 'monitoring', review_by: '2026-12-02' });
    await decideRisk(t.ctx, approver, { risk: short.id, approve: true });

    // a finding's remediation item (as `triage --escalate` opens one), with no weakness
    const at = t.ctx.now().toISOString();
    await t.ctx.store.db
      .insertInto('findings')
      .values({
        id: 'F-1', fingerprint: 'fp-1', vulnerability_id: 'CVE-2025-0002', asset_id: 'db-01', component: 'openssl', version: '3.0.1', source: 'trivy', validation: 'unvalidated', reachability: 'unknown',
        affected_version_known: 1, vendor_scope_known: 1, containment_needed: null, title: 'OpenSSL overflow', severity: 'critical', cwe: '[]', file_path: null, line: null, fixed_version: '3.0.2',
        aliases: '[]', extra: '{}', status: 'open', scan_key: null, last_import_id: null, first_seen: '2026-11-20T08:00:00.000Z', last_seen: at, check_type: null, ruled_out_by: null, verdict_at: null, target: 'db-01',
      })
      .execute();
    await t.ctx.store.db
      .insertInto('remediation_items')
      .values({ id: 'RI-0900', incident_id: inc, weakness_id: null, finding_id: 'F-1', owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'openssl at 3.0.2', due: '2026-12-10', ticket: 'JIRA-7', status: 'open', overdue_since: null, created_at: at, updated_at: at })
      .execute();
    await t.ctx.store.db.insertInto('remediation_history').values({ item_id: 'RI-0900', seq: 1, status: 'open', actor: 'lead', at }).execute();
    return { inc, closed, deviation, remediating, requested, investigating, expired, approvedRisk: ra.id, item: ri.id };
  }

  it('is valid OSCAL 1.1.3 with the status, tracking, risk log and deviations the records say', async () => {
    const k = await seed();
    t.clock.set('2026-12-05T09:00:00.000Z'); // the short acceptance is past its review date
    const r = await exportPoam(t.ctx, grc, {});
    expectValid(r.document);
    const poam = poamOf(r.document);
    expect(poam.metadata['oscal-version']).toBe('1.1.3');
    expect(r.items).toBe(7);

    const byPoamId = new Map(poam['poam-items'].map((i) => [must(i.props?.find((p) => p.name === 'POAM-ID')).value, i]));
    expect([...byPoamId.keys()]).toEqual([k.closed, k.deviation, k.remediating, k.requested, k.investigating, k.expired, 'RI-0900']);
    const risks = new Map(poam.risks.map((x) => [x.uuid, x]));
    const riskOf = (id: string): Risk => must(risks.get(must(byPoamId.get(id)?.['related-risks'][0])['risk-uuid']), `risk of ${id}`);
    expect(Object.fromEntries([...byPoamId.keys()].map((id) => [id, riskOf(id).status]))).toEqual({
      [k.closed]: 'closed',
      [k.deviation]: 'deviation-approved',
      [k.remediating]: 'remediating',
      [k.requested]: 'deviation-requested',
      [k.investigating]: 'investigating',
      [k.expired]: 'investigating',
      'RI-0900': 'open',
    });

    // tracking: the item's status history, in order, each logged by its actor
    const closedRisk = riskOf(k.closed);
    const log = must(closedRisk['risk-log']).entries;
    expect(log.map((e) => e.title)).toEqual([`${k.item} open`, `${k.item} in progress`, `${k.item} resolved`, `${k.item} verified`]);
    const parties = new Map(must(poam.metadata.parties).map((p) => [p.uuid, p]));
    const loggedBy = (e: LogEntry | undefined) => parties.get(must(e?.['logged-by']?.[0])['party-uuid'])?.['short-name'];
    expect(loggedBy(log[3])).toBe('so');
    const plan = must(closedRisk.remediations?.[0]);
    expect(plan.lifecycle).toBe('completed');
    expect(plan.tasks?.[0]?.timing['on-date'].date).toBe('2026-12-20T00:00:00Z');

    // the deviation: approver, rationale, compensating controls, review date
    const dev = riskOf(k.deviation);
    expect(dev.deadline).toBe('2027-03-01T00:00:00Z');
    expect(dev['mitigating-factors']?.[0]?.description).toBe('WAF rule 9001');
    const deviationResponse = must(dev.remediations?.find((x) => x.title.includes('deviation')));
    expect(deviationResponse.description).toBe('vendor fix in Q1');
    const props = Object.fromEntries((deviationResponse.props ?? []).map((p) => [p.name, p.value]));
    expect(props).toMatchObject({ 'risk-acceptance-id': k.approvedRisk, approver: 'approver', 'review-date': '2027-03-01', 'compensating-controls': 'WAF rule 9001' });
    const approvedEntry = must(dev['risk-log']?.entries.find((e) => e['status-change'] === 'deviation-approved'));
    expect(loggedBy(approvedEntry)).toBe('approver');
    expect(approvedEntry['related-responses']?.[0]?.['response-uuid']).toBe(deviationResponse.uuid);
    expect(dev.props).toContainEqual({ name: 'operational-requirement', ns: 'https://fedramp.gov/ns/oscal', value: 'approved' });

    // an expired acceptance is logged as such and is no deviation any more
    const exp = riskOf(k.expired);
    expect(exp['mitigating-factors']).toBeUndefined();
    expect(must(exp['risk-log']).entries.map((e) => [e.title, e['status-change']])).toContainEqual([expect.stringMatching(/expired$/), 'open']);

    // the observation: the weakness as observed, with its vulnerability and asset
    const obsId = must(byPoamId.get(k.closed)?.['related-observations'][0])['observation-uuid'];
    const obs = must(poam.observations.find((o) => o.uuid === obsId));
    expect(obs.props).toEqual(expect.arrayContaining([{ name: 'vulnerability-id', ns: 'urn:closeloop:oscal', value: 'CVE-2025-0001' }, { name: 'asset-id', ns: 'urn:closeloop:oscal', value: 'web-01' }, { name: 'relation', ns: 'urn:closeloop:oscal', value: 'enabled' }]));
    const subject = must(obs.subjects?.[0]);
    expect(subject).toMatchObject({ type: 'inventory-item', title: 'web-01' });
    expect(must(poam['local-definitions'])['inventory-items'].map((i) => i.uuid)).toContain(subject['subject-uuid']);

    // roles of the records, with the directory's holders as responsible parties
    expect(must(poam.metadata.roles).map((x) => x.id)).toEqual([expect.stringMatching(/^on-call_team-[0-9a-f]{8}$/), 'service_owner', 'vuln_mgmt_owner']);
    const requestedLog = must(riskOf(k.requested)['risk-log']).entries[0];
    expect(requestedLog?.title).toMatch(/requested$/);
    expect(poam.metadata['responsible-parties']?.find((x) => x['role-id'] === 'vuln_mgmt_owner')?.['party-uuids']).toHaveLength(1);
  });

  it('is identical when exported again, its last-modified the newest record, and its UUIDs stable across changes', async () => {
    const k = await seed();
    const newestRecord = t.ctx.now().toISOString();
    t.clock.advance({ hours: 3 });
    const first = await exportPoam(t.ctx, grc, {});
    t.clock.advance({ minutes: 5 });
    const second = await exportPoam(t.ctx, { actor: 'auditor' }, {});
    expect(second.text).toBe(first.text);
    const csv = await exportPoam(t.ctx, grc, { format: 'csv' });
    expect((await exportPoam(t.ctx, grc, { format: 'csv' })).text).toBe(csv.text);
    expect(poamOf(first.document).metadata['last-modified']).toBe(newestRecord);
    expect(first.last_modified).toBe(newestRecord);

    t.clock.advance({ hours: 1 });
    await addRemediation(t.ctx, vm, { weakness: k.investigating, owner_role: 'vuln_mgmt_owner', assignee: 'vm', criteria: 'patched', due: '2027-01-05' });
    const third = await exportPoam(t.ctx, grc, {});
    expect(third.text).not.toBe(first.text);
    const p1 = poamOf(first.document);
    const p3 = poamOf(third.document);
    expect(p3.uuid).toBe(p1.uuid);
    expect(p3['poam-items'].map((i) => i.uuid)).toEqual(p1['poam-items'].map((i) => i.uuid));
    expect(p3.metadata['last-modified']).toBe(t.ctx.now().toISOString());
    expect(p3.metadata.version).not.toBe(p1.metadata.version);
  });

  it('the validator rejects a broken document', async () => {
    await seed();
    const r = await exportPoam(t.ctx, grc, {});
    expectValid(r.document);
    const broken = (mutate: (p: Poam) => void): boolean => {
      const copy = JSON.parse(r.text) as unknown;
      mutate(poamOf(copy));
      return validate(copy);
    };
    expect(broken((p) => Reflect.deleteProperty(p, 'poam-items'))).toBe(false);
    expect(broken((p) => (must(p.risks[0]).status = 'fixed ish'))).toBe(false);
    expect(broken((p) => (p.uuid = 'not-a-uuid'))).toBe(false);
    expect(broken((p) => (p.metadata['last-modified'] = '2026-13-01T00:00:00Z'))).toBe(false);
    expect(broken((p) => (must(p['poam-items'][0]?.props?.[0]).value = ' padded '))).toBe(false);
    expect(broken((p) => Reflect.set(must(p.observations[0]), 'unknown', 1))).toBe(false);
    expect(broken(() => undefined)).toBe(true);
  });

  it('writes the FedRAMP template columns as CSV that parses back', async () => {
    const k = await seed();
    const r = await exportPoam(t.ctx, grc, { format: 'csv' });
    expect(r.document).toBeNull();
    const rows: Record<string, string>[] = parse(r.text, { columns: true, relax_column_count: false });
    const lines: string[][] = parse(r.text, { to_line: 1 });
    const header = lines[0];
    expect(header).toEqual([...POAM_CSV_COLUMNS]);
    expect(rows.map((x) => x['POAM ID'])).toEqual([k.closed, k.deviation, k.remediating, k.requested, k.investigating, k.expired, 'RI-0900']);
    const row = (id: string) => rows.find((x) => x['POAM ID'] === id) as Record<string, string>;
    expect(row(k.closed)).toMatchObject({ Controls: 'SI-2', 'Asset Identifier': 'web-01', 'Original Risk Rating': 'High', CVE: 'CVE-2025-0001', 'Service Name': 'shop', 'Scheduled Completion Date': '2026-12-20' });
    expect(row(k.closed)['Overall Remediation Plan']).toBe(`patch, then "verify", with care\n${k.item}: plugin at 2.4.1`);
    expect((row(k.closed)['Milestone Changes'] ?? '').split('\n')).toHaveLength(4);
    expect(row(k.deviation)).toMatchObject({ 'Operational Requirement': 'Yes', 'Vendor Dependency': 'Yes', 'Vendor Dependent Product Name': 'AcmeCDN', 'Scheduled Completion Date': '2027-03-01', 'Last Vendor Check-in Date': '2026-11-28' });
    expect(row(k.deviation)['Deviation Rationale']).toContain('WAF rule 9001');
    expect(row(k.requested)['Operational Requirement']).toBe('Pending');
    expect(row(k.requested)['Weakness Description']).toBe("'=cmd|calc formula-looking notes");
    expect(row('RI-0900')).toMatchObject({ 'Weakness Detector Source': 'trivy', 'Weakness Source Identifier': 'F-1', 'Original Risk Rating': 'Critical', Controls: 'RA-5, SI-2', 'Asset Identifier': 'db-01' });
  });

  it('is role-checked and audited as the exporter\'s event', async () => {
    await seed();
    await expect(exportPoam(t.ctx, lead, {})).rejects.toMatchObject({ code: 'CL_FORBIDDEN' });
    await expect(exportPoam(t.ctx, grc, { format: 'xml' as 'json' })).rejects.toMatchObject({ code: 'CL_BAD_INPUT' });
    const r = await exportPoam(t.ctx, vm, { format: 'csv' });
    const events = await auditEventsFrom(t.ctx.store.db, 1, 10_000);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ action: 'oscal.poam.exported', actor: 'vm', entity_type: 'oscal_export', entity_id: 'poam', incident_id: null });
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an OSCAL document with no items, and writes an empty CSV', async () => {
    await expect(exportPoam(t.ctx, grc, {})).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
    const r = await exportPoam(t.ctx, grc, { format: 'csv' });
    expect(r.items).toBe(0);
    expect(parse(r.text)).toEqual([[...POAM_CSV_COLUMNS]]);
  });
});
