import { describe, expect, it } from 'vitest';
import { INCIDENT_STATES, allowedMoves, checkMove, reached, reopenTarget, type IncidentState } from '../../src/domain/incident.js';

describe('incident state machine', () => {
  const ok: [IncidentState, IncidentState][] = [
    ['reported', 'triage'],
    ['triage', 'containment'],
    ['triage', 'eradication'],
    ['containment', 'eradication'],
    ['eradication', 'recovery'],
    ['recovery', 'post_incident'],
  ];
  it.each(ok)('%s → %s is allowed', (from, to) => {
    expect(checkMove(from, to)).toEqual({ ok: true });
  });

  const refused: [IncidentState, IncidentState, string][] = [
    ['reported', 'eradication', 'allowed moves from reported: triage'],
    ['triage', 'reported', 'allowed moves from triage: containment, eradication'],
    ['post_incident', 'closed', 'use `incident close`'],
    ['recovery', 'closed_non_incident', 'use `incident close`'],
    ['closed', 'triage', 'use `incident reopen` first'],
    ['closed_non_incident', 'triage', 'allowed moves from closed_non_incident: none'],
    ['eradication', 'eradication', 'allowed moves from eradication: recovery'],
  ];
  it.each(refused)('%s → %s is refused and names the allowed moves', (from, to, text) => {
    const r = checkMove(from, to);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(text);
      expect(r.allowed).toEqual(allowedMoves(from));
    }
  });

  it('every state has a defined set of moves and no state moves into a closed state', () => {
    for (const s of INCIDENT_STATES) {
      for (const t of allowedMoves(s)) expect(['closed', 'closed_non_incident']).not.toContain(t);
    }
  });

  it.each([
    ['eradication', 'eradication', true],
    ['recovery', 'eradication', true],
    ['containment', 'eradication', false],
    ['reported', 'triage', false],
  ] as const)('reached(%s, %s) = %s', (state, milestone, expected) => {
    expect(reached(state, milestone)).toBe(expected);
  });

  it('reopen goes back to post_incident for incidents and to triage for non-incidents', () => {
    expect(reopenTarget('closed')).toBe('post_incident');
    expect(reopenTarget('closed_non_incident')).toBe('triage');
  });
});
