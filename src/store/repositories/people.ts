import type { Db, NewPersonRow, PersonRow } from '../schema.js';

/** The people directory. `roles` is stored as a JSON array; these functions take and give arrays. */

export interface Person {
  name: string;
  roles: string[];
  display_name: string | null;
  email: string | null;
  has_password: boolean;
  oidc_subject: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
}

export function toPerson(row: PersonRow): Person {
  return {
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    display_name: row.display_name,
    email: row.email,
    has_password: row.password_hash !== null,
    oidc_subject: row.oidc_subject,
    created_at: row.created_at,
    updated_at: row.updated_at,
    removed_at: row.removed_at,
  };
}

/** The row of `name`, removed or not. */
export function findPersonRow(db: Db, name: string): Promise<PersonRow | undefined> {
  return db.selectFrom('people').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The roles of a person who has not been removed; null for anyone else. */
export async function activeRoles(db: Db, name: string): Promise<string[] | null> {
  const row = await db.selectFrom('people').select('roles').where('name', '=', name).where('removed_at', 'is', null).executeTakeFirst();
  return row === undefined ? null : (JSON.parse(row.roles) as string[]);
}

/** The people, by name; the removed ones only when asked for. */
export async function listPeopleRows(db: Db, opts: { includeRemoved?: boolean } = {}): Promise<PersonRow[]> {
  let q = db.selectFrom('people').selectAll().orderBy('name');
  if (opts.includeRemoved !== true) q = q.where('removed_at', 'is', null);
  return q.execute();
}

/** Active people holding any of `roles`, by name. */
export async function peopleWithRoles(db: Db, roles: readonly string[]): Promise<Person[]> {
  const rows = await listPeopleRows(db);
  return rows.map(toPerson).filter((p) => p.roles.some((r) => roles.includes(r)));
}

/** How many rows the directory has, removed people included. */
export async function countPeopleRows(db: Db): Promise<number> {
  const r = await db.selectFrom('people').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertPersonRow(db: Db, row: NewPersonRow): Promise<void> {
  await db.insertInto('people').values(row).execute();
}

/** Sets fields of `name`'s row; the number of rows changed (0: no such person). */
export async function updatePersonRow(db: Db, name: string, set: Partial<Omit<PersonRow, 'name' | 'created_at'>>): Promise<number> {
  const r = await db.updateTable('people').set(set).where('name', '=', name).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Inserts `row` unless a row of that name exists (removed or not): true when it was inserted. Of
 * two processes adding the same name at once, exactly one inserts.
 */
export async function insertPersonIfAbsent(db: Db, row: NewPersonRow): Promise<boolean> {
  const r = await db.insertInto('people').values(row).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Gives a removed person back their place with `roles`: true when `name` was removed and now is not. */
export async function restorePersonRow(db: Db, name: string, roles: readonly string[], at: string): Promise<boolean> {
  const r = await db.updateTable('people').set({ roles: JSON.stringify(roles), updated_at: at, removed_at: null }).where('name', '=', name).where('removed_at', 'is not', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Replaces the roles of an active person: false when `name` is not one. */
export async function setActiveRoles(db: Db, name: string, roles: readonly string[], at: string): Promise<boolean> {
  const r = await db.updateTable('people').set({ roles: JSON.stringify(roles), updated_at: at }).where('name', '=', name).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Marks an active person removed: false when `name` is not one. */
export async function markPersonRemoved(db: Db, name: string, at: string): Promise<boolean> {
  const r = await db.updateTable('people').set({ removed_at: at, updated_at: at }).where('name', '=', name).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The names of the active people holding `role`. */
export async function activeHoldersOf(db: Db, role: string): Promise<string[]> {
  return (await peopleWithRoles(db, [role])).map((p) => p.name);
}
