import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../domain/incident.js';
import { sampleIncidents } from '../domain/sampling.js';
import { ClError } from '../errors.js';
import type { ControlFinding, Db, HealthCheck, HealthCheckNote, HealthCheckSample, RemediationItem } from '../store/schema.js';
import {
  controlFindingsOf,
  findHealthCheck,
  incidentsClosedBetween,
  insertControlFindings,
  insertHealthCheck,
  insertHealthCheckNote,
  insertHealthCheckSamples,
  latestHealthCheck,
  listHealthChecks as listHealthCheckRows,
  notesOf,
  sampleOf,
  samplesOf,
} from '../store/repositories/health-checks.js';
import { appendRemediationHistory, insertRemediationItem } from '../store/repositories/remediation.js';
import { addDays, audit, authorize, inTransaction, isoNow, nextId, today, type AppContext, type Caller } from './context.js';
import { answerQuestions, bundleVerifies, QUESTIONS, type Answers, type EvidenceCheck, type Question } from './healthcheck-answers.js';
import { lockIncident, reopenLocked } from './incidents.js';
import { identifier, isoDate, nonEmpty, parseInput } from './validate.js';

/**
 * Control health checks (SPEC §5, IR-6(2)): a reproducible sample of the incidents closed in a
 * period, the four questions answered from each one's records with pointers to them, reviewer
 * notes, and every gap a control finding owned by the control card's owner role with a
 * remediation item of its own. docs/health-checks.md, docs/decisions/health-checks.md.
 */

/** The most incidents one check samples. */
export const MAX_SAMPLE = 500;

export const runHealthCheckInput = z
  .strictObject({
    /** First day of the period (YYYY-MM-DD). */
    from: isoDate,
    /** Last day of the period, inclusive. */
    to: isoDate,
    /** How many incidents to sample. */
    sample: z.coerce.number().int().min(1).max(MAX_SAMPLE),
    /** The seed: the same seed over the same period draws the same sample. */
    seed: identifier('seed'),
    stratify: z.enum(['severity']).optional(),
  })
  .refine((v) => v.from <= v.to, { path: ['to'], message: 'the period ends before it starts: --to must be on or after --from' });

export const healthCheckIdInput = z.strictObject({ id: identifier('health check id') });

export const healthCheckNoteInput = z.strictObject({
  id: identifier('health check id'),
  incident: identifier('incident id'),
  text: nonEmpty('note'),
});

/** One sampled incident with its answers, notes and control findings. */
export interface SampleView {
  position: number;
  incident_id: string;
  stratum: string;
  passed: boolean;
  reopened: boolean;
  answers: Answers;
  notes: HealthCheckNote[];
  findings: string[];
}

export interface HealthCheckView {
  id: string;
  period: { from: string; to: string };
  population_basis: 'closed_in_period';
  sample_size: number;
  seed: string;
  stratify: string | null;
  method: string;
  strata: { stratum: string; population: number; picked: number }[];
  population: number;
  sampled: number;
  passed: number;
  control: { id: string; version: number };
  created_by: string;
  created_at: string;
  samples: SampleView[];
  findings: ControlFinding[];
}

export type HealthCheckSummary = Omit<HealthCheckView, 'samples' | 'findings'> & { findings: number };

/** What a check looks like in a list. */
function summary(row: HealthCheck, findings: number): HealthCheckSummary {
  return {
    id: row.id,
    period: { from: row.period_from, to: row.period_to },
    population_basis: 'closed_in_period',
    sample_size: row.sample_size,
    seed: row.seed,
    stratify: row.stratify,
    method: row.method,
    strata: JSON.parse(row.strata) as HealthCheckView['strata'],
    population: row.population,
    sampled: row.sampled,
    passed: row.passed,
    control: { id: row.control_id, version: row.control_version },
    created_by: row.created_by,
    created_at: row.created_at,
    findings,
  };
}

function assemble(row: HealthCheck, samples: readonly HealthCheckSample[], notes: readonly HealthCheckNote[], findings: readonly ControlFinding[]): HealthCheckView {
  return {
    ...summary(row, findings.length),
    samples: samples.map((s) => ({
      position: s.position,
      incident_id: s.incident_id,
      stratum: s.stratum,
      passed: s.passed === 1,
      reopened: s.reopened === 1,
      answers: JSON.parse(s.answers) as Answers,
      notes: notes.filter((n) => n.incident_id === s.incident_id),
      findings: findings.filter((f) => f.incident_id === s.incident_id).map((f) => f.id),
    })),
    findings: [...findings],
  };
}

async function loadHealthCheck(db: Db, id: string): Promise<HealthCheck> {
  const row = await findHealthCheck(db, id);
  if (!row) throw new ClError('CL_NOT_FOUND', `health check ${id} not found; \`closeloop healthcheck list\` shows the checks there are`, { what: 'health check', id });
  return row;
}

/** A check with everything it found, read in one go. */
export async function healthCheckView(db: Db, id: string): Promise<HealthCheckView> {
  const row = await loadHealthCheck(db, id);
  const [samples, notes, findings] = await Promise.all([samplesOf(db, id), notesOf(db, id), controlFindingsOf(db, id)]);
  return assemble(row, samples, notes, findings);
}

/** Dependencies a run may be given: how question 4 is checked. */
export interface HealthCheckDeps {
  evidence?: EvidenceCheck;
}

/** The gaps of questions 1–3: what the closure gate would have refused, and what reopening lets a responder correct. */
const CLOSURE_QUESTIONS: readonly Question[] = ['weakness', 'notified', 'followthrough'];

/**
 * Runs a health check: samples the incidents closed in the period (seeded, optionally stratified
 * by severity), answers the four questions of each from its records, and turns every gap into a
 * control finding with a remediation item owned by the control card's owner role. In soft gate
 * mode a closed incident with gaps in questions 1–3 is reopened, the reason naming the check.
 * One transaction: the check, its samples, findings, items and reopenings, each audited.
 */
export async function runHealthCheck(ctx: AppContext, caller: Caller, input: z.input<typeof runHealthCheckInput>, deps: HealthCheckDeps = {}): Promise<HealthCheckView> {
  await authorize(ctx, caller, 'healthcheck.run');
  const p = parseInput(runHealthCheckInput, input);
  const evidence = deps.evidence ?? bundleVerifies;
  return inTransaction(ctx, async (trx) => {
    const at = isoNow(ctx);
    const card = ctx.config.control_card;
    const population = await incidentsClosedBetween(trx, `${p.from}T00:00:00.000Z`, `${addDays(p.to, 1)}T00:00:00.000Z`);
    const drawn = sampleIncidents(
      population.map((i) => ({ id: i.id, stratum: p.stratify === 'severity' ? i.severity : 'all' })),
      p.sample,
      p.seed,
      { stratify: p.stratify === 'severity', strataOrder: [...INCIDENT_SEVERITIES].reverse() },
    );
    const id = await nextId(trx, 'HC');
    const samples: HealthCheckSample[] = [];
    const findings: ControlFinding[] = [];
    const items: RemediationItem[] = [];
    for (const [i, picked] of drawn.picked.entries()) {
      const inc = await lockIncident(trx, picked.id);
      const answers = await answerQuestions(trx, ctx, inc, evidence);
      const gaps = QUESTIONS.flatMap((q) => answers[q].gaps.map((g) => ({ question: q, ...g })));
      for (const gap of gaps) {
        const findingId = await nextId(trx, 'CF');
        const item: RemediationItem = {
          id: await nextId(trx, 'RI'),
          incident_id: null,
          weakness_id: null,
          finding_id: null,
          owner_role: card.owner_role,
          assignee: card.owner_role,
          criteria: `Control finding ${findingId} of health check ${id} (${card.id}, ${inc.id}, question ${QUESTIONS.indexOf(gap.question) + 1}): ${gap.message}. Correct the records or the process, then verify.`,
          due: addDays(today(ctx), ctx.config.workflow.remediation_due_days[inc.severity]),
          ticket: null,
          status: 'open',
          overdue_since: null,
          created_at: at,
          updated_at: at,
        };
        items.push(item);
        findings.push({ id: findingId, health_check_id: id, incident_id: inc.id, question: gap.question, subject: gap.subject, message: gap.message, owner_role: card.owner_role, remediation_item_id: item.id, created_at: at });
      }
      const reopen = ctx.config.gate.mode === 'soft' && inc.state === 'closed' && gaps.some((g) => CLOSURE_QUESTIONS.includes(g.question));
      if (reopen) await reopenLocked(trx, ctx, caller, inc, `health check ${id} found ${gaps.length} gap(s): ${gaps.map((g) => g.message).join('; ')}`);
      samples.push({ health_check_id: id, incident_id: inc.id, position: i + 1, stratum: picked.stratum ?? 'all', answers: JSON.stringify(answers), passed: gaps.length === 0 ? 1 : 0, reopened: reopen ? 1 : 0 });
    }
    const row: HealthCheck = {
      id,
      period_from: p.from,
      period_to: p.to,
      sample_size: p.sample,
      seed: p.seed,
      stratify: p.stratify ?? null,
      method: drawn.method,
      strata: JSON.stringify(drawn.strata),
      population: population.length,
      sampled: samples.length,
      passed: samples.filter((s) => s.passed === 1).length,
      control_id: card.id,
      control_version: card.version,
      created_by: caller.actor,
      created_at: at,
    };
    await insertHealthCheck(trx, row);
    await insertHealthCheckSamples(trx, samples);
    await audit(trx, ctx, caller, { action: 'healthcheck.run', entityType: 'health_check', entityId: id, incidentId: null, state: row });
    for (const s of samples) await audit(trx, ctx, caller, { action: 'healthcheck.sampled', entityType: 'health_check_sample', entityId: `${id}:${s.incident_id}`, incidentId: s.incident_id, state: s });
    for (const item of items) {
      await insertRemediationItem(trx, item);
      await appendRemediationHistory(trx, { itemId: item.id, status: 'open', actor: caller.actor, at });
      await audit(trx, ctx, caller, { action: 'remediation.opened', entityType: 'remediation_item', entityId: item.id, incidentId: null, state: item });
    }
    await insertControlFindings(trx, findings);
    for (const f of findings) await audit(trx, ctx, caller, { action: 'control_finding.opened', entityType: 'control_finding', entityId: f.id, incidentId: f.incident_id, state: f });
    return assemble(row, samples, [], findings);
  });
}

/** Every check, newest first, with how many findings each has. */
export async function listHealthChecks(ctx: AppContext, caller: Caller): Promise<HealthCheckSummary[]> {
  await authorize(ctx, caller, 'healthcheck.read');
  const rows = await listHealthCheckRows(ctx.store.db);
  return Promise.all(rows.map(async (r) => summary(r, (await controlFindingsOf(ctx.store.db, r.id)).length)));
}

export async function showHealthCheck(ctx: AppContext, caller: Caller, input: z.input<typeof healthCheckIdInput>): Promise<HealthCheckView> {
  await authorize(ctx, caller, 'healthcheck.read');
  const p = parseInput(healthCheckIdInput, input);
  return healthCheckView(ctx.store.db, p.id);
}

/** Adds a reviewer's note to a sampled incident of a check (audited). */
export async function addHealthCheckNote(ctx: AppContext, caller: Caller, input: z.input<typeof healthCheckNoteInput>): Promise<HealthCheckNote> {
  await authorize(ctx, caller, 'healthcheck.note');
  const p = parseInput(healthCheckNoteInput, input);
  return inTransaction(ctx, async (trx) => {
    await loadHealthCheck(trx, p.id);
    if (!(await sampleOf(trx, p.id, p.incident))) {
      throw new ClError('CL_NOT_FOUND', `${p.incident} is not in the sample of health check ${p.id}; \`closeloop healthcheck show ${p.id}\` lists the sampled incidents`, { what: 'sampled incident', id: p.incident });
    }
    const row: HealthCheckNote = { id: await nextId(trx, 'HN'), health_check_id: p.id, incident_id: p.incident, author: caller.actor, text: p.text, created_at: isoNow(ctx) };
    await insertHealthCheckNote(trx, row);
    await audit(trx, ctx, caller, { action: 'healthcheck.noted', entityType: 'health_check_note', entityId: row.id, incidentId: p.incident, state: row });
    return row;
  });
}

/** The latest check's pass rate: sampled incidents with no gap, of those sampled (rate null when none was sampled). */
export async function healthCheckPassRate(db: Db): Promise<{ health_check_id: string; sampled: number; passed: number; rate: number | null } | null> {
  const row = await latestHealthCheck(db);
  if (!row) return null;
  return { health_check_id: row.id, sampled: row.sampled, passed: row.passed, rate: row.sampled === 0 ? null : row.passed / row.sampled };
}
