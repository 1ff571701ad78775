// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ErrorNotice } from './ErrorNotice';
import { Time } from './Time';

afterEach(cleanup);

describe('Time', () => {
  it('shows a moment in the viewer\'s zone with the UTC value on hover', () => {
    render(<Time at="2026-11-28T12:34:56.789Z" />);
    const t = screen.getByTitle('2026-11-28 12:34:56 UTC');
    expect(t.tagName).toBe('TIME');
    expect(t.getAttribute('datetime')).toBe('2026-11-28T12:34:56.789Z');
    expect(t.textContent).not.toBe('');
  });

  it('shows a calendar day without shifting it to another day', () => {
    render(<Time at="2026-12-31" />);
    const t = screen.getByTitle('2026-12-31 (calendar day)');
    expect(t.textContent).toMatch(/31/);
  });

  it('shows a dash for no value', () => {
    render(<Time at={null} />);
    expect(screen.getByText('—')).toBeDefined();
  });
});

describe('ErrorNotice', () => {
  it("says the server's words, the fields it named and what to do next", () => {
    const err = new ApiError(409, 'CL_GATE_REFUSED', 'INC-2026-0001 cannot close: the report-out was not acknowledged by service_owner', { fields: [{ field: 'reason', message: 'required' }] });
    render(<ErrorNotice error={err} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('not acknowledged by service_owner');
    expect(alert.textContent).toContain('reason');
    expect(alert.textContent).toContain('Complete the missing items listed');
  });

  it('tells a refused role to ask for access', () => {
    render(<ErrorNotice error={new ApiError(403, 'CL_FORBIDDEN', 'auditor may not incident.close')} />);
    expect(screen.getByRole('alert').textContent).toContain('Ask an administrator');
  });

  it('renders nothing without an error', () => {
    const { container } = render(<ErrorNotice error={null} />);
    expect(container.textContent).toBe('');
  });
});
