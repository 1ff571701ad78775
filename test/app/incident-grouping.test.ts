/**
 * One incident per event (docs/decisions/incident-grouping.md), with real scanner reports and the
 * real KEV and EPSS files of the corpus: a compromised host's findings open one incident, one KEV
 * vulnerability across a fleet opens one incident naming every host, a rerun opens and sends
 * nothing, new scope reaches the open incident as a handoff revision, and a closed incident is
 * never reused. The note of every escalation shows the facts `why` replays.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/app/importer.js';
import { closeIncident, showIncident } from '../../src/app/incidents.js';
import { explainFinding } from '../../src/app/explain-finding.js';
import { handoffNotes } from '../../src/app/handoff-notes.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageStored, type TriageSummary } from '../../src/app/triage-stored.js';
import type { HandoffNote } from '../../src/domain/escalation/handoff.js';
import type { Ruleset } from '../../src/domain/escalation/index.js';
import { verifyChain } from '../../src/audit/chain.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';

const vm = { actor: 'vm' };
const lead = { actor: 'lead' };
/** The asset the corpus's Trivy report of a container image names (8 findings). */
const IMAGE = 'image:noppaknopsta/example-app';
const KEV_CVE = 'CVE-2021-41773';
const HOSTS = 27;

describe.each(ENGINES)('one incident per event on %s', (engine) => {
  let t: TestContext;
  let ruleset: Ruleset;
  beforeEach(async () => {
    t = await makeTestContext(engine, { label: 'grouping' });
    ruleset = await loadRuleset();
  });
  afterEach(async () => t.cleanup());

  const write = (name: string, rows: unknown[]): string => {
    const file = path.join(t.dir, name);
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    return file;
  };
  const count = async (table: 'incidents' | 'handoff_notes' | 'remediation_items' | 'notifications' | 'handoff_revisions') =>
    Number((await t.ctx.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const hosts = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => ({ id: `edge-${String(from + i).padStart(2, '0')}`, name: `Edge ${from + i}`, owner: 'net-team', exposure: 'internet', auth_required: false }));

  /** The compromised host: the image of the Trivy report in the inventory, a webshell seen on it. */
  async function compromisedHost(): Promise<void> {
    await importFile(t.ctx, vm, { kind: 'assets', file: write('image.ndjson', [{ id: IMAGE, name: 'example-app', owner: 'app-team', exposure: 'internal' }]) });
    await importFile(t.ctx, vm, { kind: 'signals', file: write('webshell.ndjson', [{ id: 'S-webshell', time: '2026-11-27T23:10:00Z', asset: IMAGE, kind: 'webshell', source: 'edr', indicator: '/usr/share/nginx/html/x.php' }]) });
    const r = await importFile(t.ctx, vm, { kind: 'findings', file: corpusPath('scanners/trivy/all_statuses.json') });
    expect(r.count).toBe(8);
  }

  /** One KEV vulnerability (corpus KEV and EPSS) validated on 27 internet-facing hosts. */
  async function fleet(from = 0, to = HOSTS, name = 'fleet'): Promise<void> {
    await importFile(t.ctx, vm, { kind: 'assets', file: write(`${name}-assets.ndjson`, hosts(from, to)) });
    await importFile(t.ctx, vm, {
      kind: 'findings',
      file: write(`${name}-findings.ndjson`, hosts(from, to).map((h) => ({ id: `F-${h.id}`, vulnerability: KEV_CVE, asset: h.id, component: 'httpd', version: '2.4.49', validation: 'validated' }))),
    });
  }

  async function intelligence(): Promise<void> {
    await importFile(t.ctx, vm, { kind: 'kev', file: corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json') });
    await importFile(t.ctx, vm, { kind: 'epss', file: corpusPath('epss/epss_scores-2026-09-29.excerpt.csv') });
  }

  const incidentsOf = (r: TriageSummary) => new Set(r.incidents.map((i) => i.incident));

  it('a compromised host with 8 findings is 1 incident; one KEV CVE on 27 internet-facing hosts is 1 incident naming 27 assets; a rerun opens and sends nothing', async () => {
    await intelligence();
    await compromisedHost();
    await fleet();
    const first = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(first.by_outcome.escalate).toBe(8 + HOSTS);
    const host = first.incidents.filter((i) => i.grouping === `asset:${IMAGE}`);
    const campaign = first.incidents.filter((i) => i.grouping === `vuln:${KEV_CVE}`);
    expect(host).toHaveLength(8);
    expect(campaign).toHaveLength(HOSTS);
    expect(new Set(host.map((i) => i.incident)).size).toBe(1);
    expect(new Set(campaign.map((i) => i.incident)).size).toBe(1);
    expect(incidentsOf(first).size).toBe(2);
    expect(await count('incidents')).toBe(2);

    const hostView = await showIncident(t.ctx, lead, host[0]?.incident ?? '');
    expect(hostView.assets).toEqual([IMAGE]);
    expect(hostView.grouping.keys).toEqual([`asset:${IMAGE}`]);
    expect(hostView.decisions).toHaveLength(8);
    expect(hostView.incident.severity).toBe('critical');
    const campaignView = await showIncident(t.ctx, lead, campaign[0]?.incident ?? '');
    expect(campaignView.assets).toEqual(hosts(0, HOSTS).map((h) => h.id));
    expect(campaignView.grouping.keys).toEqual([`vuln:${KEV_CVE}`]);
    expect(campaignView.incident.title).toContain(KEV_CVE);
    // one handoff to the IR lead per incident, each finding's note stored, a remediation item per finding
    expect(first.revisions.map((r) => [r.revision, r.findings, r.assets]).sort()).toEqual([[1, 27, 27], [1, 8, 1]]);
    expect(campaignView.notifications.map((n) => [n.purpose, n.role, n.subject])).toEqual([['handoff', 'ir_lead', expect.stringContaining('27 finding(s) on 27 asset(s)')]]);
    expect(await count('notifications')).toBe(2);
    expect(await count('handoff_notes')).toBe(8 + HOSTS);
    expect(await count('remediation_items')).toBe(8 + HOSTS);

    const again = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(again.incidents.filter((i) => i.created || i.resent)).toEqual([]);
    expect(incidentsOf(again)).toEqual(incidentsOf(first));
    expect(again.revisions).toEqual([]);
    expect(await count('incidents')).toBe(2);
    expect(await count('notifications')).toBe(2);
    expect(await count('handoff_notes')).toBe(8 + HOSTS);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('new scope links the open incident as a handoff revision saying what was added; a closed incident is never reused and the new one follows it', async () => {
    await intelligence();
    await fleet(0, 3, 'first');
    const first = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    const incident = first.incidents[0]?.incident ?? '';
    expect(incidentsOf(first)).toEqual(new Set([incident]));

    await fleet(3, 5, 'more');
    const second = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(second.incidents.filter((i) => i.resent).map((i) => [i.finding, i.incident, i.created])).toEqual([
      ['F-edge-03', incident, false],
      ['F-edge-04', incident, false],
    ]);
    expect(second.revisions).toEqual([{ incident, revision: 2, findings: 2, assets: 2 }]);
    const view = await showIncident(t.ctx, lead, incident);
    expect(view.assets).toEqual(['edge-00', 'edge-01', 'edge-02', 'edge-03', 'edge-04']);
    const revised = view.notifications.at(-1);
    expect(revised?.subject).toContain('handoff revision 2');
    expect(revised?.body).toMatch(/\*\*Added:\*\* 2 finding\(s\) on 2 asset\(s\)/);
    expect(revised?.body).toContain('- F-edge-03: CVE-2021-41773 on edge-03');
    expect(revised?.body).toContain('**Assets:** edge-03, edge-04');
    expect(view.notifications).toHaveLength(2);

    await closeIncident(t.ctx, lead, { id: incident, non_incident: true, rationale: 'patched fleet-wide' });
    const third = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    const reopened = [...incidentsOf(third)];
    expect(reopened).toHaveLength(1);
    expect(reopened[0]).not.toBe(incident);
    expect(third.incidents.every((i) => i.created === (i.finding === 'F-edge-00'))).toBe(true);
    const next = await showIncident(t.ctx, lead, reopened[0] ?? '');
    expect(next.grouping.follows).toBe(incident);
    expect((await showIncident(t.ctx, lead, incident)).grouping.followed_by).toEqual([reopened[0]]);
    // the findings' remediation items stayed open: none is opened twice
    expect(await count('remediation_items')).toBe(5);
    // the closed incident keeps the decisions of the runs before its close (3, then 5) and gains none
    expect((await showIncident(t.ctx, lead, incident)).decisions).toHaveLength(8);
    expect(next.decisions).toHaveLength(5);
  });

  it('aliases of one vulnerability are one key: a GHSA-only finding joins the campaign of the CVE that lists it', async () => {
    await importFile(t.ctx, vm, { kind: 'assets', file: write('assets.ndjson', hosts(0, 3)) });
    await importFile(t.ctx, vm, {
      kind: 'vulnerabilities',
      file: write('vulns.ndjson', [
        { id: 'CVE-2099-0001', exploitation: 'active' },
        { id: 'GHSA-aaaa-bbbb-cccc', exploitation: 'active' },
      ]),
    });
    await importFile(t.ctx, vm, {
      kind: 'findings',
      file: write('findings.ndjson', [
        { id: 'F-cve', vulnerability: 'CVE-2099-0001', aliases: ['GHSA-aaaa-bbbb-cccc'], asset: 'edge-00', component: 'lib', version: '1', validation: 'validated' },
        { id: 'F-ghsa', vulnerability: 'GHSA-aaaa-bbbb-cccc', asset: 'edge-01', component: 'lib', version: '1', validation: 'validated' },
        { id: 'F-other', vulnerability: 'CVE-2099-0001', asset: 'edge-02', component: 'lib', version: '1', validation: 'validated' },
      ]),
    });
    const r = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(r.incidents.map((i) => i.finding).sort()).toEqual(['F-cve', 'F-ghsa', 'F-other']);
    expect(incidentsOf(r).size).toBe(1);
    const view = await showIncident(t.ctx, lead, r.incidents[0]?.incident ?? '');
    expect(view.grouping.keys).toEqual(['vuln:CVE-2099-0001', 'vuln:GHSA-aaaa-bbbb-cccc']);
    expect(view.assets).toEqual(['edge-00', 'edge-01', 'edge-02']);
  });

  it('the handoff note of every escalation shows the exploitation, KEV, ransomware use, EPSS and evidence that why replays', async () => {
    await intelligence();
    await compromisedHost();
    await fleet();
    const r = await triageStored(t.ctx, vm, { escalate: true }, ruleset);
    expect(r.incidents).toHaveLength(8 + HOSTS);
    const notes = new Map<string, HandoffNote>();
    for (const incident of incidentsOf(r)) {
      for (const n of await handoffNotes(t.ctx, vm, incident)) notes.set(n.decision, n.note as HandoffNote);
    }
    // KEV and EPSS move on after the decisions: neither the notes nor why may follow them
    await importFile(t.ctx, vm, { kind: 'vulnerabilities', file: write('later.ndjson', [{ id: KEV_CVE, epss: { score: 0.01, percentile: 0.1, date: '2026-12-01' }, exploitation: 'none' }]) });
    let withKev = 0;
    for (const handed of r.incidents) {
      const note = notes.get(handed.decision);
      const why = await explainFinding(t.ctx, vm, handed.finding);
      expect(why.decision).toBe(handed.decision);
      const snapshot = why.snapshot as { kev: HandoffNote['advisory']['kev']; epss: HandoffNote['advisory']['epss']; exploitation: string } | null;
      const facts = (n: HandoffNote | undefined) => n && { exploitation: n.advisory.exploitation, kev: n.advisory.kev, ransomware: n.advisory.kev?.knownRansomwareCampaignUse ?? null, epss: n.advisory.epss, evidence: n.evidence_refs, signals: n.evidence.map((e) => e.signal) };
      expect(facts(note), handed.finding).toEqual({
        exploitation: snapshot?.exploitation ?? null,
        kev: snapshot?.kev ?? null,
        ransomware: snapshot?.kev?.knownRansomwareCampaignUse ?? null,
        epss: snapshot?.epss ?? null,
        evidence: why.evidence,
        signals: why.evidence.filter((e) => !e.includes(':')),
      });
      // the note's trigger facts are the rule lines why shows as holding
      for (const d of note?.trigger_details ?? []) {
        const held = why.explanation.filter((l) => l.holds && (l.rule === d.trigger || l.rule.startsWith(`${d.trigger}.`))).flatMap((l) => l.facts);
        for (const f of d.facts) expect(held).toContain(f);
      }
      if (note?.advisory.kev !== null) withKev += 1;
    }
    expect(withKev).toBe(HOSTS);
    expect(notes.get(r.incidents.find((i) => i.finding === 'F-edge-00')?.decision ?? '')?.advisory).toMatchObject({ kev: { knownRansomwareCampaignUse: true }, epss: { score: 0.99992 } });
  });
});
