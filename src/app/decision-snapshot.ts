import type { VulnerabilityRecord } from '../domain/records.js';

/**
 * The vulnerability a stored decision read: its stored facts (`decisions.snapshot`: KEV, EPSS,
 * CVSS, exploitation, public PoC, vendor advisory, fix) with the record's words (title, references,
 * extra), which the engine does not read. `why` replays with it and the handoff note quotes it, so
 * the two show the same facts, never the store's facts of another moment.
 */
export function vulnerabilityOfSnapshot(snapshot: unknown, words: Pick<VulnerabilityRecord, 'title' | 'references' | 'extra'> | null | undefined): VulnerabilityRecord | null {
  if (snapshot === null || typeof snapshot !== 'object') return null;
  return { title: words?.title ?? null, references: words?.references ?? [], extra: words?.extra ?? {}, ...snapshot } as VulnerabilityRecord;
}
