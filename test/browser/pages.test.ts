/**
 * Every page on the demo data: axe-core finds no serious or critical violation, the page body
 * never scrolls sideways at a phone width (390×844) or at 1280×800 (tables scroll inside their
 * .table-wrap), and, reported rather than asserted, how long each main page takes from navigation
 * to its heading and its data (.tmp/page-load.json) with a screenshot of each.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO, newPerson, pageReady, root, signIn, useWorld, writeTmp, type Person, type World } from './harness.js';

const AXE = path.join(root, 'node_modules', 'axe-core', 'axe.min.js');

/** Screenshots go to .tmp/screenshots, or where CLOSELOOP_SCREENSHOTS_DIR says (docs/screenshots to refresh the committed ones). */
const SHOTS = path.resolve(root, process.env.CLOSELOOP_SCREENSHOTS_DIR ?? path.join('.tmp', 'screenshots'));

interface Target {
  name: string;
  path: string;
  /** Who opens it: the IR lead, or the administrator for the settings. */
  as: string;
}

/** The pages with an id from the demo data: an escalated finding and its incident. */
function targets(w: World): Target[] {
  const [esc] = w.store.rows<{ finding_id: string; incident_id: string }>("SELECT finding_id, incident_id FROM decisions WHERE outcome = 'escalate' AND incident_id IS NOT NULL ORDER BY decided_at LIMIT 1");
  if (esc === undefined) throw new Error('the demo data has no escalated finding');
  return [
    { name: 'my-work', path: '/work', as: DEMO.irLead },
    { name: 'incidents', path: '/incidents', as: DEMO.irLead },
    { name: 'incident', path: `/incidents/${esc.incident_id}`, as: DEMO.irLead },
    { name: 'remediation', path: '/remediation', as: DEMO.irLead },
    { name: 'risks', path: '/risks', as: DEMO.irLead },
    { name: 'vulnerabilities', path: '/vulnerabilities', as: DEMO.irLead },
    { name: 'finding', path: `/vulnerabilities/findings/${encodeURIComponent(esc.finding_id)}`, as: DEMO.irLead },
    { name: 'dashboard', path: '/dashboard', as: DEMO.irLead },
    { name: 'deliveries', path: '/deliveries', as: DEMO.irLead },
    { name: 'audit', path: '/audit', as: DEMO.irLead },
    { name: 'health-checks', path: '/health-checks', as: DEMO.irLead },
    { name: 'settings', path: '/settings', as: 'admin' },
  ];
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page; the serious and critical violations, one line each. */
async function axeProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate<Violation[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)");
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}${v.nodes.length > 5 ? ', …' : ''})`);
}

/** What makes the page body wider than the viewport: the elements sticking out, but inside a .table-wrap that scrolls. */
const OVERFLOW = `(() => {
  const width = document.documentElement.clientWidth;
  const over = document.documentElement.scrollWidth - width;
  if (over <= 0) return [];
  // text too long to wrap sticks out of a box that keeps its width: name the box holding it
  const texts = () => {
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n !== null; n = walk.nextNode()) {
      const r = document.createRange();
      r.selectNodeContents(n);
      const box = n.parentElement;
      const wrap = box && box.closest('.table-wrap');
      if (r.getBoundingClientRect().right > width + 1 && box && !(wrap && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX))) out.push(box);
    }
    return out;
  };
  return Array.from(document.querySelectorAll('body *'))
    .filter((e) => {
      const wrap = e.parentElement && e.parentElement.closest('.table-wrap');
      const scrolls = wrap !== null && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX);
      return !scrolls && e.getBoundingClientRect().right > width + 1;
    })
    .concat(texts())
    .slice(0, 8)
    .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '') + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + ' px)')
    .concat(['page ' + (width + over) + ' px wide in a ' + width + ' px viewport']);
})()`;

describe('every page (chromium, real server, demo data)', () => {
  const world = useWorld({ demo: true, passwords: [DEMO.irLead, 'admin'] });

  it('axe-core finds no serious or critical violation on any page, signed out or signed in', async () => {
    const w = world();
    const problems: string[] = [];
    // signed out: the sign-in and set-password pages; axe's script needs the CSP bypassed, in this context only
    const out = await newPerson(w.browser, w.server.base, 'nobody', { bypassCSP: true });
    try {
      for (const at of ['/', '/set-password?token=not-a-real-token']) {
        await out.page.goto(at);
        await out.page.locator('main h1').first().waitFor();
        problems.push(...(await axeProblems(out.page)).map((p) => `${at}: ${p}`));
      }
    } finally {
      await out.context.close();
    }
    const people = new Map<string, Person>();
    try {
      for (const t of targets(w)) {
        let p = people.get(t.as);
        if (p === undefined) {
          p = await signIn(w.browser, w.server.base, t.as, undefined, { bypassCSP: true });
          people.set(t.as, p);
        }
        await p.page.goto(t.path);
        await pageReady(p.page);
        problems.push(...(await axeProblems(p.page)).map((x) => `${t.path}: ${x}`));
      }
    } finally {
      for (const p of people.values()) await p.context.close();
    }
    expect(problems, `axe-core serious/critical violations:\n${problems.join('\n')}`).toEqual([]);
  });

  it('no page scrolls sideways at 390×844 or at 1280×800 (tables scroll inside .table-wrap)', async () => {
    const w = world();
    const problems: string[] = [];
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 800 },
    ]) {
      const people = new Map<string, Person>();
      try {
        for (const t of targets(w)) {
          let p = people.get(t.as);
          if (p === undefined) {
            p = await signIn(w.browser, w.server.base, t.as, undefined, { viewport });
            people.set(t.as, p);
          }
          await p.page.goto(t.path);
          await pageReady(p.page);
          const over = await p.page.evaluate<string[]>(OVERFLOW);
          if (over.length > 0) problems.push(`${viewport.width}×${viewport.height} ${t.path}: ${over.join('; ')}`);
        }
        // the sign-in form too
        const out = await newPerson(w.browser, w.server.base, 'nobody', { viewport });
        await out.page.goto('/');
        await out.page.locator('main h1').first().waitFor();
        const over = await out.page.evaluate<string[]>(OVERFLOW);
        if (over.length > 0) problems.push(`${viewport.width}×${viewport.height} sign-in: ${over.join('; ')}`);
        await out.context.close();
      } finally {
        for (const p of people.values()) await p.context.close();
      }
    }
    expect(problems, `pages wider than the viewport:\n${problems.join('\n')}`).toEqual([]);
  });

  it('measures each main page from navigation to its heading and its data, and takes screenshots (figures reported, not asserted)', async () => {
    const w = world();
    mkdirSync(SHOTS, { recursive: true });
    const rows: { page: string; path: string; heading_ms: number; data_ms: number; runs: number }[] = [];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const RUNS = 3;
    const people = new Map<string, Person>();
    const big: string[] = [];
    try {
      for (const t of targets(w)) {
        let p = people.get(t.as);
        if (p === undefined) {
          p = await signIn(w.browser, w.server.base, t.as);
          people.set(t.as, p);
        }
        const heading: number[] = [];
        const data: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const start = performance.now();
          await p.page.goto(t.path, { waitUntil: 'commit' });
          await p.page.locator('main h1').first().waitFor();
          heading.push(performance.now() - start);
          await pageReady(p.page);
          data.push(performance.now() - start);
        }
        rows.push({ page: t.name, path: t.path, heading_ms: Math.round(median(heading)), data_ms: Math.round(median(data)), runs: RUNS });
        const file = path.join(SHOTS, `${t.name}.png`);
        // the charts draw themselves in (recharts animates for about a second)
        await p.page.waitForTimeout(1_500);
        await p.page.screenshot({ path: file });
        if (statSync(file).size > 250_000) big.push(`${t.name}.png ${statSync(file).size} bytes`);
      }
      // My work at a phone width
      const mobile = await signIn(w.browser, w.server.base, DEMO.irLead, undefined, { viewport: { width: 390, height: 844 } });
      await mobile.page.goto('/work');
      await pageReady(mobile.page);
      await mobile.page.waitForTimeout(1_500);
      await mobile.page.screenshot({ path: path.join(SHOTS, 'my-work-phone.png') });
      await mobile.context.close();
    } finally {
      for (const p of people.values()) await p.context.close();
    }
    const file = writeTmp('page-load.json', { measured_at: new Date().toISOString(), base: 'closeloop serve, SQLite, closeloop demo data, chromium headless 1280×800', unit: 'ms, median of runs', pages: rows });
    console.log(`page loads (${file}), median of ${RUNS} navigations:\n${['page'.padEnd(18) + 'heading ms'.padStart(11) + 'data ms'.padStart(10), ...rows.map((r) => r.page.padEnd(18) + String(r.heading_ms).padStart(11) + String(r.data_ms).padStart(10))].join('\n')}`);
    expect(rows.length).toBe(targets(w).length);
    expect(big, 'screenshots over 250 KB').toEqual([]);
  });
});
