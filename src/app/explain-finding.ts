import { decisionInputDigest, ENGINE_VERSION, engineVersionOf, evaluate, parseRuleset, rulesetDigest, type EvaluationInput, type ExplanationLine, type Ruleset } from '../domain/escalation/index.js';
import { ClError, isClError, notFound } from '../errors.js';
import { advisoryFromRow, assetFromRow, findingFromRow, signalFromRow, vulnerabilityFromRow } from '../store/records.js';
import { advisoriesOfVulnerabilities, assetById, findingById, signalsOfAsset, vulnerabilityById } from '../store/repositories/knowledge.js';
import { findingIdsStartingWith, latestDecisionOfFinding } from '../store/repositories/triage-decisions.js';
import type { Db } from '../store/schema.js';
import { rulesetOfRun } from '../store/repositories/triage-runs.js';
import { authorize, type AppContext, type Caller } from './context.js';
import { vulnerabilityOfSnapshot } from './decision-snapshot.js';

/** How `why` rebuilt a decision's explanation, and whether the rebuild is exact. */
export interface Replay {
  /** The replay's input digest equals the stored one: the lines are exactly those behind the decision. */
  verified: boolean;
  input_hash: string | null;
  message: string;
}

/**
 * The ruleset a run stored, validated as a ruleset file is (the same parser: the stored body is
 * canonical JSON, which is YAML) and checked against its digest. A replay with a ruleset the store
 * has corrupted would explain a decision with rules it was never made by: refused, naming the run
 * and the digest.
 */
export function storedRuleset(runId: string, stored: { digest: string; body: string }): Ruleset {
  const corrupt = (why: string) =>
    new ClError('CL_INTERNAL', `triage run ${runId}: its stored ruleset ${stored.digest} is corrupt (${why}); the decision cannot be replayed`, { run: runId, digest: stored.digest });
  let ruleset: Ruleset;
  try {
    ruleset = parseRuleset(stored.body, `stored ruleset ${stored.digest}`);
  } catch (err) {
    if (isClError(err)) throw corrupt(err.message);
    throw err;
  }
  const digest = rulesetDigest(ruleset);
  if (digest !== stored.digest) throw corrupt(`its body has digest ${digest}`);
  return ruleset;
}

/** Candidates listed when a prefix names several findings. */
const PREFIX_CANDIDATES = 10;

/**
 * The one finding whose id starts with `prefix`, as git resolves a short commit id: a user pastes
 * the start of a long scanner id. None: not found; several: CL_BAD_INPUT listing them.
 */
async function findingOfPrefix(db: Db, prefix: string): Promise<string> {
  const ids = prefix === '' ? [] : await findingIdsStartingWith(db, prefix, PREFIX_CANDIDATES + 1);
  const [only] = ids;
  if (only === undefined) throw notFound('finding', prefix);
  if (ids.length === 1) return only;
  const shown = ids.slice(0, PREFIX_CANDIDATES);
  throw new ClError('CL_BAD_INPUT', `finding prefix ${prefix} is ambiguous: it starts ${shown.join(', ')}${ids.length > PREFIX_CANDIDATES ? ' and more' : ''}; give more of the id`, { prefix, candidates: shown });
}

/**
 * `closeloop why FINDING`: the latest stored decision with its facts and rule lines. The lines come
 * from replaying the engine (see src/app/decisions.ts) with the run's stored ruleset, the stored
 * vulnerability facts and the finding, asset, signals and advisories as stored now; the replay's
 * input digest is checked against the decision's. FINDING may be any unique prefix of the id.
 */
export async function explainFinding(ctx: AppContext, caller: Caller, given: string) {
  await authorize(ctx, caller, 'vr.triage');
  const db = ctx.store.db;
  let row = await latestDecisionOfFinding(db, given);
  let findingRow = await findingById(db, given);
  let findingId = given;
  if (!row && !findingRow) {
    findingId = await findingOfPrefix(db, given);
    row = await latestDecisionOfFinding(db, findingId);
    findingRow = await findingById(db, findingId);
  }
  if (!row) {
    if (!findingRow) throw notFound('finding', findingId);
    throw new ClError('CL_NOT_FOUND', `finding ${findingId} has no decision yet; run \`closeloop triage\` first`);
  }
  const snapshot = JSON.parse(row.snapshot) as unknown;
  const decided = {
    decision: row.id,
    finding: row.finding_id,
    asset: row.asset_id,
    vulnerability: row.vulnerability_id,
    outcome: row.outcome,
    triggers: JSON.parse(row.triggers) as string[],
    stay_reasons: JSON.parse(row.stay_reasons) as string[],
    flags: JSON.parse(row.flags) as string[],
    next_actions: JSON.parse(row.next_actions) as string[],
    ssvc: row.ssvc,
    evidence: JSON.parse(row.evidence) as string[],
    ruleset: row.ruleset_version,
    engine: Number(row.engine_version),
    input_hash: row.input_hash,
    snapshot,
    incident: row.incident_id,
    decided_at: row.decided_at,
  };
  const runId = row.id.slice(0, row.id.indexOf('/'));
  const run = await rulesetOfRun(db, runId);
  if (!findingRow || !run) {
    const replay: Replay = { verified: false, input_hash: null, message: !findingRow ? `finding ${findingId} is no longer stored: the decision cannot be replayed` : `triage run ${runId} has no stored ruleset: the decision cannot be replayed` };
    return { ...decided, explanation: [] as ExplanationLine[], replay };
  }
  const engine = engineVersionOf(row.engine_version);
  if (engine === null) {
    const replay: Replay = { verified: false, input_hash: null, message: `the decision was made by engine ${row.engine_version}, which this version of closeloop does not know: it cannot be replayed` };
    return { ...decided, explanation: [] as ExplanationLine[], replay };
  }
  const finding = findingFromRow(findingRow);
  const ruleset = storedRuleset(runId, run);
  const assetRow = await assetById(db, finding.asset);
  const vulnRow = await vulnerabilityById(db, finding.vulnerability);
  const signals = (await signalsOfAsset(db, finding.asset)).map(signalFromRow);
  const advisories = (await advisoriesOfVulnerabilities(db, [finding.vulnerability, ...finding.aliases])).map(advisoryFromRow);
  const today = vulnRow ? vulnerabilityFromRow(vulnRow) : null;
  // The engine reads only the facts the snapshot holds (title, references and extra are words).
  const vulnerability = vulnerabilityOfSnapshot(snapshot, today);
  const input: EvaluationInput = { finding, asset: assetRow ? assetFromRow(assetRow) : null, vulnerability, signals, advisories };
  // the engine the decision was made by: a decision of an older engine replays as what it was
  const digest = decisionInputDigest(input, ruleset, engine);
  const verified = digest === row.input_hash;
  // facts changed since: the lines say what a triage with today's engine would make of them
  const replayed = evaluate(input, ruleset, { engine: verified ? engine : ENGINE_VERSION });
  const replay: Replay = {
    verified,
    input_hash: digest,
    message: verified
      ? `replayed with the run's ruleset, engine ${engine} and the stored vulnerability facts: the input digest matches, these are the lines behind the decision`
      : `the finding, its asset, signals or advisories have changed since ${row.decided_at} (input digest ${digest}): the lines below are for the facts as they are now${engine === ENGINE_VERSION ? '' : ` and engine ${ENGINE_VERSION} (the decision was made by engine ${engine})`}${replayed.outcome === row.outcome ? '' : `, which would give ${replayed.outcome}`}; run \`closeloop triage\` for a current decision`,
  };
  return { ...decided, explanation: replayed.explanation, replay };
}
