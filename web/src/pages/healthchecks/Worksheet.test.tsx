// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../api/healthchecks';
import { SessionProvider, type Session } from '../../auth/session';
import { AddNote, ControlFindings, WorksheetTable } from './Worksheet';

afterEach(cleanup);

const yes = (question: 'weakness' | 'notified' | 'followthrough' | 'evidence', answer: string, evidence: string[]) => ({ question, passed: true, answer, evidence, gaps: [] });

const check: HealthCheck = {
  id: 'HC-0001',
  period: { from: '2026-10-01', to: '2026-12-31' },
  population_basis: 'closed_in_period',
  sample_size: 2,
  seed: 'q4',
  stratify: 'severity',
  method: 'seeded',
  strata: [{ stratum: 'high', population: 2, picked: 2 }],
  population: 2,
  sampled: 2,
  passed: 1,
  control: { id: 'IR-6(2)', version: 1 },
  created_by: 'grc',
  created_at: '2026-12-06T10:00:00Z',
  samples: [
    {
      position: 1,
      incident_id: 'INC-2026-0001',
      stratum: 'high',
      passed: true,
      reopened: false,
      answers: {
        weakness: yes('weakness', '1 weakness(es) identified', ['WK-0001']),
        notified: yes('notified', 'all 5 required roles delivered', ['NT-0001', 'NT-0002']),
        followthrough: yes('followthrough', '1 of 1 weakness(es) followed through', ['RI-0001']),
        evidence: yes('evidence', 'bundle verified at /ev/INC-2026-0001.zip', ['/ev/INC-2026-0001.zip']),
      },
      notes: [{ id: 'HN-0001', health_check_id: 'HC-0001', incident_id: 'INC-2026-0001', author: 'auditor', text: 'confirmed with the service owner', created_at: '2026-12-06T11:00:00Z' }],
      findings: [],
    },
    {
      position: 2,
      incident_id: 'INC-2026-0002',
      stratum: 'high',
      passed: false,
      reopened: true,
      answers: {
        weakness: yes('weakness', '1 weakness(es) identified', ['WK-0002']),
        notified: { question: 'notified', passed: false, answer: '4 of 5 required roles delivered', evidence: [], gaps: [{ subject: 'grc_contact', message: 'role grc_contact was never sent the report-out of INC-2026-0002' }] },
        followthrough: yes('followthrough', '1 of 1 weakness(es) followed through', ['RA-0001']),
        evidence: yes('evidence', 'bundle verified', ['/ev/INC-2026-0002.zip']),
      },
      notes: [],
      findings: ['CF-0001'],
    },
  ],
  findings: [
    { id: 'CF-0001', health_check_id: 'HC-0001', incident_id: 'INC-2026-0002', question: 'notified', subject: 'grc_contact', message: 'role grc_contact was never sent the report-out of INC-2026-0002', owner_role: 'ir_lead', remediation_item_id: 'RI-0009', created_at: '2026-12-06T10:00:00Z' },
  ],
};

function session(can: string[]): Session {
  return { actor: 'ann', display_name: null, roles: ['auditor'], can, csrf_token: 'x', via: 'password', expires_at: null };
}

function wrap(node: ReactNode, can: string[] = ['healthcheck.read']) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <SessionProvider session={session(can)}>
        <MemoryRouter>{node}</MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('health check worksheet', () => {
  it('shows one row per sampled incident with its answers, evidence, findings and notes', () => {
    wrap(<WorksheetTable check={check} />);
    const rows = within(screen.getByRole('table', { name: 'Worksheet' })).getAllByRole('row');
    expect(rows).toHaveLength(3);
    const first = rows[1];
    const second = rows[2];
    if (first === undefined || second === undefined) throw new Error('rows missing');
    expect(within(first).getByRole('link', { name: 'INC-2026-0001' }).getAttribute('href')).toBe('/incidents/INC-2026-0001');
    expect(first.textContent).toContain('Passed');
    expect(first.textContent).toContain('Evidence: NT-0001, NT-0002');
    expect(first.textContent).toContain('confirmed with the service owner');
    expect(second.textContent).toContain('Gaps');
    expect(second.textContent).toContain('Reopened');
    expect(second.textContent).toContain('role grc_contact was never sent the report-out of INC-2026-0002');
    expect(second.textContent).toContain('CF-0001');
  });

  it('lists each control finding with its owner and remediation item', () => {
    wrap(<ControlFindings check={check} />);
    const row = within(screen.getByRole('table', { name: 'Control findings' })).getAllByRole('row')[1];
    expect(row?.textContent).toContain('CF-0001');
    expect(row?.textContent).toContain('ir_lead');
    expect(within(row as HTMLElement).getByRole('link', { name: 'RI-0009' })).toBeDefined();
  });

  it('offers the note form only to those who may add notes, with every sampled incident to choose', () => {
    wrap(<AddNote check={check} />, ['healthcheck.read', 'healthcheck.note']);
    const form = screen.getByRole('form', { name: "Add a reviewer's note" });
    expect(within(form).getAllByRole('option').map((o) => o.textContent)).toEqual(['INC-2026-0001', 'INC-2026-0002']);
    expect(within(form).getByRole('button', { name: 'Add note' }).hasAttribute('disabled')).toBe(true);
    cleanup();
    wrap(<AddNote check={check} />, ['healthcheck.read']);
    expect(screen.queryByRole('form')).toBeNull();
  });

  it('says so when nothing was sampled', () => {
    wrap(<WorksheetTable check={{ ...check, samples: [], sampled: 0 }} />);
    expect(screen.getByText(/nothing was sampled/)).toBeDefined();
  });
});
