/**
 * A role sees only what it may do: on the same pages where the IR lead and a risk approver find
 * their controls, the auditor finds no Close, Move, Approve, Retry, Upload or triage control, and
 * the API refuses the action anyway, with a token and with the auditor's own browser session.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, DEMO, pageReady, signIn, useWorld } from './harness.js';

/** The buttons of the main region whose accessible name matches. */
const buttons = (page: Page, name: RegExp) => page.getByRole('main').getByRole('button', { name });

const CONTROLS = /^(Close incident|Close as non-incident|Move to |Reopen incident|Send report-out|Resend report-out|Add weakness|Approve|Reject|Retry|Upload$|Run triage|Acknowledge as|Add remediation item|Request risk acceptance|Add person|Remove|Revoke|Create token)/;

describe('what a role must not see (chromium, real server, demo data)', () => {
  const world = useWorld({ demo: true, passwords: [DEMO.auditor, DEMO.irLead, DEMO.approver] });

  it('the auditor sees no Close/Approve/Retry/Upload controls where the IR lead and the approver do, and the API refuses the auditor anyway', async () => {
    const { store, server, browser } = world();
    const [inc] = store.rows<{ id: string }>("SELECT id FROM incidents WHERE state = 'post_incident' ORDER BY id LIMIT 1");
    const [risk] = store.rows<{ id: string }>("SELECT id FROM risk_acceptances WHERE state = 'requested' ORDER BY id LIMIT 1");
    if (inc === undefined || risk === undefined) throw new Error('the demo data has no incident in post-incident or no risk acceptance awaiting a decision');

    const lead = await signIn(browser, server.base, DEMO.irLead);
    const approver = await signIn(browser, server.base, DEMO.approver);
    const auditor = await signIn(browser, server.base, DEMO.auditor);
    try {
      // the controls are there for those who may use them ...
      await lead.page.goto(`/incidents/${inc.id}`);
      await pageReady(lead.page);
      await buttons(lead.page, /^Close incident$/).waitFor();
      await lead.page.goto('/vulnerabilities');
      await buttons(lead.page, /^Upload$/).waitFor();
      await approver.page.goto('/risks');
      await pageReady(approver.page);
      await buttons(approver.page, /^Approve\b/).first().waitFor();

      // ... and not for the auditor, who still reads every page
      const seen: string[] = [];
      for (const at of [`/incidents/${inc.id}`, '/incidents', '/risks', '/remediation', '/deliveries', '/vulnerabilities', '/vulnerabilities?tab=triage', '/work', '/settings']) {
        await auditor.page.goto(at);
        await pageReady(auditor.page);
        expect(await auditor.page.getByRole('heading', { level: 1 }).textContent(), `${at} is readable by the auditor`).not.toBe('Not available to your roles');
        // by accessible name: a visible text or an aria-label
        for (const b of await buttons(auditor.page, CONTROLS).all()) seen.push(`${at}: ${((await b.getAttribute('aria-label')) ?? (await b.textContent()) ?? '').trim()}`);
      }
      expect(seen, 'controls shown to the auditor').toEqual([]);
      expect(await auditor.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).count()).toBe(1);

      // the API refuses the actions anyway: with a token ...
      const token = store.token(DEMO.auditor);
      const close = await api<{ code: string }>(server.base, token, 'POST', `/incidents/${inc.id}/close`, {});
      expect(close.status).toBe(403);
      expect(close.body.code).toBe('CL_FORBIDDEN');
      const approve = await api<{ code: string }>(server.base, token, 'POST', `/risk-acceptances/${risk.id}/approve`, {});
      expect(approve.status).toBe(403);

      // ... and with the auditor's own browser session (cookie and CSRF token)
      const session = await auditor.context.request.get('/api/v1/session');
      expect(session.status()).toBe(200);
      const { csrf_token: csrf, roles } = (await session.json()) as { csrf_token: string; roles: string[] };
      expect(roles).toEqual(['auditor']);
      const viaSession = await auditor.context.request.post(`/api/v1/incidents/${inc.id}/close`, { headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' }, data: {} });
      expect(viaSession.status()).toBe(403);
      expect(((await viaSession.json()) as { code: string }).code).toBe('CL_FORBIDDEN');
      const state = await api<{ incident: { state: string } }>(server.base, store.token(DEMO.irLead), 'GET', `/incidents/${inc.id}`);
      expect(state.body.incident.state).toBe('post_incident');
    } finally {
      for (const p of [lead, approver, auditor]) await p.context.close();
    }
  });
});
