/**
 * The triage use cases, one file each; this module gathers them for the CLI, which loads them
 * together on demand (`import('../app/triage.js')`).
 */
export { loadRuleset } from './load-ruleset.js';
export { triageFiles, triageFilesInput, type TriageFiles } from './triage-files.js';
export { triageStored, triageStoredInput, type TriageSummary } from './triage-stored.js';
export { explainFinding, type Replay } from './explain-finding.js';
export { handoffNotes, handoffRevisions } from './handoff-notes.js';
