/**
 * The whole IR-6(2) loop in the browser, by role-separated people each in their own session:
 * open an incident, record its weaknesses, send the report-out, each recipient role acknowledges,
 * a remediation item is added and moved, a risk acceptance is requested by one person and approved
 * by an approver who is not the requester, the close is refused with the missing items in words,
 * then completed and closed. Each step is checked in the page and cross-checked through the API.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { api, DEMO, signIn, useWorld, type Person } from './harness.js';

/** Both a responder and a risk approver: may request a risk acceptance, and may never approve their own. */
const REQUESTER = 'rita.vance';

/** Who acknowledges for each recipient role of the default control card. */
const ACKER: Record<string, string> = {
  ir_lead: DEMO.irLead,
  vuln_mgmt_owner: DEMO.vulnOwner,
  service_owner: DEMO.serviceOwner,
  eng_ops_lead: DEMO.engOps,
  grc_contact: DEMO.grc,
};

interface View {
  incident: { id: string; state: string };
  weaknesses: { id: string; type: string }[];
  acknowledgments: { role: string; actor: string }[];
  remediation: { id: string; weakness_id: string; status: string }[];
  risk_acceptances: { id: string; weakness_id: string; requester: string; approver: string | null; state: string }[];
  required_roles: string[];
  evidence: { role: string; messages: { purpose: string; status: string }[] }[];
  gate: { ready: boolean; missing: { item: string; subject: string | null; message: string }[] };
}

const isoDay = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Clicks a workflow button and waits until the incident's state says `to`. */
async function moveTo(page: Page, to: string): Promise<void> {
  await page.getByRole('button', { name: `Move to ${to}`, exact: true }).click();
  await page.getByRole('button', { name: `Move to ${to}`, exact: true }).waitFor({ state: 'detached' });
}

describe('the IR-6(2) loop in the browser (chromium, real server, demo people)', () => {
  const world = useWorld({
    demo: true,
    people: { [REQUESTER]: ['responder', 'risk_approver'] },
    passwords: [...Object.values(ACKER), DEMO.approver, REQUESTER],
  });

  it('open → weaknesses → send → every role acknowledges → remediation → risk acceptance (SoD) → close refused in words → complete → closed', async () => {
    const { store, server, browser } = world();
    const token = store.token(DEMO.irLead);
    const view = async (id: string) => {
      const r = await api<View>(server.base, token, 'GET', `/incidents/${id}`);
      expect(r.status).toBe(200);
      return r.body;
    };
    const people: Person[] = [];
    const as = async (name: string) => {
      const p = await signIn(browser, server.base, name);
      people.push(p);
      return p;
    };
    try {
      // ---- the IR lead opens the incident and moves it to eradication -------------------------
      const lead = await as(DEMO.irLead);
      const page = lead.page;
      await page.goto('/incidents');
      await page.getByRole('button', { name: 'Open incident' }).click();
      const open = page.getByRole('dialog', { name: 'Open an incident' });
      await open.getByLabel('Title').fill('Admin console of the payments API reachable from the internet');
      await open.getByLabel('Severity').selectOption('high');
      await open.getByLabel('Service').fill('payments');
      await open.getByLabel('Affected assets').fill('payments-api');
      await open.getByRole('button', { name: 'Open incident' }).click();
      await page.waitForURL(/\/incidents\/INC-\d{4}-\d{4}$/);
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
      await page.getByRole('heading', { level: 1 }).filter({ hasText: id }).waitFor();
      expect((await view(id)).incident.state).toBe('reported');

      for (const to of ['Triage', 'Containment', 'Eradication']) await moveTo(page, to);
      expect((await view(id)).incident.state).toBe('eradication');

      // ---- the report-out: two weaknesses, then send --------------------------------------------
      const addWeakness = async (type: string, notes: string, action: string) => {
        await page.getByRole('button', { name: 'Add weakness' }).click();
        const d = page.getByRole('dialog', { name: 'Add a weakness' });
        await d.locator(`input[name="weakness-type"][value="${type}"]`).check();
        await d.getByLabel('Affected assets').fill('payments-api');
        await d.getByLabel('Exploitability and exposure notes').fill(notes);
        await d.getByLabel('Recommended corrective action').fill(action);
        await d.getByRole('button', { name: 'Add weakness' }).click();
        await d.waitFor({ state: 'detached' });
      };
      const send = page.getByRole('button', { name: 'Send report-out' });
      expect(await send.isDisabled(), 'Send is disabled while the report-out is empty').toBe(true);
      await addWeakness('configuration', 'The admin console listened on the public load balancer without an allow-list.', 'Bind the console to the management network and add an allow-list.');
      await addWeakness('operational', 'No review of exposed ports before a release.', 'Add an exposure review to the release checklist.');
      const weaknesses = (await view(id)).weaknesses;
      expect(weaknesses.map((w) => w.type)).toEqual(['configuration', 'operational']);
      const [fixed, accepted] = weaknesses;
      if (fixed === undefined || accepted === undefined) throw new Error('two weaknesses expected');
      await expect.poll(() => page.getByRole('table', { name: 'Weaknesses' }).getByText(fixed.id).count()).toBeGreaterThan(0);

      await send.click();
      await page.getByRole('status').filter({ hasText: /Revision 1 queued/ }).waitFor();
      const required = (await view(id)).required_roles;
      expect([...required].sort()).toEqual(Object.keys(ACKER).sort());
      // the server's dispatcher delivers to the role mailboxes (file channel) on its next pass
      await expect
        .poll(async () => (await view(id)).evidence.filter((e) => e.messages.some((m) => m.purpose === 'reportout' && m.status === 'delivered')).length, { timeout: 30_000, interval: 1_000 })
        .toBe(required.length);

      // ---- remediation item for the first weakness, moved to in progress --------------------------
      await page.reload();
      await page.getByRole('button', { name: `Add remediation item for ${fixed.id}` }).click();
      const rem = page.getByRole('dialog', { name: `Remediation item for ${fixed.id}` });
      await rem.getByLabel('Owner role').fill('service_owner');
      await rem.getByLabel('Assignee').fill('team-payments');
      await rem.getByLabel('Closure criteria').fill('The console answers only on the management network (scan from outside shows it closed).');
      await rem.getByLabel('Due date').fill(isoDay(14));
      await rem.getByRole('button', { name: 'Add remediation item' }).click();
      await rem.waitFor({ state: 'detached' });
      const item = (await view(id)).remediation.find((r) => r.weakness_id === fixed.id);
      expect(item?.status).toBe('open');
      await page.getByRole('button', { name: `Move ${item?.id ?? ''} to In progress` }).click();
      await expect.poll(async () => (await view(id)).remediation.find((r) => r.id === item?.id)?.status).toBe('in_progress');

      // ---- a risk acceptance for the second weakness, requested by a responder who is also an approver
      const rita = await as(REQUESTER);
      await rita.page.goto(`/incidents/${id}`);
      await rita.page.getByRole('button', { name: `Request risk acceptance for ${accepted.id}` }).click();
      const req = rita.page.getByRole('dialog', { name: `Request a risk acceptance for ${accepted.id}` });
      await req.getByLabel('Justification').fill('The release checklist change lands with the next quarterly process review.');
      await req.getByLabel('Compensating controls').fill('Weekly external port scan with alerting to the SOC.');
      await req.getByLabel('Review date').fill(isoDay(60));
      await req.getByRole('button', { name: 'Request risk acceptance' }).click();
      await req.waitFor({ state: 'detached' });
      const risk = (await view(id)).risk_acceptances.find((r) => r.weakness_id === accepted.id);
      expect(risk).toMatchObject({ requester: REQUESTER, state: 'requested', approver: null });
      const risks = rita.page.getByRole('table', { name: 'Risk acceptances' });
      await risks.getByText('Awaiting decision').waitFor();
      // the requester holds the approver role, yet sees no Approve/Reject on their own request
      expect(await rita.page.getByRole('button', { name: /^(Approve|Reject)\b/ }).count()).toBe(0);
      // and the API refuses them anyway (separation of duties)
      const self = await api(server.base, store.token(REQUESTER), 'POST', `/risk-acceptances/${risk?.id ?? ''}/approve`, {});
      expect(self.status, JSON.stringify(self.body)).toBeGreaterThanOrEqual(400);

      // ---- every recipient role acknowledges in its own session, but the GRC contact -------------
      for (const [role, name] of Object.entries(ACKER)) {
        if (role === 'grc_contact') continue;
        const p = name === DEMO.irLead ? lead : await as(name);
        await p.page.goto(`/incidents/${id}`);
        await p.page.getByRole('button', { name: `Acknowledge as ${role}` }).click();
        await p.page.getByRole('button', { name: `Acknowledge as ${role}` }).waitFor({ state: 'detached' });
        // nobody sees an Acknowledge button for a role they do not hold
        expect(await p.page.getByRole('button', { name: /^Acknowledge as / }).count()).toBe(0);
      }
      expect(
        (await view(id)).acknowledgments
          .map((a) => `${a.role}:${a.actor}`)
          .sort(),
      ).toEqual(
        Object.entries(ACKER)
          .filter(([r]) => r !== 'grc_contact')
          .map(([r, n]) => `${r}:${n}`)
          .sort(),
      );

      // ---- close refused: the missing items in words ---------------------------------------------
      await page.goto(`/incidents/${id}`);
      for (const to of ['Recovery', 'Post-incident']) await moveTo(page, to);
      await page.getByRole('button', { name: 'Close incident' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'cannot close yet' });
      await refused.waitFor();
      const words = await refused.textContent();
      expect(words).toContain('role grc_contact has not acknowledged the report-out');
      expect(words).toContain(`weakness ${accepted.id} has no remediation item and no approved risk acceptance`);
      expect(words).not.toContain(fixed.id);
      const gate = (await view(id)).gate;
      expect(gate.ready).toBe(false);
      expect(gate.missing.map((m) => m.item).sort()).toEqual(['roles_acknowledged', 'weakness_followthrough']);
      expect((await view(id)).incident.state).toBe('post_incident');

      // ---- complete: an approver who is not the requester approves; the GRC contact acknowledges --
      const james = await as(DEMO.approver);
      await james.page.goto(`/incidents/${id}`);
      await james.page.getByRole('button', { name: `Approve ${risk?.id ?? ''}` }).click();
      await james.page.getByRole('table', { name: 'Risk acceptances' }).getByText('Approved', { exact: true }).waitFor();
      expect((await view(id)).risk_acceptances.find((r) => r.id === risk?.id)).toMatchObject({ state: 'approved', approver: DEMO.approver });

      const grace = await as(DEMO.grc);
      await grace.page.goto(`/incidents/${id}`);
      await grace.page.getByRole('button', { name: 'Acknowledge as grc_contact' }).click();
      await grace.page.getByRole('button', { name: 'Acknowledge as grc_contact' }).waitFor({ state: 'detached' });

      // ---- close ---------------------------------------------------------------------------------
      await page.reload();
      await page.getByRole('button', { name: 'Close incident' }).click();
      await page.getByRole('button', { name: 'Reopen incident' }).waitFor();
      const closed = await view(id);
      expect(closed.incident.state).toBe('closed');
      expect(closed.acknowledgments).toHaveLength(required.length);
      const shown = await lead.page.getByRole('main').textContent();
      expect(shown).toContain('Closed');
      for (const p of people) expect(p.csp, `${p.name}: Content Security Policy messages`).toEqual([]);
    } finally {
      for (const p of people) await p.context.close();
    }
  });
});
