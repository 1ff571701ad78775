/**
 * Signing in through the form, with the mouse and with the keyboard alone, the skip link, and the
 * server's security headers with the application working under its Content Security Policy.
 */
import { describe, expect, it } from 'vitest';
import { api, DEMO, newPerson, PASSWORD, signIn, useWorld } from './harness.js';

describe('signing in (chromium, real server, demo data)', () => {
  const world = useWorld({ demo: true, passwords: [DEMO.irLead, DEMO.auditor] });

  it('signed out, / shows the sign-in form; after signing in, /incidents lists the incidents by id', async () => {
    const { store, server, browser } = world();
    const p = await newPerson(browser, server.base);
    try {
      await p.page.goto('/');
      await expect.poll(() => p.page.getByRole('heading', { level: 1 }).textContent()).toMatch(/sign in/i);
      await expect.poll(() => p.page.getByRole('textbox', { name: 'User name' }).count()).toBe(1);
      expect(await p.page.getByLabel('Password').getAttribute('type')).toBe('password');
      // nothing of the signed-in frame yet
      expect(await p.page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

      // a wrong password is refused in words, and the form stays
      await p.page.getByLabel('User name').fill(DEMO.irLead);
      await p.page.getByLabel('Password').fill('not the password at all');
      await p.page.getByRole('button', { name: 'Sign in' }).click();
      const refused = p.page.getByRole('alert').filter({ hasText: 'Could not sign in' });
      await refused.waitFor();
      // the server's own words, not a bare status line
      expect(await refused.textContent()).not.toMatch(/the server answered \d+/);
      expect(await p.page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

      await p.page.getByLabel('Password').fill(PASSWORD);
      await p.page.getByRole('button', { name: 'Sign in' }).click();
      await p.page.getByRole('navigation', { name: 'Main' }).waitFor();
      expect(await p.page.getByRole('banner').textContent()).toContain(DEMO.irLead);

      await p.page.goto('/incidents');
      const ids = (await api<{ incidents: { id: string }[] }>(server.base, store.token(DEMO.irLead), 'GET', '/incidents?limit=200')).body.incidents.map((i) => i.id);
      expect(ids.length).toBeGreaterThan(3);
      const first = p.page.getByRole('main').getByRole('link', { name: ids[0], exact: true });
      await first.waitFor();
      const shown = await p.page.getByRole('main').getByRole('link', { name: /^INC-\d{4}-\d{4}$/ }).allTextContents();
      expect(shown.length).toBeGreaterThan(3);
      for (const id of shown) expect(ids).toContain(id);
      expect(p.csp).toEqual([]);
    } finally {
      await p.context.close();
    }
  });

  it('the sign-in form can be completed with the keyboard alone', async () => {
    const { server, browser } = world();
    const p = await newPerson(browser, server.base);
    try {
      await p.page.goto('/');
      await p.page.getByRole('button', { name: 'Sign in' }).waitFor();
      // the focused control's own label (`labels` of an input), or '' when the focus is elsewhere
      const focusedLabel = () => p.page.evaluate<string>('(document.activeElement && document.activeElement.labels && document.activeElement.labels[0] && document.activeElement.labels[0].textContent) || ""');
      // Tab until the user name field has the focus (it is among the first stops)
      for (let i = 0; i < 6 && !(await focusedLabel()).includes('User name'); i++) await p.page.keyboard.press('Tab');
      expect(await focusedLabel()).toContain('User name');
      await p.page.keyboard.type(DEMO.auditor);
      await p.page.keyboard.press('Tab');
      expect(await focusedLabel()).toContain('Password');
      await p.page.keyboard.type(PASSWORD);
      await p.page.keyboard.press('Enter');
      await p.page.getByRole('navigation', { name: 'Main' }).waitFor();
      expect(await p.page.getByRole('banner').textContent()).toContain(DEMO.auditor);
    } finally {
      await p.context.close();
    }
  });

  it('Tab from page load reaches the skip link first, and Enter on it moves the focus to the main region', async () => {
    const { server, browser } = world();
    const p = await signIn(browser, server.base, DEMO.irLead);
    try {
      for (const at of ['/work', '/incidents']) {
        await p.page.goto(at);
        await p.page.getByRole('navigation', { name: 'Main' }).waitFor();
        await p.page.keyboard.press('Tab');
        const focused = await p.page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""');
        expect(focused, `${at}: the first Tab stop`).toBe('Skip to content');
        await p.page.keyboard.press('Enter');
        await expect.poll(() => p.page.evaluate<string>('document.activeElement ? document.activeElement.id : ""'), { message: `${at}: focus after the skip link` }).toBe('main');
        expect(await p.page.evaluate<string>('document.activeElement.tagName')).toBe('MAIN');
      }
    } finally {
      await p.context.close();
    }
  });

  it('the server sends a strict Content Security Policy and the pages work under it', async () => {
    const { server, browser } = world();
    const res = await fetch(`${server.base}/incidents`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy');
    expect(csp, 'content-security-policy header').not.toBeNull();
    const directives = new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k ?? '', v]));
    const scripts = directives.get('script-src') ?? directives.get('default-src') ?? [];
    expect(scripts, `script-src of ${csp}`).toContain("'self'");
    expect(scripts).not.toContain("'unsafe-inline'");
    expect(scripts).not.toContain("'unsafe-eval'");
    expect(directives.get('object-src') ?? directives.get('default-src')).toContain("'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const api1 = await fetch(`${server.base}/api/v1/session`);
    expect(api1.status).toBe(401);

    const p = await signIn(browser, server.base, DEMO.irLead);
    try {
      const errors: string[] = [];
      p.page.on('pageerror', (e) => errors.push(e.message));
      for (const at of ['/work', '/incidents', '/remediation', '/risks', '/vulnerabilities', '/dashboard', '/deliveries', '/audit', '/settings']) {
        await p.page.goto(at);
        await p.page.locator('main h1').first().waitFor();
      }
      expect(p.csp, 'Content Security Policy messages in the console').toEqual([]);
      expect(errors, 'uncaught errors in the pages').toEqual([]);
    } finally {
      await p.context.close();
    }
  });
});
