/**
 * The shipped ruleset file: where it lives and how it is read. The domain only parses and
 * validates (`parseRuleset`, pure); reading a file is an edge concern, done once at start by the
 * CLI, the API or a use case (`loadRuleset` in `app/load-ruleset.ts` for `--ruleset FILE`), which then
 * pass the frozen `Ruleset` into the engine.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRuleset, type Ruleset } from '../domain/escalation/ruleset.js';

/**
 * Where the shipped ruleset lives: `rules/default.yaml` at the repository root. The path is the
 * same two levels up from `src/config/` (vitest) and `dist/config/` (built).
 */
export function defaultRulesetPath(): string {
  return fileURLToPath(new URL('../../rules/default.yaml', import.meta.url));
}

/** Reads and parses the shipped default ruleset; a broken shipped file is `CL_CONFIG_INVALID` naming it. */
export function loadDefaultRuleset(): Ruleset {
  const file = defaultRulesetPath();
  return parseRuleset(readFileSync(file, 'utf8'), file);
}
