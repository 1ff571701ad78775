import { readFile } from 'node:fs/promises';
import { loadDefaultRuleset } from '../config/ruleset-file.js';
import { parseRuleset, type Ruleset } from '../domain/escalation/index.js';
import { ClError } from '../errors.js';

/**
 * Loads the ruleset a triage uses: a file given by the caller, or the shipped default. The file is
 * read here, at the edge of the use cases, so the engine and the ruleset's validation stay pure.
 */
export async function loadRuleset(file?: string): Promise<Ruleset> {
  if (!file) return loadDefaultRuleset();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ClError('CL_BAD_INPUT', `ruleset file ${file} cannot be read`);
  }
  return parseRuleset(text, file);
}
