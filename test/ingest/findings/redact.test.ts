import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/ingest/findings/common.js';
import { findingParsers } from '../../../src/ingest/findings/index.js';
import { chunked, parseAll } from './helpers.js';

/** Scanner output is stored without the credentials it quotes (docs/formats.md, "Secrets"). */
describe('redactSecrets', () => {
  it('redacts headers, credentials, tokens and keys, and keeps the rest of the text', () => {
    const cases: [string, string][] = [
      ['Authorization: Basic YWRtaW46aHVudGVyMg==\nHost: shop.example.com', 'Authorization: [redacted]\nHost: shop.example.com'],
      ['[Basic] username [admin] password [hunter2]', '[Basic] username [admin] password [[redacted]]'],
      ['https://shop.example.com/login?token=SECRET123&lang=en', 'https://shop.example.com/login?token=[redacted]&lang=en'],
      ['User: root Password: toor', 'User: root Password: [redacted]'],
      ['Cookie: JSESSIONID=abc123; path=/', 'Cookie: [redacted]'],
      ['set-cookie: PHPSESSID=deadbeef', 'set-cookie: [redacted]'],
      ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdEFGH_ijk seen', 'token [redacted] seen'],
      ['aws_key = AKIAIOSFODNN7EXAMPLE', 'aws_key = [redacted]'],
      ['const apiKey = "sk_live_123456";', 'const apiKey = [redacted];'],
      ['"client_secret": "abc"', '"client_secret": [redacted]'],
      ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter', '[redacted private key]\nafter'],
      ['X-Api-Key: 12345\r\nAccept: */*', 'X-Api-Key: [redacted]\r\nAccept: */*'],
    ];
    for (const [input, want] of cases) expect(redactSecrets(input), input).toBe(want);
  });

  it('leaves ordinary scanner output alone', () => {
    for (const text of [
      'Installed version : 1.2.3\nFixed version     : 1.2.4',
      'The remote host runs OpenSSH 7.4 on port 22. Author=John',
      'Nessus version : 10.6.1\nScan policy used : Internal PCI\nScanner IP : 10.0.0.5\nCredentialed checks : no',
      'DES-CBC3-SHA 0x00, 0x0A RSA RSA 3DES-CBC(168) SHA1',
    ]) expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets('')).toBe('');
  });
});

describe('scanner reports are stored without the credentials they quote', () => {
  const parse = async (format: 'zap' | 'tenable' | 'openvas' | 'semgrep', text: string): Promise<string> => {
    const items = await parseAll(findingParsers[format], chunked(Buffer.from(text), 97), `secrets.${format}`);
    expect(items.some((i) => i.kind === 'finding'), format).toBe(true);
    return JSON.stringify(items);
  };

  it('ZAP evidence, attack, other info and URLs; Nessus plugin output; OpenVAS result text; a Semgrep secrets rule', async () => {
    const zap = await parse(
      'zap',
      JSON.stringify({
        '@programName': 'ZAP',
        '@version': '2.16.1',
        site: [
          {
            '@name': 'https://shop.example.com',
            '@host': 'shop.example.com',
            '@port': '443',
            '@ssl': 'true',
            alerts: [
              {
                pluginid: '10105',
                alertRef: '10105-1',
                alert: 'Weak Authentication Method',
                riskcode: '2',
                confidence: '2',
                instances: [
                  {
                    uri: 'https://shop.example.com/login?token=SECRET123',
                    method: 'GET',
                    param: 'Authorization',
                    attack: 'password=hunter2',
                    evidence: 'Authorization: Basic YWRtaW46aHVudGVyMg==',
                    otherinfo: '[Basic] username [admin] password [hunter2]',
                  },
                ],
                count: '1',
              },
            ],
          },
        ],
      }),
    );
    for (const secret of ['SECRET123', 'hunter2', 'YWRtaW46aHVudGVyMg==']) expect(zap).not.toContain(secret);
    expect(zap).toContain('https://shop.example.com/login?token=[redacted]');
    // the alert variant 10105-1 answers to its plugin id too
    expect(zap).toContain('"zap:10105"');

    const nessus = await parse(
      'tenable',
      '<?xml version="1.0"?><NessusClientData_v2><Report name="r"><ReportHost name="10.0.0.1"><HostProperties><tag name="host-ip">10.0.0.1</tag></HostProperties>' +
        '<ReportItem port="23" svc_name="telnet" protocol="tcp" severity="4" pluginID="10891" pluginName="Default credentials"><plugin_type>remote</plugin_type><cve>CVE-1999-0502</cve>' +
        '<plugin_output>It was possible to log in.\nUser: root\nPassword: toor</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>',
    );
    expect(nessus).not.toContain('toor');
    expect(nessus).toContain('It was possible to log in.');

    const semgrep = await parse(
      'semgrep',
      JSON.stringify({
        results: [
          {
            check_id: 'generic.secrets.security.detected-aws-secret-access-key',
            path: 'config.py',
            start: { line: 3, col: 1 },
            end: { line: 3, col: 40 },
            extra: { message: 'AWS secret key', severity: 'ERROR', metadata: { cwe: ['CWE-798'] }, lines: 'secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"' },
          },
        ],
        errors: [],
      }),
    );
    expect(semgrep).not.toContain('wJalrXUtnFEMI');
  });
});
