/**
 * The finding importers by `--format` name, and format detection from a file's first bytes.
 * Asset ids, fingerprints and scan keys are shared by all of them (see `common.ts`).
 */
import { firstSignificantByte } from '../stream/peek.js';
import type { Parser } from '../types.js';
import { csvFindingsParser } from './csv.js';
import { cyclonedxParser } from './cyclonedx.js';
import { dependencyCheckParser } from './dependency-check.js';
import { grypeParser } from './grype.js';
import { nativeFindingsParser } from './native.js';
import { npmAuditParser } from './npm-audit.js';
import { osvScannerParser } from './osv-scanner.js';
import { isQualysCsvHeader, qualysParser } from './qualys.js';
import { sarifParser } from './sarif.js';
import { looksLikeTrivy, trivyParser } from './trivy.js';

export const FINDING_FORMATS = [
  'trivy',
  'grype',
  'sarif',
  'osv-scanner',
  'cyclonedx',
  'dependency-check',
  'npm-audit',
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

/** A native finding object starts the document (JSON array or NDJSON). */
function nativeHead(text: string): boolean {
  const firstObject = /\{[^{}]*\}/.exec(text)?.[0] ?? text.slice(0, 4096);
  return /"vulnerability"\s*:/.test(firstObject) && /"asset"\s*:/.test(firstObject);
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
    if (/<ASSET_DATA_REPORT[\s>]/.test(text) || (/<SCAN[\s>]/.test(text) && /scan-1\.dtd|<SCAN\s+value=/.test(text))) return 'qualys';
    return null;
  }
  if (first === 0x7b || first === 0x5b || first === 0x6e) {
    if (/"runs"\s*:/.test(text) && (/sarif/i.test(text) || /"version"\s*:\s*"2\.1\.0"/.test(text))) return 'sarif';
    if (/"bomFormat"\s*:\s*"CycloneDX"/.test(text)) return 'cyclonedx';
    if (/"auditReportVersion"\s*:/.test(text) || (/"vulnerabilities"\s*:/.test(text) && /"via"\s*:/.test(text))) return 'npm-audit';
    if (looksLikeTrivy(text)) return 'trivy';
    if (/"matches"\s*:/.test(text) && (/"artifact"\s*:/.test(text) || /"descriptor"\s*:\s*\{[^}]*"grype"/.test(text) || /"matches"\s*:\s*\[\s*\]/.test(text))) {
      return 'grype';
    }
    if (/"results"\s*:\s*\[/.test(text) && (/"packages"\s*:/.test(text) || /"source"\s*:\s*\{[^}]*"type"/.test(text))) return 'osv-scanner';
    if (nativeHead(text)) return 'native';
    return null;
  }
  if (text.split(/\r?\n/, 50).some(isQualysCsvHeader)) return 'qualys';
  if (csvHeader(text)) return 'csv';
  if (fileName.toLowerCase().endsWith('.csv')) return 'csv';
  return null;
}
