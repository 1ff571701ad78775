import type { Insertable, Selectable, Updateable } from 'kysely';

/** A person in the directory. `roles` is a JSON array of role names. */
export interface PeopleTable {
  name: string;
  roles: string;
  display_name: string | null;
  email: string | null;
  /** scrypt hash (see app/passwords.ts), null until a password is set. */
  password_hash: string | null;
  /** The OpenID Connect subject (or mapped claim value) this person signs in as. */
  oidc_subject: string | null;
  created_at: string;
  updated_at: string;
  /** When the person was removed: they keep their name in the audit log and can no longer act. */
  removed_at: string | null;
}

export type PersonRow = Selectable<PeopleTable>;
export type NewPersonRow = Insertable<PeopleTable>;
export type PersonRowUpdate = Updateable<PeopleTable>;
