// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job, Metrics } from '../../api/vr';
import { ackSentence, agingRows, agingSentence, agingStatuses, stateRows, triggerSentence } from './dashboard-data';
import { ImportResult } from './Imports';
import { failureParts, progressOf, summarizeImport, summarizeTriage } from './words';

afterEach(cleanup);

const job = (over: Partial<Job>): Job => ({
  id: 'JB-1',
  kind: 'import',
  actor: 'alice',
  state: 'running',
  input: { kind: 'findings', file: 'trivy.json' },
  progress: null,
  result: null,
  error: null,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:01Z',
  ...over,
});

describe('import result', () => {
  it('labels the counts of a findings import and keeps the zeros', () => {
    const s = summarizeImport({ findings: 12, created: 10, updated: 2, unchanged: 0, resolved: 1, resolved_again: 0, merged: 3, skipped: { no_vulnerability_id: 2 }, unknown_references: { assets: 1, vulnerabilities: 0 }, warnings: ['line 3: asset web-9 is not in the inventory'], duplicate_of: null });
    expect(s.counts).toContainEqual({ label: 'Findings read', value: 12 });
    expect(s.counts).toContainEqual({ label: 'New', value: 10 });
    expect(s.counts).toContainEqual({ label: 'Unchanged', value: 0 });
    expect(s.counts).toContainEqual({ label: 'Resolved again', value: 0 });
    expect(s.skipped).toEqual([{ label: 'No vulnerability id', value: 2 }]);
    expect(s.unknown[0]).toEqual({ label: 'Naming an asset not in the inventory', value: 1 });
    expect(s.warnings).toHaveLength(1);
  });

  it('says a refused file by file, record and field, and that nothing was stored', () => {
    render(<ImportResult job={job({ state: 'failed', error: { code: 'CL_IMPORT_INVALID', message: 'file trivy.json, $.Results[0]: VulnerabilityID must be a string', details: { file: 'trivy.json', record: '$.Results[0].Vulnerabilities[3]', field: 'VulnerabilityID' } } })} />);
    const region = screen.getByRole('region', { name: 'Import result' });
    expect(region.textContent).toContain('trivy.json was not imported');
    expect(region.textContent).toContain('$.Results[0].Vulnerabilities[3]');
    expect(region.textContent).toContain('VulnerabilityID');
    expect(region.textContent).toContain('Nothing was stored');
  });

  it('lists the failure parts the error names, fields included', () => {
    expect(failureParts({ code: 'CL_BAD_INPUT', message: 'bad', details: { fields: [{ field: 'kind', message: 'one of findings, assets' }] } })).toEqual([{ label: 'Field', value: 'kind: one of findings, assets' }]);
  });
});

describe('job progress', () => {
  it('says records and the file size while running, 100 % when finished', () => {
    const running = progressOf(job({ progress: { records: 1500, total_bytes: 2 * 1024 * 1024, seconds: 1.25 } }));
    expect(running.percent).toBeNull();
    expect(running.text).toMatch(/1.500 records read of a 2\.0 MB file, 1\.3 s/);
    expect(progressOf(job({ state: 'succeeded', progress: { records: 3, seconds: 0.2 } })).percent).toBe(100);
    expect(progressOf(job({ state: 'queued' })).text).toBe('Waiting to start');
  });

  it('names what a later stage counts', () => {
    expect(progressOf(job({ kind: 'triage', progress: { records: 4, counting: 'escalations handed to IR', seconds: 2 } })).text).toContain('4 escalations handed to IR');
  });
});

describe('triage summary', () => {
  it('counts by outcome and trigger in words and lists each incident once', () => {
    const s = summarizeTriage({ evaluated: 9, by_outcome: { escalate: 2, stay: 7 }, by_trigger: { dangerous_exposure: 2 }, incidents: [{ incident: 'INC-2026-0001', created: true }, { incident: 'INC-2026-0001', created: false }] });
    expect(s.evaluated).toBe(9);
    expect(s.byOutcome).toEqual([{ label: 'Escalate', value: 2 }, { label: 'Stay', value: 7 }]);
    expect(s.byTrigger).toEqual([{ label: 'Dangerous exposure', value: 2 }]);
    expect(s.incidents).toEqual([{ incident: 'INC-2026-0001', created: true }]);
  });
});

const metrics = (over: Partial<Metrics> = {}): Metrics => ({
  as_of: '2026-12-01T10:00:00Z',
  incidents_by_state: { reported: 1, triage: 0, closed: 2 },
  missing_reportout: { count: 0, ids: [] },
  reportout_latency: { count: 0, median_hours: null, p90_hours: null, max_hours: null, seconds: { median: null, p90: null, max: null, sum: 0 } },
  ack_latency: [],
  remediation_aging: { buckets: [{ bucket: '0-7', total: 2, by_status: { open: 1, in_progress: 1 } }, { bucket: '>90', total: 1, by_status: { open: 1 } }], open_total: 3, overdue: 1 },
  risk_review: { requested: { count: 0, ids: [] }, review_due: { count: 0, ids: [], within_days: 14 }, review_past: { count: 0, ids: [] } },
  escalations_by_trigger: [],
  stays_later_escalated: { count: 0, ids: [] },
  healthcheck_pass_rate: null,
  ...over,
});

describe('dashboard figures in words', () => {
  it('says remediation aging by bucket with the overdue count, and stacks by status', () => {
    const m = metrics();
    expect(agingSentence(m)).toBe('3 remediation item(s) not yet verified: 2 aged 0–7 days, 1 aged over 90 days; 1 overdue.');
    expect(agingStatuses(m)).toEqual(['open', 'in_progress']);
    expect(agingRows(m)[1]).toEqual({ bucket: 'over 90 days', total: 1, open: 1, in_progress: 0 });
  });

  it('says ack latency per role, and when there is none', () => {
    expect(ackSentence(metrics())).toBe('No acknowledgment has been recorded yet.');
    const seconds = { median: 5400, p90: 10_800, max: 14_400, sum: 19_800 };
    expect(ackSentence(metrics({ ack_latency: [{ role: 'ciso', count: 2, median_hours: 1.5, p90_hours: 3, max_hours: 4, seconds }] }))).toBe('Acknowledgment latency by role: ciso median 1.5 h, 90th percentile 3 h, longest 4 h over 2.');
  });

  it('orders incident states as the workflow does and names triggers in words', () => {
    expect(stateRows(metrics()).map((r) => r.state)).toEqual(['Reported', 'Triage', 'Closed']);
    expect(triggerSentence(metrics({ escalations_by_trigger: [{ trigger: 'observed_exploitation', count: 2 }] }))).toBe('Findings whose latest decision escalates, by trigger: Observed exploitation 2.');
  });
});
