/**
 * Opening and closing the application context for an edge that runs one command at a time (the
 * CLI): where the configuration and the store are comes from the environment it is given, and
 * relative paths name files in the directory it is given, so a command can run in-process with an
 * environment and a working directory of its own.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { configPathFromEnv, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { channelsFromConfig, verifyChannels } from '../delivery/channels/index.js';
import { SQLITE_WAIT_COMMAND, SQLITE_WAIT_SERVER, openStore, storeUrlFromEnv, type SqliteWait } from '../store/db.js';
import { checkpointingAppends, loadSigner } from './audit-signing.js';
import type { AppContext } from './context.js';
import { recordControlCardAtStart } from './control-card.js';
import { migratePeople } from './people-migration.js';
import type { PasswordLinkOut } from './passwords.js';
import { CONFIGURATION } from './system-caller.js';
import { bootstrapIfMissing, initialize, type InitResult } from './setup.js';

/** The environment and working directory a command runs in, and its clock. */
export interface ContextSource {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now: () => Date;
  /** Where a one-time notice goes (a line for stderr: the people directory moved into the store); none when absent. */
  notice?: (line: string) => void;
}

/** Where a command's configuration file and store are. */
export interface ContextLocations {
  /** closeloop.yaml: CLOSELOOP_CONFIG, default ./closeloop.yaml. */
  configPath: string;
  /** A SQLite file or a postgres:// URL: CLOSELOOP_DB, default ./closeloop.db. */
  dbUrl: string;
}

/**
 * `file` as this process opens it so that it means `file` in the directory `cwd`. It is left as
 * given when it already does (absolute, or relative with this process running in `cwd`; empty is
 * left for the use case to refuse), so what
 * is printed and recorded (an import's file name, the configuration's path) reads as the user
 * wrote it; otherwise it is made absolute.
 */
export function pathIn(cwd: string, file: string): string {
  if (file === '' || path.isAbsolute(file) || path.resolve(cwd) === process.cwd()) return file;
  return path.resolve(cwd, file);
}

/** A store location as this process opens it: a SQLite file path is taken in `cwd`, a URL is kept. */
function storeIn(cwd: string, url: string): string {
  if (url.includes('://') || url === ':memory:') return url;
  return pathIn(cwd, url);
}

/** The configuration file and store named by the environment, relative paths taken in `cwd`. */
export function contextLocations(source: Pick<ContextSource, 'env' | 'cwd'>): ContextLocations {
  const env = { ...source.env };
  return { configPath: pathIn(source.cwd, configPathFromEnv(env)), dbUrl: storeIn(source.cwd, storeUrlFromEnv(env)) };
}

/** Who the context is for: `server` waits for a busy SQLite store in short turns (see SqliteWait). */
export type ContextRole = 'command' | 'server';

const SQLITE_WAIT: Record<ContextRole, SqliteWait> = { command: SQLITE_WAIT_COMMAND, server: SQLITE_WAIT_SERVER };

/**
 * Loads the configuration, then opens (and migrates) the store and records the control card's
 * version unless the store has it: a context for one command, or for the server.
 */
export async function openContext(source: ContextSource, role: ContextRole = 'command'): Promise<AppContext> {
  const { configPath, dbUrl } = contextLocations(source);
  const config = loadConfig(configPath);
  // Secrets are read before the store opens: an unset variable stops the start with nothing open.
  const channels = channelsFromConfig(config, { ...source.env }, configPath);
  const secrets = configSecrets(config, source.env);
  // The signing key is read before the store opens too: a missing key file names itself and opens nothing.
  const signer = loadSigner(config, configPath);
  const store = await openStore({ url: dbUrl, sqliteWait: SQLITE_WAIT[role] });
  try {
    const moved = await migratePeople(store, configPath, config, source.now, source.notice);
    await checkpointingAppends(store, signer, source.now, () => recordControlCardAtStart(store, moved.config, configPath, source.now, CONFIGURATION.actor, source.notice));
    return { store, config: moved.config, configPath, now: source.now, channels, ...secrets, ...(signer !== undefined ? { signer } : {}) };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * Warnings for the context's channels that cannot connect now (see verifyChannels), each as a
 * line for stderr. The server starts anyway: messages wait in the outbox until a channel answers.
 */
export async function channelWarnings(ctx: AppContext): Promise<string[]> {
  const warnings = await verifyChannels(ctx.channels ?? {});
  return warnings.map((w) => `closeloop: warning: ${w}\n`);
}

/** The secrets the configuration names by reference, read from the environment (a missing one is a config error naming its key). */
export function configSecrets(config: Config, env: ContextSource['env']): Pick<AppContext, 'ackKey'> {
  const ref = config.server.ack_key;
  return ref === undefined ? {} : { ackKey: resolveSecret(ref, { ...env }, 'server.ack_key') };
}

/** Releases what `openContext` (or `initializeContext`) opened: the store's connections. */
export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.store.close();
}

/** `closeloop init` in the source's directory: see `initialize`. */
export function initializeContext(source: ContextSource, opts: { admin: string; reuseConfig: boolean }): Promise<InitResult> {
  return initialize({ ...contextLocations(source), admin: opts.admin, reuseConfig: opts.reuseConfig, now: source.now, ...(source.notice ? { notice: source.notice } : {}) });
}

/** The server's first start in the source's directory: see `bootstrapIfMissing`. */
export async function bootstrapContext(source: ContextSource, admin: string, linkBase?: string): Promise<{ ctx: AppContext; token: string | null; passwordLink: PasswordLinkOut | null }> {
  const r = await bootstrapIfMissing({ ...contextLocations(source), admin, sqliteWait: SQLITE_WAIT.server, now: source.now, ...(source.notice ? { notice: source.notice } : {}), ...(linkBase !== undefined ? { linkBase } : {}) });
  try {
    return { ...r, ctx: { ...r.ctx, channels: channelsFromConfig(r.ctx.config, { ...source.env }, r.ctx.configPath), ...configSecrets(r.ctx.config, source.env) } };
  } catch (err) {
    await closeContext(r.ctx);
    throw err;
  }
}

/**
 * The context's files (closeloop.yaml; the SQLite store and its -wal and -shm) that the owner's
 * group or others may read: the store holds incident records and the people directory, the
 * configuration routing addresses, so each should be 0600. A file that does not exist is not listed.
 */
export function exposedFiles(ctx: AppContext): { file: string; mode: number }[] {
  const files = [ctx.configPath];
  if (ctx.store.engine === 'sqlite' && ctx.store.location !== ':memory:') files.push(ctx.store.location, `${ctx.store.location}-wal`, `${ctx.store.location}-shm`);
  return files.flatMap((file) => {
    try {
      const mode = statSync(file).mode & 0o777;
      return (mode & 0o077) === 0 ? [] : [{ file, mode }];
    } catch {
      return [];
    }
  });
}

/** The warning for `exposedFiles`, with the command that fixes it; null when there is none. */
export function exposureWarning(ctx: AppContext): string | null {
  const exposed = exposedFiles(ctx);
  if (exposed.length === 0) return null;
  const listed = exposed.map((e) => `${e.file} (mode ${e.mode.toString(8).padStart(4, '0')})`).join(', ');
  return `closeloop: warning: readable by group or others: ${listed}; fix with \`chmod 600 ${exposed.map((e) => e.file).join(' ')}\`\n`;
}
