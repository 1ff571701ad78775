/**
 * The finding importers by `--format` name, and format detection from a file's first bytes.
 * Asset ids, fingerprints and scan keys are shared by all of them (see `common.ts`).
 */
import { firstSignificantByte } from '../stream/peek.js';
import type { Parser } from '../types.js';
import { csvFindingsParser } from './csv.js';
import { cyclonedxParser } from './cyclonedx.js';
import { dependencyCheckParser } from './dependency-check.js';
import { genericParser, genericCsvHeader } from './generic.js';
import { govulncheckParser } from './govulncheck.js';
import { grypeParser } from './grype.js';
import { nativeFindingsParser } from './native.js';
import { npmAuditParser } from './npm-audit.js';
import { openvasParser, looksLikeOpenvasCsv, looksLikeOpenvasXml } from './openvas.js';
import { osvScannerParser } from './osv-scanner.js';
import { isQualysCsvHeader, qualysParser } from './qualys.js';
import { sarifParser } from './sarif.js';
import { semgrepParser } from './semgrep.js';
import { snykParser } from './snyk.js';
import { looksLikeTenableCsv, tenableParser } from './tenable.js';
import { looksLikeTrivy, trivyParser } from './trivy.js';
import { zapParser } from './zap.js';

export const FINDING_FORMATS = [
  'trivy',
  'grype',
  'sarif',
  'osv-scanner',
  'cyclonedx',
  'dependency-check',
  'npm-audit',
  'snyk',
  'semgrep',
  'openvas',
  'tenable',
  'govulncheck',
  'generic',
  'zap',
  'qualys',
  'csv',
  'native',
] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

/** How a refusal names each format, with its article ("this looks like a Trivy report"). */
export const FORMAT_TITLES: Record<FindingFormat, string> = {
  trivy: 'a Trivy report',
  grype: 'a grype report',
  sarif: 'a SARIF log',
  'osv-scanner': 'an osv-scanner report',
  cyclonedx: 'a CycloneDX BOM',
  'dependency-check': 'an OWASP Dependency-Check report',
  'npm-audit': 'an npm audit report',
  snyk: 'a Snyk report',
  semgrep: 'a Semgrep report',
  openvas: 'a Greenbone/OpenVAS report',
  tenable: 'a Nessus / Tenable report',
  govulncheck: 'a govulncheck report',
  generic: 'a DefectDojo generic findings report',
  zap: 'a ZAP report',
  qualys: 'a Qualys report',
  csv: 'a CSV of findings',
  native: 'native findings',
};

export const findingParsers: Record<FindingFormat, Parser> = {
  trivy: trivyParser,
  grype: grypeParser,
  sarif: sarifParser,
  'osv-scanner': osvScannerParser,
  cyclonedx: cyclonedxParser,
  'dependency-check': dependencyCheckParser,
  'npm-audit': npmAuditParser,
  snyk: snykParser,
  semgrep: semgrepParser,
  openvas: openvasParser,
  tenable: tenableParser,
  govulncheck: govulncheckParser,
  generic: genericParser,
  zap: zapParser,
  qualys: qualysParser,
  csv: csvFindingsParser,
  native: nativeFindingsParser,
};

/** The first line of a CSV header names both required finding columns. */
function csvHeader(text: string): boolean {
  const first = (text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '').toLowerCase();
  const cols = first.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  return cols.includes('vulnerability') && cols.includes('asset');
}

/** The keys of the first JSON object in the text, at its own level (nested objects skipped). */
function firstObjectKeys(text: string): Set<string> {
  const keys = new Set<string>();
  const start = text.indexOf('{');
  if (start < 0) return keys;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && /^\s*:/.test(text.slice(j + 1, j + 8))) keys.add(text.slice(i + 1, j));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) break;
    }
  }
  return keys;
}

/** A native finding object starts the document (JSON array or NDJSON): `vulnerability` and `asset` at its own level. */
function nativeHead(text: string): boolean {
  const keys = firstObjectKeys(text);
  return keys.has('vulnerability') && keys.has('asset');
}

/** govulncheck's messages (`config` with its `protocol_version`, `osv` + `finding`) or its old `Vulns` + `Requires`. */
function govulncheckHead(text: string): boolean {
  if (/"config"\s*:\s*\{[^}]*"protocol_version"/.test(text) || /"scanner_name"\s*:\s*"govulncheck"/.test(text)) return true;
  if (/\{\s*"osv"\s*:\s*\{/.test(text) && /\{\s*"finding"\s*:\s*\{/.test(text)) return true;
  return /"Vulns"\s*:/.test(text) && /"Requires"\s*:/.test(text);
}

/**
 * DefectDojo's generic findings JSON: a `findings` array whose entries have the three keys
 * DefectDojo requires (`title`, `severity`, `description`), or an empty `findings` array. Checked
 * after every tool's own format, since a tool may also call its list `findings`.
 */
function genericHead(text: string): boolean {
  if (!/"findings"\s*:\s*\[/.test(text)) return false;
  if (/"findings"\s*:\s*\[\s*\]/.test(text)) return true;
  return /"title"\s*:/.test(text) && /"severity"\s*:/.test(text) && /"description"\s*:/.test(text);
}

/** ZAP's JSON report: it starts with its `@programName`/`@version`/`@generated` header, or names itself. */
function zapJsonHead(text: string): boolean {
  return /^\s*\{\s*"@(?:programName|version|generated)"\s*:/.test(text.replace(/^\ufeff/, '')) || /"@programName"\s*:\s*"(?:OWASP )?ZAP"/.test(text);
}

/**
 * Snyk: a `vulnerabilities` list whose entries carry Snyk's `upgradePath`/`isUpgradable`, or the
 * project keys only Snyk writes (`uniqueCount`, `dependencyCount` with `packageManager`).
 */
function looksLikeSnyk(text: string): boolean {
  if (!/"vulnerabilities"\s*:/.test(text)) return false;
  return /"upgradePath"\s*:/.test(text) || /"isUpgradable"\s*:/.test(text) || (/"uniqueCount"\s*:|"dependencyCount"\s*:/.test(text) && /"packageManager"\s*:/.test(text));
}

/**
 * Semgrep: `results` with `check_id`, an empty `results` next to `errors` (a clean scan), or the
 * supply-chain API's `vulns` with Semgrep's advisory and exposure fields.
 */
function looksLikeSemgrep(text: string): boolean {
  if (/"results"\s*:\s*\[/.test(text) && (/"check_id"\s*:/.test(text) || (/"results"\s*:\s*\[\s*\]/.test(text) && /"errors"\s*:\s*\[/.test(text)))) return true;
  return /"vulns"\s*:\s*\[/.test(text) && /"advisory"\s*:/.test(text) && /"exposureType"\s*:|"groupKey"\s*:|"repositoryId"\s*:/.test(text);
}

/**
 * Guesses the finding format from up to the first 64 KB of a file (and its name). Returns null
 * when nothing matches (an empty file, an unknown report): the caller then asks for `--format`.
 */
export function detectFindingFormat(firstBytes: Buffer, fileName: string): FindingFormat | null {
  const head = firstBytes.subarray(0, 64 * 1024);
  const first = firstSignificantByte(head);
  if (first === -1) return null;
  const text = head.toString('utf8');
  if (first === 0x3c) {
    if (/<bom[\s>]/.test(text) && /cyclonedx\.org/i.test(text)) return 'cyclonedx';
    if (/<analysis[\s>]/.test(text) && /DependencyCheck|dependency-check/i.test(text)) return 'dependency-check';
    if (looksLikeOpenvasXml(text)) return 'openvas';
    if (/<NessusClientData_v2[\s>]/.test(text)) return 'tenable';
    if (/<OWASPZAPReport[\s>]/.test(text)) return 'zap';
    if (/<ASSET_DATA_REPORT[\s>]/.test(text) || (/<SCAN[\s>]/.test(text) && /scan-1\.dtd|<SCAN\s+value=/.test(text))) return 'qualys';
    return null;
  }
  if (first === 0x7b || first === 0x5b || first === 0x6e) {
    if (zapJsonHead(text)) return 'zap';
    if (/"runs"\s*:/.test(text) && (/sarif/i.test(text) || /"version"\s*:\s*"2\.1\.0"/.test(text))) return 'sarif';
    if (/"bomFormat"\s*:\s*"CycloneDX"/.test(text)) return 'cyclonedx';
    if (/"auditReportVersion"\s*:/.test(text) || (/"vulnerabilities"\s*:/.test(text) && /"via"\s*:/.test(text))) return 'npm-audit';
    if (looksLikeTrivy(text)) return 'trivy';
    if (/"matches"\s*:/.test(text) && (/"artifact"\s*:/.test(text) || /"descriptor"\s*:\s*\{[^}]*"grype"/.test(text) || /"matches"\s*:\s*\[\s*\]/.test(text))) {
      return 'grype';
    }
    if (looksLikeSnyk(text)) return 'snyk';
    if (looksLikeSemgrep(text)) return 'semgrep';
    if (/"results"\s*:\s*\[/.test(text) && (/"packages"\s*:/.test(text) || /"source"\s*:\s*\{[^}]*"type"/.test(text))) return 'osv-scanner';
    if (nativeHead(text)) return 'native';
    if (govulncheckHead(text)) return 'govulncheck';
    if (genericHead(text)) return 'generic';
    return null;
  }
  if (looksLikeOpenvasCsv(text)) return 'openvas';
  if (looksLikeTenableCsv(text)) return 'tenable';
  // closeloop's own CSV (its `vulnerability` and `asset` columns) before DefectDojo's generic one
  if (csvHeader(text)) return 'csv';
  if (genericCsvHeader(text)) return 'generic';
  if (text.split(/\r?\n/, 50).some(isQualysCsvHeader)) return 'qualys';
  if (fileName.toLowerCase().endsWith('.csv')) return 'csv';
  return null;
}
