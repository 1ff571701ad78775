import { describe, expect, it } from 'vitest';
import { chainWords, daysUntil, dueWords, fromLocalInput, nothingWaiting, REMEDIATION_MOVES, reviewUrgency, stateLabel, toLocalInput } from './derive';

describe('review dates', () => {
  it('says how far past, how soon, or how far off a review date is', () => {
    expect(reviewUrgency('2026-12-01', '2026-12-06')).toEqual({ kind: 'past', words: 'review was due 5 days ago' });
    expect(reviewUrgency('2026-12-05', '2026-12-06')).toEqual({ kind: 'past', words: 'review was due yesterday' });
    expect(reviewUrgency('2026-12-06', '2026-12-06')).toEqual({ kind: 'soon', words: 'review due today' });
    expect(reviewUrgency('2026-12-20', '2026-12-06')).toEqual({ kind: 'soon', words: 'review due in 14 days' });
    expect(reviewUrgency('2026-12-21', '2026-12-06').kind).toBe('later');
  });

  it('counts calendar days across a month and a year end', () => {
    expect(daysUntil('2027-01-02', '2026-12-30')).toBe(3);
    expect(daysUntil('2026-03-01', '2026-02-28')).toBe(1);
  });
});

describe('due dates', () => {
  it('says how long an item is overdue, or how long is left', () => {
    expect(dueWords('2026-12-01', true, '2026-12-06')).toBe('overdue by 5 days');
    expect(dueWords('2026-12-05', true, '2026-12-06')).toBe('overdue by 1 day');
    expect(dueWords('2026-12-06', false, '2026-12-06')).toBe('due today');
    expect(dueWords('2026-12-07', false, '2026-12-06')).toBe('due tomorrow');
    expect(dueWords('2026-12-16', false, '2026-12-06')).toBe('due in 10 days');
    expect(dueWords(null, false, '2026-12-06')).toBe('no due date');
  });
});

describe('remediation moves', () => {
  it('offers no move from verified and the way back from resolved', () => {
    expect(REMEDIATION_MOVES.verified).toEqual([]);
    expect(REMEDIATION_MOVES.resolved).toContain('in_progress');
    expect(stateLabel('in_progress')).toBe('In progress');
    expect(stateLabel('failed')).toBe('Failed (dead letter)');
  });
});

describe('the audit chain in words', () => {
  it('names the count and head hash of an intact chain', () => {
    expect(chainWords({ ok: true, events: 1234, headHash: 'abc123', firstBad: null, problem: null })).toBe('The chain is intact: 1,234 events checked, head hash abc123.');
  });

  it('names the event where a broken chain breaks and why', () => {
    const w = chainWords({ ok: false, events: 41, headHash: 'x', firstBad: 42, problem: 'event 42 was altered (its hash does not match its contents)' });
    expect(w).toContain('broken at event 42');
    expect(w).toContain('was altered');
  });
});

describe('my work', () => {
  it('is empty only when no list has anything', () => {
    const none = { actor: 'a', roles: [], acks: [], remediation: [], risk_decisions: [], vendor_chases: [], leading: [] };
    expect(nothingWaiting(none)).toBe(true);
    expect(nothingWaiting({ ...none, leading: [{ id: 'INC-1', title: 't', severity: 'high', state: 'triage', reportout: 'owed' }] })).toBe(false);
  });
});

describe('datetime fields', () => {
  it('round-trips a moment through the viewer-zone field value', () => {
    const iso = '2026-11-28T12:34:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput('')).toBe('');
  });
});
