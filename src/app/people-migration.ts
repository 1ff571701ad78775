/**
 * Moving the `people` section of closeloop.yaml into the store, once. Earlier versions kept the
 * people directory in the configuration file; now it is the `people` table, which every process
 * reads on each authorization. On start (openContext, init, serve --bootstrap):
 *
 * - the file has a non-empty `people` section and the store's directory is empty: every person is
 *   inserted (one `people.imported` event lists them), then the file is rewritten without the
 *   section (comments kept, atomic, 0600) and the caller is told;
 * - the store has people already and the section says nothing they do not (same names, same
 *   roles, all active): an import that another process finished, or one whose rewrite did not
 *   happen; the file is rewritten, nothing is imported again;
 * - otherwise the store has people and the file still names others: refused (CL_CONFIG_INVALID),
 *   naming the file and the field, since editing the section no longer changes anything.
 *
 * Two processes starting at once on an old file: both insert under the `people` counter's row
 * lock, conditionally, so the second finds the rows and imports nothing.
 */
import { appendAudited } from '../audit/entity-state.js';
import { removeConfigSection } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ClError } from '../errors.js';
import type { Store } from '../store/db.js';
import { bumpCounter } from '../store/counters.js';
import { countPeopleRows, insertPersonIfAbsent, listPeopleRows, toPerson } from '../store/repositories/people.js';

/** The actor of the import in the audit chain: the configuration file, not a person. */
export const PEOPLE_IMPORT_ACTOR = 'system:config';

export interface PeopleMigration {
  /** The configuration as it is now (without `people` when the file was rewritten). */
  config: Config;
  /** The names imported by this process (empty when it imported nothing). */
  imported: string[];
  /** Whether the file was rewritten without its `people` section. */
  rewrote: boolean;
}

const sameRoles = (a: readonly string[], b: readonly string[]): boolean => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((r, i) => r === y[i]);
};

/**
 * Moves the configuration's people into the store when the store has none (see the module's
 * comment). `notice` receives one line for stderr when something was moved.
 */
export async function migratePeople(store: Store, configPath: string, config: Config, now: () => Date, notice: (line: string) => void = () => undefined): Promise<PeopleMigration> {
  const section = config.people;
  if (section === undefined || Object.keys(section).length === 0) return { config, imported: [], rewrote: false };
  const entries = Object.entries(section).map(([name, roles]) => ({ name, roles: [...new Set(roles)] }));

  const imported = await store.transaction(async (trx) => {
    await bumpCounter(trx, 'people');
    if ((await countPeopleRows(trx)) > 0) return null;
    const at = now().toISOString();
    const names: string[] = [];
    for (const e of entries) {
      if (await insertPersonIfAbsent(trx, { name: e.name, roles: JSON.stringify(e.roles), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null })) names.push(e.name);
    }
    await appendAudited(trx, [
      { at, actor: PEOPLE_IMPORT_ACTOR, action: 'people.imported', entityType: 'people', entityId: 'people', incidentId: null, state: { file: configPath, people: entries } },
      // each person's row, as imported (the state is read back from the row)
      ...names.map((name) => ({ at, actor: PEOPLE_IMPORT_ACTOR, action: 'person.added', entityType: 'person', entityId: name, incidentId: null, state: null })),
    ]);
    return names;
  });

  if (imported === null) {
    const active = new Map((await listPeopleRows(store.db)).map((r) => [r.name, toPerson(r).roles]));
    const stale = entries.filter((e) => {
      const roles = active.get(e.name);
      return roles === undefined || !sameRoles(roles, e.roles);
    });
    if (stale.length > 0) {
      throw new ClError(
        'CL_CONFIG_INVALID',
        `${configPath}: people: the people directory is in the store now and this section is no longer read (it names ${stale.map((e) => e.name).join(', ')} differently from the store); delete the \`people\` section from ${configPath} and manage people with \`closeloop people\` (list, add, roles, remove)`,
        { file: configPath, field: 'people', differing: stale.map((e) => e.name) },
      );
    }
  }
  const next = removeConfigSection(configPath, 'people');
  if (imported !== null) notice(`closeloop: moved ${imported.length} people from ${configPath} into the store; manage them with \`closeloop people\`\n`);
  return { config: next, imported: imported ?? [], rewrote: true };
}
