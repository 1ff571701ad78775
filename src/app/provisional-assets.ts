/**
 * The asset made for a report's target that no inventory asset claims (docs/importing.md,
 * "Provisional assets"). It is not in the inventory and has no owner. Its exposure is `unknown`
 * unless a network scanner reported the host's IP address:
 *
 * | the host's address                                              | exposure   |
 * |-----------------------------------------------------------------|------------|
 * | globally routable unicast (IPv4 or IPv6)                        | `internet` |
 * | private (RFC 1918), shared (RFC 6598), loopback, link-local, ULA | `internal` |
 * | anything else (reserved, documentation, multicast), or none     | `unknown`  |
 *
 * The reason is kept as `extra.exposure_basis`, and the handoff note names it. The rule applies
 * only when the asset is made: an inventory import, or a person, says otherwise and wins.
 */
import ipaddr from 'ipaddr.js';
import { assetWithDefaults } from '../domain/escalation/index.js';
import type { AssetRecord, Exposure } from '../domain/records.js';
import type { AssetRef } from '../ingest/types.js';

const INTERNAL_RANGES = new Set(['private', 'carrierGradeNat', 'loopback', 'linkLocal', 'uniqueLocal']);

/** The exposure a host's address implies, with its reason; null when the address says nothing. */
export function exposureFromAddress(address: string | null): { exposure: Exposure; basis: string } | null {
  if (address === null || !ipaddr.isValid(address.trim())) return null;
  const ip = ipaddr.process(address.trim());
  const range = ip.range();
  const shown = ip.toString();
  if (range === 'unicast') return { exposure: 'internet', basis: `address ${shown} is globally routable` };
  if (INTERNAL_RANGES.has(range)) return { exposure: 'internal', basis: `address ${shown} is not routable from the internet (${range})` };
  return null;
}

/** A provisional asset for a target nothing in the inventory matched. */
export function provisionalAsset(ref: AssetRef): AssetRecord {
  const extra: Record<string, unknown> = {};
  if (ref.target_type) extra.target_type = ref.target_type;
  let exposure: Exposure = 'unknown';
  const host = ref.host ?? null;
  if (host !== null) {
    const seen = Object.fromEntries(Object.entries(host).filter(([, v]) => v !== null));
    if (Object.keys(seen).length > 0) extra.host = seen;
    const implied = exposureFromAddress(host.ip);
    if (implied !== null) {
      exposure = implied.exposure;
      extra.exposure_basis = implied.basis;
    }
  }
  return { ...assetWithDefaults({ id: ref.id, name: ref.name, components: ref.components, extra, exposure }), not_in_inventory: true };
}

/**
 * Whether a provisional asset made with exposure `unknown` (a report named the host without its
 * address) takes the exposure a later network scanner's view implies. Once known, an exposure is
 * never changed by a scan, and an inventory asset's never.
 */
export function learnsExposure(known: { exposure: string; provisional: boolean }, seen: AssetRecord): boolean {
  return known.provisional && known.exposure === 'unknown' && seen.exposure !== 'unknown';
}
