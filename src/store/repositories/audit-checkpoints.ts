import type { AuditCheckpoint, Db } from '../schema.js';

/** The rows of signed checkpoints. What they mean and how they are made is in audit/checkpoints.ts. */

const asRow = (r: AuditCheckpoint): AuditCheckpoint => ({ ...r, tree_size: Number(r.tree_size) });

export async function insertCheckpoint(db: Db, row: AuditCheckpoint): Promise<void> {
  await db.insertInto('audit_checkpoints').values(row).execute();
}

/** The checkpoint of the largest tree, or undefined when none was signed. */
export async function newestCheckpoint(db: Db): Promise<AuditCheckpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return r === undefined ? undefined : asRow(r);
}

export async function checkpointOfSize(db: Db, treeSize: number): Promise<AuditCheckpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '=', treeSize).executeTakeFirst();
  return r === undefined ? undefined : asRow(r);
}

/** The smallest checkpoint whose tree holds event `seq` (tree_size >= seq). */
export async function firstCheckpointCovering(db: Db, seq: number): Promise<AuditCheckpoint | undefined> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '>=', seq).orderBy('tree_size').limit(1).executeTakeFirst();
  return r === undefined ? undefined : asRow(r);
}

/** The checkpoints of trees larger than `treeSize`, smallest first. */
export async function checkpointsAfter(db: Db, treeSize: number): Promise<AuditCheckpoint[]> {
  return (await db.selectFrom('audit_checkpoints').selectAll().where('tree_size', '>', treeSize).orderBy('tree_size').execute()).map(asRow);
}
