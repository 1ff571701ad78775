import type { Insertable, Selectable, Updateable } from 'kysely';

export interface CountersTable { name: string; value: number }

export type CounterRow = Selectable<CountersTable>;
export type NewCounterRow = Insertable<CountersTable>;
export type CounterRowUpdate = Updateable<CountersTable>;
