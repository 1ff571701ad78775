// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { GateMissing, IncidentView, RoleEvidence, Weakness } from '../../api/incidents';
import { gateChecklist, refusedItems, type GateEntry } from './gate';
import { deliveryWords } from './ReportOut';
import { actionWords } from './words';

afterEach(cleanup);

function weakness(id: string, type: Weakness['type'], vendor: string | null = null): Weakness {
  return { id, incident_id: 'INC-2026-0001', type, relation: 'enabled', assets: ['web-1'], vulnerabilities: [], notes: 'n', action: 'a', vendor, created_by: 'alice', created_at: '2026-12-01T10:00:00.000Z' };
}

function evidence(role: string, acked: string | null): RoleEvidence {
  return {
    role,
    messages: [{ id: `NT-${role}`, purpose: 'reportout', revision: 1, channel: 'email', address: `${role}@example.com`, status: 'delivered', attempts: 1, delivered_at: '2026-12-01T11:00:00.000Z', message_id: null, last_error: null }],
    acknowledgment: acked === null ? null : { actor: acked, at: '2026-12-01T12:00:00.000Z', via: 'api', revision: 1, comment: null },
    superseded: [],
  };
}

type Facts = Parameters<typeof gateChecklist>[0];

function facts(over: Partial<Pick<IncidentView, 'weaknesses' | 'required_roles' | 'evidence'>> & { rationale?: string | null } = {}): Facts {
  return {
    incident: { none_identified_rationale: over.rationale ?? null },
    weaknesses: over.weaknesses ?? [],
    required_roles: over.required_roles ?? ['ir_lead', 'service_owner'],
    evidence: over.evidence ?? [],
  };
}

const entry = (list: GateEntry[], item: GateEntry['item']) => list.find((e) => e.item === item)!;

/** Renders the checklist as the page lays it out, to read it as a person would. */
function Checklist({ list }: { list: GateEntry[] }) {
  return (
    <ul>
      {list.map((e) => (
        <li key={e.item}>
          {e.done ? 'Done: ' : 'Missing: '}
          {e.label}
          <ul>
            {e.lines.map((l) => (
              <li key={l.text}>
                {l.done ? 'done: ' : 'missing: '}
                {l.text}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

describe('closure gate checklist', () => {
  it('lists all five items, each missing one with what is missing in words, for a fresh incident', () => {
    const missing: GateMissing[] = [
      { item: 'reportout_complete', subject: null, message: 'the report-out lists no weakness and is not marked "none identified" with a rationale' },
      { item: 'roles_notified', subject: 'ir_lead', message: 'role ir_lead has not been sent the report-out' },
      { item: 'roles_notified', subject: 'service_owner', message: 'role service_owner has not been sent the report-out' },
      { item: 'roles_acknowledged', subject: 'ir_lead', message: 'role ir_lead has not acknowledged the report-out' },
      { item: 'roles_acknowledged', subject: 'service_owner', message: 'role service_owner has not acknowledged the report-out' },
    ];
    const list = gateChecklist(facts(), missing);
    expect(list.map((e) => e.item)).toEqual(['reportout_complete', 'roles_notified', 'roles_acknowledged', 'weakness_followthrough', 'third_party_notice']);
    expect(list.map((e) => e.done)).toEqual([false, false, false, true, true]);
    expect(entry(list, 'roles_notified').lines).toEqual([
      { text: 'role ir_lead has not been sent the report-out', done: false },
      { text: 'role service_owner has not been sent the report-out', done: false },
    ]);
    expect(entry(list, 'third_party_notice').lines).toEqual([{ text: 'no third-party weakness: nothing to do', done: true }]);
    render(<Checklist list={list} />);
    expect(screen.getByText(/Missing: Report-out complete/)).toBeDefined();
    expect(screen.getByText('missing: role service_owner has not acknowledged the report-out')).toBeDefined();
  });

  it('says what is done per role and per weakness next to what is still missing', () => {
    const weaknesses = [weakness('WK-0001', 'technical'), weakness('WK-0002', 'third_party', 'acme')];
    const missing: GateMissing[] = [
      { item: 'roles_acknowledged', subject: 'service_owner', message: 'role service_owner has not acknowledged the report-out' },
      { item: 'weakness_followthrough', subject: 'WK-0002', message: 'weakness WK-0002 has no remediation item and no approved risk acceptance (its risk acceptance is still awaiting approval)' },
      { item: 'third_party_notice', subject: 'WK-0002', message: 'third-party weakness WK-0002: acme has not responded and the response has not been chased' },
    ];
    const list = gateChecklist(facts({ weaknesses, evidence: [evidence('ir_lead', 'ingrid'), evidence('service_owner', null)] }), missing);
    expect(entry(list, 'reportout_complete')).toMatchObject({ done: true, lines: [{ text: '2 weaknesses listed', done: true }] });
    expect(entry(list, 'roles_notified').done).toBe(true);
    expect(entry(list, 'roles_acknowledged').lines).toEqual([
      { text: 'role ir_lead acknowledged (by ingrid)', done: true },
      { text: 'role service_owner has not acknowledged the report-out', done: false },
    ]);
    expect(entry(list, 'weakness_followthrough').lines.map((l) => l.done)).toEqual([true, false]);
    expect(entry(list, 'weakness_followthrough').lines[1]!.text).toContain('still awaiting approval');
    expect(entry(list, 'third_party_notice')).toMatchObject({ done: false, lines: [{ done: false }] });
  });

  it('counts a "none identified" report-out with its rationale as complete', () => {
    const list = gateChecklist(facts({ rationale: 'phishing blocked at the gateway; no weakness' }), []);
    expect(list.every((e) => e.done)).toBe(true);
    expect(entry(list, 'reportout_complete').lines[0]!.text).toBe('none identified: phishing blocked at the gateway; no weakness');
  });

  it('keeps a gap the server names about a role the incident does not list', () => {
    const list = gateChecklist(facts({ required_roles: ['ir_lead'] }), [{ item: 'roles_acknowledged', subject: 'third_party_manager', message: 'role third_party_manager has not acknowledged the report-out' }]);
    expect(entry(list, 'roles_acknowledged').lines).toContainEqual({ text: 'role third_party_manager has not acknowledged the report-out', done: false });
  });
});

describe('a refused close', () => {
  it('reads the missing items from the error details, ignoring anything else', () => {
    const m = refusedItems({ incident: 'INC-2026-0001', missing: [{ item: 'roles_acknowledged', subject: 'grc_contact', message: 'role grc_contact has not acknowledged the report-out' }, 'junk'] });
    expect(m).toEqual([{ item: 'roles_acknowledged', subject: 'grc_contact', message: 'role grc_contact has not acknowledged the report-out' }]);
    expect(refusedItems({})).toEqual([]);
  });
});

describe('words', () => {
  it('says a role delivery state from its report-out messages', () => {
    expect(deliveryWords(evidence('ir_lead', null)).text).toBe('Delivered');
    expect(deliveryWords({ role: 'x', messages: [], acknowledgment: null, superseded: [] }).text).toBe('Not sent');
    const failed = evidence('x', null);
    failed.messages[0] = { ...failed.messages[0]!, status: 'failed', delivered_at: null };
    expect(deliveryWords(failed).text).toBe('Failed');
  });

  it('says audit actions in words, moves with their target', () => {
    expect(actionWords('incident.moved.post_incident')).toBe('moved the incident to Post-incident');
    expect(actionWords('reportout.acknowledged')).toBe('acknowledged the report-out');
    expect(actionWords('remediation.moved.in_progress')).toBe('moved a remediation item to In progress');
    expect(actionWords('something.new')).toBe('something new');
  });
});
