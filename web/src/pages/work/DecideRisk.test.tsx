// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RiskAcceptance } from '../../api/work';
import { SessionProvider, type Session } from '../../auth/session';
import { DecideRisk } from './DecideRisk';

afterEach(cleanup);

const risk: RiskAcceptance = {
  id: 'RA-0001',
  incident: 'INC-2026-0001',
  weakness: 'W-0001',
  state: 'requested',
  effective_state: 'requested',
  requester: 'rita',
  approver: null,
  rationale: 'legacy host, replaced next quarter',
  controls: 'network isolation',
  review_by: '2027-01-15',
  reason: null,
  created_at: '2026-12-01T10:00:00Z',
  decided_at: null,
  can_decide: true,
};

function session(actor: string): Session {
  return { actor, display_name: null, roles: ['risk_approver'], can: ['incident.read'], csrf_token: 'x', via: 'password', expires_at: null };
}

function renderAs(actor: string, r: RiskAcceptance) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <SessionProvider session={session(actor)}>
        <DecideRisk risk={r} />
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('DecideRisk', () => {
  it('offers approve and reject to an approver who did not request it', () => {
    renderAs('alice', risk);
    expect(screen.getByRole('button', { name: 'Approve RA-0001' })).toBeDefined();
    expect(screen.getByRole('button', { name: 'Reject RA-0001' })).toBeDefined();
    expect(screen.getByLabelText(/Reason/)).toBeDefined();
  });

  it('shows the requester no buttons on their own request, whatever can_decide says', () => {
    renderAs('rita', risk);
    expect(screen.queryByRole('button', { name: /Approve|Reject/ })).toBeNull();
  });

  it('shows nothing when the server says the caller may not decide', () => {
    renderAs('alice', { ...risk, can_decide: false });
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('asks for a reason in words before rejecting', () => {
    renderAs('alice', risk);
    fireEvent.click(screen.getByRole('button', { name: 'Reject RA-0001' }));
    expect(screen.getByText(/Give the reason for rejecting/)).toBeDefined();
    expect(screen.getByLabelText(/Reason/).getAttribute('aria-invalid')).toBe('true');
  });
});
