import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ocsfParser, ocsfSignalKind } from '../../src/ingest/ocsf.js';
import { corpusPath } from '../helpers/corpus.js';
import { assertRobust, bytes, collect, corpusSource, expectImportError, importError, recordsOf } from './ingest-helpers.js';

const DIR = 'ocsf/examples';
const GUARDDUTY = `${DIR}/aws-guardduty_detection-finding_2004_v1.1.0.ocsf.json`;
const OKTA = `${DIR}/okta_detection-finding_2004_v1.3.0.ocsf.json`;
const PROWLER = `${DIR}/prowler_detection-finding_2004_v1.3.0.ocsf.json`;
const FALCO = `${DIR}/falco_security-finding_2001_v0.1.0.ocsf.json`;
const SSC = `${DIR}/ssc-malware_security-finding_2001_v1.0.0.ocsf.json`;
const QRADAR = `${DIR}/qradar-offense_security-finding_2001.ocsf.json`;
const INSPECTOR = `${DIR}/aws-inspector_vulnerability-finding_2002_v1.1.0.ocsf.json`;
const PCI = `${DIR}/aws-securityhub-pci_compliance-finding_2003_v1.1.0.ocsf.json`;

const compact = (rel: string): string => JSON.stringify(JSON.parse(readFileSync(corpusPath(rel), 'utf8')));

async function signalsOf(rel: string) {
  return recordsOf(await collect(ocsfParser.parse(corpusSource(rel), { file: rel })), 'signal');
}

/** A minimal valid Detection Finding with overrides. */
function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    class_uid: 2004,
    time: 1700000000000,
    metadata: { uid: 'evt-1', product: { name: 'EDR' } },
    finding_info: { uid: 'f-1', title: 'Something odd' },
    device: { hostname: 'host-1' },
    ...over,
  };
}

describe('OCSF parser', () => {
  describe('corpus Detection Findings (2004)', () => {
    it('GuardDuty: Defense Evasion type → post_exploit', async () => {
      const [s, ...rest] = await signalsOf(GUARDDUTY);
      expect(rest).toHaveLength(0);
      expect(s).toMatchObject({
        id: 'arn:aws:guardduty:us-east-2:111111111111:detector/1ac1bfceda6679698215d5d0EXAMPLE/finding/a6c556fcbc9bea427a19f8b787099a0b',
        time: '2023-09-19T15:05:22.487Z',
        asset: 'AWS::IAM::AccessKey:ASIATMJPC7EXAMPLE',
        kind: 'post_exploit',
        vulnerability: null,
        source: 'GuardDuty',
        indicator: '52.94.133.131',
        alert: 'AWS CloudTrail trail arn:aws:cloudtrail:us-east-2:111111111111:trail/delete-me was disabled.',
        confidence: null,
      });
      expect(s?.extra.ocsf).toMatchObject({ class_uid: 2004, severity: 'Low', kind_from: expect.stringContaining('Defense Evasion') });
    });

    it('Okta: epoch seconds, resource name as asset, Login Failures → abnormal_auth', async () => {
      const [s] = await signalsOf(OKTA);
      expect(s).toMatchObject({
        id: 'dc9fd3c0-598c-11ef-8478-2b7584bf8d5a',
        time: '2024-08-13T15:58:20.000Z',
        asset: '/app/office365/1111111111/sso/wsfed/active',
        kind: 'abnormal_auth',
        source: 'Okta System Log',
        alert: 'Login Failures',
        indicator: '10.0.0.1',
      });
    });

    it('Prowler: no ATT&CK hint → the default suspicious_payload', async () => {
      const [s] = await signalsOf(PROWLER);
      expect(s).toMatchObject({
        id: 'prowler-aws-acm_certificates_expiration_check-111122223333-eu-west-1-e4dc1386-8b4b-402c-9fed-03269ee10006',
        time: '2024-10-04T13:49:02.000Z',
        asset: 'arn:aws:acm:eu-west-1:111122223333:certificate/e4dc1386-8b4b-402c-9fed-03269ee10006',
        kind: 'suspicious_payload',
        source: 'Prowler',
      });
      expect(s?.extra.ocsf).toMatchObject({ kind_from: 'default', status_code: 'PASS' });
    });
  });

  describe('corpus Security Findings (2001, legacy) are mapped when they name an asset', () => {
    it('Falco: finding object, hostname observable, kernel module → persistence', async () => {
      const [s] = await signalsOf(FALCO);
      expect(s).toMatchObject({
        id: 'ec834826-90c1-458a-8eec-a014e7266754',
        time: '2023-01-03T15:11:39.558Z',
        asset: 'host0.local',
        kind: 'persistence',
        source: 'Falco',
        alert: 'Linux Kernel Module Injection Detected',
      });
    });

    it('SecurityScorecard: a JSON array of four events, numeric confidence', async () => {
      const signals = await signalsOf(SSC);
      expect(signals).toHaveLength(4);
      expect(signals[0]).toMatchObject({ asset: '1.183.190.110', kind: 'suspicious_process', confidence: 'high' });
      expect(new Set(signals.map((s) => s.id)).size).toBe(4);
    });

    it('QRadar offense: no asset → error naming the record and field', async () => {
      const err = await importError(ocsfParser, readFileSync(corpusPath(QRADAR), 'utf8'), QRADAR);
      expect(err.record).toBe('$');
      expect(err.field).toBe('resources');
      expect(err.message).toMatch(/no asset/);
    });
  });

  it('other classes are refused naming class_uid', async () => {
    for (const [rel, cls] of [
      [INSPECTOR, /class 2002 \(Vulnerability Finding/],
      [PCI, /class 2003 \(Compliance Finding/],
    ] as const) {
      await expectImportError(ocsfParser, readFileSync(corpusPath(rel), 'utf8'), { record: '$', field: 'class_uid', message: cls }, rel);
    }
  });

  it('reads NDJSON (record = line) and arrays (record = index)', async () => {
    const ndjson = `${compact(GUARDDUTY)}\n\n${compact(OKTA)}\n${compact(PROWLER)}\n`;
    const items = await collect(ocsfParser.parse(bytes(ndjson, 100), { file: 'x.ndjson' }));
    expect(recordsOf(items, 'signal').map((s) => s.kind)).toEqual(['post_exploit', 'abnormal_auth', 'suspicious_payload']);
    await expectImportError(ocsfParser, `${compact(GUARDDUTY)}\n${compact(INSPECTOR)}\n`, { record: 2, field: 'class_uid' });
    const array = `[${compact(GUARDDUTY)},${compact(OKTA)}]`;
    expect(recordsOf(await collect(ocsfParser.parse(bytes(array, 50), { file: 'x.json' })), 'signal')).toHaveLength(2);
    await expectImportError(ocsfParser, `[${compact(OKTA)},${JSON.stringify(event({ class_uid: 3002 }))}]`, { record: 1, field: 'class_uid' });
    expect(await collect(ocsfParser.parse(bytes(' \n'), { file: 'empty.json' }))).toEqual([]);
  });

  it('maps vulnerability, component, payload and confidence', async () => {
    const e = event({
      vulnerabilities: [{ cve: { uid: 'CVE-2021-44228' }, affected_packages: [{ name: 'log4j-core' }] }],
      evidences: [{ data: '${jndi:ldap://x}', src_endpoint: { ip: '198.51.100.1' } }],
      confidence_id: 2,
      time_dt: '2023-01-01T00:00:00Z',
    });
    const [s] = recordsOf(await collect(ocsfParser.parse(bytes(`${JSON.stringify(e)}\n`), { file: 'e.ndjson' })), 'signal');
    expect(s).toMatchObject({
      id: 'evt-1',
      time: '2023-11-14T22:13:20.000Z',
      asset: 'host-1',
      vulnerability: 'CVE-2021-44228',
      component: 'log4j-core',
      payload: '${jndi:ldap://x}',
      indicator: '198.51.100.1',
      confidence: 'medium',
      source: 'EDR',
    });
    const viaDt = event({ time: undefined, time_dt: '2023-01-01T01:00:00+01:00', confidence: 'High', metadata: {} });
    const [t] = recordsOf(await collect(ocsfParser.parse(bytes(JSON.stringify(viaDt, null, 2)), { file: 'e.json' })), 'signal');
    expect(t).toMatchObject({ id: 'f-1', time: '2023-01-01T00:00:00.000Z', confidence: 'high', source: null });
  });

  it('maps ATT&CK tactics and techniques to signal kinds', () => {
    const kind = (over: Record<string, unknown>) => ocsfSignalKind(event(over)).kind;
    const attack = (a: Record<string, unknown>) => ({ finding_info: { uid: 'f', attacks: [a] } });
    expect(kind(attack({ tactic: { name: 'Initial Access', uid: 'TA0001' }, technique: { name: 'Exploit Public-Facing Application', uid: 'T1190' } }))).toBe('exploit_attempt');
    expect(kind(attack({ tactic: { name: 'Persistence' }, technique: { uid: 'T1505' }, sub_technique: { uid: 'T1505.003', name: 'Web Shell' } }))).toBe('webshell');
    expect(kind(attack({ tactic: { name: 'Persistence', uid: 'TA0003' } }))).toBe('persistence');
    expect(kind(attack({ tactic: { uid: 'TA0008' } }))).toBe('lateral_movement');
    expect(kind(attack({ tactic: { name: 'Credential Access' }, technique: { uid: 'T1078', name: 'Valid Accounts' } }))).toBe('abnormal_auth');
    expect(kind(attack({ tactic: { name: 'Credential Access' } }))).toBe('abnormal_auth');
    expect(kind(attack({ technique: { uid: 'T1550.001', name: 'Application Access Token' } }))).toBe('unusual_token');
    expect(kind(attack({ tactic: { name: 'Exfiltration' } }))).toBe('data_access');
    expect(kind(attack({ tactic: { name: 'Collection' } }))).toBe('data_access');
    expect(kind(attack({ tactic: { name: 'Command and Control' } }))).toBe('attacker_infrastructure');
    expect(kind(attack({ tactic: { name: 'Execution' } }))).toBe('suspicious_process');
    expect(kind(attack({ tactic: { name: 'Privilege Escalation' } }))).toBe('post_exploit');
    expect(kind({ attacks: [{ tactics: [{ name: 'Lateral Movement' }] }] })).toBe('lateral_movement');
    expect(kind({ finding_info: { uid: 'f', types: ['TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS'] } })).toBe('attacker_infrastructure');
    expect(kind({ finding_info: { uid: 'f', types: ['TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce'] } })).toBe('abnormal_auth');
    expect(kind({ finding_info: { uid: 'f', types: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'] } })).toBe('unauthorized_access');
    expect(kind({ finding_info: { uid: 'f', types: ['Effects/Data Exfiltration'] } })).toBe('data_access');
    expect(kind({ finding_info: { uid: 'f', title: 'Web shell detected in /var/www' } })).toBe('webshell');
    expect(kind({ finding_info: { uid: 'f', analytic: { name: 'Suspicious OAuth token reuse' } } })).toBe('unusual_token');
    expect(kind({ finding_info: { uid: 'f', title: 'Certificate expires soon' } })).toBe('suspicious_payload');
    expect(ocsfSignalKind(event()).from).toBe('default');
  });

  describe('bad input names file, record and field', () => {
    const one = (e: unknown): string => `${JSON.stringify(e)}\n`;
    it('each required field missing', async () => {
      await expectImportError(ocsfParser, one(event({ class_uid: undefined })), { record: 1, field: 'class_uid', message: /missing/ });
      await expectImportError(ocsfParser, one(event({ metadata: {}, finding_info: {} })), { record: 1, field: 'metadata.uid', message: /missing/ });
      await expectImportError(ocsfParser, one(event({ time: undefined })), { record: 1, field: 'time', message: /missing/ });
      await expectImportError(ocsfParser, one(event({ device: undefined })), { record: 1, field: 'resources', message: /no asset/ });
    });

    it('wrong types', async () => {
      await expectImportError(ocsfParser, one(event({ class_uid: '2004' })), { record: 1, field: 'class_uid', message: /expected a number/ });
      await expectImportError(ocsfParser, one(event({ time: 'yesterday' })), { record: 1, field: 'time' });
      await expectImportError(ocsfParser, one(event({ time: undefined, time_dt: '2024-10-04T09:49:02.698985' })), { record: 1, field: 'time_dt' });
      await expectImportError(ocsfParser, '[1]', { record: 0, field: null, message: /OCSF event object/ });
      await expectImportError(ocsfParser, 'class_uid=2004', { record: null, field: null, message: /JSON object, a JSON array or NDJSON/ });
    });

    it('malformed and truncated JSON', async () => {
      await expectImportError(ocsfParser, `${one(event())}{"class_uid":2004,\n`, { record: 2, field: null, message: /invalid JSON/ });
      const pretty = JSON.stringify(event(), null, 2);
      const err = await importError(ocsfParser, pretty.slice(0, -20), 'p.json');
      expect(err.message).toMatch(/^file p\.json, record byte \d+ \(line \d+, column \d+\)/);
      expect(err.message).toMatch(/truncated/);
      const arr = await importError(ocsfParser, `[${JSON.stringify(event())}`, 'a.json');
      expect(arr.message).toMatch(/truncated/);
    });
  });

  it('is robust against random and mutated bytes', async () => {
    await assertRobust(ocsfParser, [
      `${JSON.stringify(event({ attacks: [{ tactic: { name: 'Persistence' } }] }))}\n${JSON.stringify(event())}\n`,
      JSON.stringify(event(), null, 1),
      `[${JSON.stringify(event())},${JSON.stringify(event({ class_uid: 2001, finding: { uid: 'x' } }))}]`,
    ]);
  });
});
