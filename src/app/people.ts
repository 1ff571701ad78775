/**
 * The people directory: who holds which roles. It lives in the store (table `people`), read on
 * every authorization, so a change made by one process (the CLI) counts at the next request of
 * every other (the servers). A removed person keeps their row (their name stays in the audit
 * chain) and can no longer act; their tokens are revoked with them.
 *
 * Every change takes the `people` counter's row lock first: changes to the directory happen one
 * at a time across processes, so a check such as "the last admin" cannot be raced past.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { POLICY } from '../domain/policy.js';
import { badInput, ClError, notFound } from '../errors.js';
import { listApiTokens, revokeApiToken } from '../store/repositories/api-tokens.js';
import {
  activeHoldersOf,
  findPersonRow,
  insertPersonIfAbsent,
  listPeopleRows,
  markPersonRemoved,
  restorePersonRow,
  setActiveRoles,
  toPerson,
  type Person,
} from '../store/repositories/people.js';
import { audit, auditMany, authorize, inTransaction, isoNow, nextCounter, type AppContext, type Caller, type Trx } from './context.js';
import { identifier, parseInput, recordInput } from './validate.js';

export type { Person };

/**
 * Every role a person may hold: `admin`, the roles of the policy, and the roles the configuration
 * names (control card owner, recipients and approvers, third-party roles, routed roles).
 */
export function knownRoles(config: Config): string[] {
  const roles = new Set<string>(['admin']);
  for (const allowed of Object.values(POLICY)) for (const r of allowed) roles.add(r);
  const card = config.control_card;
  for (const r of [card.owner_role, ...card.recipient_roles, ...card.exception_rules.approver_roles, ...config.workflow.third_party_roles, ...Object.keys(config.routing.roles)]) roles.add(r);
  return [...roles].sort();
}

/** Edit distance between two short words (for suggesting the role that was meant). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known role nearest to `word`, when one is near enough to be a slip of the keyboard. */
export function nearestRole(word: string, known: readonly string[]): string | null {
  let best: { role: string; d: number } | null = null;
  for (const role of known) {
    const d = distance(word, role);
    if (best === null || d < best.d) best = { role, d };
  }
  return best !== null && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.role : null;
}

/** Refuses roles neither the policy nor the configuration knows, naming each field, the nearest role and the valid ones. */
function checkRoles(ctx: AppContext, roles: readonly string[]): string[] {
  const known = knownRoles(ctx.config);
  const fields = roles.flatMap((role, i) => {
    if (known.includes(role)) return [];
    const near = nearestRole(role, known);
    return [{ field: `roles.${i}`, message: `unknown role ${role}${near === null ? '' : ` (did you mean ${near}?)`}` }];
  });
  if (fields.length > 0) {
    throw badInput(`invalid input for a person: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}; valid roles: ${known.join(', ')}`, { record: 'person', fields, valid_roles: known });
  }
  return [...new Set(roles)];
}

const roleList = z.array(identifier('role')).min(1, 'at least one role');

export const listPeopleInput = z.strictObject({
  /** Removed people too (with `removed_at`); `true`/`false` as words too (a query string). */
  include_removed: z.union([z.boolean(), z.enum(['true', 'false'])]).default(false),
});
export const addPersonInput = z.strictObject({ name: identifier('name'), roles: roleList });
export const setRolesInput = z.strictObject({ name: identifier('name'), roles: roleList });
export const removePersonInput = z.strictObject({ name: identifier('name') });

/** The directory, by name: who holds which roles (password hashes never leave the store). */
export async function listPeople(ctx: AppContext, caller: Caller, input: z.input<typeof listPeopleInput> = {}): Promise<Person[]> {
  await authorize(ctx, caller, 'people.read');
  const p = parseInput(listPeopleInput, input);
  const rows = await listPeopleRows(ctx.store.db, { includeRemoved: p.include_removed === true || p.include_removed === 'true' });
  return rows.map(toPerson);
}

/** Directory changes one at a time (a row lock on PostgreSQL; SQLite writers are serial already). */
async function lockDirectory(trx: Trx): Promise<void> {
  await nextCounter(trx, 'people');
}

/**
 * Adds a person with their roles. Someone already in the directory is refused (CL_CONFLICT: their
 * roles change with `setRoles`), so that two admins adding the same name at once do not silently
 * overwrite each other; a removed person is added back.
 */
export async function addPerson(ctx: AppContext, caller: Caller, input: z.input<typeof addPersonInput>): Promise<Person> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(addPersonInput, input);
  const roles = checkRoles(ctx, p.roles);
  return inTransaction(ctx, async (trx) => {
    await lockDirectory(trx);
    const at = isoNow(ctx);
    const existing = await findPersonRow(trx, p.name);
    const alreadyThere = (): ClError =>
      new ClError('CL_CONFLICT', `${p.name} is in the people directory already; change their roles with \`closeloop people roles ${p.name} --roles ${roles.join(',')}\``, { name: p.name });
    if (existing !== undefined && existing.removed_at === null) throw alreadyThere();
    const restored = existing !== undefined;
    const done = restored
      ? await restorePersonRow(trx, p.name, roles, at)
      : await insertPersonIfAbsent(trx, { name: p.name, roles: JSON.stringify(roles), display_name: null, email: null, password_hash: null, oidc_subject: null, created_at: at, updated_at: at, removed_at: null });
    if (!done) throw alreadyThere();
    await audit(trx, ctx, caller, { action: 'person.added', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, roles, restored } });
    return toPerson((await findPersonRow(trx, p.name))!);
  });
}

/** Refuses a change that would leave the directory without an active admin. */
async function keepAnAdmin(trx: Trx, name: string, what: string): Promise<void> {
  const admins = await activeHoldersOf(trx, 'admin');
  if (admins.length === 1 && admins[0] === name) {
    throw new ClError('CL_RULE_REFUSED', `${name} is the last admin: ${what} would leave nobody to manage people and tokens; add another admin first (\`closeloop people add NAME --roles admin\`)`, { name });
  }
}

/** Replaces the roles of a person in the directory (refusing to take `admin` from the last admin). */
export async function setRoles(ctx: AppContext, caller: Caller, input: z.input<typeof setRolesInput>): Promise<Person> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(setRolesInput, input);
  const roles = checkRoles(ctx, p.roles);
  return inTransaction(ctx, async (trx) => {
    await lockDirectory(trx);
    const row = await findPersonRow(trx, p.name);
    if (row === undefined || row.removed_at !== null) throw notFound('person', p.name);
    const previous = toPerson(row).roles;
    if (previous.includes('admin') && !roles.includes('admin')) await keepAnAdmin(trx, p.name, 'taking the admin role');
    await setActiveRoles(trx, p.name, roles, isoNow(ctx));
    await audit(trx, ctx, caller, { action: 'person.roles_set', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, roles, previous } });
    return toPerson((await findPersonRow(trx, p.name))!);
  });
}

/**
 * Removes a person: they can no longer act and their API tokens are revoked; their row stays, so
 * their name in the audit chain still names someone. Nobody removes themselves (another admin
 * must), and the last admin is never removed.
 */
export async function removePerson(ctx: AppContext, caller: Caller, input: z.input<typeof removePersonInput>): Promise<Person & { tokens_revoked: string[] }> {
  await authorize(ctx, caller, 'people.manage');
  const p = parseInput(removePersonInput, input);
  if (p.name === caller.actor) {
    throw new ClError('CL_RULE_REFUSED', `${caller.actor} cannot remove themselves; another admin must (\`closeloop people remove ${p.name} --by OTHER_ADMIN\`)`, { name: p.name });
  }
  return inTransaction(ctx, async (trx) => {
    await lockDirectory(trx);
    const row = await findPersonRow(trx, p.name);
    if (row === undefined || row.removed_at !== null) throw notFound('person', p.name);
    await keepAnAdmin(trx, p.name, 'removing them');
    const at = isoNow(ctx);
    await markPersonRemoved(trx, p.name, at);
    const revoked: string[] = [];
    for (const t of await listApiTokens(trx, p.name)) if (t.revoked_at === null && (await revokeApiToken(trx, t.id, at))) revoked.push(t.id);
    await auditMany(trx, ctx, caller, [
      { action: 'person.removed', entityType: 'person', entityId: p.name, incidentId: null, state: { name: p.name, roles: toPerson(row).roles, removed_at: at, tokens_revoked: revoked } },
      ...revoked.map((id) => ({ action: 'token.revoked', entityType: 'api_token', entityId: id, incidentId: null, state: { id, actor: p.name, revoked_at: at } })),
    ]);
    return { ...toPerson((await findPersonRow(trx, p.name))!), tokens_revoked: revoked };
  });
}

// The record each input describes, named when a field is refused (see parseInput).
recordInput('person', addPersonInput);
recordInput('person', setRolesInput);
recordInput('person', removePersonInput);
