// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import type { Metrics } from '../api/vr';
import { Figures } from './Dashboard';

afterEach(cleanup);

const latency = (hours: [number, number, number] | null, count: number) => ({
  count,
  median_hours: hours?.[0] ?? null,
  p90_hours: hours?.[1] ?? null,
  max_hours: hours?.[2] ?? null,
  seconds: { median: hours === null ? null : hours[0] * 3600, p90: hours === null ? null : hours[1] * 3600, max: hours === null ? null : hours[2] * 3600, sum: 0 },
});

const METRICS: Metrics = {
  as_of: '2026-12-06T10:00:00Z',
  incidents_by_state: { reported: 1, triage: 0, containment: 0, eradication: 2, recovery: 0, post_incident: 0, closed: 3, closed_non_incident: 0 },
  missing_reportout: { count: 1, ids: ['INC-2026-0002'] },
  reportout_latency: latency([4, 5.6, 6], 2),
  ack_latency: [{ role: 'service_owner', ...latency([15, 20.6, 22], 2) }],
  remediation_aging: { buckets: [{ bucket: '0-7', total: 1, by_status: { open: 1, in_progress: 0, resolved: 0 } }], open_total: 1, overdue: 0 },
  risk_review: { requested: { count: 1, ids: ['RA-0001'] }, review_due: { count: 0, ids: [], within_days: 14 }, review_past: { count: 0, ids: [] } },
  escalations_by_trigger: [{ trigger: 'observed_exploitation', count: 2 }],
  stays_later_escalated: { count: 2, ids: ['F-2', 'F-9'] },
  healthcheck_pass_rate: { health_check_id: 'HC-0003', sampled: 8, passed: 6, rate: 0.75 },
};

const section = (name: string): HTMLElement => screen.getByRole('region', { name });

describe('Dashboard figures', () => {
  it('shows the new figures as cards, each chart with its figures in words and a table', () => {
    render(
      <MemoryRouter>
        <Figures m={METRICS} />
      </MemoryRouter>,
    );
    const cards = within(screen.getByRole('list', { name: 'Key figures' }));
    expect(cards.getByText('Findings that stayed, then escalated').previousElementSibling?.textContent).toBe('2');
    expect(cards.getByText('Latest health check pass rate').previousElementSibling?.textContent).toBe('75%');

    const reportOut = section('Report-out latency');
    expect(reportOut.textContent).toContain("Report-out latency, from an incident's opening to its report-out's sending: median 4 h, 90th percentile 5.6 h, longest 6 h over 2 report-out(s).");
    expect(within(reportOut).getByRole('region', { name: 'Report-out latency, in hours' }).textContent).toContain('Longest6');

    const ack = section('Acknowledgment latency by role');
    expect(ack.textContent).toContain('service_owner median 15 h, 90th percentile 20.6 h, longest 22 h over 2');
    expect(within(ack).getByRole('columnheader', { name: 'Longest (h)' })).toBeDefined();

    const stays = section('Stays later escalated');
    expect(within(stays).getByRole('link', { name: 'F-9' }).getAttribute('href')).toBe('/vulnerabilities/findings/F-9');

    const hc = section('Control health check');
    expect(hc.textContent).toContain('Latest control health check HC-0003: 6 of 8 sampled incident(s) passed every question (75%).');
    expect(within(hc).getByRole('region', { name: 'Sampled incidents of the latest health check' }).textContent).toContain('With a gap2');
  });

  it('says so when there is no report-out, no stay later escalated and no health check', () => {
    render(
      <MemoryRouter>
        <Figures m={{ ...METRICS, reportout_latency: latency(null, 0), stays_later_escalated: { count: 0, ids: [] }, healthcheck_pass_rate: null }} />
      </MemoryRouter>,
    );
    expect(section('Report-out latency').textContent).toContain('No report-out has been sent yet.');
    expect(section('Stays later escalated').textContent).toContain('No finding that stayed has escalated later.');
    expect(section('Control health check').textContent).toContain('No control health check has been run yet.');
    expect(within(screen.getByRole('list', { name: 'Key figures' })).getByText('Latest health check pass rate').previousElementSibling?.textContent).toBe('none yet');
  });
});
