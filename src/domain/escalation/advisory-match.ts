/**
 * Which advisory statements (CSAF / OpenVEX) speak about a finding. Importers already turn
 * `not_affected` into the finding's validation; the engine applies the same statements again so a
 * decision replayed from its inputs explains itself (`vex:` evidence) and needs no import history.
 */
import type { AdvisoryStatement, AssetRecord, FindingFacts } from '../records.js';

interface ProductName {
  name: string;
  version: string | null;
}

/** `pkg:npm/%40scope/name@1.2.3?x#y` → name + version; CPE 2.2/2.3 → product + version; else the text. */
export function productName(raw: string): ProductName {
  const text = raw.trim().toLowerCase();
  if (text.startsWith('pkg:')) {
    const noQualifiers = text.split(/[?#]/)[0] ?? text;
    const at = noQualifiers.lastIndexOf('@');
    const path = at > 0 ? noQualifiers.slice(0, at) : noQualifiers;
    const version = at > 0 ? decodeURIComponent(noQualifiers.slice(at + 1)) : null;
    const name = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    return { name, version: version === '' ? null : version };
  }
  if (text.startsWith('cpe:2.3:') || text.startsWith('cpe:/')) {
    const parts = text.startsWith('cpe:/') ? text.slice(5).split(':') : text.split(':').slice(2);
    const name = parts[2] ?? text;
    const v = parts[3];
    return { name, version: v === undefined || v === '*' || v === '-' || v === '' ? null : v };
  }
  return { name: text, version: null };
}

/**
 * Does a statement's product cover this finding? A null product covers every product; otherwise
 * the product's name must equal the finding's component (purl/CPE names compared by name) or the
 * asset's id or name, and a version in the product must equal the finding's version when both are
 * known (a statement about 2.17.1 says nothing about 2.14.1).
 */
export function productCovers(
  product: string | null,
  finding: FindingFacts,
  asset: AssetRecord | null,
): boolean {
  if (product === null) return true;
  const p = productName(product);
  const whole = product.trim().toLowerCase();
  if (finding.component !== null) {
    const c = productName(finding.component);
    const componentWhole = finding.component.trim().toLowerCase();
    if (whole === componentWhole || p.name === c.name) {
      const findingVersion = finding.version?.trim().toLowerCase() ?? c.version;
      return p.version === null || findingVersion === null || p.version === findingVersion;
    }
  }
  const assetNames = asset === null ? [] : [asset.id, asset.name].filter((n): n is string => n !== null);
  return assetNames.some((n) => {
    const a = n.trim().toLowerCase();
    return a === whole || a === p.name;
  });
}

/** A vulnerability id as ids are compared (a finding's, an alias, a statement's): trimmed, lower-case. */
export function vulnerabilityKey(id: string): string {
  return id.trim().toLowerCase();
}

/** Lower-cased vulnerability ids the finding answers to (its id and the scanner's aliases). */
export function findingVulnerabilityIds(finding: FindingFacts): Set<string> {
  return new Set([finding.vulnerability, ...finding.aliases].map(vulnerabilityKey));
}

/** The statements about this finding's vulnerability (or an alias) and product. */
export function statementsFor(
  advisories: readonly AdvisoryStatement[],
  finding: FindingFacts,
  asset: AssetRecord | null,
): AdvisoryStatement[] {
  if (advisories.length === 0) return [];
  const ids = findingVulnerabilityIds(finding);
  return advisories.filter(
    (a) => ids.has(vulnerabilityKey(a.vulnerability)) && productCovers(a.product, finding, asset),
  );
}
