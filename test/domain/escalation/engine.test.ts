import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/domain/escalation/engine.js';
import { parseRuleset } from '../../../src/domain/escalation/ruleset.js';
import { readFileSync } from 'node:fs';
import { defaultRulesetPath, loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import type { Trigger } from '../../../src/domain/escalation/vocabulary.js';
import { isClError } from '../../../src/errors.js';
import { ASSET, CVE, KEV, scenario } from './builders.js';
import type { Scenario } from './builders.js';

const ruleset = loadDefaultRuleset();

type Row = [name: string, scenario: Scenario, fires: boolean];

function fires(trigger: Trigger, s: Scenario): boolean {
  return evaluate(scenario(s), ruleset).triggers.includes(trigger);
}

const OWNED = { owner: 'team-a' };

describe('observed_exploitation', () => {
  const rows: Row[] = [
    ['exploit_attempt naming the vulnerability', { signals: [{ kind: 'exploit_attempt', vulnerability: CVE }] }, true],
    ['vulnerability id compared case-insensitively', { signals: [{ kind: 'exploit_attempt', vulnerability: CVE.toLowerCase() }] }, true],
    ['suspicious_payload naming an alias of the finding', { finding: { aliases: ['GHSA-aaaa-bbbb-cccc'] }, signals: [{ kind: 'suspicious_payload', vulnerability: 'GHSA-aaaa-bbbb-cccc' }] }, true],
    ['abnormal_auth on the same component', { finding: { component: 'keycloak' }, signals: [{ kind: 'abnormal_auth', component: 'keycloak' }] }, true],
    ['post_exploit on the same component by purl name', { finding: { component: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1' }, signals: [{ kind: 'post_exploit', component: 'log4j-core' }] }, true],
    ['post_exploit on a not_affected finding (behaviour suggesting success)', { finding: { validation: 'not_affected' }, signals: [{ kind: 'post_exploit', vulnerability: CVE }] }, true],
    ['abnormal_auth on a false_positive finding', { finding: { validation: 'false_positive' }, signals: [{ kind: 'abnormal_auth', vulnerability: CVE }] }, true],
    ['no signals', {}, false],
    ['attempt on another asset', { signals: [{ kind: 'exploit_attempt', vulnerability: CVE, asset: 'asset-2' }] }, false],
    ['attempt on the asset, not tied to the path', { finding: { component: 'openssl' }, signals: [{ kind: 'exploit_attempt' }] }, false],
    ['attempt naming another vulnerability and another component', { finding: { component: 'openssl' }, signals: [{ kind: 'exploit_attempt', vulnerability: 'CVE-1999-0001', component: 'bash' }] }, false],
    ['component tie needs a finding component', { signals: [{ kind: 'exploit_attempt', component: 'openssl' }] }, false],
    ['attempt against a not_affected finding', { finding: { validation: 'not_affected' }, signals: [{ kind: 'exploit_attempt', vulnerability: CVE }] }, false],
    ['payload against a false_positive finding', { finding: { validation: 'false_positive' }, signals: [{ kind: 'suspicious_payload', vulnerability: CVE }] }, false],
    ['a compromise kind is not an exploitation kind', { signals: [{ kind: 'webshell', vulnerability: CVE }] }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('observed_exploitation', s)).toBe(expected);
  });

  it('lists the tying signal as evidence and explains untied ones', () => {
    const d = evaluate(
      scenario({
        finding: { component: 'openssl' },
        signals: [
          { id: 'tied', kind: 'exploit_attempt', vulnerability: CVE },
          { id: 'loose', kind: 'exploit_attempt' },
        ],
      }),
      ruleset,
    );
    expect(d.evidence).toContain('tied');
    expect(d.evidence).not.toContain('loose');
    const line = d.explanation.find((l) => l.rule === 'observed_exploitation');
    expect(line?.holds).toBe(true);
    expect(line?.facts.join('\n')).toMatch(/signal loose .*not tied/);
  });
});

describe('confirmed_compromise', () => {
  const kinds = [
    'unauthorized_access',
    'persistence',
    'webshell',
    'suspicious_process',
    'unusual_token',
    'lateral_movement',
    'data_access',
    'attacker_infrastructure',
  ] as const;
  const rows: Row[] = [
    ...kinds.map((kind): Row => [`${kind} on the asset, untied`, { signals: [{ kind }] }, true]),
    ['on a not_affected finding\'s asset', { finding: { validation: 'not_affected' }, signals: [{ kind: 'webshell' }] }, true],
    ['on a false_positive finding\'s asset', { finding: { validation: 'false_positive' }, signals: [{ kind: 'persistence' }] }, true],
    ['with the asset not in the inventory', { asset: null, signals: [{ kind: 'webshell' }] }, true],
    ['on another asset', { signals: [{ kind: 'webshell', asset: 'asset-2' }] }, false],
    ['exploitation kinds are not compromise', { signals: [{ kind: 'exploit_attempt', vulnerability: CVE }, { kind: 'post_exploit', vulnerability: CVE }] }, false],
    ['no signals', { vulnerability: KEV }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('confirmed_compromise', s)).toBe(expected);
  });
});

describe('dangerous_exposure', () => {
  const internet = { exposure: 'internet', ...OWNED } as const;
  const rows: Row[] = [
    ['KEV, internet, validated', { asset: internet, vulnerability: KEV, finding: { validation: 'validated' } }, true],
    ['active, unauthenticated, reachable', { asset: { auth_required: false, ...OWNED }, vulnerability: { exploitation: 'active' }, finding: { reachability: 'reachable' } }, true],
    ['exploitation poc, privileged, validated', { asset: { privileged: true, ...OWNED }, vulnerability: { exploitation: 'poc' }, finding: { validation: 'validated' } }, true],
    ['public_poc, business-critical, validated', { asset: { business_critical: true, ...OWNED }, vulnerability: { public_poc: true }, finding: { validation: 'validated' } }, true],
    ['ransomware, internet, validated', { asset: internet, vulnerability: { kev: { dateAdded: '2024-01-01', knownRansomwareCampaignUse: true } }, finding: { validation: 'validated' } }, true],
    ['no exploit pressure', { asset: internet, vulnerability: { cvss: { base_score: 10 } }, finding: { validation: 'validated' } }, false],
    ['EPSS alone is not exploit pressure (default ruleset)', { asset: internet, vulnerability: { epss: { score: 0.97, percentile: 1 } }, finding: { validation: 'validated' } }, false],
    ['internal only', { asset: { exposure: 'internal', ...OWNED }, vulnerability: KEV, finding: { validation: 'validated', reachability: 'reachable' } }, false],
    ['isolated, authenticated, non-critical', { asset: { exposure: 'isolated', ...OWNED }, vulnerability: KEV, finding: { validation: 'validated' } }, false],
    ['unvalidated with unknown reachability', { asset: internet, vulnerability: KEV }, false],
    ['validated but unreachable', { asset: internet, vulnerability: KEV, finding: { validation: 'validated', reachability: 'unreachable' } }, false],
    ['not_affected and reachable', { asset: internet, vulnerability: KEV, finding: { validation: 'not_affected', reachability: 'reachable' } }, false],
    ['false_positive and reachable', { asset: internet, vulnerability: KEV, finding: { validation: 'false_positive', reachability: 'reachable' } }, false],
    ['VEX not_affected on an unvalidated reachable finding', { asset: internet, vulnerability: KEV, finding: { reachability: 'reachable' }, advisories: [{ status: 'not_affected' }] }, false],
    ['VEX not_affected does not override a validation', { asset: internet, vulnerability: KEV, finding: { validation: 'validated' }, advisories: [{ status: 'not_affected' }] }, true],
    ['VEX for another product does not apply', { asset: internet, vulnerability: KEV, finding: { component: 'nginx', reachability: 'reachable' }, advisories: [{ status: 'not_affected', product: 'pkg:npm/left-pad' }] }, true],
    ['VEX for another version of the product does not apply', { asset: internet, vulnerability: KEV, finding: { component: 'nginx', version: '1.25.0', reachability: 'reachable' }, advisories: [{ status: 'not_affected', product: 'pkg:deb/debian/nginx@1.27.0' }] }, true],
    ['asset not in the inventory', { asset: null, vulnerability: KEV, finding: { validation: 'validated' } }, false],
    ['nothing known about the vulnerability', { asset: internet, vulnerability: null, finding: { validation: 'validated' } }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('dangerous_exposure', s)).toBe(expected);
  });

  it('counts EPSS as exploit pressure when the ruleset sets a threshold', () => {
    const text = readFileSync(defaultRulesetPath(), 'utf8').replace('epss_exploit_pressure: null', 'epss_exploit_pressure: 0.5');
    const epssRuleset = parseRuleset(text, 'epss.yaml');
    const input = scenario({ asset: { exposure: 'internet' }, vulnerability: { epss: { score: 0.97, percentile: 1 } }, finding: { validation: 'validated' } });
    expect(evaluate(input, epssRuleset).triggers).toContain('dangerous_exposure');
    expect(evaluate(input, ruleset).triggers).not.toContain('dangerous_exposure');
  });
});

describe('containment_needed', () => {
  const rows: Row[] = [
    ['finding flag true', { finding: { containment_needed: true } }, true],
    ['named action', { finding: { containment_needed: 'isolation' } }, true],
    ['alias in free text', { finding: { containment_needed: 'Reset account' } }, true],
    ['unknown action still an analyst flag', { finding: { containment_needed: 'pull the plug' } }, true],
    ['asset flag', { asset: { extra: { containment_needed: 'emergency-waf-rule' } } }, true],
    ['on a not_affected finding (analyst decision)', { finding: { validation: 'not_affected', containment_needed: 'service removal' } }, true],
    ['false', { finding: { containment_needed: false } }, false],
    ['string "no"', { finding: { containment_needed: 'No' } }, false],
    ['empty string', { finding: { containment_needed: '' } }, false],
    ['asset flag false', { asset: { extra: { containment_needed: false } } }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('containment_needed', s)).toBe(expected);
  });

  it('names the canonical action in the evidence', () => {
    const d = evaluate(scenario({ finding: { containment_needed: 'WAF rule' } }), ruleset);
    expect(d.evidence).toContain('containment:emergency_waf_rule');
  });
});

describe('scope_unknown', () => {
  const bc = { business_critical: true, ...OWNED };
  const unreachable = { reachability: 'unreachable' } as const;
  const rows: Row[] = [
    ['KEV, business-critical, no owner', { asset: { business_critical: true }, vulnerability: KEV, finding: unreachable }, true],
    ['blank owner is no owner', { asset: { business_critical: true, owner: '  ' }, vulnerability: KEV, finding: unreachable }, true],
    ['active, business-critical, no telemetry', { asset: { ...bc, telemetry: false }, vulnerability: { exploitation: 'active' }, finding: unreachable }, true],
    ['poc, business-critical, affected version unknown', { asset: bc, vulnerability: { public_poc: true }, finding: { ...unreachable, affected_version_known: false } }, true],
    ['KEV, business-critical, vendor scope unknown', { asset: bc, vulnerability: KEV, finding: { ...unreachable, vendor_scope_known: false } }, true],
    ['KEV, business-critical, vendor under_investigation', { asset: bc, vulnerability: KEV, finding: unreachable, advisories: [{ status: 'under_investigation' }] }, true],
    ['no gap', { asset: bc, vulnerability: KEV, finding: unreachable }, false],
    ['no exploit pressure', { asset: { business_critical: true, telemetry: false }, vulnerability: { cvss: { base_score: 9.9 } } }, false],
    ['not business-critical', { asset: { telemetry: false }, vulnerability: KEV }, false],
    ['asset not in the inventory', { asset: null, vulnerability: KEV, finding: { affected_version_known: false } }, false],
    ['not_affected', { asset: { business_critical: true, telemetry: false }, vulnerability: KEV, finding: { validation: 'not_affected' } }, false],
    ['false_positive', { asset: { business_critical: true }, vulnerability: KEV, finding: { validation: 'false_positive' } }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('scope_unknown', s)).toBe(expected);
  });
});

describe('regulated_impact', () => {
  const exposed = { vulnerability: KEV, finding: { validation: 'validated' } } as const;
  const rows: Row[] = [
    ['pii + data_access', { asset: { regulated: ['pii'] }, signals: [{ kind: 'data_access' }] }, true],
    ['phi + webshell', { asset: { regulated: ['phi'] }, signals: [{ kind: 'webshell' }] }, true],
    ['customer-facing + dangerous exposure', { asset: { customer_facing: true, exposure: 'internet', ...OWNED }, ...exposed }, true],
    ['safety + dangerous exposure', { asset: { safety: true, privileged: true, ...OWNED }, ...exposed }, true],
    ['regulated, no harm', { asset: { regulated: ['pci'] }, vulnerability: { cvss: { base_score: 10 } } }, false],
    ['regulated + exploit attempt only', { asset: { regulated: ['pci'] }, signals: [{ kind: 'exploit_attempt', vulnerability: CVE }] }, false],
    ['regulated + KEV without environment fit', { asset: { regulated: ['pci'], exposure: 'internet' }, vulnerability: KEV }, false],
    ['compromise without regulated scope', { signals: [{ kind: 'data_access' }] }, false],
    ['data_access on another asset', { asset: { regulated: ['pii'] }, signals: [{ kind: 'data_access', asset: 'asset-2' }] }, false],
    ['asset not in the inventory', { asset: null, signals: [{ kind: 'data_access' }] }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(fires('regulated_impact', s)).toBe(expected);
  });
});

describe('validate_urgently', () => {
  const rows: Row[] = [
    ['unvalidated KEV on the internet, reachability unknown', { asset: { exposure: 'internet' }, vulnerability: KEV }, true],
    ['unvalidated and reachable (already fires, still unvalidated)', { asset: { exposure: 'internet' }, vulnerability: KEV, finding: { reachability: 'reachable' } }, true],
    ['already validated', { asset: { exposure: 'internet', ...OWNED }, vulnerability: KEV, finding: { validation: 'validated' } }, false],
    ['unreachable', { asset: { exposure: 'internet' }, vulnerability: KEV, finding: { reachability: 'unreachable' } }, false],
    ['no pressure', { asset: { exposure: 'internet' }, vulnerability: { cvss: { base_score: 9.8 } } }, false],
    ['not critical reachability', { vulnerability: KEV }, false],
    ['not_affected', { asset: { exposure: 'internet' }, vulnerability: KEV, finding: { validation: 'not_affected' } }, false],
  ];
  it.each(rows)('%s → %s', (_name, s, expected) => {
    expect(evaluate(scenario(s), ruleset).flags.includes('validate_urgently')).toBe(expected);
  });
});

describe('stay reasons', () => {
  type StayRow = [string, Scenario, string[]];
  const rows: StayRow[] = [
    ['high score only', { vulnerability: { cvss: { base_score: 9.8, version: '3.1' } }, finding: { validation: 'validated' } }, ['high_score_only']],
    ['score exactly at the threshold', { vulnerability: { cvss: { base_score: 7.0 } }, finding: { validation: 'validated' } }, ['high_score_only']],
    ['score below the threshold', { vulnerability: { cvss: { base_score: 6.9 } }, finding: { validation: 'validated' } }, []],
    ['high score with reachability evidence', { vulnerability: { cvss: { base_score: 9.8 } }, finding: { validation: 'validated', reachability: 'reachable' } }, []],
    ['high score with impact evidence', { asset: { regulated: ['pii'] }, vulnerability: { cvss: { base_score: 9.8 } }, finding: { validation: 'validated' } }, []],
    ['high score with telemetry evidence', { vulnerability: { cvss: { base_score: 9.8 } }, finding: { validation: 'validated', component: 'x' }, signals: [{ kind: 'exploit_attempt' }] }, []],
    ['high score with EPSS evidence', { vulnerability: { cvss: { base_score: 9.8 }, epss: { score: 0.2, percentile: 0.96 } }, finding: { validation: 'validated' } }, []],
    ['high score with low EPSS', { vulnerability: { cvss: { base_score: 9.8 }, epss: { score: 0.01, percentile: 0.5 } }, finding: { validation: 'validated' } }, ['high_score_only']],
    ['PoC, unvalidated', { vulnerability: { public_poc: true } }, ['poc_without_environment_fit', 'unvalidated_scanner_finding']],
    ['PoC, validated but unreachable', { vulnerability: { exploitation: 'poc' }, finding: { validation: 'validated', reachability: 'unreachable' } }, ['poc_without_environment_fit', 'unreachable']],
    ['PoC with environment fit, internal', { vulnerability: { public_poc: true }, finding: { validation: 'validated' } }, []],
    ['unvalidated scanner finding', { finding: { source: 'grype' } }, ['unvalidated_scanner_finding']],
    ['vendor advisory, validated but unreachable', { vulnerability: { vendor_advisory: true }, finding: { validation: 'validated', reachability: 'unreachable' } }, ['unreachable']],
    ['vendor advisory, validated', { vulnerability: { vendor_advisory: true }, finding: { validation: 'validated' } }, []],
    ['vendor advisory, unvalidated, no signals', { vulnerability: { vendor_advisory: true } }, ['unvalidated_scanner_finding', 'vendor_advisory_only']],
    ['vendor advisory with a signal on the asset', { vulnerability: { vendor_advisory: true }, signals: [{ kind: 'exploit_attempt' }] }, ['unvalidated_scanner_finding']],
    ['all four', { vulnerability: { cvss: { base_score: 8 }, public_poc: true, vendor_advisory: true } }, ['poc_without_environment_fit', 'unvalidated_scanner_finding', 'vendor_advisory_only']],
  ];
  it.each(rows)('%s → %j', (_name, s, expected) => {
    const d = evaluate(scenario(s), ruleset);
    expect(d.outcome).toBe('stay');
    expect(d.stay_reasons).toEqual(expected);
  });

  it('high score with public PoC is not "high score only" (exploitability evidence)', () => {
    const d = evaluate(scenario({ vulnerability: { cvss: { base_score: 9 }, public_poc: true } }), ruleset);
    expect(d.stay_reasons).not.toContain('high_score_only');
  });

  it('escalations carry no stay reasons', () => {
    const d = evaluate(scenario({ vulnerability: { cvss: { base_score: 9.8 } }, signals: [{ kind: 'webshell' }] }), ruleset);
    expect(d.outcome).toBe('escalate');
    expect(d.stay_reasons).toEqual([]);
  });
});

describe('next actions', () => {
  type ActionRow = [string, Scenario, string[]];
  const rows: ActionRow[] = [
    ['unvalidated, fix unknown', {}, ['validate', 'patch']],
    ['validated, fix available', { vulnerability: { fix_available: true }, finding: { validation: 'validated' } }, ['patch']],
    ['validated, no fix', { vulnerability: { fix_available: false }, finding: { validation: 'validated' } }, ['mitigate']],
    ['version unknown asks for validation', { finding: { validation: 'validated', affected_version_known: false } }, ['validate', 'patch']],
    ['exploit pressure adds mitigate and monitor', { vulnerability: KEV, finding: { validation: 'validated' } }, ['patch', 'mitigate', 'monitor']],
    ['not affected: monitor only', { vulnerability: KEV, finding: { validation: 'not_affected' } }, ['monitor']],
    ['false positive: monitor only', { finding: { validation: 'false_positive' } }, ['monitor']],
    ['escalation keeps VR work moving', { signals: [{ kind: 'webshell' }] }, ['validate', 'patch', 'mitigate', 'monitor']],
  ];
  it.each(rows)('%s → %j', (_name, s, expected) => {
    expect(evaluate(scenario(s), ruleset).next_actions).toEqual(expected);
  });
});

describe('decision shape', () => {
  it('has exactly the FORMATS.md triage fields plus the explanation', () => {
    const d = evaluate(scenario({ vulnerability: KEV, signals: [{ kind: 'webshell' }] }), ruleset);
    expect(Object.keys(d)).toEqual([
      'finding',
      'asset',
      'vulnerability',
      'outcome',
      'triggers',
      'stay_reasons',
      'flags',
      'next_actions',
      'ssvc',
      'evidence',
      'explanation',
    ]);
    expect(d).toMatchObject({ finding: 'finding-1', asset: ASSET, vulnerability: CVE, outcome: 'escalate' });
    expect(d.evidence).toEqual(['sig-1', `kev:${CVE}`]);
  });

  it('reports every trigger that fires, in vocabulary order', () => {
    const d = evaluate(
      scenario({
        asset: { exposure: 'internet', business_critical: true, regulated: ['pii'], telemetry: false },
        vulnerability: KEV,
        finding: { validation: 'validated', containment_needed: 'isolation' },
        signals: [
          { kind: 'exploit_attempt', vulnerability: CVE },
          { kind: 'data_access' },
        ],
      }),
      ruleset,
    );
    expect(d.triggers).toEqual([
      'observed_exploitation',
      'confirmed_compromise',
      'dangerous_exposure',
      'containment_needed',
      'scope_unknown',
      'regulated_impact',
    ]);
  });

  it('explains with rule lines that name the facts', () => {
    const d = evaluate(
      scenario({ asset: { exposure: 'internet', ...OWNED }, vulnerability: KEV, finding: { validation: 'validated' } }),
      ruleset,
    );
    const byRule = new Map(d.explanation.map((l) => [l.rule, l]));
    expect(byRule.get('dangerous_exposure.exploit_pressure')).toMatchObject({ holds: true });
    expect(byRule.get('dangerous_exposure.exploit_pressure')?.facts[0]).toContain('CISA KEV (added 2021-12-10)');
    expect(byRule.get('dangerous_exposure.critical_reachability')?.facts).toEqual([`asset ${ASSET} exposure is internet`]);
    expect(byRule.get('dangerous_exposure')).toMatchObject({ holds: true });
    expect(byRule.get('outcome')).toEqual({ rule: 'outcome', holds: true, facts: ['escalate: dangerous_exposure'] });
    expect(byRule.get('ssvc')?.facts.at(-1)).toContain('→');
  });

  it('explains a stay with the stay-reason lines', () => {
    const d = evaluate(scenario({ vulnerability: { cvss: { base_score: 9.8 } } }), ruleset);
    const rules = d.explanation.filter((l) => l.rule.startsWith('stay.')).map((l) => [l.rule, l.holds]);
    expect(rules).toEqual([
      ['stay.high_score_only', true],
      ['stay.poc_without_environment_fit', false],
      ['stay.unvalidated_scanner_finding', true],
      ['stay.vendor_advisory_only', false],
      ['stay.ruled_out', false],
      ['stay.unreachable', false],
    ]);
  });

  it('mentions signals about the vulnerability seen on other assets', () => {
    const d = evaluate(scenario({ signals: [{ kind: 'exploit_attempt', vulnerability: CVE, asset: 'asset-7' }] }), ruleset);
    const facts = d.explanation.find((l) => l.rule === 'observed_exploitation')?.facts ?? [];
    expect(facts.join(' ')).toContain('other assets (asset-7)');
  });

  it('records VEX statements as evidence', () => {
    const d = evaluate(scenario({ advisories: [{ status: 'not_affected', source: 'openvex.json', justification: 'component_not_present' }] }), ruleset);
    expect(d.evidence).toContain('vex:not_affected:openvex.json');
    expect(d.explanation.find((l) => l.rule === 'applicability')?.holds).toBe(false);
  });

  it('refuses an asset or vulnerability that is not the finding\'s', () => {
    const input = scenario();
    const wrongAsset = { ...input, asset: input.asset === null ? null : { ...input.asset, id: 'other' } };
    const wrongVuln = { ...input, vulnerability: input.vulnerability === null ? null : { ...input.vulnerability, id: 'CVE-1999-0001' } };
    for (const bad of [wrongAsset, wrongVuln]) {
      let caught: unknown;
      try {
        evaluate(bad, ruleset);
      } catch (err) {
        caught = err;
      }
      expect(isClError(caught) && caught.code === 'CL_BAD_INPUT').toBe(true);
    }
  });

  it('accepts a vulnerability record filed under an alias of the finding', () => {
    const input = scenario({ finding: { aliases: ['GHSA-jfh8-c2jp-5v3q'] } });
    const vuln = input.vulnerability === null ? null : { ...input.vulnerability, id: 'GHSA-jfh8-c2jp-5v3q' };
    expect(evaluate({ ...input, vulnerability: vuln }, ruleset).vulnerability).toBe(CVE);
  });

  it('is deterministic and does not mutate its input', () => {
    const input = scenario({ vulnerability: KEV, signals: [{ kind: 'webshell' }] });
    const before = JSON.stringify(input);
    const a = evaluate(input, ruleset);
    const b = evaluate(input, ruleset);
    expect(a).toEqual(b);
    expect(JSON.stringify(input)).toBe(before);
  });
});
