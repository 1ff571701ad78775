import { existsSync } from 'node:fs';
import { riskIsActive } from '../domain/gate.js';
import { isClError } from '../errors.js';
import type { Db, Incident } from '../store/schema.js';
import { deliveredReportOuts } from '../store/repositories/health-checks.js';
import { notificationsOfIncident } from '../store/repositories/notifications.js';
import { remediationOfIncident } from '../store/repositories/remediation.js';
import { riskAcceptancesOfIncident } from '../store/repositories/risk-acceptances.js';
import { weaknessesOfIncident } from '../store/repositories/weaknesses.js';
import { today, type AppContext } from './context.js';
import { evidenceLocationFile, verifyEvidenceFile } from './evidence.js';
import { requiredRoles } from './incidents.js';

/**
 * The four questions a control health check answers of each sampled incident (SPEC §5), computed
 * from the records alone, each with the ids of the records that answer it.
 */
export const QUESTIONS = ['weakness', 'notified', 'followthrough', 'evidence'] as const;
export type Question = (typeof QUESTIONS)[number];

/** The question as the worksheet and the OSCAL export word it. */
export const QUESTION_TEXT: Readonly<Record<Question, string>> = {
  weakness: '1. Weakness identified, or "none" recorded with a rationale?',
  notified: '2. Correct roles notified, with delivery evidence?',
  followthrough: '3. Every weakness has a remediation item or an approved, unexpired risk acceptance?',
  evidence: '4. Evidence bundle stored at the control card\'s evidence location, and verifying?',
};

export interface Gap {
  /** What the gap is about: a role, a weakness id, a file; null for the incident as a whole. */
  subject: string | null;
  message: string;
}

export interface Answer {
  question: Question;
  passed: boolean;
  /** The answer in words. */
  answer: string;
  /** Ids of the records (or the file) the answer rests on. */
  evidence: string[];
  gaps: Gap[];
}

export type Answers = Record<Question, Answer>;

/** Whether an incident's evidence bundle is where the control card says, and verifies. */
export interface EvidenceCheckResult {
  ok: boolean;
  file: string;
  message: string;
}
export type EvidenceCheck = (ctx: AppContext, incidentId: string) => Promise<EvidenceCheckResult>;

/**
 * Question 4 from the bundle itself: the file `closeloop evidence export --to-evidence-location`
 * writes (`<evidence_location>/<INC-ID>.zip`) must exist, verify offline (against the configured
 * signing key when there is one, else the bundle's own) and be this incident's bundle. A missing,
 * unreadable, foreign or tampered file is a gap naming the file and what is wrong.
 */
export const bundleVerifies: EvidenceCheck = async (ctx, incidentId) => {
  const file = evidenceLocationFile(ctx.config, ctx.configPath, incidentId);
  if (!existsSync(file)) return { ok: false, file, message: `no bundle at ${file}` };
  try {
    const v = verifyEvidenceFile(file, ctx.signer === undefined ? {} : { publicKeyPem: ctx.signer.publicKeyPem });
    if (!v.ok) return { ok: false, file, message: `the bundle at ${file} does not verify: ${v.problems.join('; ')}` };
    if (!v.incidentIds.includes(incidentId)) return { ok: false, file, message: `the bundle at ${file} is not ${incidentId}'s (it holds ${v.incidentIds.join(', ') || 'no incident'})` };
    return { ok: true, file, message: `bundle verified at ${file}` };
  } catch (err) {
    if (isClError(err)) return { ok: false, file, message: err.message };
    throw err;
  }
};

const answer = (question: Question, text: string, evidence: string[], gaps: Gap[]): Answer => ({ question, passed: gaps.length === 0, answer: text, evidence, gaps });

/** Answers the four questions for `inc` from its records as they stand now. */
export async function answerQuestions(db: Db, ctx: AppContext, inc: Incident, evidence: EvidenceCheck): Promise<Answers> {
  const [weaknesses, delivered, notifications, items, risks, bundle] = await Promise.all([
    weaknessesOfIncident(db, inc.id),
    deliveredReportOuts(db, inc.id),
    notificationsOfIncident(db, inc.id),
    remediationOfIncident(db, inc.id),
    riskAcceptancesOfIncident(db, inc.id),
    evidence(ctx, inc.id),
  ]);
  const nonIncident = inc.state === 'closed_non_incident' || inc.determination === 'non_incident';

  // 1. weakness identified, or none with a rationale
  const weakness =
    weaknesses.length > 0
      ? answer('weakness', `${weaknesses.length} weakness(es) identified`, weaknesses.map((w) => w.id), [])
      : inc.none_identified_rationale !== null && inc.none_identified_rationale.trim() !== ''
        ? answer('weakness', `none identified: ${inc.none_identified_rationale}`, [inc.id], [])
        : answer('weakness', 'no weakness recorded', [], [{ subject: null, message: `${inc.id} records no weakness and is not marked "none identified" with a rationale` }]);

  // 2. the control card's recipient roles (and third-party roles for a third-party weakness) notified and delivered
  let notified: Answer;
  if (nonIncident) {
    notified = answer('notified', 'not required: determined a non-incident', [inc.id], []);
  } else {
    const roles = requiredRoles(ctx, weaknesses);
    const proof: string[] = [];
    const gaps: Gap[] = [];
    for (const role of roles) {
      const ok = delivered.filter((n) => n.role === role && n.status === 'delivered' && n.delivered_at !== null);
      if (ok.length > 0) {
        proof.push(...new Set(ok.map((n) => n.id)));
        continue;
      }
      const sent = notifications.filter((n) => n.purpose === 'reportout' && n.role === role);
      gaps.push({
        subject: role,
        message:
          sent.length === 0
            ? `role ${role} was never sent the report-out of ${inc.id}`
            : `the report-out of ${inc.id} to role ${role} has no delivered attempt (${sent.map((n) => `${n.id} ${n.status}`).join(', ')})`,
      });
    }
    notified = answer('notified', gaps.length === 0 ? `all ${roles.length} required roles delivered (${roles.join(', ')})` : `${roles.length - gaps.length} of ${roles.length} required roles delivered`, proof, gaps);
  }

  // 3. every weakness followed through: a remediation item or an approved, unexpired risk acceptance
  const day = today(ctx);
  const followProof: string[] = [];
  const followGaps: Gap[] = [];
  for (const w of weaknesses) {
    const mine = [...items.filter((i) => i.weakness_id === w.id).map((i) => i.id), ...risks.filter((r) => r.weakness_id === w.id && riskIsActive(r, day)).map((r) => r.id)];
    if (mine.length > 0) followProof.push(...mine);
    else followGaps.push({ subject: w.id, message: `weakness ${w.id} of ${inc.id} has no remediation item and no approved, unexpired risk acceptance` });
  }
  const followthrough = answer(
    'followthrough',
    weaknesses.length === 0 ? 'no weakness to follow through' : `${weaknesses.length - followGaps.length} of ${weaknesses.length} weakness(es) followed through`,
    followProof,
    followGaps,
  );

  // 4. evidence retrievable at the control card's location, and verifying
  const stored = answer('evidence', bundle.ok ? `bundle verified at ${bundle.file}` : bundle.message, bundle.ok ? [bundle.file] : [], bundle.ok ? [] : [{ subject: bundle.file, message: `${inc.id}: ${bundle.message}` }]);

  return { weakness, notified, followthrough, evidence: stored };
}
