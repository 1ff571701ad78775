import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { ClError } from '../errors.js';
import { assetsCsvParser, assetsJsonParser, assetsNdjsonParser, detectAssetFormat } from './assets.js';
import { csafParser } from './csaf.js';
import { epssParser } from './epss.js';
import { FORMAT_TITLES, detectFindingFormat, findingParsers } from './findings/index.js';
import { kevParser } from './kev.js';
import { ocsfParser } from './ocsf.js';
import { openVexParser } from './openvex.js';
import { signalsParser } from './signals.js';
import type { ImportItem, Parser } from './types.js';
import { UniqueIds } from './unique-ids.js';
import { firstSignificantByte } from './stream/peek.js';
import { detectVulnerabilityFormat, vulnerabilitiesJsonParser, vulnerabilitiesNdjsonParser } from './vulnerabilities.js';

/** What `closeloop import KIND FILE` accepts. */
export const IMPORT_KINDS = ['assets', 'vulnerabilities', 'findings', 'signals', 'kev', 'epss', 'advisories'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

const SNIFF_BYTES = 64 * 1024;

/** The parsers of each kind, by `--format` name. */
export const PARSERS: Record<ImportKind, Record<string, Parser>> = {
  assets: { json: assetsJsonParser, ndjson: assetsNdjsonParser, csv: assetsCsvParser },
  vulnerabilities: { json: vulnerabilitiesJsonParser, ndjson: vulnerabilitiesNdjsonParser },
  findings: findingParsers,
  signals: { native: signalsParser, ocsf: ocsfParser },
  kev: { kev: kevParser },
  epss: { epss: epssParser },
  advisories: { csaf: csafParser, openvex: openVexParser },
};

function sniffSignals(head: Buffer): string {
  return /"class_uid"\s*:/.test(head.toString('utf8')) ? 'ocsf' : 'native';
}

function sniffAdvisory(head: Buffer, file: string): string {
  const text = head.toString('utf8');
  if (/"csaf_version"\s*:/.test(text)) return 'csaf';
  if (/openvex/i.test(text) || /"statements"\s*:/.test(text)) return 'openvex';
  throw notReadable('advisories', file, ' (or pass --format csaf|openvex if it is one of them)');
}

async function readHead(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClError('CL_BAD_INPUT', code === 'ENOENT' ? `file ${file} does not exist` : `file ${file} cannot be read (${code ?? 'error'})`, { file });
  }
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * True when the file holds nothing but whitespace (or a byte order mark): an empty input, refused
 * for every kind before any parser sees it (docs/importing.md).
 */
export async function isBlankFile(file: string): Promise<boolean> {
  const head = await readHead(file);
  if (head.length >= SNIFF_BYTES) return false;
  return head.toString('utf8').replace(/^\ufeff/, '').trim() === '';
}

/** What each kind reads, for the refusal of a file in a format closeloop does not read. */
const SUPPORTED: Record<ImportKind, string> = {
  assets: 'closeloop assets as a JSON array, NDJSON or CSV (FORMATS.md)',
  vulnerabilities: 'closeloop vulnerabilities as a JSON array or NDJSON (FORMATS.md)',
  findings: `${Object.values(FORMAT_TITLES).join(', ')}`,
  signals: 'closeloop signals as NDJSON (FORMATS.md), OCSF Detection Finding events',
  kev: 'the CISA KEV catalog (JSON)',
  epss: 'the FIRST EPSS CSV',
  advisories: 'CSAF 2.0, OpenVEX',
};

/** The refusal of a file closeloop does not read as `kind`, naming what it does read. */
function notReadable(kind: ImportKind, file: string, why = ''): ClError {
  return new ClError('CL_BAD_INPUT', `${file} is not a format closeloop reads${kind === 'findings' ? '' : ` as ${kind}`}${why}; supported: ${SUPPORTED[kind]}`, { file });
}

/**
 * A scanner report given as assets, vulnerabilities or signals: refused by name rather than at its
 * first record's missing field.
 */
function refuseScannerReport(kind: ImportKind, head: Buffer, file: string): void {
  const looks = detectFindingFormat(head, file);
  if (looks === null || looks === 'native' || looks === 'csv') return;
  throw notReadable(kind, file, ` (it looks like ${FORMAT_TITLES[looks]}: import it as findings)`);
}

/** The first line of a CSV that is not a `#` comment (the EPSS CSV starts with one), lower-cased. */
function csvHeaderLine(head: Buffer): string {
  const lines = head.toString('utf8').replace(/^\ufeff/, '').split(/\r?\n/);
  return (lines.find((l) => !l.startsWith('#')) ?? '').toLowerCase();
}

/**
 * True when the first bytes could start a file of a reference-data kind: KEV JSON naming its
 * catalog or entries, an EPSS CSV whose header has a `cve` column, a JSON advisory. Files that
 * are the format but hold a bad record still reach the parser, which names the record and field.
 */
function looksLikeReference(kind: 'kev' | 'epss' | 'advisories', head: Buffer): boolean {
  const first = firstSignificantByte(head);
  const json = first === 0x7b || first === 0x5b;
  const text = head.toString('utf8');
  switch (kind) {
    case 'kev':
      return json && /"(catalogVersion|cveID|vulnerabilities)"\s*:/.test(text);
    case 'epss':
      return !json && first !== 0x3c && csvHeaderLine(head).split(',').some((c) => c.trim().replace(/^"|"$/g, '') === 'cve');
    case 'advisories':
      return json && /"csaf_version"\s*:|openvex|"statements"\s*:/i.test(text);
  }
}

/**
 * KEV, EPSS and advisory files of another format (a scanner report, a CSV given as KEV) are
 * refused by name, before the parser would fail on a field the file was never meant to have.
 */
function refuseOtherFormat(kind: 'kev' | 'epss' | 'advisories', head: Buffer, file: string): void {
  refuseScannerReport(kind, head, file);
  if (!looksLikeReference(kind, head)) throw notReadable(kind, file);
}

/** Chooses the format from `--format` or by looking at the file's first bytes and name. */
export async function resolveFormat(kind: ImportKind, file: string, format?: string): Promise<string> {
  const known = PARSERS[kind];
  if (format !== undefined) {
    if (!(format in known)) {
      throw new ClError('CL_BAD_INPUT', `unknown ${kind} format ${format}; known: ${Object.keys(known).join(', ')}`, { fields: [{ field: 'format', message: Object.keys(known).join('|') }] });
    }
    const given = await readHead(file);
    if ((kind === 'kev' || kind === 'epss' || kind === 'advisories') && given.length > 0) refuseOtherFormat(kind, given, file);
    return format;
  }
  const head = await readHead(file);
  if ((kind === 'kev' || kind === 'epss' || kind === 'advisories') && head.length > 0) refuseOtherFormat(kind, head, file);
  if (kind === 'assets' || kind === 'vulnerabilities' || kind === 'signals') refuseScannerReport(kind, head, file);
  if ((kind === 'assets' || kind === 'vulnerabilities') && firstSignificantByte(head) === 0x3c) throw notReadable(kind, file, ' (it is XML)');
  switch (kind) {
    case 'assets':
      return detectAssetFormat(head, file).replace(/^assets-/, '');
    case 'vulnerabilities':
      return detectVulnerabilityFormat(head, file).replace(/^vulnerabilities-/, '');
    case 'findings': {
      const f = detectFindingFormat(head, file);
      if (f === null) throw notReadable(kind, file, ` (or pass --format ${Object.keys(known).join('|')} if it is one of them)`);
      return f;
    }
    case 'signals':
      return sniffSignals(head);
    case 'advisories':
      return sniffAdvisory(head, file);
    case 'kev':
      return 'kev';
    case 'epss':
      return 'epss';
  }
}

/**
 * What a file given with `--format` looks like instead, for a structure refusal: "this looks like
 * a Trivy report — try --format trivy". null when detection finds nothing else.
 */
async function formatHint(kind: ImportKind, file: string, chosen: string): Promise<string | undefined> {
  if (kind !== 'findings') return undefined;
  const detected = detectFindingFormat(await readHead(file), file);
  if (detected === null || detected === chosen) return undefined;
  return `this looks like ${FORMAT_TITLES[detected]} — try --format ${detected}`;
}

/** Items in batches of about `size` (the last may be shorter); a batch is never empty. */
async function* batched(items: AsyncGenerator<ImportItem>, size: number): AsyncGenerator<ImportItem[]> {
  let batch: ImportItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Opens a file of `kind` and streams its items in batches, in file order: the parser's own
 * batches where it has them, otherwise its items grouped by `size`. The file is never read whole.
 */
export async function openBatches(kind: ImportKind, file: string, format?: string, size = 2000, ids = new UniqueIds()): Promise<{ format: string; batches: AsyncGenerator<ImportItem[]> }> {
  const chosen = await resolveFormat(kind, file, format);
  const parser = PARSERS[kind][chosen];
  if (!parser) throw new ClError('CL_BAD_INPUT', `unknown ${kind} format ${chosen}`);
  const hint = await formatHint(kind, file, chosen);
  const ctx = hint === undefined ? { file } : { file, hint };
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  return { format: chosen, batches: ids.batches(parser.parseBatches ? parser.parseBatches(stream, ctx) : batched(parser.parse(stream, ctx), size), file) };
}

/**
 * Opens a file of `kind` and streams its items; the file is never read whole. `ids` checks record
 * ids across several files (a triage over files); by default across this file alone.
 */
export async function openItems(kind: ImportKind, file: string, format?: string, ids = new UniqueIds()): Promise<{ format: string; items: AsyncGenerator<ImportItem> }> {
  const chosen = await resolveFormat(kind, file, format);
  const parser = PARSERS[kind][chosen];
  if (!parser) throw new ClError('CL_BAD_INPUT', `unknown ${kind} format ${chosen}`);
  const hint = await formatHint(kind, file, chosen);
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  return { format: chosen, items: ids.items(parser.parse(stream, hint === undefined ? { file } : { file, hint }), file) };
}
