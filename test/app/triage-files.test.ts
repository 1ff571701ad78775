import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageFiles, type TriageFiles } from '../../src/app/triage-files.js';
import type { Decision } from '../../src/domain/escalation/index.js';
import { corpusPath } from '../helpers/corpus.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const KEV = corpusPath('kev/lodestone-mirror_2026.08.07/known_exploited_vulnerabilities.json');
const EPSS = corpusPath('epss/epss_scores-2026-09-29.excerpt.csv');
// CVE-2021-41773 (Apache httpd path traversal) is in the KEV catalog and the EPSS excerpt.
const KEV_CVE = 'CVE-2021-41773';

type Obj = Record<string, unknown>;
interface Scenario {
  name: string;
  assets: Obj[];
  vulnerabilities?: Obj[];
  findings: Obj[];
  signals?: Obj[];
  openvex?: Obj;
  kev?: boolean;
  expect: { outcome: 'escalate' | 'stay'; triggers?: string[]; stay_reasons?: string[]; flags?: string[]; absentTriggers?: string[] };
}

const internetApp = { id: 'app-1', exposure: 'internet', auth_required: false, owner: 'web', business_critical: false };
const finding = (over: Obj = {}): Obj => ({ id: 'f-1', vulnerability: KEV_CVE, asset: 'app-1', component: 'httpd', version: '2.4.49', ...over });
const signal = (over: Obj): Obj => ({ id: 'sig-1', time: '2026-11-27T10:00:00Z', asset: 'app-1', source: 'waf', ...over });

const scenarios: Scenario[] = [
  { name: 'exploit attempt tied by the same vulnerability', assets: [internetApp], findings: [finding()], signals: [signal({ kind: 'exploit_attempt', vulnerability: KEV_CVE })], expect: { outcome: 'escalate', triggers: ['observed_exploitation'] } },
  { name: 'suspicious payload tied by the same component on the same asset', assets: [internetApp], findings: [finding()], signals: [signal({ kind: 'suspicious_payload', component: 'httpd' })], expect: { outcome: 'escalate', triggers: ['observed_exploitation'] } },
  { name: 'an exploit attempt on another asset does not tie', assets: [internetApp, { id: 'app-2' }], findings: [finding({ validation: 'unvalidated' })], signals: [signal({ kind: 'exploit_attempt', asset: 'app-2', vulnerability: KEV_CVE })], kev: false, vulnerabilities: [{ id: KEV_CVE }], expect: { outcome: 'stay', absentTriggers: ['observed_exploitation'] } },
  { name: 'a webshell on the asset is confirmed compromise', assets: [{ id: 'app-1', exposure: 'internal' }], findings: [finding()], signals: [signal({ kind: 'webshell' })], kev: false, expect: { outcome: 'escalate', triggers: ['confirmed_compromise'] } },
  { name: 'KEV + internet-facing + validated is dangerous exposure', assets: [internetApp], findings: [finding({ validation: 'validated' })], expect: { outcome: 'escalate', triggers: ['dangerous_exposure'] } },
  { name: 'KEV + internet + reachable but not_affected never escalates on exposure', assets: [internetApp], findings: [finding({ validation: 'not_affected', reachability: 'reachable' })], expect: { outcome: 'stay', absentTriggers: ['dangerous_exposure', 'scope_unknown'] } },
  { name: 'a false positive never escalates on exposure', assets: [{ ...internetApp, business_critical: true, owner: null }], findings: [finding({ validation: 'false_positive', reachability: 'reachable' })], expect: { outcome: 'stay', absentTriggers: ['dangerous_exposure', 'scope_unknown'] } },
  { name: 'isolated, authenticated, non-critical is not critical reachability', assets: [{ id: 'app-1', exposure: 'isolated', auth_required: true, privileged: false, business_critical: false, owner: 'ops' }], findings: [finding({ validation: 'validated', reachability: 'reachable' })], expect: { outcome: 'stay', absentTriggers: ['dangerous_exposure'] } },
  { name: 'unvalidated KEV on the internet: validate urgently', assets: [internetApp], findings: [finding()], expect: { outcome: 'stay', stay_reasons: ['unvalidated_scanner_finding'], flags: ['validate_urgently'] } },
  { name: 'an analyst containment flag', assets: [{ id: 'app-1' }], findings: [finding({ containment_needed: 'emergency WAF rule' })], kev: false, expect: { outcome: 'escalate', triggers: ['containment_needed'] } },
  { name: 'exploit pressure on a business-critical asset with no owner: scope unknown', assets: [{ id: 'app-1', business_critical: true, owner: null }], findings: [finding()], expect: { outcome: 'escalate', triggers: ['scope_unknown'] } },
  { name: 'regulated data + data access signal', assets: [{ id: 'app-1', regulated: ['pii'] }], findings: [finding()], signals: [signal({ kind: 'data_access' })], kev: false, expect: { outcome: 'escalate', triggers: ['confirmed_compromise', 'regulated_impact'] } },
  { name: 'a high CVSS score alone stays', assets: [{ id: 'app-1', owner: 'ops' }], vulnerabilities: [{ id: 'CVE-2099-0001', cvss: { version: '3.1', base_score: 9.8 } }], findings: [finding({ vulnerability: 'CVE-2099-0001' })], expect: { outcome: 'stay', stay_reasons: ['high_score_only'] } },
  { name: 'a public PoC without environment fit stays', assets: [{ id: 'app-1', exposure: 'internal', owner: 'ops' }], vulnerabilities: [{ id: 'CVE-2099-0002', public_poc: true, exploitation: 'poc' }], findings: [finding({ vulnerability: 'CVE-2099-0002' })], expect: { outcome: 'stay', stay_reasons: ['poc_without_environment_fit'] } },
  { name: 'a vendor advisory alone stays', assets: [{ id: 'app-1', owner: 'ops' }], vulnerabilities: [{ id: 'CVE-2099-0003', vendor_advisory: true }], findings: [finding({ vulnerability: 'CVE-2099-0003' })], expect: { outcome: 'stay', stay_reasons: ['vendor_advisory_only', 'unvalidated_scanner_finding'] } },
  {
    name: 'an OpenVEX not_affected statement keeps a KEV finding on the internet from escalating on exposure',
    assets: [internetApp],
    findings: [finding({ reachability: 'reachable' })],
    openvex: {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'vendor',
      timestamp: '2026-11-01T00:00:00Z',
      version: 1,
      statements: [{ vulnerability: { name: KEV_CVE }, products: [{ '@id': 'pkg:generic/httpd@2.4.49' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
    },
    expect: { outcome: 'stay', absentTriggers: ['dangerous_exposure'] },
  },
];

function writeScenario(s: Scenario): TriageFiles {
  const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-scenario-'));
  const w = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const ndjson = (rows: Obj[]) => rows.map((r) => JSON.stringify(r)).join('\n');
  return {
    assets: [w('assets.json', JSON.stringify(s.assets))],
    vulnerabilities: s.vulnerabilities ? [w('vulns.ndjson', ndjson(s.vulnerabilities))] : [],
    findings: [w('findings.ndjson', ndjson(s.findings))],
    signals: s.signals ? [w('signals.ndjson', ndjson(s.signals))] : [],
    kev: s.kev === false ? [] : [KEV],
    epss: [EPSS],
    advisories: s.openvex ? [w('vex.json', JSON.stringify(s.openvex))] : [],
  };
}

describe('triage over native files (SPEC §2 scenarios)', () => {
  it.each(scenarios)('$name', async (s) => {
    const decisions: Decision[] = [];
    await triageFiles(writeScenario(s), await loadRuleset(), (d) => decisions.push(d));
    expect(decisions).toHaveLength(s.findings.length);
    const d = decisions[0];
    expect(d?.outcome).toBe(s.expect.outcome);
    for (const t of s.expect.triggers ?? []) expect(d?.triggers).toContain(t);
    for (const t of s.expect.absentTriggers ?? []) expect(d?.triggers).not.toContain(t);
    for (const r of s.expect.stay_reasons ?? []) expect(d?.stay_reasons).toContain(r);
    for (const f of s.expect.flags ?? []) expect(d?.flags).toContain(f);
    if (d?.outcome === 'stay') expect(d.triggers).toEqual([]);
    else expect(d?.triggers.length).toBeGreaterThan(0);
  });

  it('needs at least one findings file', async () => {
    const decisions: Decision[] = [];
    await expect(triageFiles({ findings: [] }, await loadRuleset(), (d) => decisions.push(d))).rejects.toMatchObject({ code: 'CL_BAD_INPUT', message: expect.stringMatching(/findings: triage over files needs at least one findings file/) });
    expect(decisions).toEqual([]);
  });

  it('prints the FORMATS.md shape with --json and a readable table without', () => {
    const files = writeScenario(scenarios[0] as Scenario);
    const args = ['--assets', ...(files.assets ?? []), '--findings', ...files.findings, '--signals', ...(files.signals ?? []), '--kev', KEV, '--epss', EPSS];
    const flat = args.flatMap((a, i) => (a.startsWith('--') || i === 0 ? [a] : [a]));
    const run = (extra: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'triage', ...flat, ...extra], { encoding: 'utf8' });
    const json = run(['--json']);
    expect(json.status, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { ruleset: string; decisions: Obj[] };
    expect(out.ruleset).toMatch(/^\d{4}\.\d+\.\d+$/);
    expect(Object.keys(out.decisions[0] ?? {})).toEqual(['finding', 'asset', 'vulnerability', 'outcome', 'triggers', 'stay_reasons', 'flags', 'next_actions', 'ssvc', 'evidence']);
    expect(out.decisions[0]).toMatchObject({ finding: 'f-1', outcome: 'escalate', ssvc: expect.stringMatching(/^(Track\*?|Attend|Act)$/) });
    expect(out.decisions[0]?.evidence).toContain('sig-1');
    const human = run([]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('1 escalate, 0 stay');
    expect(human.stdout).toContain('observed_exploitation');
  });

  it('a missing file or a bad record is a clear error with exit 2', () => {
    const bin = path.join(root, 'bin', 'closeloop.js');
    const missing = spawnSync(process.execPath, [bin, 'triage', '--findings', '/nonexistent/f.ndjson'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/f.ndjson does not exist');
    const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-bad-'));
    const bad = path.join(dir, 'assets.json');
    writeFileSync(bad, JSON.stringify([{ id: 'a' }, { id: 'b', exposure: 'moon' }]));
    const f = path.join(dir, 'f.ndjson');
    writeFileSync(f, JSON.stringify({ vulnerability: 'CVE-1', asset: 'a' }));
    const r = spawnSync(process.execPath, [bin, 'triage', '--assets', bad, '--findings', f], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/assets\.json.*record 1.*field exposure/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
