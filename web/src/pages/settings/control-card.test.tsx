// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlCardVersion } from '../../api/work';
import { actionWords } from '../incident/words';
import { ControlCardVersions } from './ControlCardHistory';

afterEach(cleanup);

const card = {
  id: 'IR-6(2)', version: 1, objective: 'o', owner_role: 'ir_lead', triggers: ['t'], recipient_roles: ['ir_lead'], workflow_steps: ['s'],
  exception_rules: { approver_roles: ['risk_approver'], max_review_days: 180, requester_may_not_approve: true }, evidence_location: './evidence',
};
const version = (n: number, inForce: boolean, at: string, by: string): ControlCardVersion => ({ version: n, card: { ...card, version: n }, digest: `${String(n).repeat(12)}${'a'.repeat(52)}`, recorded_at: at, recorded_by: by, in_force: inForce });

describe('the control card versions on the settings page', () => {
  it('lists the newest version first, marks the one in force, with when it took effect, for whom and its digest', () => {
    render(<ControlCardVersions versions={[version(1, false, '2026-11-01T10:00:00.000Z', 'alice'), version(2, true, '2026-12-01T10:00:00.000Z', 'system:config')]} />);
    const rows = within(screen.getByRole('table', { name: 'Control card versions' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([expect.stringMatching(/^v2.*system:config222222222222in force$/), expect.stringMatching(/^v1.*alice111111111111superseded$/)]);
    expect(within(rows[0] as HTMLElement).getByTitle(/^2222/).textContent).toBe('222222222222');
    expect(within(rows[1] as HTMLElement).getByTitle('2026-11-01 10:00:00 UTC').tagName).toBe('TIME');
  });

  it('says when no version is recorded yet, and names the audit actions in words', () => {
    render(<ControlCardVersions versions={[]} />);
    expect(screen.getByText(/No version recorded yet/)).toBeDefined();
    expect(actionWords('control_card.changed')).toBe('recorded a control card version');
  });
});
