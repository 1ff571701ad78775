import type { AdvisoryStatement, AssetRecord, EpssFacts, FindingFacts, FindingRecord, KevFacts, SignalRecord, VulnerabilityRecord } from '../domain/records.js';
import { evaluate, vulnerabilityWithDefaults, type Decision, type EvaluateOptions, type EvaluationInput, type Ruleset } from '../domain/escalation/index.js';
import type { ImportItem } from '../ingest/types.js';
import { AliasIndex } from '../domain/asset-identity.js';
import { learnsExposure, provisionalAsset } from './provisional-assets.js';

const EXPLOITATION_ORDER: readonly VulnerabilityRecord['exploitation'][] = ['none', 'poc', 'active'];

/**
 * A scanner report's facts about a vulnerability that is already known: they only fill what the
 * known record lacks (CVSS, EPSS, title, fix availability, references). Exploit facts only add: a
 * scanner that says an exploit is public (Nessus `exploit_available`, Qualys threat intelligence)
 * or exploited by malware raises `public_poc` / `exploitation`, never lowers them. The importer
 * stores exactly this, and triage reads it.
 */
export function scannerFillsGaps(known: VulnerabilityRecord, v: VulnerabilityRecord): VulnerabilityRecord {
  const stronger = EXPLOITATION_ORDER.indexOf(v.exploitation) > EXPLOITATION_ORDER.indexOf(known.exploitation);
  return {
    ...known,
    public_poc: known.public_poc || v.public_poc,
    exploitation: stronger ? v.exploitation : known.exploitation,
    cvss: known.cvss ?? v.cvss,
    epss: known.epss ?? v.epss,
    title: known.title ?? v.title,
    fix_available: known.fix_available ?? v.fix_available,
    references: known.references.length > 0 ? known.references : v.references,
    // where the exploit facts came from (`extra.exploit`, written by the scanner importers)
    extra: known.extra.exploit === undefined && v.extra.exploit !== undefined ? { ...known.extra, exploit: v.extra.exploit } : known.extra,
  };
}

/**
 * What the escalation engine needs to know beside a finding: the inventory, advisory facts, KEV
 * and EPSS, telemetry and VEX statements, indexed for lookup by finding. Built from files
 * (`triage --assets …`) or from the store; the same evaluation runs over both.
 */
export class Knowledge {
  readonly assets = new Map<string, AssetRecord>();
  readonly vulnerabilities = new Map<string, VulnerabilityRecord>();
  readonly kev = new Map<string, KevFacts>();
  readonly epss = new Map<string, EpssFacts>();
  readonly signalsByAsset = new Map<string, SignalRecord[]>();
  readonly advisoriesByVulnerability = new Map<string, AdvisoryStatement[]>();
  /** Inventory assets by id and alias, for the targets of reports read after them. */
  private readonly index = new AliasIndex();
  /** Report targets → the asset each matched (itself when provisional). */
  private readonly targets = new Map<string, string>();

  /** The asset a report's target matched (docs/importing.md); the target itself when nothing matched. */
  assetOf(target: string): string {
    return this.targets.get(target) ?? this.index.match({ id: target, name: null, target_type: null }) ?? target;
  }

  /** Adds one parsed item. Explicit records win over what a scanner report says in passing. */
  add(item: ImportItem): void {
    switch (item.kind) {
      case 'asset':
        this.assets.set(item.record.id, item.record);
        this.index.add(item.record.id, item.record.aliases ?? []);
        break;
      case 'asset_ref': {
        const matched = this.index.match(item.record);
        this.targets.set(item.record.id, matched ?? item.record.id);
        // a target no inventory asset matches is provisional: never decided as if its exposure were known
        if (matched === null) {
          const known = this.assets.get(item.record.id);
          const seen = provisionalAsset(item.record);
          // a provisional host first named without its address takes the exposure a later scan implies
          if (known === undefined || learnsExposure({ exposure: known.exposure, provisional: known.not_in_inventory === true }, seen)) this.assets.set(item.record.id, seen);
        }
        break;
      }
      case 'vulnerability':
        this.addVulnerability(item.record, false);
        break;
      case 'signal': {
        const asset = this.index.match({ id: item.record.asset, name: null, target_type: null }) ?? item.record.asset;
        const signal = asset === item.record.asset ? item.record : { ...item.record, asset };
        const list = this.signalsByAsset.get(asset);
        if (list) list.push(signal);
        else this.signalsByAsset.set(asset, [signal]);
        break;
      }
      case 'advisory': {
        const list = this.advisoriesByVulnerability.get(item.record.vulnerability);
        if (list) list.push(item.record);
        else this.advisoriesByVulnerability.set(item.record.vulnerability, [item.record]);
        break;
      }
      case 'kev':
        this.kev.set(item.record.cve, { dateAdded: item.record.dateAdded, dueDate: item.record.dueDate, knownRansomwareCampaignUse: item.record.knownRansomwareCampaignUse });
        break;
      case 'epss':
        this.epss.set(item.record.cve, { score: item.record.score, percentile: item.record.percentile, date: item.record.date });
        break;
      case 'finding':
      case 'skipped':
        break;
    }
  }

  /**
   * A vulnerabilities file is authoritative (`authoritative`): it replaces what a scanner said. A
   * scanner's facts only fill a vulnerability that is not known yet, or fields it lacks.
   */
  addVulnerability(v: VulnerabilityRecord, authoritative = true): void {
    const known = this.vulnerabilities.get(v.id);
    if (!known) {
      this.vulnerabilities.set(v.id, v);
      return;
    }
    if (authoritative) {
      this.vulnerabilities.set(v.id, { ...v, cvss: v.cvss ?? known.cvss, title: v.title ?? known.title, fix_available: v.fix_available ?? known.fix_available });
      return;
    }
    this.vulnerabilities.set(v.id, scannerFillsGaps(known, v));
  }

  /** The vulnerability as the engine sees it: KEV and EPSS files win over inline values. */
  vulnerabilityFor(id: string): VulnerabilityRecord | null {
    const base = this.vulnerabilities.get(id) ?? null;
    const kev = this.kev.get(id);
    const epss = this.epss.get(id);
    if (!base && !kev && !epss) return null;
    const v = base ?? vulnerabilityWithDefaults({ id });
    if (!kev && !epss) return v;
    return { ...v, kev: kev ?? v.kev, epss: epss ?? v.epss };
  }

  /** Everything the engine reads about one finding. */
  inputFor<F extends FindingFacts>(finding: F): EvaluationInput<F> {
    const advisories: AdvisoryStatement[] = [];
    if (this.advisoriesByVulnerability.size > 0) {
      for (const id of [finding.vulnerability, ...finding.aliases]) advisories.push(...(this.advisoriesByVulnerability.get(id) ?? []));
    }
    return {
      finding,
      asset: this.assets.get(finding.asset) ?? null,
      vulnerability: this.vulnerabilityFor(finding.vulnerability),
      signals: this.signalsByAsset.get(finding.asset) ?? [],
      advisories,
    };
  }

  decide(finding: FindingRecord, ruleset: Ruleset, options: EvaluateOptions = {}): { input: EvaluationInput; decision: Decision } {
    const input = this.inputFor(finding);
    return { input, decision: evaluate(input, ruleset, options) };
  }
}

/** One decision in the FORMATS.md triage output shape (no explanation: `closeloop why` has it). */
export function presentDecision(d: Decision) {
  return {
    finding: d.finding,
    asset: d.asset,
    vulnerability: d.vulnerability,
    outcome: d.outcome,
    triggers: d.triggers,
    stay_reasons: d.stay_reasons,
    flags: d.flags,
    next_actions: d.next_actions,
    ssvc: d.ssvc,
    evidence: d.evidence,
  };
}
export type PresentedDecision = ReturnType<typeof presentDecision>;
