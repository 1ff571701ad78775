/**
 * Which incident an escalation belongs to (SPEC §2: "an escalation opens a new incident or links
 * to an open one for the same asset/vulnerability"), so that one event is one incident: a
 * compromised host is one incident however many findings it has, and one exploited vulnerability
 * across a fleet is one campaign incident naming every affected asset. The rule and its reasons:
 * docs/decisions/incident-grouping.md.
 */
import type { Trigger } from './vocabulary.js';

/** Triggers about what happened on a host: their escalations group by asset. */
export const ASSET_TRIGGERS: readonly Trigger[] = ['observed_exploitation', 'confirmed_compromise', 'containment_needed'];

/** How an escalation is grouped: by its asset, or by its vulnerability (aliases resolved). */
export interface Grouping {
  kind: 'asset' | 'vulnerability';
  /** The key named in titles and summaries: `asset:<id>` or `vuln:<canonical id>`. */
  key: string;
  /**
   * Every key it matches an incident by: the asset key alone, or the vulnerability key of the
   * canonical id, the finding's vulnerability id and each alias (a GHSA-only finding meets the
   * incident of the CVE whose finding listed that GHSA).
   */
  keys: string[];
}

const CVE = /^CVE-(\d{4})-(\d{4,})$/i;

function normalId(id: string): string {
  const t = id.trim();
  return CVE.test(t) ? t.toUpperCase() : t;
}

function cveOrder(a: string, b: string): number {
  const ma = CVE.exec(a);
  const mb = CVE.exec(b);
  return Number(ma?.[1] ?? 0) - Number(mb?.[1] ?? 0) || Number(ma?.[2] ?? 0) - Number(mb?.[2] ?? 0);
}

/** The id one vulnerability is known by whatever the scanner called it: the lowest CVE among its ids, else its own id. */
export function canonicalVulnerability(vulnerability: string, aliases: readonly string[]): string {
  const cves = [vulnerability, ...aliases].map(normalId).filter((id) => CVE.test(id)).sort(cveOrder);
  return cves[0] ?? normalId(vulnerability);
}

/**
 * The grouping of an escalation from the triggers its decision fired. Signal-driven triggers
 * (`observed_exploitation`, `confirmed_compromise`) and `containment_needed` group by asset,
 * whatever else fired; `regulated_impact` follows the trigger that made it fire (harm shown by a
 * signal → asset; dangerous exposure → vulnerability); the exposure-driven rest group by
 * vulnerability.
 */
export function groupingOf(d: { asset: string; vulnerability: string; triggers: readonly Trigger[] }, aliases: readonly string[]): Grouping {
  const byAsset =
    d.triggers.some((t) => ASSET_TRIGGERS.includes(t)) || (d.triggers.includes('regulated_impact') && !d.triggers.includes('dangerous_exposure'));
  if (byAsset) {
    const key = `asset:${d.asset}`;
    return { kind: 'asset', key, keys: [key] };
  }
  const canonical = canonicalVulnerability(d.vulnerability, aliases);
  const ids = [canonical, normalId(d.vulnerability), ...aliases.map(normalId)].filter((id) => id !== '');
  return { kind: 'vulnerability', key: `vuln:${canonical}`, keys: [...new Set(ids)].map((id) => `vuln:${id}`) };
}
