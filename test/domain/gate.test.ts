import { describe, expect, it } from 'vitest';
import { effectiveRiskState, evaluateGate, type GateInput } from '../../src/domain/gate.js';
import type { RiskState } from '../../src/domain/incident.js';

const ROLES = ['ir_lead', 'service_owner'];

/** A snapshot in which every obligation holds; each row below breaks one thing. */
function complete(over: Partial<GateInput> = {}): GateInput {
  return {
    weaknesses: [{ id: 'WK-1', type: 'technical', vendor: null }],
    noneIdentifiedRationale: null,
    reportoutSent: true,
    requiredRoles: ROLES,
    notifications: ROLES.map((role) => ({ role, status: 'delivered', delivered_at: '2026-11-28T10:00:00Z' })),
    acknowledgedRoles: ROLES,
    remediation: [{ weakness_id: 'WK-1', status: 'open' }],
    risks: [],
    notices: [],
    today: '2026-11-28',
    ...over,
  };
}

describe('closure gate', () => {
  it('passes when every item holds', () => {
    expect(evaluateGate(complete())).toEqual([]);
  });

  it('passes for a none-identified report-out with a rationale', () => {
    expect(evaluateGate(complete({ weaknesses: [], remediation: [], noneIdentifiedRationale: 'phishing blocked at the gateway' }))).toEqual([]);
  });

  const rows: [string, Partial<GateInput>, { item: string; subject: string | null; text: string }[]][] = [
    ['empty report-out', { weaknesses: [], remediation: [] }, [{ item: 'reportout_complete', subject: null, text: 'lists no weakness' }]],
    [
      'report-out never sent',
      { reportoutSent: false, notifications: [] },
      [
        { item: 'roles_notified', subject: 'ir_lead', text: 'role ir_lead has not been sent the report-out' },
        { item: 'roles_notified', subject: 'service_owner', text: 'role service_owner has not been sent the report-out' },
      ],
    ],
    [
      'queued but not delivered',
      { notifications: [{ role: 'ir_lead', status: 'delivered', delivered_at: '2026-11-28T10:00:00Z' }, { role: 'service_owner', status: 'queued', delivered_at: null }] },
      [{ item: 'roles_notified', subject: 'service_owner', text: 'no delivery evidence yet (queued)' }],
    ],
    ['a role has not acknowledged', { acknowledgedRoles: ['ir_lead'] }, [{ item: 'roles_acknowledged', subject: 'service_owner', text: 'role service_owner has not acknowledged the report-out' }]],
    ['weakness without follow-through', { remediation: [] }, [{ item: 'weakness_followthrough', subject: 'WK-1', text: 'no remediation item and no approved risk acceptance' }]],
    [
      'only a requested risk acceptance',
      { remediation: [], risks: [{ weakness_id: 'WK-1', state: 'requested', review_by: '2027-01-01' }] },
      [{ item: 'weakness_followthrough', subject: 'WK-1', text: 'still awaiting approval' }],
    ],
    [
      'approved risk acceptance past its review date',
      { remediation: [], risks: [{ weakness_id: 'WK-1', state: 'approved', review_by: '2026-11-28' }] },
      [{ item: 'weakness_followthrough', subject: 'WK-1', text: 'has expired' }],
    ],
    [
      'third-party weakness, notice never sent',
      { weaknesses: [{ id: 'WK-1', type: 'third_party', vendor: 'acme' }], notices: [{ weakness_id: 'WK-1', sent_at: null, response: null, chased_at: null }] },
      [{ item: 'third_party_notice', subject: 'WK-1', text: 'no notice has been sent to acme' }],
    ],
    [
      'third-party weakness, no response and not chased',
      { weaknesses: [{ id: 'WK-1', type: 'third_party', vendor: 'acme' }], notices: [{ weakness_id: 'WK-1', sent_at: '2026-11-20T00:00:00Z', response: null, chased_at: null }] },
      [{ item: 'third_party_notice', subject: 'WK-1', text: 'acme has not responded' }],
    ],
  ];

  it.each(rows)('%s → lists exactly the missing items', (_name, over, expected) => {
    const missing = evaluateGate(complete(over));
    expect(missing.map((m) => ({ item: m.item, subject: m.subject }))).toEqual(expected.map(({ item, subject }) => ({ item, subject })));
    expected.forEach((e, i) => expect(missing[i]?.message).toContain(e.text));
  });

  it('an approved, unexpired risk acceptance satisfies follow-through', () => {
    expect(evaluateGate(complete({ remediation: [], risks: [{ weakness_id: 'WK-1', state: 'approved', review_by: '2026-11-29' }] }))).toEqual([]);
  });

  it('a chased vendor notice satisfies the third-party item', () => {
    const over: Partial<GateInput> = { weaknesses: [{ id: 'WK-1', type: 'third_party', vendor: 'acme' }], notices: [{ weakness_id: 'WK-1', sent_at: '2026-11-20T00:00:00Z', response: null, chased_at: '2026-11-27T00:00:00Z' }] };
    expect(evaluateGate(complete(over))).toEqual([]);
  });

  it('lists every missing item at once, not only the first', () => {
    const missing = evaluateGate(complete({ weaknesses: [{ id: 'WK-1', type: 'third_party', vendor: 'acme' }], reportoutSent: false, notifications: [], acknowledgedRoles: [], remediation: [] }));
    expect(new Set(missing.map((m) => m.item))).toEqual(new Set(['roles_notified', 'roles_acknowledged', 'weakness_followthrough', 'third_party_notice']));
    expect(missing).toHaveLength(6);
  });
});

describe('risk acceptance expiry', () => {
  it.each<[RiskState, string, RiskState]>([
    ['approved', '2026-11-29', 'approved'],
    ['approved', '2026-11-28', 'expired'],
    ['approved', '2026-01-01', 'expired'],
    ['requested', '2026-01-01', 'requested'],
    ['rejected', '2026-01-01', 'rejected'],
  ])('%s with review date %s is %s on 2026-11-28', (state, review_by, expected) => {
    expect(effectiveRiskState({ state, review_by }, '2026-11-28')).toBe(expected);
  });
});
