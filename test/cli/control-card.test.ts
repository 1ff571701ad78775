/**
 * `closeloop control-card` as a person runs it: the card rendered in Markdown and as one
 * self-contained HTML page (content asserted, a card holding markup escaped), written to a file,
 * an earlier version shown after a bump, `history`, and the refusals (an unknown version, an
 * edited card with the same version).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectExit, runCliBy } from '../helpers/cli.js';

let dir: string;
const cli = (args: string[]) => runCliBy(dir, path.join(dir, 'c.db'), args, 'alice');
const configFile = () => path.join(dir, 'closeloop.yaml');
const editCard = (fn: (c: Record<string, unknown>) => void) => {
  const doc = parse(readFileSync(configFile(), 'utf8')) as { control_card: Record<string, unknown> };
  fn(doc.control_card);
  writeFileSync(configFile(), stringify(doc));
};

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'closeloop-card-'));
  expectExit(await cli(['init']), 0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('closeloop control-card', () => {
  it('renders the card in force as Markdown: every part of the card, its version and when it took effect', async () => {
    const r = await cli(['control-card']);
    expectExit(r, 0);
    const md = r.stdout;
    expect(md).toMatch(/^# Control card IR-6\(2\), version 1\n/);
    expect(md).toMatch(/- In force; took effect \d{4}-\d{2}-\d{2}T[\d:.]+Z \(recorded by alice\)/);
    for (const heading of ['Objective', 'Owner role', 'Triggers', 'Recipient roles', 'Workflow steps', 'Exception rules', 'Evidence location']) expect(md).toContain(`\n## ${heading}\n`);
    expect(md).toContain('Every reported incident yields a vulnerability report-out');
    expect(md).toContain('\n## Owner role\n\nir\\_lead\n');
    expect(md).toContain('- vuln\\_mgmt\\_owner\n');
    expect(md).toContain('1. open the report-out task on entering eradication\n');
    expect(md).toContain('7. close through the closure gate\n');
    expect(md).toContain('- Risk acceptances are approved by: risk\\_approver\n- Review at most every 180 days\n- The requester may not approve their own request');
    expect(md).toContain('\n## Evidence location\n\n./evidence\n');
  });

  it('renders one self-contained HTML page with every value escaped, written with -o', async () => {
    editCard((c) => {
      c.version = 2;
      c.objective = 'Stop <script>alert("x")</script> & report';
      c.triggers = ['<img src=x onerror=alert(1)>'];
    });
    const r = await cli(['control-card', '--format', 'html', '-o', 'card.html', '--json']);
    expectExit(r, 0);
    expect(r.json()).toMatchObject({ file: 'card.html', format: 'html', version: 2 });
    const html = readFileSync(path.join(dir, 'card.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Control card IR-6(2), version 2</title>');
    expect(html).toContain('<p>Stop &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; report</p>');
    expect(html).toContain('<li>&lt;img src=x onerror=alert(1)&gt;</li>');
    expect(html).not.toMatch(/<script|<img|src="http|href="http/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).toContain('<h2>Workflow steps</h2>\n<ol><li>open the report-out task on entering eradication</li>');
    // the same card in Markdown shows the markup as text, never as HTML
    const md = (await cli(['control-card'])).stdout;
    expect(md).toContain('Stop \\<script\\>alert("x")\\</script\\> \\& report');
  });

  it('shows an earlier version after a bump, lists the history, and refuses an unknown version and an edit without a bump', async () => {
    editCard((c) => {
      c.version = 2;
      c.evidence_location = './evidence-2027';
    });
    const v1 = await cli(['control-card', '--version', '1', '--format', 'json']);
    expectExit(v1, 0);
    const shown = JSON.parse(v1.stdout) as { version: number; in_force: boolean; card: { evidence_location: string }; digest: string };
    expect(shown).toMatchObject({ version: 1, in_force: false, card: { evidence_location: './evidence' } });
    expect(shown.digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli(['control-card', '--version', '1'])).stdout).toContain('- Superseded; took effect');

    const history = await cli(['control-card', 'history']);
    expectExit(history, 0);
    expect(history.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/^v1 {2}took effect \S+ {2}by alice {2}sha256 [0-9a-f]{12}$/), expect.stringMatching(/^v2 {2}took effect \S+ {2}by system:config {2}sha256 [0-9a-f]{12} {2}\(in force\)$/)]);
    const json = (await cli(['control-card', 'history', '--json'])).json() as { versions: { version: number }[] };
    expect(json.versions.map((v) => v.version)).toEqual([1, 2]);

    const unknown = await cli(['control-card', '--version', '9']);
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('control card version 9 not found');

    editCard((c) => (c.evidence_location = './somewhere-else'));
    const refused = await cli(['control-card']);
    expectExit(refused, 2);
    expect(refused.stderr).toContain(`${configFile()}: control_card.version 2 was recorded`);
    expect(refused.stderr).toContain('bump the version (control_card.version: 3)');
  });
});

describe('closeloop incident show', () => {
  it('names the control card version the incident was opened under', async () => {
    expectExit(await cli(['people', 'add', 'bob', '--roles', 'ir_lead']), 0);
    const opened = await runCliBy(dir, path.join(dir, 'c.db'), ['incident', 'open', '--title', 'Phish', '--severity', 'low', '--json'], 'bob');
    expectExit(opened, 0);
    const id = String(opened.json().id);
    expect(opened.json().control_card_version).toBe(1);
    const shown = await runCliBy(dir, path.join(dir, 'c.db'), ['incident', 'show', id], 'bob');
    expect(shown.stdout).toContain('  control card: version 1 (`closeloop control-card --version 1`)');
  });
});
