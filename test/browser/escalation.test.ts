/**
 * From an uploaded scanner report to its incident: the inventory and threat facts are in the store
 * (imported by the CLI, with an exploit attempt seen an hour ago), a Trivy report of the payments
 * API is uploaded on the Vulnerability response page, its result is shown, triage runs with
 * escalation, and the link of the escalation leads to the incident page. Cross-checked through the
 * API.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, DEMO, root, signIn, useWorld } from './harness.js';

const demo = (file: string) => path.join(root, 'demo', file);

describe('an escalation from an uploaded report (chromium, real server)', () => {
  const world = useWorld({ people: { [DEMO.vulnOwner]: ['vuln_mgmt_owner'] }, passwords: [DEMO.vulnOwner] });

  it('upload a Trivy report, see its progress and result, triage with escalation, follow the link to the incident', async () => {
    const { store, server, browser } = world();
    // the estate and the threat facts, as an operator loads them
    store.cli(['import', 'assets', demo('assets.json')]);
    store.cli(['import', 'kev', demo('kev-excerpt.json')]);
    store.cli(['import', 'epss', demo('epss-excerpt.csv')]);
    store.cli(['import', 'vulnerabilities', demo('vulnerabilities.json')]);
    // an exploit attempt on the payments API seen by the web application firewall an hour ago
    const signals = path.join(store.dir, 'signals.ndjson');
    const signal = { id: 'WAF-1', time: new Date(Date.now() - 3_600_000).toISOString(), asset: 'payments-api', kind: 'exploit_attempt', vulnerability: 'CVE-2021-44228', component: 'log4j-core', source: 'edge-waf', alert: 'WAF-RULE-944150', indicator: '198.51.100.77', confidence: 'high' };
    writeFileSync(signals, `${JSON.stringify(signal)}\n`);
    store.cli(['import', 'signals', signals]);
    const token = store.token(DEMO.vulnOwner);
    const before = await api<{ incidents: { id: string }[] }>(server.base, token, 'GET', '/incidents');
    expect(before.body.incidents).toEqual([]);

    const p = await signIn(browser, server.base, DEMO.vulnOwner);
    try {
      const page = p.page;
      await page.goto('/vulnerabilities');
      await page.getByRole('heading', { level: 1, name: 'Vulnerability response' }).waitFor();
      await page.getByLabel('Report kind').selectOption('findings');
      await page.getByLabel('Report file').setInputFiles(demo('trivy-payments-api.json'));
      // progress: every progress bar the page shows (the upload's, the import job's) until the result replaces it
      await page.evaluate(`window.__progress = []; new MutationObserver(() => document.querySelectorAll('[role=progressbar]').forEach((e) => window.__progress.push((e.getAttribute('aria-label') || '') + ': ' + (e.getAttribute('aria-valuetext') || e.getAttribute('aria-valuenow') || '')))).observe(document.body, { subtree: true, childList: true, attributes: true })`);
      await page.getByRole('button', { name: 'Upload' }).click();
      const result = page.getByRole('region', { name: 'Import result' });
      await result.waitFor({ timeout: 60_000 });
      const seen = await page.evaluate<string[]>('window.__progress');
      const words = (await result.innerText()).toLowerCase();
      expect(words).toContain('trivy-payments-api.json imported');
      expect(words).toMatch(/new\s*\n?\s*[1-9]/);
      // the button said it was busy while the job ran, and is usable again
      expect(await page.getByRole('button', { name: 'Upload' }).isDisabled()).toBe(false);
      // the stored import, seen through the API
      const imports = await api<{ imports: { kind: string; file: string; by: string }[] }>(server.base, token, 'GET', '/imports');
      expect(imports.status).toBe(200);
      expect(imports.body.imports.filter((i) => i.kind === 'findings').map((i) => `${path.basename(i.file)} by ${i.by}`)).toEqual([`trivy-payments-api.json by ${DEMO.vulnOwner}`]);

      // triage with escalation
      await page.getByRole('tab', { name: 'Triage' }).click();
      await page.getByLabel(/Hand escalations to incident response/).check();
      await page.getByRole('button', { name: 'Run triage' }).click();
      const triage = page.getByRole('region', { name: 'Triage result' });
      await triage.waitFor({ timeout: 60_000 });
      const summary = await triage.innerText();
      expect(summary, summary).toContain('Triage finished');
      expect(summary, summary).toContain('Handed to incident response');
      const link = triage.getByRole('link', { name: /^INC-\d{4}-\d{4}$/ }).first();
      const id = (await link.textContent()) ?? '';
      const after = await api<{ incidents: { id: string }[] }>(server.base, token, 'GET', '/incidents');
      expect(after.body.incidents.map((i) => i.id)).toContain(id);

      await link.click();
      await page.waitForURL(new RegExp(`/incidents/${id}$`));
      await page.getByRole('heading', { level: 1 }).filter({ hasText: id }).waitFor();
      const view = await api<{ decisions: { outcome: string }[]; assets: string[] }>(server.base, token, 'GET', `/incidents/${id}`);
      expect(view.body.assets).toContain('payments-api');
      expect(view.body.decisions.length).toBeGreaterThan(0);
      expect(p.csp, 'Content Security Policy messages').toEqual([]);
      // reported, not asserted: a small file may be imported before the first look at its job
      console.log(`progress shown during the upload: ${seen.length === 0 ? '(none: the job had finished at its first look)' : [...new Set(seen)].join(' | ')}`);
    } finally {
      await p.context.close();
    }
  });
});
