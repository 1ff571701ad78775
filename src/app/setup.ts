import { existsSync } from 'node:fs';
import { appendAudit } from '../audit/chain.js';
import { defaultConfig, loadConfig, validateConfig, writeConfig } from '../config/load.js';
import { ClError } from '../errors.js';
import { openStore, type SqliteWait } from '../store/db.js';
import { hasAuditEventFor } from '../store/repositories/audit-events.js';
import type { AppContext } from './context.js';
import { createToken } from './admin.js';
import { createPasswordLink, type PasswordLinkOut } from './passwords.js';

export interface InitResult {
  ctx: AppContext;
  wroteConfig: boolean;
}

/**
 * `closeloop init`: writes the default closeloop.yaml with `admin` as the first admin (refusing to
 * overwrite one), creates and migrates the database, and records the control card in the audit chain.
 * With `reuseConfig`, an existing configuration is kept and only the database is prepared.
 */
export async function initialize(opts: { configPath: string; dbUrl: string; admin: string; reuseConfig?: boolean; now?: () => Date; sqliteWait?: SqliteWait }): Promise<InitResult> {
  const exists = existsSync(opts.configPath);
  if (exists && !opts.reuseConfig) {
    throw new ClError('CL_RULE_REFUSED', `${opts.configPath} exists already; edit it, or use \`closeloop people add\` to add people`);
  }
  if (!exists) {
    const raw = defaultConfig(opts.admin);
    validateConfig(raw, opts.configPath);
    writeConfig(opts.configPath, raw);
  }
  const config = loadConfig(opts.configPath);
  const store = await openStore({ url: opts.dbUrl, ...(opts.sqliteWait !== undefined ? { sqliteWait: opts.sqliteWait } : {}) });
  const now = opts.now ?? (() => new Date());
  const ctx: AppContext = { store, config, configPath: opts.configPath, now };
  const card = `${config.control_card.id}@v${config.control_card.version}`;
  if (!(await hasAuditEventFor(store.db, 'control_card', card))) {
    await store.transaction((trx) =>
      appendAudit(trx, { at: now().toISOString(), actor: opts.admin, action: 'control_card.initialized', entityType: 'control_card', entityId: card, incidentId: null, state: config.control_card }),
    );
  }
  return { ctx, wroteConfig: !exists };
}

/**
 * First start of `npm start` on a fresh clone: no configuration yet. Writes the default one with an
 * `admin` person and returns a one-time API token and a one-time set-password link for them, so
 * the API and the web application are usable at once. `linkBase` is where the server will listen
 * (the link uses server.public_url when it is set).
 */
export async function bootstrapIfMissing(opts: { configPath: string; dbUrl: string; admin: string; sqliteWait?: SqliteWait; linkBase?: string }): Promise<{ ctx: AppContext; token: string | null; passwordLink: PasswordLinkOut | null }> {
  if (existsSync(opts.configPath)) {
    const { ctx } = await initialize({ ...opts, reuseConfig: true });
    return { ctx, token: null, passwordLink: null };
  }
  const { ctx } = await initialize(opts);
  const t = await createToken(ctx, { actor: opts.admin }, { actor: opts.admin, label: 'first-start bootstrap' });
  const passwordLink = await createPasswordLink(ctx, { actor: opts.admin }, { name: opts.admin }, opts.linkBase !== undefined ? { fallbackBase: opts.linkBase } : {});
  return { ctx, token: t.token, passwordLink };
}
