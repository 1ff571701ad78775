/**
 * Test data builders for the escalation engine: FORMATS.md defaults plus overrides, so each
 * table row states only what matters to it.
 */
import {
  assetWithDefaults,
  findingWithDefaults,
  signalWithDefaults,
  vulnerabilityWithDefaults,
} from '../../../src/domain/escalation/defaults.js';
import type { AssetInput, FindingInput, SignalInput, VulnerabilityInput } from '../../../src/domain/escalation/defaults.js';
import type { EvaluationInput } from '../../../src/domain/escalation/engine.js';
import type { AdvisoryStatement } from '../../../src/domain/records.js';

export const ASSET = 'asset-1';
export const CVE = 'CVE-2026-0001';

export interface Scenario {
  asset?: Partial<AssetInput> | null;
  vulnerability?: Partial<VulnerabilityInput> | null;
  finding?: Partial<FindingInput>;
  signals?: Array<Partial<SignalInput> & Pick<SignalInput, 'kind'>>;
  advisories?: Array<Partial<AdvisoryStatement> & Pick<AdvisoryStatement, 'status'>>;
}

/** Builds an engine input: asset `asset-1`, vulnerability `CVE-2026-0001`, finding `finding-1`. */
export function scenario(s: Scenario = {}): EvaluationInput {
  const asset = s.asset === null ? null : assetWithDefaults({ id: ASSET, ...s.asset });
  const vulnerability = s.vulnerability === null ? null : vulnerabilityWithDefaults({ id: CVE, ...s.vulnerability });
  const finding = findingWithDefaults({ id: 'finding-1', asset: ASSET, vulnerability: CVE, ...s.finding });
  const signals = (s.signals ?? []).map((x, i) =>
    signalWithDefaults({ id: `sig-${i + 1}`, time: '2026-11-02T10:00:00Z', asset: ASSET, ...x }),
  );
  const advisories = (s.advisories ?? []).map((a, i) => ({
    vulnerability: CVE,
    product: null,
    justification: null,
    statement: null,
    source: `vex-${i + 1}.json`,
    ...a,
  }));
  return { finding, asset, vulnerability, signals, advisories };
}

export const KEV = { kev: { dateAdded: '2021-12-10' } } as const;
