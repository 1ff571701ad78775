import { z } from 'zod';
import type { Decision, Ruleset } from '../domain/escalation/index.js';
import { openItems, type ImportKind } from '../ingest/index.js';
import { UniqueIds } from '../ingest/unique-ids.js';
import { WarningLines } from './warning-lines.js';
import { Knowledge } from './knowledge.js';
import { parseInput } from './validate.js';

const fileList = z.array(z.string());

/** The files `closeloop triage --findings F …` evaluates: findings, and the facts beside them. */
export const triageFilesInput = z.object({
  assets: fileList.optional(),
  vulnerabilities: fileList.optional(),
  findings: fileList.min(1, 'triage over files needs at least one findings file'),
  kev: fileList.optional(),
  epss: fileList.optional(),
  signals: fileList.optional(),
  advisories: fileList.optional(),
});

export type TriageFiles = z.input<typeof triageFilesInput>;

async function feed(k: Knowledge, kind: ImportKind, files: readonly string[] | undefined, ids: UniqueIds): Promise<void> {
  for (const file of files ?? []) {
    const { items } = await openItems(kind, file, undefined, ids);
    for await (const item of items) {
      if (item.kind === 'vulnerability' && kind === 'vulnerabilities') k.addVulnerability(item.record, true);
      else k.add(item);
    }
  }
}

/** What a triage over files could not tie to a known record (SPEC §2, input integrity). */
export interface TriageFilesReport {
  /** Distinct assets that findings or signals name and no assets file holds; distinct vulnerabilities findings name and no file describes. */
  unknown_references: { assets: number; vulnerabilities: number };
  warnings: string[];
}

/**
 * `closeloop triage --findings F …`: evaluates every finding of the given files against the facts of
 * the other files, without touching the store. Context files are read first; findings then stream
 * through, each decided as it arrives (a scanner's own advisory facts fill gaps, never override).
 */
export async function triageFiles(input: TriageFiles, ruleset: Ruleset, onDecision: (d: Decision) => void): Promise<TriageFilesReport> {
  const files = parseInput(triageFilesInput, input);
  const k = new Knowledge();
  // one id, one record, across every file of the run
  const ids = new UniqueIds();
  await feed(k, 'assets', files.assets, ids);
  await feed(k, 'vulnerabilities', files.vulnerabilities, ids);
  await feed(k, 'kev', files.kev, ids);
  await feed(k, 'epss', files.epss, ids);
  await feed(k, 'signals', files.signals, ids);
  await feed(k, 'advisories', files.advisories, ids);
  const report: TriageFilesReport = { unknown_references: { assets: 0, vulnerabilities: 0 }, warnings: [] };
  const warnings = new WarningLines();
  const warn = (line: string): void => warnings.add(line);
  const inventory = new Set(k.assets.keys());
  const flagged = new Set<string>();
  for (const [asset, signals] of k.signalsByAsset) {
    if (inventory.has(asset)) continue;
    flagged.add(`a:${asset}`);
    report.unknown_references.assets += 1;
    warn(`${signals.length} signal(s) name asset ${JSON.stringify(asset)}, which is in no assets file`);
  }
  const described = new Set([...k.vulnerabilities.keys(), ...k.kev.keys(), ...k.epss.keys()]);
  for (const file of files.findings) {
    const { format, items } = await openItems('findings', file, undefined, ids);
    const native = format === 'native' || format === 'csv';
    for await (const item of items) {
      if (item.kind !== 'finding') {
        // a scanner's own advisory facts describe its vulnerabilities; a native file's stubs do not
        if (item.kind === 'vulnerability' && !native) described.add(item.record.id);
        k.add(item);
        continue;
      }
      const asset = k.assetOf(item.record.asset);
      const f = asset === item.record.asset ? item.record : { ...item.record, asset };
      if (!inventory.has(asset) && !flagged.has(`a:${asset}`)) {
        flagged.add(`a:${asset}`);
        report.unknown_references.assets += 1;
        warn(`findings name asset ${JSON.stringify(asset)}, which is in no assets file: decided as not in inventory (owner and exposure unknown)`);
      }
      if (!described.has(f.vulnerability) && !flagged.has(`v:${f.vulnerability}`)) {
        flagged.add(`v:${f.vulnerability}`);
        report.unknown_references.vulnerabilities += 1;
        warn(`findings name vulnerability ${f.vulnerability}, which no file describes`);
      }
      onDecision(k.decide(f, ruleset, { explain: false }).decision);
    }
  }
  report.warnings = warnings.close();
  return report;
}
