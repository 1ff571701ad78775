/**
 * CISA SSVC coordinator outcome (Track / Track* / Attend / Act) as a cross-check beside the
 * escalation decision (SPEC §2). The table is CISA Coordinator v2.0.3 from CERT/CC's SSVC data
 * (`corpus/ssvc/csv/cisa/cisa_coordinator_2_0_3.csv`), encoded here so the core stays pure; the
 * test checks every row of the published table against this encoding.
 */
import type { AssetRecord, VulnerabilityRecord } from '../records.js';
import type { Ruleset } from './ruleset.js';
import type { SsvcOutcome } from './vocabulary.js';

export type SsvcExploitation = 'none' | 'poc' | 'active';
export type SsvcAutomatable = 'no' | 'yes';
export type SsvcTechnicalImpact = 'partial' | 'total';
/** SSVC mission and well-being impact levels: CISA's words, not an incident or finding severity. */
export const SSVC_MISSION_WELLBEING = ['low', 'medium', 'high'] as const;
export type SsvcMissionWellbeing = (typeof SSVC_MISSION_WELLBEING)[number];

/** One point in the CISA coordinator decision space. */
export interface SsvcPoints {
  exploitation: SsvcExploitation;
  automatable: SsvcAutomatable;
  technical_impact: SsvcTechnicalImpact;
  mission_wellbeing: SsvcMissionWellbeing;
}

type TableKey = `${SsvcExploitation}/${SsvcAutomatable}/${SsvcTechnicalImpact}/${SsvcMissionWellbeing}`;

/** CISA Coordinator 2.0.3: Exploitation × Automatable × Technical Impact × Mission & Well-Being. */
export const CISA_COORDINATOR_TABLE: Readonly<Record<TableKey, SsvcOutcome>> = Object.freeze({
  'none/no/partial/low': 'Track',
  'none/no/partial/medium': 'Track',
  'none/no/partial/high': 'Track',
  'none/no/total/low': 'Track',
  'none/no/total/medium': 'Track',
  'none/no/total/high': 'Track*',
  'none/yes/partial/low': 'Track',
  'none/yes/partial/medium': 'Track',
  'none/yes/partial/high': 'Attend',
  'none/yes/total/low': 'Track',
  'none/yes/total/medium': 'Track',
  'none/yes/total/high': 'Attend',
  'poc/no/partial/low': 'Track',
  'poc/no/partial/medium': 'Track',
  'poc/no/partial/high': 'Track*',
  'poc/no/total/low': 'Track',
  'poc/no/total/medium': 'Track*',
  'poc/no/total/high': 'Attend',
  'poc/yes/partial/low': 'Track',
  'poc/yes/partial/medium': 'Track',
  'poc/yes/partial/high': 'Attend',
  'poc/yes/total/low': 'Track',
  'poc/yes/total/medium': 'Track*',
  'poc/yes/total/high': 'Attend',
  'active/no/partial/low': 'Track',
  'active/no/partial/medium': 'Track',
  'active/no/partial/high': 'Attend',
  'active/no/total/low': 'Track',
  'active/no/total/medium': 'Attend',
  'active/no/total/high': 'Act',
  'active/yes/partial/low': 'Attend',
  'active/yes/partial/medium': 'Attend',
  'active/yes/partial/high': 'Act',
  'active/yes/total/low': 'Attend',
  'active/yes/total/medium': 'Act',
  'active/yes/total/high': 'Act',
});

/** Looks a point up in the CISA coordinator table (total: every point has an outcome). */
export function ssvcOutcome(points: SsvcPoints): SsvcOutcome {
  const key: TableKey = `${points.exploitation}/${points.automatable}/${points.technical_impact}/${points.mission_wellbeing}`;
  return CISA_COORDINATOR_TABLE[key];
}

/** Parsed vectors: a scan names the same few hundred vectors a million times. Bounded; read-only maps. */
const parsedVectors = new Map<string, ReadonlyMap<string, string>>();

/** CVSS vector metrics as a map (`AV` → `N`); the `CVSS:x.y` prefix is dropped. */
export function parseCvssVector(vector: string): ReadonlyMap<string, string> {
  let metrics = parsedVectors.get(vector);
  if (metrics === undefined) {
    metrics = parseVector(vector);
    if (parsedVectors.size >= 10_000) parsedVectors.clear();
    parsedVectors.set(vector, metrics);
  }
  return metrics;
}

function parseVector(vector: string): Map<string, string> {
  const metrics = new Map<string, string>();
  for (const part of vector.trim().replace(/^\(|\)$/g, '').split('/')) {
    const [k, v] = part.split(':');
    if (k === undefined || v === undefined || k.toUpperCase() === 'CVSS') continue;
    metrics.set(k.toUpperCase(), v.toUpperCase());
  }
  return metrics;
}

/** Which CVSS generation a vector uses; decides the metric names (v4 VC/VI, v2 Au and C:C). */
function cvssGeneration(vulnerability: VulnerabilityRecord, m: ReadonlyMap<string, string>): 2 | 3 | 4 {
  const version = vulnerability.cvss?.version ?? '';
  const vector = vulnerability.cvss?.vector ?? '';
  if (version.startsWith('4') || /^CVSS:4/i.test(vector) || m.has('VC')) return 4;
  if (version.startsWith('2') || m.has('AU')) return 2;
  return 3;
}

/** The input of the SSVC mapping: closeloop facts, not SSVC values. */
export interface SsvcFacts {
  vulnerability: VulnerabilityRecord | null;
  asset: AssetRecord | null;
  /** A tied exploitation signal on this asset (the observed_exploitation rule held). */
  observedExploitation: boolean;
}

/** The decision points chosen, the outcome, and one fact line per point for `why`. */
export interface SsvcResult {
  points: SsvcPoints;
  outcome: SsvcOutcome;
  facts: string[];
}

/**
 * Maps closeloop facts to the CISA coordinator decision points and looks the outcome up. The
 * mapping (docs/decisions/escalation-semantics.md, "SSVC") is deliberately simple and explainable:
 * exploitation from KEV / exploitation / PoC (and local observed exploitation), automatable from
 * the CVSS vector, technical impact from CVSS C/I (or privileged asset), mission & well-being
 * from the asset's criticality flags.
 */
export function computeSsvc(facts: SsvcFacts, ruleset: Ruleset, options: { explain?: boolean } = {}): SsvcResult {
  const { vulnerability: v, asset } = facts;
  const lines: string[] = [];
  // a fact line for `why`, written only when explaining (`say?.(…)` does not even build its text)
  const say = options.explain !== false ? (line: string): void => void lines.push(line) : null;

  let exploitation: SsvcExploitation = 'none';
  if (v !== null && (v.kev !== null || v.exploitation === 'active')) {
    exploitation = 'active';
    say?.(`exploitation active: ${v.kev !== null ? 'listed in CISA KEV' : 'exploitation is active'}`);
  } else if (facts.observedExploitation) {
    exploitation = 'active';
    say?.('exploitation active: exploitation observed on this asset');
  } else if (v !== null && (v.exploitation === 'poc' || v.public_poc)) {
    exploitation = 'poc';
    say?.('exploitation poc: a public proof of concept exists');
  } else {
    say?.('exploitation none: not in KEV, no active exploitation, no public PoC');
  }

  const vector = v?.cvss?.vector ?? null;
  const metrics = vector === null ? new Map<string, string>() : parseCvssVector(vector);
  const generation = v === null ? 3 : cvssGeneration(v, metrics);

  let automatable: SsvcAutomatable = 'no';
  if (vector === null) {
    say?.('automatable no: no CVSS vector to judge from');
  } else {
    const network = metrics.get('AV') === 'N';
    const noPrivileges = generation === 2 ? metrics.get('AU') === 'N' : metrics.get('PR') === 'N';
    const noInteraction = generation === 2 ? true : metrics.get('UI') === 'N';
    const noRequirements = generation === 4 ? (metrics.get('AT') ?? 'N') === 'N' : true;
    automatable = network && noPrivileges && noInteraction && noRequirements ? 'yes' : 'no';
    say?.(
      `automatable ${automatable}: CVSS ${vector} ${automatable === 'yes' ? 'is' : 'is not'} network, no privileges, no user interaction${generation === 4 ? ', no attack requirements' : ''}`,
    );
  }

  let technical_impact: SsvcTechnicalImpact = 'partial';
  if (vector !== null) {
    const high = generation === 2 ? 'C' : 'H';
    const c = metrics.get(generation === 4 ? 'VC' : 'C') === high;
    const i = metrics.get(generation === 4 ? 'VI' : 'I') === high;
    if (c && i) {
      technical_impact = 'total';
      say?.('technical impact total: CVSS confidentiality and integrity impact are both high');
    } else if (asset?.privileged === true && (c || i)) {
      technical_impact = 'total';
      say?.('technical impact total: high confidentiality or integrity impact on a privileged asset');
    } else {
      say?.('technical impact partial: CVSS confidentiality and integrity are not both high');
    }
  } else if (v?.cvss !== null && v?.cvss !== undefined && v.cvss.base_score >= ruleset.ssvc.total_impact_score_without_vector) {
    technical_impact = 'total';
    say?.(
      `technical impact total: no vector, base score ${v.cvss.base_score} ≥ ${ruleset.ssvc.total_impact_score_without_vector}`,
    );
  } else {
    say?.('technical impact partial: no CVSS vector showing total control');
  }

  let mission_wellbeing: SsvcMissionWellbeing;
  if (asset === null) {
    mission_wellbeing = ruleset.ssvc.unknown_asset_mission_impact;
    say?.(`mission & well-being ${mission_wellbeing}: asset not in the inventory (ruleset default)`);
  } else if (asset.business_critical || asset.safety) {
    mission_wellbeing = 'high';
    say?.(
      `mission & well-being high: ${asset.business_critical ? 'business-critical (mission essential)' : 'safety-relevant (irreversible well-being impact)'}`,
    );
  } else if (asset.regulated.length > 0 || asset.customer_facing) {
    mission_wellbeing = 'medium';
    say?.(
      `mission & well-being medium: ${asset.regulated.length > 0 ? `regulated data (${asset.regulated.join(', ')})` : 'customer-facing'}`,
    );
  } else {
    mission_wellbeing = 'low';
    say?.('mission & well-being low: not business-critical, regulated, customer-facing or safety');
  }

  const points: SsvcPoints = { exploitation, automatable, technical_impact, mission_wellbeing };
  const outcome = ssvcOutcome(points);
  say?.(`CISA coordinator 2.0.3: ${exploitation}/${automatable}/${technical_impact}/${mission_wellbeing} → ${outcome}`);
  return { points, outcome, facts: lines };
}
