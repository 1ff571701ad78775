/**
 * The escalation engine's vocabulary in words (SPEC §2), and the derivations the vulnerability
 * response pages show: an import's result as counts, a job's progress as a sentence and a percent,
 * an import failure as file / record / field.
 */
import type { Job, JobError } from '../../api/vr';

export const TRIGGER_WORDS: Record<string, string> = {
  observed_exploitation: 'Observed exploitation: an exploit attempt or payload on the vulnerable path',
  confirmed_compromise: 'Confirmed compromise: signs of unauthorized access on the asset',
  dangerous_exposure: 'Dangerous exposure: exploit pressure on a critically reachable, confirmed finding',
  containment_needed: 'Containment needed: an analyst asked for coordinated containment',
  scope_unknown: 'Scope unknown: exploit pressure on a business-critical service whose blast radius cannot be bounded',
  regulated_impact: 'Regulated impact: regulated data at risk',
};

export const STAY_WORDS: Record<string, string> = {
  high_score_only: 'High score only: no exposure, exploitability, impact or telemetry evidence',
  poc_without_environment_fit: 'Public proof of concept, but no environment fit',
  unvalidated_scanner_finding: 'Unvalidated scanner finding',
  vendor_advisory_only: 'Vendor advisory only: no local evidence',
  ruled_out: 'Ruled out: not affected or a false positive',
  unreachable: 'Unreachable',
};

export const FLAG_WORDS: Record<string, string> = {
  validate_urgently: 'Validate urgently: would escalate once validated',
};

export const NEXT_ACTION_WORDS: Record<string, string> = {
  validate: 'validate',
  patch: 'patch',
  mitigate: 'mitigate',
  monitor: 'monitor',
};

/** Short names for charts and filters. */
export const TRIGGER_SHORT: Record<string, string> = {
  observed_exploitation: 'Observed exploitation',
  confirmed_compromise: 'Confirmed compromise',
  dangerous_exposure: 'Dangerous exposure',
  containment_needed: 'Containment needed',
  scope_unknown: 'Scope unknown',
  regulated_impact: 'Regulated impact',
};

export const STAY_SHORT: Record<string, string> = {
  high_score_only: 'High score only',
  poc_without_environment_fit: 'PoC without environment fit',
  unvalidated_scanner_finding: 'Unvalidated scanner finding',
  vendor_advisory_only: 'Vendor advisory only',
  ruled_out: 'Ruled out',
  unreachable: 'Unreachable',
};

/** `snake_case` as words, first letter capital: for names the tables above do not know. */
export function humanize(word: string): string {
  const s = word.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const wordFor = (table: Record<string, string>, key: string): string => table[key] ?? humanize(key);

/** The counts of an import result, labelled, in reading order; zero counts are kept (they answer "did anything change?"). */
const COUNT_LABELS: [string, string][] = [
  ['findings', 'Findings read'],
  ['assets', 'Assets read'],
  ['vulnerabilities', 'Vulnerabilities read'],
  ['signals', 'Signals read'],
  ['kev', 'KEV entries read'],
  ['epss', 'EPSS scores read'],
  ['advisories', 'Advisories read'],
  ['created', 'New'],
  ['updated', 'Updated'],
  ['unchanged', 'Unchanged'],
  ['merged', 'Merged'],
  ['resolved', 'Resolved (absent from the report)'],
  ['resolved_again', 'Resolved again'],
  ['findings_not_affected', 'Findings set not affected'],
  ['assets_created', 'Assets created (not in inventory)'],
  ['vulnerabilities_created', 'Vulnerabilities created'],
  ['unmatched_targets', 'Targets matching no inventory asset'],
];

export interface SummaryLine {
  label: string;
  value: number;
}

export interface ImportSummary {
  counts: SummaryLine[];
  skipped: SummaryLine[];
  unknown: SummaryLine[];
  warnings: string[];
  duplicateOf: string | null;
  triage: Record<string, unknown> | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function summarizeImport(result: unknown): ImportSummary {
  const r = isRecord(result) ? result : {};
  const counts: SummaryLine[] = [];
  for (const [key, label] of COUNT_LABELS) {
    const v = r[key];
    if (typeof v === 'number') counts.push({ label, value: v });
  }
  const skipped = isRecord(r.skipped) ? Object.entries(r.skipped).filter((e): e is [string, number] => typeof e[1] === 'number').map(([k, v]) => ({ label: humanize(k), value: v })) : [];
  const unknown: SummaryLine[] = [];
  if (isRecord(r.unknown_references)) {
    const u = r.unknown_references;
    if (typeof u.assets === 'number') unknown.push({ label: 'Naming an asset not in the inventory', value: u.assets });
    if (typeof u.vulnerabilities === 'number') unknown.push({ label: 'Naming an unknown vulnerability', value: u.vulnerabilities });
  }
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  const duplicateOf = typeof r.duplicate_of === 'string' ? r.duplicate_of : null;
  const triage = isRecord(r.triage) ? r.triage : null;
  return { counts, skipped, unknown, warnings, duplicateOf, triage };
}

/** Where a refused import went wrong, from the error's details: file, record, field, position. */
export function failureParts(e: JobError): { label: string; value: string }[] {
  const d = isRecord(e.details) ? e.details : {};
  const parts: { label: string; value: string }[] = [];
  const add = (label: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number') parts.push({ label, value: String(v) });
  };
  add('File', d.file);
  add('Record', d.record ?? d.path);
  add('Line', d.line);
  add('Field', d.field);
  add('At byte', d.at_byte ?? d.byte);
  if (Array.isArray(d.fields)) {
    for (const f of d.fields) if (isRecord(f) && typeof f.field === 'string') parts.push({ label: 'Field', value: typeof f.message === 'string' ? `${f.field}: ${f.message}` : f.field });
  }
  return parts;
}

export const isDone = (job: Pick<Job, 'state'> | undefined): boolean => job !== undefined && (job.state === 'succeeded' || job.state === 'failed');

/**
 * A job's progress for a progress bar: a percent when it can be known (bytes of an upload; a
 * finished job is 100), and a sentence with the figures.
 */
export function progressOf(job: Job, uploadedBytes?: number): { percent: number | null; text: string } {
  if (job.state === 'succeeded') return { percent: 100, text: `Finished${job.progress ? `: ${job.progress.records.toLocaleString()} ${job.progress.counting ?? 'records'} in ${job.progress.seconds.toFixed(1)} s` : ''}` };
  if (job.state === 'failed') return { percent: null, text: 'Failed' };
  if (job.state === 'queued') return { percent: null, text: 'Waiting to start' };
  const p = job.progress;
  if (p === null) return { percent: null, text: 'Started: waiting for the first figures' };
  const what = p.counting ?? (job.kind === 'triage' ? 'findings decided' : 'records read');
  const bytes = p.total_bytes ?? uploadedBytes;
  const text = `${p.records.toLocaleString()} ${what}${bytes !== undefined ? ` of a ${formatBytes(bytes)} file` : ''}, ${p.seconds.toFixed(1)} s`;
  return { percent: null, text };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A triage job's summary as labelled counts. */
export function summarizeTriage(result: unknown): { evaluated: number | null; byOutcome: SummaryLine[]; byTrigger: SummaryLine[]; incidents: { incident: string; created: boolean }[] } {
  const r = isRecord(result) ? result : {};
  const lines = (o: unknown, words: Record<string, string>) => (isRecord(o) ? Object.entries(o).filter((e): e is [string, number] => typeof e[1] === 'number').map(([k, v]) => ({ label: wordFor(words, k), value: v })) : []);
  const incidents = Array.isArray(r.incidents)
    ? r.incidents.filter(isRecord).map((i) => ({ incident: typeof i.incident === 'string' ? i.incident : '', created: i.created === true })).filter((i) => i.incident !== '')
    : [];
  // one line per incident, even when several findings went to it
  const seen = new Set<string>();
  return {
    evaluated: typeof r.evaluated === 'number' ? r.evaluated : null,
    byOutcome: lines(r.by_outcome, { escalate: 'Escalate', stay: 'Stay' }),
    byTrigger: lines(r.by_trigger, TRIGGER_SHORT),
    incidents: incidents.filter((i) => (seen.has(i.incident) ? false : (seen.add(i.incident), true))),
  };
}
