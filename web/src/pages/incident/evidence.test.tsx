// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { EvidencePanel, evidenceUrl } from './Evidence';

afterEach(cleanup);

describe('evidence download', () => {
  it('offers the download to a role that may export, and nothing to others', () => {
    const { rerender } = render(<EvidencePanel id="INC-2026-0001" allowed={true} />);
    expect(screen.getByRole('button', { name: 'Download evidence' })).toBeTruthy();
    expect(screen.getByText(/closeloop evidence verify INC-2026-0001.zip/)).toBeTruthy();
    rerender(<EvidencePanel id="INC-2026-0001" allowed={false} />);
    expect(screen.queryByRole('button', { name: 'Download evidence' })).toBeNull();
    expect(evidenceUrl('INC-2026-0001')).toBe('/api/v1/incidents/INC-2026-0001/evidence');
  });

  it("shows the server's refusal in its words", async () => {
    const asked: string[] = [];
    const refuse = (id: string): Promise<void> => {
      asked.push(id);
      return Promise.reject(new ApiError(409, 'CL_CONFLICT', 'the audit log has no signed checkpoint to prove events against: run `closeloop audit checkpoint` first'));
    };
    render(<EvidencePanel id="INC-2026-0001" allowed={true} download={refuse} />);
    fireEvent.click(screen.getByRole('button', { name: 'Download evidence' }));
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('run `closeloop audit checkpoint` first');
    expect(asked).toEqual(['INC-2026-0001']);
  });
});
