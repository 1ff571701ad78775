/**
 * `closeloop demo`: fills an empty store with a small, living estate of a fictional company,
 * Northwind, so that a newcomer opening the web application sees the product at work: people in
 * every role, incidents in every state of the workflow, report-outs with their acknowledgments
 * (and missing ones), remediation items in every status, risk acceptances approved, expired and
 * awaiting a decision, a third-party incident, and the vulnerability side with escalations handed
 * to incident response.
 *
 * Everything is done through the use cases, as the people of the estate, never by writing rows:
 * the audit chain stays valid and the demo shows only what the product really does. Events are
 * spread over the last 60 days by running each use case with a clock moved forward step by step,
 * ending at the real now, so ages, due dates and overdue items are real.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { IncidentSeverity, IncidentState, RemediationState, WeaknessRelation, WeaknessType } from '../domain/incident.js';
import { INCIDENT_STATES, WEAKNESS_TYPES } from '../domain/incident.js';
import { ClError } from '../errors.js';
import { estateSize } from '../store/repositories/estate.js';
import { addDays, authorize, type AppContext, type Caller } from './context.js';
import { addPerson } from './people.js';
import { DELIVERY_PAGE, listDeliveries } from './deliveries.js';
import { addRemediation, chaseVendor, decideRisk, moveRemediation, notifyVendor, recordVendorResponse, requestRisk } from './followthrough.js';
import { importFile, type ImportResult } from './importer.js';
import { closeIncident, listIncidents, moveIncident, openIncident, reopenIncident, showIncident } from './incidents.js';
import { loadRuleset } from './load-ruleset.js';
import { acknowledge, addWeakness, markNoneIdentified, sendReportOut } from './reportout.js';
import { runDelivery } from './run-delivery.js';
import { DISPATCHER, TIMERS } from './system-caller.js';
import { runTimers } from './timers.js';
import { triageStored, type TriageSummary } from './triage-stored.js';
import { parseInput } from './validate.js';

/** The demo takes no input besides the caller (an admin): the estate is always the same story. */
export const demoInput = z.strictObject({});

/** How far back the story starts. */
export const DEMO_DAYS = 60;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Where the demo's input files live: `demo/` at the repository root (two levels up from src/app or dist/app). */
export function demoDataDir(): string {
  return fileURLToPath(new URL('../../demo/', import.meta.url));
}

/** The people of Northwind, one or two per role. */
export const DEMO_PEOPLE: readonly { name: string; roles: string[]; who: string }[] = [
  { name: 'dana.whitfield', roles: ['ir_lead'], who: 'incident response lead' },
  { name: 'sam.okafor', roles: ['responder'], who: 'SOC responder' },
  { name: 'priya.raman', roles: ['vuln_mgmt_owner'], who: 'vulnerability management owner' },
  { name: 'lucas.meyer', roles: ['service_owner'], who: 'service owner (online store, payments)' },
  { name: 'aiko.tanaka', roles: ['eng_ops_lead'], who: 'engineering and IT operations lead' },
  { name: 'grace.holm', roles: ['grc_contact'], who: 'governance, risk and compliance' },
  { name: 'omar.haddad', roles: ['third_party_manager'], who: 'third-party (vendor) manager' },
  { name: 'elena.rossi', roles: ['contract_owner'], who: 'contract owner' },
  { name: 'james.carter', roles: ['risk_approver'], who: 'risk approver (CISO)' },
  { name: 'nadia.petrova', roles: ['risk_approver'], who: 'risk approver (CIO)' },
  { name: 'tom.becker', roles: ['auditor'], who: 'internal auditor' },
];

const by = (name: string): Caller => ({ actor: name });
const DANA = by('dana.whitfield');
const SAM = by('sam.okafor');
const PRIYA = by('priya.raman');
const LUCAS = by('lucas.meyer');
const GRACE = by('grace.holm');
const OMAR = by('omar.haddad');
const JAMES = by('james.carter');
const NADIA = by('nadia.petrova');

/** Who acknowledges for each recipient role. */
const ACKER: Readonly<Record<string, string>> = {
  ir_lead: 'dana.whitfield',
  vuln_mgmt_owner: 'priya.raman',
  service_owner: 'lucas.meyer',
  eng_ops_lead: 'aiko.tanaka',
  grc_contact: 'grace.holm',
  third_party_manager: 'omar.haddad',
  contract_owner: 'elena.rossi',
};
const CORE_ROLES = ['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact'];
const THIRD_PARTY_ROLES = ['third_party_manager', 'contract_owner'];

/** What the demo made, for the newcomer and for scripts. */
export interface DemoSummary {
  people: { name: string; roles: string[]; who: string }[];
  started_at: string;
  ended_at: string;
  imports: number;
  findings: number;
  triage: { run: string; evaluated: number; escalate: number; stay: number; by_trigger: Record<string, number> };
  escalations: { incident: string; finding: string; grouping: string }[];
  incidents: { total: number; by_state: Record<IncidentState, number>; by_severity: Record<string, number> };
  weaknesses: { total: number; by_type: Record<string, number> };
  acknowledgments: { given: number; missing: number };
  remediation: { total: number; by_status: Record<RemediationState, number>; overdue: number };
  risk_acceptances: { approved: number; expired: number; requested: number; rejected: number };
  third_party_notices: { total: number; responded: number; chased: number };
  deliveries: { delivered: number; queued: number; failed: number };
  sign_in: string;
  next_steps: string[];
}

/** One step of the story: a use case run at a moment `daysAgo` days before the end. */
interface Step {
  daysAgo: number;
  run: () => Promise<unknown>;
}

/** The story's steps, run in the order of their moments (steps at one moment in the order given). */
class Timeline {
  readonly steps: Step[] = [];

  at(daysAgo: number, run: () => Promise<unknown>): void {
    this.steps.push({ daysAgo, run });
  }
}

/** The mutable state a part's later steps read: ids made by its earlier steps. */
interface Story {
  incident: string;
  weaknesses: string[];
  notices: string[];
  items: string[];
}
const story = (): Story => ({ incident: '', weaknesses: [], notices: [], items: [] });

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new ClError('CL_INTERNAL', `demo: ${what} is missing`);
  return v;
}

/** The demo's running context: the caller's, with a clock the story moves forward. */
class DemoClock {
  private t: number;

  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.t = start;
  }

  now = (): Date => new Date(this.t);

  /** Moves to `daysAgo` days before the end; never backwards (a second later at least). */
  moveTo(daysAgo: number): void {
    const target = this.end - Math.round(daysAgo * DAY_MS);
    this.t = Math.min(this.end, Math.max(target, this.t + 1000));
  }

  /** The calendar day `days` after the moment `daysAgo` days before the end. */
  dayFrom(daysAgo: number, days: number): string {
    return addDays(new Date(this.end - Math.round(daysAgo * DAY_MS)).toISOString().slice(0, 10), days);
  }
}

interface Demo {
  ctx: AppContext;
  clock: DemoClock;
  tl: Timeline;
  imports: ImportResult[];
  triage: TriageSummary | null;
}

/**
 * Fills an empty store with the Northwind estate. The caller must be an admin (people are added).
 * Refused (CL_RULE_REFUSED) when the store holds any incident, import or finding.
 */
export async function runDemo(ctx: AppContext, caller: Caller, input: z.input<typeof demoInput> = {}, options: { onProgress?: (line: string) => void } = {}): Promise<DemoSummary> {
  await authorize(ctx, caller, 'people.manage');
  parseInput(demoInput, input);
  const size = await estateSize(ctx.store.db);
  if (size.incidents + size.imports + size.findings > 0) {
    throw new ClError(
      'CL_RULE_REFUSED',
      `the demo fills an empty store only, and this one is in use (${size.incidents} incident(s), ${size.imports} import(s), ${size.findings} finding(s)); nothing was changed. Run it against a new store: CLOSELOOP_DB=demo.db closeloop init --by admin, then closeloop demo --by admin`,
      { ...size },
    );
  }
  const progress = options.onProgress ?? (() => undefined);
  const end = ctx.now().getTime();
  const clock = new DemoClock(end - DEMO_DAYS * DAY_MS, end);
  const dctx: AppContext = { ...ctx, now: clock.now };
  const demo: Demo = { ctx: dctx, clock, tl: new Timeline(), imports: [], triage: null };

  progress(`adding ${DEMO_PEOPLE.length} people of Northwind`);
  clock.moveTo(DEMO_DAYS);
  const people = await addPeople(dctx, caller);

  vulnerabilitySide(demo, progress);
  credentialStuffing(demo);
  publicBucket(demo);
  mailboxTakeover(demo);
  vendorBreach(demo);
  mspAccount(demo);
  buildRunnerBeacon(demo);
  dashboardExposure(demo);
  rapidReset(demo);
  oauthConsent(demo);
  lostLaptop(demo);
  reconciliationAlert(demo);
  misdirectedEmail(demo);
  leakedKey(demo);
  timers(demo);

  const steps = [...demo.tl.steps].sort((a, b) => b.daysAgo - a.daysAgo);
  progress(`playing ${steps.length} steps of the last ${DEMO_DAYS} days through the use cases`);
  let done = 0;
  for (const step of steps) {
    clock.moveTo(step.daysAgo);
    await step.run();
    done += 1;
    if (done % 100 === 0) progress(`${done} of ${steps.length} steps`);
  }
  progress('counting what was made');
  return summarize(ctx, caller, demo, people);
}

// ---- people -----------------------------------------------------------------------------------

/**
 * Adds one person with their roles. The one place the demo adds a person: the people directory's
 * use case keeps the shape (ctx, caller, {name, roles}) wherever it lives.
 */
async function addDemoPerson(ctx: AppContext, caller: Caller, person: { name: string; roles: string[] }): Promise<{ name: string; roles: string[] }> {
  return addPerson(ctx, caller, person);
}

async function addPeople(ctx: AppContext, caller: Caller): Promise<DemoSummary['people']> {
  const out: DemoSummary['people'] = [];
  for (const p of DEMO_PEOPLE) {
    const r = await addDemoPerson(ctx, caller, { name: p.name, roles: p.roles });
    out.push({ name: r.name, roles: r.roles, who: p.who });
  }
  return out;
}

// ---- shared story moves -----------------------------------------------------------------------

function open(d: Demo, s: Story, daysAgo: number, who: Caller, input: { title: string; severity: IncidentSeverity; service: string; assets: string[] }): void {
  d.tl.at(daysAgo, async () => {
    s.incident = (await openIncident(d.ctx, who, { ...input, ir_lead: DANA.actor })).id;
  });
}

function moves(d: Demo, s: Story, who: Caller, path: [number, IncidentState][]): void {
  for (const [daysAgo, state] of path) d.tl.at(daysAgo, () => moveIncident(d.ctx, who, { id: s.incident, state }));
}

function weakness(
  d: Demo,
  s: Story,
  daysAgo: number,
  w: { type: WeaknessType; relation: WeaknessRelation; assets: string[]; notes: string; action: string; vulnerabilities?: string[]; vendor?: string },
): void {
  d.tl.at(daysAgo, async () => {
    s.weaknesses.push((await addWeakness(d.ctx, DANA, { incident: s.incident, ...w })).id);
  });
}

/** Sends the report-out; the dispatcher delivers it a few minutes later, as the server's loop would. */
function send(d: Demo, s: Story, daysAgo: number, opts: { deliver?: boolean } = {}): void {
  d.tl.at(daysAgo, async () => {
    s.notices.push(...(await sendReportOut(d.ctx, DANA, { incident: s.incident })).notices_opened);
  });
  if (opts.deliver !== false) d.tl.at(daysAgo - 0.005, () => runDelivery(d.ctx, DISPATCHER));
}

/** Each role acknowledges, a few hours apart, starting at `daysAgo`. */
function acks(d: Demo, s: Story, daysAgo: number, roles: readonly string[]): void {
  roles.forEach((role, i) => {
    const comments: Readonly<Record<string, string>> = {
      ir_lead: 'Reviewed with the responders.',
      vuln_mgmt_owner: 'Added to the vulnerability backlog.',
      service_owner: 'Owner team briefed.',
      eng_ops_lead: 'Change windows booked.',
      grc_contact: 'Logged for the IR-6(2) control review.',
      third_party_manager: 'Vendor file updated.',
      contract_owner: 'Contract clause on notification checked.',
    };
    d.tl.at(daysAgo - i * 0.12, () => acknowledge(d.ctx, by(need(ACKER[role], role)), { incident: s.incident, role, comment: comments[role] }));
  });
}

/** A remediation item for weakness `w` (index into the story's weaknesses), moved through `path`. */
function remediation(
  d: Demo,
  s: Story,
  daysAgo: number,
  w: number,
  item: { owner_role: string; assignee: string; criteria: string; ticket?: string },
  path: [number, RemediationState][] = [],
  mover: Caller = by(item.assignee),
): void {
  const slot = s.items.length;
  s.items.push('');
  d.tl.at(daysAgo, async () => {
    s.items[slot] = (await addRemediation(d.ctx, PRIYA, { weakness: need(s.weaknesses[w], `weakness ${w}`), ...item })).id;
  });
  for (const [at, state] of path) d.tl.at(at, () => moveRemediation(d.ctx, mover, { item: need(s.items[slot], 'remediation item'), state }));
}

function close(d: Demo, s: Story, daysAgo: number): void {
  d.tl.at(daysAgo, () => closeIncident(d.ctx, DANA, { id: s.incident }));
}

// ---- the vulnerability side -------------------------------------------------------------------

/**
 * The inventory, KEV and EPSS excerpts, advisory facts, three scanner reports, an external test's findings and
 * WAF signals are imported; a stored triage with escalation hands the escalations to incident
 * response (a KEV vulnerability under attack, and a validated critical exposure); the rest stay in
 * vulnerability management with their reasons. The two incidents it opens are then worked.
 */
function vulnerabilitySide(d: Demo, progress: (line: string) => void): void {
  const dir = demoDataDir();
  const imp = (daysAgo: number, kind: 'assets' | 'vulnerabilities' | 'kev' | 'epss' | 'findings' | 'signals', file: string, who: Caller = PRIYA) =>
    d.tl.at(daysAgo, async () => {
      d.imports.push(await importFile(d.ctx, who, { kind, file: `${dir}${file}` }));
    });
  d.tl.at(59.9, async () => progress('importing the inventory, KEV and EPSS excerpts and the scanner reports (demo/)'));
  imp(59.8, 'assets', 'assets.json');
  imp(59.7, 'kev', 'kev-excerpt.json');
  imp(59.7, 'epss', 'epss-excerpt.csv');
  imp(59.6, 'vulnerabilities', 'vulnerabilities.json');
  imp(52.2, 'findings', 'trivy-payments-api.json');
  imp(52.2, 'findings', 'grype-storefront-web.json');
  imp(52.1, 'findings', 'trivy-reporting-batch.json');
  imp(51.8, 'findings', 'findings-external-test.json');
  imp(51.2, 'signals', 'signals-waf.ndjson', SAM);
  d.tl.at(51.1, async () => {
    progress('triage with escalation: handing escalations to incident response');
    d.triage = await triageStored(d.ctx, PRIYA, { escalate: true }, await loadRuleset());
  });
  d.tl.at(51.09, () => runDelivery(d.ctx, DISPATCHER));

  const escalated = (grouping: string): string => need(d.triage?.incidents.find((i) => i.grouping === grouping)?.incident, `the incident of ${grouping}`);

  // the Log4Shell attempts against the payments API: contained, patched, in recovery
  const pay = story();
  d.tl.at(51.0, async () => {
    pay.incident = escalated('asset:payments-api');
  });
  moves(d, pay, DANA, [
    [51.0, 'triage'],
    [50.9, 'containment'],
    [49.5, 'eradication'],
  ]);
  weakness(d, pay, 49.4, {
    type: 'technical',
    relation: 'enabled',
    assets: ['payments-api'],
    vulnerabilities: ['CVE-2021-44228'],
    notes: 'log4j-core 2.14.1 shipped in the payments API image; JNDI lookups reachable through the X-Api-Version header',
    action: 'rebuild the image with log4j-core 2.17.2 or later; block JNDI patterns at the WAF until then',
  });
  send(d, pay, 49.3);
  acks(d, pay, 49.2, CORE_ROLES);
  remediation(d, pay, 49.1, 0, { owner_role: 'service_owner', assignee: 'lucas.meyer', criteria: 'payments-api 3.8.3 deployed with log4j-core 2.17.2; Trivy scan clean for CVE-2021-44228', ticket: 'PAY-2291' }, [
    [49.0, 'in_progress'],
    [47.0, 'resolved'],
    [45.5, 'verified'],
  ]);
  // the item the escalation opened for the finding closes with the patch, confirmed by a new scan
  d.tl.at(45.4, async () => {
    for (const item of (await showIncident(d.ctx, DANA, pay.incident)).remediation.filter((r) => r.finding_id !== null && r.status === 'open')) {
      await moveRemediation(d.ctx, LUCAS, { item: item.id, state: 'resolved' });
      await moveRemediation(d.ctx, PRIYA, { item: item.id, state: 'verified' });
    }
  });
  moves(d, pay, DANA, [[45.0, 'recovery']]);

  // the validated exposure of the VPN gateway: contained (appliance isolated behind a jump host)
  const vpn = story();
  d.tl.at(51.0, async () => {
    vpn.incident = escalated('vuln:CVE-2024-21887');
  });
  moves(d, vpn, SAM, [
    [50.8, 'triage'],
    [50.2, 'containment'],
  ]);
}

// ---- incidents ------------------------------------------------------------------------------

/** Closed: two weaknesses, every role acknowledged, both items verified. */
function credentialStuffing(d: Demo): void {
  const s = story();
  open(d, s, 58, SAM, { title: 'Credential-stuffing wave against the storefront login', severity: 'high', service: 'online-store', assets: ['storefront-web'] });
  moves(d, s, DANA, [
    [57.9, 'triage'],
    [57.6, 'containment'],
    [55.5, 'eradication'],
  ]);
  weakness(d, s, 55.4, { type: 'identity_access', relation: 'enabled', assets: ['storefront-web'], notes: 'customer accounts had no second factor and no lockout after repeated failures', action: 'rate-limit and lock out after 10 failures; offer TOTP and passkeys' });
  weakness(d, s, 55.3, { type: 'detection_gap', relation: 'delayed_detection', assets: ['storefront-web'], notes: 'no alert on login failure rate; the wave ran six hours before a customer complained', action: 'alert on failed logins per minute above baseline in the SIEM' });
  send(d, s, 55.2);
  acks(d, s, 55.0, CORE_ROLES);
  remediation(d, s, 54.5, 0, { owner_role: 'service_owner', assignee: 'lucas.meyer', criteria: 'lockout and MFA enrolment live in production', ticket: 'WEB-1184' }, [
    [54.0, 'in_progress'],
    [44.0, 'resolved'],
    [42.0, 'verified'],
  ]);
  remediation(d, s, 54.4, 1, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'SIEM rule deployed and tested with a replay of the attack' }, [
    [52.0, 'in_progress'],
    [47.0, 'resolved'],
    [41.0, 'verified'],
  ]);
  moves(d, s, DANA, [
    [50.0, 'recovery'],
    [41.0, 'post_incident'],
  ]);
  close(d, s, 40.0);
}

/** Closed, then reopened by GRC at a post-closure review: back in post_incident. Has an approved risk acceptance. */
function publicBucket(d: Demo): void {
  const s = story();
  open(d, s, 52, SAM, { title: 'Order exports in a publicly readable storage bucket', severity: 'high', service: 'analytics', assets: ['reporting-batch'] });
  moves(d, s, DANA, [
    [51.9, 'triage'],
    [51.5, 'eradication'],
  ]);
  weakness(d, s, 51.4, { type: 'configuration', relation: 'enabled', assets: ['reporting-batch'], notes: 'the export bucket allowed public reads; it held 14 days of order exports with customer names', action: 'block public access at the account level; enforce with a policy-as-code check' });
  weakness(d, s, 51.3, { type: 'operational', relation: 'enabled', assets: ['reporting-batch'], notes: 'the bucket was created by hand outside change management', action: 'move the analytics storage into the infrastructure-as-code pipeline' });
  send(d, s, 51.2);
  acks(d, s, 51.1, CORE_ROLES);
  remediation(d, s, 50.5, 0, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'account-level public access block on; policy check fails a public bucket', ticket: 'OPS-3310' }, [
    [50.4, 'in_progress'],
    [48.0, 'resolved'],
    [46.0, 'verified'],
  ]);
  d.tl.at(47.0, () =>
    requestRisk(d.ctx, PRIYA, {
      weakness: need(s.weaknesses[1], 'weakness'),
      rationale: 'moving analytics storage into the pipeline needs the platform migration planned for next quarter',
      controls: 'public access blocked at account level; weekly configuration drift report reviewed by ops',
      review_by: d.clock.dayFrom(47.0, 120),
    }),
  );
  d.tl.at(46.5, async () => {
    const risk = (await showIncident(d.ctx, DANA, s.incident)).risk_acceptances[0];
    await decideRisk(d.ctx, JAMES, { risk: need(risk, 'risk acceptance').id, approve: true, reason: 'compensating controls are adequate until the migration' });
  });
  moves(d, s, DANA, [
    [45.0, 'recovery'],
    [38.0, 'post_incident'],
  ]);
  close(d, s, 36.0);
  d.tl.at(12.0, () => reopenIncident(d.ctx, GRACE, { id: s.incident, reason: 'post-closure review: the export job re-created a bucket with a public ACL; check that the policy check covers it' }));
}

/** Closed with a remediation item still in progress. */
function mailboxTakeover(d: Demo): void {
  const s = story();
  open(d, s, 47, SAM, { title: 'Phishing led to a finance mailbox takeover', severity: 'moderate', service: 'corporate-it', assets: ['mail-gw'] });
  moves(d, s, SAM, [
    [46.9, 'triage'],
    [46.6, 'containment'],
    [45.0, 'eradication'],
  ]);
  weakness(d, s, 44.9, { type: 'identity_access', relation: 'enabled', assets: ['mail-gw'], notes: 'the mailbox belonged to a stale shared account exempt from MFA', action: 'remove the MFA exemption group; review shared mailboxes quarterly' });
  send(d, s, 44.8);
  acks(d, s, 44.6, CORE_ROLES);
  remediation(d, s, 44.0, 0, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'exemption group empty and deleted; quarterly review scheduled', ticket: 'IT-7712' }, [[40.0, 'in_progress']]);
  moves(d, s, SAM, [
    [40.0, 'recovery'],
    [30.0, 'post_incident'],
  ]);
  close(d, s, 29.0);
}

/** Third party: the vendor was notified, answered with an RCA; closed. */
function vendorBreach(d: Demo): void {
  const s = story();
  open(d, s, 45, SAM, { title: 'Payroll records exposed at Fabrikam HR Cloud', severity: 'high', service: 'people-ops', assets: ['hr-portal'] });
  moves(d, s, DANA, [
    [44.9, 'triage'],
    [42.0, 'eradication'],
  ]);
  weakness(d, s, 41.9, { type: 'third_party', relation: 'worsened_impact', assets: ['hr-portal'], vendor: 'fabrikam-hr-cloud', notes: "the vendor's API gateway returned other tenants' payslips to authenticated users", action: 'vendor to fix tenant isolation and send an RCA; Northwind to review the contract security schedule' });
  weakness(d, s, 41.8, { type: 'detection_gap', relation: 'delayed_detection', assets: ['hr-portal'], notes: 'no access logs from the hosted portal reach the SIEM; the exposure was reported by an employee', action: 'require audit-log export from the vendor and ingest it' });
  send(d, s, 41.7);
  d.tl.at(41.6, () =>
    notifyVendor(d.ctx, OMAR, { weakness: need(s.weaknesses[0], 'weakness'), channel: 'contract security contact: security@fabrikam-hr.example', tracking_item: 'VEND-118' }),
  );
  acks(d, s, 41.5, [...CORE_ROLES, ...THIRD_PARTY_ROLES]);
  d.tl.at(34.0, () =>
    recordVendorResponse(d.ctx, OMAR, {
      notice: need(s.notices[0], 'vendor notice'),
      text: 'RCA FAB-RCA-2291: a cache key omitted the tenant id after a gateway upgrade; fixed and redeployed, all tenants checked, no further exposure found.',
    }),
  );
  // the vendor manager owns it; vulnerability management records its progress
  remediation(
    d,
    s,
    41.0,
    0,
    { owner_role: 'third_party_manager', assignee: 'omar.haddad', criteria: 'vendor RCA received and accepted; contract security schedule reviewed' },
    [
      [34.0, 'in_progress'],
      [30.0, 'resolved'],
    ],
    PRIYA,
  );
  remediation(d, s, 41.0, 1, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'HR portal audit log in the SIEM with an alert on bulk access' }, [
    [38.0, 'in_progress'],
    [27.0, 'resolved'],
    [25.0, 'verified'],
  ]);
  moves(d, s, DANA, [
    [33.0, 'recovery'],
    [24.0, 'post_incident'],
  ]);
  close(d, s, 22.0);
}

/** Third party, still open: the vendor has not answered and was chased; two roles have not acknowledged. */
function mspAccount(d: Demo): void {
  const s = story();
  open(d, s, 30, SAM, { title: "Managed service provider's support account used outside the change window", severity: 'moderate', service: 'logistics', assets: ['warehouse-db'] });
  moves(d, s, DANA, [
    [29.9, 'triage'],
    [29.5, 'containment'],
    [27.5, 'eradication'],
  ]);
  weakness(d, s, 27.4, { type: 'third_party', relation: 'enabled', assets: ['warehouse-db'], vendor: 'contoso-msp', notes: "the provider's shared support account logged in from an unknown network at 03:10", action: 'provider to move to named accounts with MFA and to explain the login' });
  weakness(d, s, 27.3, { type: 'identity_access', relation: 'worsened_impact', assets: ['warehouse-db'], notes: 'the support account held database owner rights it does not need', action: 'reduce the support role to read-only with just-in-time elevation' });
  send(d, s, 27.2);
  d.tl.at(27.1, () => notifyVendor(d.ctx, OMAR, { weakness: need(s.weaknesses[0], 'weakness'), channel: 'contract security contact: soc@contoso-msp.example', tracking_item: 'VEND-124' }));
  acks(d, s, 27.0, ['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'grc_contact', 'third_party_manager']);
  remediation(d, s, 26.5, 1, { owner_role: 'service_owner', assignee: 'lucas.meyer', criteria: 'support role is read-only; elevation needs an approved change' });
  d.tl.at(13.0, () => chaseVendor(d.ctx, OMAR, { notice: need(s.notices[0], 'vendor notice') }));
  moves(d, s, DANA, [[15.0, 'recovery']]);
}

/** In recovery: an overdue item, an expired risk acceptance, two roles that never acknowledged. */
function buildRunnerBeacon(d: Demo): void {
  const s = story();
  open(d, s, 40, SAM, { title: 'Cobalt Strike beacon on a CI build runner', severity: 'critical', service: 'engineering-platform', assets: ['build-runner-03'] });
  moves(d, s, DANA, [
    [39.95, 'triage'],
    [39.9, 'containment'],
    [38.0, 'eradication'],
  ]);
  weakness(d, s, 37.9, { type: 'technical', relation: 'enabled', assets: ['build-runner-03'], notes: 'the runner agent was two major versions behind and exposed a script console', action: 'upgrade the agent fleet; disable the script console' });
  weakness(d, s, 37.8, { type: 'detection_gap', relation: 'delayed_detection', assets: ['build-runner-03'], notes: 'EDR was not installed on build runners', action: 'add EDR to the runner base image' });
  weakness(d, s, 37.7, { type: 'operational', relation: 'worsened_impact', assets: ['build-runner-03'], notes: 'runner images are rebuilt by hand and backups of the build cache were never restored in a test', action: 'rebuild runners from a pipeline; test a restore each quarter' });
  send(d, s, 37.6);
  acks(d, s, 37.5, ['ir_lead', 'vuln_mgmt_owner', 'grc_contact']);
  remediation(d, s, 37.0, 0, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'every runner on the current agent version; script console off', ticket: 'PLAT-903' });
  remediation(d, s, 37.0, 1, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'EDR reporting from every runner' }, [[30.0, 'in_progress']]);
  d.tl.at(36.5, () =>
    requestRisk(d.ctx, PRIYA, {
      weakness: need(s.weaknesses[2], 'weakness'),
      rationale: 'the runner pipeline rebuild is scheduled with the platform migration',
      controls: 'runners isolated in their own network segment; nightly snapshot of the build cache',
      review_by: d.clock.dayFrom(36.5, 30),
    }),
  );
  d.tl.at(36.0, async () => {
    const risk = (await showIncident(d.ctx, DANA, s.incident)).risk_acceptances[0];
    await decideRisk(d.ctx, NADIA, { risk: need(risk, 'risk acceptance').id, approve: true, reason: 'accepted for 30 days; review at the date' });
  });
  moves(d, s, DANA, [[30.0, 'recovery']]);
}

/** In eradication: report-out sent today (still queued), a risk acceptance awaiting an approver. */
function dashboardExposure(d: Demo): void {
  const s = story();
  open(d, s, 20, SAM, { title: 'Kubernetes dashboard of the staging cluster reachable from the internet', severity: 'moderate', service: 'engineering-platform', assets: ['build-runner-03'] });
  moves(d, s, DANA, [
    [19.9, 'triage'],
    [18.0, 'eradication'],
  ]);
  weakness(d, s, 17.9, { type: 'configuration', relation: 'enabled', assets: ['build-runner-03'], notes: 'the dashboard service was of type LoadBalancer with no network policy', action: 'make it ClusterIP behind the SSO proxy; add an admission rule against public dashboards' });
  remediation(d, s, 17.0, 0, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'dashboard reachable only through the SSO proxy; admission rule enforced' });
  d.tl.at(3.0, () =>
    requestRisk(d.ctx, LUCAS, {
      weakness: need(s.weaknesses[0], 'weakness'),
      rationale: 'the admission rule breaks two legacy staging charts until they are rewritten',
      controls: 'dashboard removed; staging cluster API limited to the VPN range',
      review_by: d.clock.dayFrom(3.0, 90),
    }),
  );
  send(d, s, 0.2, { deliver: false });
}

/** In containment. */
function rapidReset(d: Demo): void {
  const s = story();
  open(d, s, 15, SAM, { title: 'HTTP/2 rapid-reset flood against the storefront', severity: 'high', service: 'online-store', assets: ['storefront-web'] });
  moves(d, s, SAM, [
    [14.95, 'triage'],
    [14.9, 'containment'],
  ]);
}

/** In triage. */
function oauthConsent(d: Demo): void {
  const s = story();
  open(d, s, 6, SAM, { title: 'Suspicious OAuth consent grant to an unknown mail app', severity: 'moderate', service: 'corporate-it', assets: ['mail-gw'] });
  moves(d, s, SAM, [[5.0, 'triage']]);
}

/** Just reported. */
function lostLaptop(d: Demo): void {
  const s = story();
  open(d, s, 0.6, SAM, { title: 'Sales laptop reported lost at an airport', severity: 'low', service: 'corporate-it', assets: [] });
}

/** Closed as a non-incident after triage, with the determination's rationale. */
function reconciliationAlert(d: Demo): void {
  const s = story();
  open(d, s, 33, SAM, { title: 'Mass read of the warehouse database by a service account', severity: 'moderate', service: 'logistics', assets: ['warehouse-db'] });
  moves(d, s, SAM, [[32.9, 'triage']]);
  d.tl.at(32.5, () =>
    closeIncident(d.ctx, DANA, { id: s.incident, non_incident: true, rationale: 'the nightly inventory reconciliation job under approved change CHG-4471; volumes match its schedule' }),
  );
}

/** Closed with the report-out "none identified", and its rationale. */
function misdirectedEmail(d: Demo): void {
  const s = story();
  open(d, s, 28, SAM, { title: 'Customer order list emailed to the wrong recipient', severity: 'low', service: 'online-store', assets: ['mail-gw'] });
  moves(d, s, DANA, [
    [27.9, 'triage'],
    [27.5, 'eradication'],
  ]);
  d.tl.at(27.4, () =>
    markNoneIdentified(d.ctx, DANA, { incident: s.incident, rationale: 'human error: address autocomplete picked the wrong recipient, who confirmed deletion; no technical, configuration or process weakness was involved' }),
  );
  send(d, s, 27.3);
  acks(d, s, 27.2, CORE_ROLES);
  moves(d, s, DANA, [
    [26.0, 'recovery'],
    [25.5, 'post_incident'],
  ]);
  close(d, s, 25.0);
}

/** In post_incident: remediation resolved, waiting for verification. */
function leakedKey(d: Demo): void {
  const s = story();
  open(d, s, 25, SAM, { title: 'Cloud access key committed to a public repository', severity: 'high', service: 'engineering-platform', assets: ['build-runner-03'] });
  moves(d, s, DANA, [
    [24.95, 'triage'],
    [24.9, 'containment'],
    [24.0, 'eradication'],
  ]);
  weakness(d, s, 23.9, { type: 'configuration', relation: 'enabled', assets: ['build-runner-03'], notes: 'secret scanning and push protection were off for the organisation', action: 'turn on push protection for every repository; rotate long-lived keys to short-lived credentials' });
  send(d, s, 23.8);
  acks(d, s, 23.7, CORE_ROLES);
  remediation(d, s, 23.0, 0, { owner_role: 'eng_ops_lead', assignee: 'aiko.tanaka', criteria: 'push protection on everywhere; no long-lived keys left in CI' }, [
    [20.0, 'in_progress'],
    [10.0, 'resolved'],
  ]);
  moves(d, s, DANA, [
    [15.0, 'recovery'],
    [9.0, 'post_incident'],
  ]);
}

/**
 * The last deliveries before today, then the timers at the real now: reminders for the roles that
 * never acknowledged, the overdue item and the expired acceptance are queued, and stay queued for
 * the server's dispatcher to send.
 */
function timers(d: Demo): void {
  d.tl.at(0.5, () => runDelivery(d.ctx, DISPATCHER));
  d.tl.at(0, () => runTimers(d.ctx, TIMERS));
}

// ---- the summary ------------------------------------------------------------------------------

function countInto<K extends string>(keys: readonly K[], values: readonly K[]): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

async function countDeliveries(ctx: AppContext, caller: Caller, state: 'delivered' | 'queued' | 'failed'): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const page = await listDeliveries(ctx, caller, { state, limit: DELIVERY_PAGE.max, after });
    n += page.deliveries.length;
    if (page.next === null) return n;
    after = page.next;
  }
}

async function summarize(ctx: AppContext, caller: Caller, d: Demo, people: DemoSummary['people']): Promise<DemoSummary> {
  const incidents = (await listIncidents(ctx, caller, { limit: 1000 })).incidents;
  const views = [];
  for (const i of incidents) views.push(await showIncident(ctx, caller, i.id));
  const today = ctx.now().toISOString().slice(0, 10);
  const items = views.flatMap((v) => v.remediation);
  const risks = views.flatMap((v) => v.risk_acceptances.map((r) => r.effective_state));
  const notices = views.flatMap((v) => v.third_party_notices);
  const sent = views.filter((v) => v.incident.reportout_sent_at !== null);
  const roleAcks = sent.flatMap((v) => v.evidence.filter((e) => v.required_roles.includes(e.role)).map((e) => e.acknowledgment !== null));
  const triage = need(d.triage ?? undefined, 'the triage run');
  const ir = DEMO_PEOPLE[0]?.name ?? '';
  return {
    people,
    started_at: new Date(d.clock.start).toISOString(),
    ended_at: new Date(d.clock.end).toISOString(),
    imports: d.imports.length,
    findings: d.imports.filter((r) => r.kind === 'findings').reduce((n, r) => n + r.created, 0),
    triage: { run: triage.run, evaluated: triage.evaluated, escalate: triage.by_outcome.escalate ?? 0, stay: triage.by_outcome.stay ?? 0, by_trigger: triage.by_trigger },
    escalations: triage.incidents.map((i) => ({ incident: i.incident, finding: i.finding, grouping: i.grouping })),
    incidents: {
      total: incidents.length,
      by_state: countInto(INCIDENT_STATES, incidents.map((i) => i.state)),
      by_severity: countInto(['low', 'moderate', 'high', 'critical'], incidents.map((i) => i.severity)),
    },
    weaknesses: { total: views.reduce((n, v) => n + v.weaknesses.length, 0), by_type: countInto(WEAKNESS_TYPES, views.flatMap((v) => v.weaknesses.map((w) => w.type))) },
    acknowledgments: { given: roleAcks.filter((a) => a).length, missing: roleAcks.filter((a) => !a).length },
    remediation: {
      total: items.length,
      by_status: countInto(['open', 'in_progress', 'resolved', 'verified'], items.map((r) => r.status)),
      overdue: items.filter((r) => (r.status === 'open' || r.status === 'in_progress') && r.due !== null && r.due < today).length,
    },
    risk_acceptances: {
      approved: risks.filter((r) => r === 'approved').length,
      expired: risks.filter((r) => r === 'expired').length,
      requested: risks.filter((r) => r === 'requested').length,
      rejected: risks.filter((r) => r === 'rejected').length,
    },
    third_party_notices: { total: notices.length, responded: notices.filter((n) => n.response !== null).length, chased: notices.filter((n) => n.chased_at !== null).length },
    deliveries: {
      delivered: await countDeliveries(ctx, caller, 'delivered'),
      queued: await countDeliveries(ctx, caller, 'queued'),
      failed: await countDeliveries(ctx, caller, 'failed'),
    },
    sign_in: ir,
    next_steps: [
      'start the server: npm start (or closeloop serve)',
      `give ${ir} (the IR lead) a password: closeloop people passwd ${ir} --link --by ${caller.actor}, and open the link it prints`,
      `open http://127.0.0.1:8080 and sign in as ${ir}: "My work" lists her acknowledgments and overdue items; sign in as ${caller.actor} to see everything`,
      'closeloop audit verify --by tom.becker checks the audit chain the demo wrote',
    ],
  };
}
