/**
 * Upgrading closeloop.yaml from version 1 to version 2. Version 1 let a webhook, Slack or Teams
 * route carry its URL as the address, which put a secret in the file, the store and the audit
 * chain, and let email routes exist without any SMTP settings (their messages waited forever).
 * Version 2 routes name endpoints whose URLs are secret references, and every routed channel has
 * its `delivery.<channel>` section. The upgrade keeps the file's comments and order, moves each URL
 * out (it is printed nowhere: the operator copies it from the kept v1 file into the variable), and
 * says which variables to set.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { ClError } from '../errors.js';
import { ENDPOINT_CHANNELS, looksLikeUrl } from './channels.js';
import { configKey, validateConfig, writeAtomic } from './load.js';

export const CURRENT_CONFIG_VERSION = 2;

/** A variable the upgraded file refers to, and what to put in it. */
export interface NeededVariable {
  name: string;
  /** Where its value comes from, e.g. "the URL at routing.roles.service_owner[0].address in closeloop.yaml.v1.bak". */
  value: string;
}

export interface ConfigMigration {
  from: number;
  to: number;
  /** One line per change made. */
  changes: string[];
  variables: NeededVariable[];
  /** The upgraded file's text (comments kept). */
  text: string;
}

interface RouteAt {
  path: (string | number)[];
  /** The endpoint name a URL moved out of this route gets: the role, or `service_role`. */
  name: string;
  channel: string;
  address: string;
}

function routesOf(doc: Document): RouteAt[] {
  const out: RouteAt[] = [];
  const collect = (routes: unknown, path: (string | number)[], name: string) => {
    if (!isSeq(routes)) return;
    routes.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const channel = item.get('channel');
      const address = item.get('address');
      if (typeof channel === 'string' && typeof address === 'string') out.push({ path: [...path, i], name, channel, address });
    });
  };
  const roles = doc.getIn(['routing', 'roles']);
  if (isMap(roles)) for (const pair of roles.items) collect(pair.value, ['routing', 'roles', String(pair.key)], String(pair.key));
  const services = doc.getIn(['routing', 'services']);
  if (isMap(services)) {
    for (const svc of services.items) {
      if (!isMap(svc.value)) continue;
      for (const pair of svc.value.items) collect(pair.value, ['routing', 'services', String(svc.key), String(pair.key)], `${String(svc.key)}_${String(pair.key)}`.replace(/[^A-Za-z0-9_.-]+/g, '_'));
    }
  }
  return out;
}

const variableName = (...parts: string[]): string => `CLOSELOOP_${parts.join('_')}`.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');

/**
 * The upgrade of a configuration text (pure: nothing is read or written). `backupName` is how the
 * messages refer to the kept version 1 file. Throws CL_CONFIG_INVALID when the result would not
 * validate, listing why.
 */
export function migrateConfigText(text: string, source: string, backupName: string): ConfigMigration {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ClError('CL_CONFIG_INVALID', `${source} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  const from = doc.get('version');
  if (from === CURRENT_CONFIG_VERSION) return { from: CURRENT_CONFIG_VERSION, to: CURRENT_CONFIG_VERSION, changes: [], variables: [], text };
  if (from !== 1) throw new ClError('CL_CONFIG_INVALID', `${source}: version: ${String(from)} is not a configuration version closeloop knows (1 or 2)`);
  const changes: string[] = [];
  const variables: NeededVariable[] = [];
  const routes = routesOf(doc);
  const moved = new Map<string, string>();
  for (const r of routes) {
    if (!(ENDPOINT_CHANNELS as readonly string[]).includes(r.channel) || !looksLikeUrl(r.address)) continue;
    const key = `${r.channel} ${r.address}`;
    let name = moved.get(key);
    if (name === undefined) {
      name = r.name;
      for (let n = 2; doc.hasIn(['delivery', r.channel, 'endpoints', name]); n += 1) name = `${r.name}_${n}`;
      moved.set(key, name);
      const url = variableName(r.channel, name, 'URL');
      const endpoint: Record<string, string> = { url: `env:${url}` };
      variables.push({ name: url, value: `the URL at ${configKey([...r.path, 'address'])} in ${backupName}` });
      if (r.channel === 'webhook') {
        const secret = variableName('webhook', name, 'SECRET');
        endpoint.secret = `env:${secret}`;
        variables.push({ name: secret, value: `the receiver's Standard Webhooks signing secret (whsec_…)` });
      }
      doc.setIn(['delivery', r.channel, 'endpoints', name], doc.createNode(endpoint));
      changes.push(`delivery.${r.channel}.endpoints.${name}: added, its URL read from ${url}`);
    }
    doc.setIn([...r.path, 'address'], name);
    changes.push(`${configKey([...r.path, 'address'])}: the URL is replaced by the endpoint name ${name}`);
  }
  if (routes.some((r) => r.channel === 'email') && !doc.hasIn(['delivery', 'email'])) {
    doc.setIn(['delivery', 'email'], doc.createNode({ url: 'env:CLOSELOOP_SMTP_URL', from: 'closeloop@localhost' }));
    variables.push({ name: 'CLOSELOOP_SMTP_URL', value: 'your SMTP relay, smtp://host:port (STARTTLS when offered) or smtps://host:port' });
    changes.push('delivery.email: added (url from CLOSELOOP_SMTP_URL; set delivery.email.from to your sender address)');
  }
  doc.set('version', CURRENT_CONFIG_VERSION);
  changes.push(`version: 1 -> ${CURRENT_CONFIG_VERSION}`);
  const next = doc.toString();
  validateConfig(parseDocument(next).toJS(), `${source} (as upgraded)`);
  return { from: 1, to: CURRENT_CONFIG_VERSION, changes, variables, text: next };
}

/**
 * `closeloop config migrate`: upgrades the file in place, keeping the old one beside it as
 * `<file>.v1.bak` (0600, never overwritten); with `dryRun`, only says what it would do.
 */
export function migrateConfigFile(file: string, opts: { dryRun?: boolean } = {}): ConfigMigration & { backup: string | null } {
  if (!existsSync(file)) throw new ClError('CL_CONFIG_INVALID', `no configuration at ${file}`);
  const backup = `${file}.v1.bak`;
  const original = readFileSync(file, 'utf8');
  const m = migrateConfigText(original, file, backup);
  if (m.from === m.to || opts.dryRun === true) return { ...m, backup: null };
  if (existsSync(backup)) throw new ClError('CL_CONFLICT', `${backup} exists already: move it away first (it may be the only copy of an earlier configuration)`);
  writeFileSync(backup, original, { flag: 'wx', mode: 0o600 });
  writeAtomic(file, m.text);
  return { ...m, backup };
}
