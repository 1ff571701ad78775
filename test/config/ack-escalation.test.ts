import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../src/config/load.js';

const withLadder = (ack_escalation: unknown) => {
  const cfg = defaultConfig() as { workflow: Record<string, unknown> };
  return { ...cfg, workflow: { ...cfg.workflow, ack_escalation } };
};

describe('workflow.ack_escalation in closeloop.yaml', () => {
  it('takes a default ladder and per-role ladders, and a review warning in days', () => {
    const cfg = validateConfig(withLadder({ levels: [{ after_hours: 24, notify: ['role'] }, { after_hours: 72, notify: ['control_owner'] }], roles: { grc_contact: [{ after_hours: 12, notify: ['role', 'ir_lead'] }] } }), 'closeloop.yaml');
    expect(cfg.workflow.ack_escalation.levels?.map((l) => l.after_hours)).toEqual([24, 72]);
    expect(cfg.workflow.ack_escalation.roles.grc_contact).toEqual([{ after_hours: 12, notify: ['role', 'ir_lead'] }]);
    expect(cfg.workflow.risk_review_warning_days).toBe(14);
  });

  it('defaults to none, so the one level at ack_sla_hours applies', () => {
    const cfg = validateConfig(defaultConfig(), 'closeloop.yaml');
    expect(cfg.workflow.ack_escalation).toEqual({ roles: {} });
  });

  it('refuses a level that tells a role without a route, naming the key', () => {
    expect(() => validateConfig(withLadder({ levels: [{ after_hours: 48, notify: ['ciso'] }] }), 'closeloop.yaml')).toThrow(/workflow\.ack_escalation\.levels\[0\]\.notify.*role ciso must have a route/);
    expect(() => validateConfig(withLadder({ levels: [{ after_hours: 0, notify: ['role'] }] }), 'closeloop.yaml')).toThrow(/after_hours/);
    expect(() => validateConfig(withLadder({ levels: [] }), 'closeloop.yaml')).toThrow(/at least one level/);
  });
});
