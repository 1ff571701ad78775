import { z } from 'zod';
import type { Decision, Ruleset } from '../domain/escalation/index.js';
import { openItems, type ImportKind } from '../ingest/index.js';
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

async function feed(k: Knowledge, kind: ImportKind, files: readonly string[] | undefined): Promise<void> {
  for (const file of files ?? []) {
    const { items } = await openItems(kind, file);
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
  await feed(k, 'assets', files.assets);
  await feed(k, 'vulnerabilities', files.vulnerabilities);
  await feed(k, 'kev', files.kev);
  await feed(k, 'epss', files.epss);
  await feed(k, 'signals', files.signals);
  await feed(k, 'advisories', files.advisories);
  for (const file of files.findings) {
    const { items } = await openItems('findings', file);
    for await (const item of items) {
      if (item.kind === 'finding') onDecision(k.decide(item.record, ruleset, { explain: false }).decision);
      else k.add(item);
    }
  }
}
