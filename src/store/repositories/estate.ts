import type { Db } from '../schema.js';

/** How much the store holds of what a demonstration estate would add to: incidents, imports, findings. */
export interface EstateSize {
  incidents: number;
  imports: number;
  findings: number;
}

async function countOf(db: Db, table: 'incidents' | 'imports' | 'findings'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The rows of each kind in the store (any row at all means it is in use). */
export async function estateSize(db: Db): Promise<EstateSize> {
  const [incidents, imports, findings] = await Promise.all([countOf(db, 'incidents'), countOf(db, 'imports'), countOf(db, 'findings')]);
  return { incidents, imports, findings };
}
