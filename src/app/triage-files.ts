import { z } from 'zod';
import type { Decision, Ruleset } from '../domain/escalation/index.js';
import { openItems, type ImportKind } from '../ingest/index.js';
import { UniqueIds } from '../ingest/unique-ids.js';
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

/**
 * `closeloop triage --findings F …`: evaluates every finding of the given files against the facts of
 * the other files, without touching the store. Context files are read first; findings then stream
 * through, each decided as it arrives (a scanner's own advisory facts fill gaps, never override).
 */
export async function triageFiles(input: TriageFiles, ruleset: Ruleset, onDecision: (d: Decision) => void): Promise<void> {
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
  for (const file of files.findings) {
    const { items } = await openItems('findings', file, undefined, ids);
    for await (const item of items) {
      if (item.kind === 'finding') onDecision(k.decide(item.record, ruleset, { explain: false }).decision);
      else k.add(item);
    }
  }
}
