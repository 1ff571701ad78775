import { existsSync } from 'node:fs';
import { appendAudited } from '../audit/entity-state.js';
import { signCheckpointIfSound } from '../audit/checkpoints.js';
import { defaultConfig, loadConfig, validateConfig, writeConfig } from '../config/load.js';
import { ClError } from '../errors.js';
import { openStore, type SqliteWait } from '../store/db.js';
import { bumpCounter } from '../store/counters.js';
import { countPeopleRows, insertPersonIfAbsent } from '../store/repositories/people.js';
import { chainSigning, loadSigner } from './audit-signing.js';
import type { AppContext } from './context.js';
import { configReference, makeKeyFiles } from './keys.js';
import { createToken } from './admin.js';
import { recordControlCardAtStart } from './control-card.js';
import { migratePeople } from './people-migration.js';
import { createPasswordLink, type PasswordLinkOut } from './passwords.js';

export interface InitResult {
  ctx: AppContext;
  wroteConfig: boolean;
  /** Whether `admin` was added to the store as its first admin (the directory was empty). */
  addedAdmin: boolean;
}

interface SetupOptions {
  configPath: string;
  dbUrl: string;
  admin: string;
  reuseConfig?: boolean;
  now?: () => Date;
  sqliteWait?: SqliteWait;
  notice?: (line: string) => void;
}

/**
 * `closeloop init`: writes the default closeloop.yaml (refusing to overwrite one), creates and
 * migrates the database, moves an earlier configuration's people into the store, makes `admin`
 * the first admin when the store's people directory is empty, and records the control card's
 * version unless the store has it (audited as `control_card.changed`; see control-card.ts). With `reuseConfig`, an existing configuration is kept and only the database is prepared.
 */
export async function initialize(opts: SetupOptions): Promise<InitResult> {
  const exists = existsSync(opts.configPath);
  if (exists && !opts.reuseConfig) {
    throw new ClError('CL_RULE_REFUSED', `${opts.configPath} exists already; edit it, or use \`closeloop people add\` to add people`);
  }
  if (!exists) {
    const raw = defaultConfig();
    validateConfig(raw, opts.configPath);
    // a new install signs its audit log from the first event (closeloop keys init)
    const key = makeKeyFiles(opts.configPath);
    writeConfig(opts.configPath, { ...raw, audit: { signing_key: configReference(opts.configPath, key.privateKeyFile) } });
  }
  const loaded = loadConfig(opts.configPath);
  const signer = loadSigner(loaded, opts.configPath);
  const store = await openStore({ url: opts.dbUrl, ...(opts.sqliteWait !== undefined ? { sqliteWait: opts.sqliteWait } : {}) });
  const now = opts.now ?? (() => new Date());
  try {
    const { config } = await migratePeople(store, opts.configPath, loaded, now, opts.notice);
    const ctx: AppContext = { store, config, configPath: opts.configPath, now, ...(signer !== undefined ? { signer } : {}) };
    const signing = chainSigning(ctx, { actor: opts.admin });
    const addedAdmin = await store.transaction(async (trx) => {
      await bumpCounter(trx, 'people');
      const at = now().toISOString();
      let added = false;
      if ((await countPeopleRows(trx)) === 0) {
        added = await insertPersonIfAbsent(trx, { name: opts.admin, roles: JSON.stringify(['admin']), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null });
        if (added) await appendAudited(trx, [{ at, actor: opts.admin, action: 'person.added', entityType: 'person', entityId: opts.admin, incidentId: null, state: null }], signing);
      }
      return added;
    });
    // the log as init leaves it (the control card in force included) is covered by a checkpoint
    await recordControlCardAtStart(store, config, opts.configPath, now, opts.admin, opts.notice);
    if (signer !== undefined) await store.transaction((trx) => signCheckpointIfSound(trx, signer, now().toISOString()));
    return { ctx, wroteConfig: !exists, addedAdmin };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * First start of `npm start` on a fresh clone: no configuration yet. Writes the default one, adds
 * `admin` to the store as its first admin and returns a one-time API token and a one-time
 * set-password link for them, so the API and the web application are usable at once. `linkBase`
 * is where the server will listen (the link uses server.public_url when it is set).
 */
export async function bootstrapIfMissing(opts: Omit<SetupOptions, 'reuseConfig'> & { linkBase?: string }): Promise<{ ctx: AppContext; token: string | null; passwordLink: PasswordLinkOut | null }> {
  if (existsSync(opts.configPath)) {
    const { ctx } = await initialize({ ...opts, reuseConfig: true });
    return { ctx, token: null, passwordLink: null };
  }
  const { ctx } = await initialize(opts);
  const t = await createToken(ctx, { actor: opts.admin }, { actor: opts.admin, label: 'first-start bootstrap' });
  const passwordLink = await createPasswordLink(ctx, { actor: opts.admin }, { name: opts.admin }, opts.linkBase !== undefined ? { fallbackBase: opts.linkBase } : {});
  return { ctx, token: t.token, passwordLink };
}
