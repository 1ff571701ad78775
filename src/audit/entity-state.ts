/**
 * Every record matches its latest audit event. For the entity types of the registry
 * (store/entity-registry.ts) the state an event digests is the row's projection as stored, read back
 * in the writing transaction after the write (a row that is gone digests as null). Findings, assets
 * and decisions are vouched for as sets: each audited writer of them (import, triage run, verdict,
 * asset merge) brings the set digests it changed up to date and appends an `entity_set.updated`
 * event for each. `verifyEntityStates` recomputes all of it from the rows.
 */
import { digestOf } from '../domain/audit-hash.js';
import {
  allRows,
  ENTITY_KINDS,
  isEntityType,
  latestEventsOf,
  projectionOf,
  projectionsOf,
  saveSetDigest,
  SET_KINDS,
  SET_WRITERS,
  setDigestNow,
  setDigestRows,
  type EntityKind,
  type EntityType,
  type SetDigestRow,
  type SetType,
} from '../store/entity-registry.js';
import type { Db } from '../store/schema.js';
import { appendAuditMany, type AuditEvent, type AuditInput, type ChainSigning } from './chain.js';

export { ENTITY_KINDS, SET_KINDS, SET_WRITERS, type EntityType, type SetType };

const NULL_DIGEST = digestOf(null);

/**
 * The events to append for `inputs`: each registered entity's state replaced by its row's
 * projection as the transaction sees it now, and after a writer of findings, assets or decisions
 * one `entity_set.updated` event per set digest that changed (see refreshSetDigests).
 */
export async function withEntityStates(trx: Db, inputs: readonly AuditInput[]): Promise<AuditInput[]> {
  const byType = new Map<EntityType, string[]>();
  for (const e of inputs) if (isEntityType(e.entityType)) byType.set(e.entityType, [...(byType.get(e.entityType) ?? []), e.entityId]);
  const rows = new Map<EntityType, Map<string, Record<string, unknown>>>();
  for (const [type, ids] of byType) rows.set(type, await projectionsOf(trx, type, ids));
  const out = inputs.map((e) => (isEntityType(e.entityType) ? { ...e, state: rows.get(e.entityType)?.get(e.entityId) ?? null } : e));
  const writer = inputs.findLast((e) => SET_WRITERS.has(e.entityType));
  if (writer !== undefined) out.push(...(await refreshSetDigests(trx, writer)));
  return out;
}

/** Appends events for changes already written (see withEntityStates): the way every writer audits. */
export async function appendAudited(trx: Db, inputs: readonly AuditInput[], signing?: ChainSigning): Promise<AuditEvent[]> {
  return appendAuditMany(trx, await withEntityStates(trx, inputs), signing);
}

/**
 * Recomputes the digests of findings, assets and decisions in the writer's transaction and records
 * those that changed, naming the writer; returns their events (actor and time of the writer's).
 */
async function refreshSetDigests(trx: Db, writer: AuditInput): Promise<AuditInput[]> {
  const stored = new Map((await setDigestRows(trx)).map((r) => [r.entity_type, r]));
  const events: AuditInput[] = [];
  for (const set of Object.keys(SET_KINDS) as SetType[]) {
    const now = await setDigestNow(trx, set);
    const before = stored.get(set);
    if (before !== undefined && before.digest === now.digest && before.row_count === now.count) continue;
    const row: SetDigestRow = { entity_type: set, digest: now.digest, row_count: now.count, writer_type: writer.entityType, writer_id: writer.entityId, at: writer.at };
    await saveSetDigest(trx, row);
    events.push({ at: writer.at, actor: writer.actor, action: 'entity_set.updated', entityType: 'entity_set', entityId: set, incidentId: null, state: row });
  }
  return events;
}

/** One record that does not match the chain: an entity by type and id, or a set by its last writer. */
export interface EntityProblem {
  entity_type: string;
  entity_id: string;
  problem: string;
}

export interface EntityVerifyResult {
  ok: boolean;
  /** Rows and sets compared with the chain. */
  checked: number;
  problems: EntityProblem[];
}

/**
 * Compares every registered entity's row with the digest of its latest audit event, and every set
 * digest with its table: a row edited, deleted or inserted outside closeloop is named by type and
 * id; a changed set by the import, triage run, verdict or merge whose recorded digest it no longer
 * matches.
 */
export async function verifyEntityStates(db: Db): Promise<EntityVerifyResult> {
  const problems: EntityProblem[] = [];
  let checked = 0;
  for (const [type, kind] of Object.entries(ENTITY_KINDS) as [EntityType, EntityKind][]) {
    const latest = await latestEventsOf(db, type);
    for await (const page of allRows(db, kind.table, kind.key)) {
      for (const row of page) {
        checked += 1;
        const id = String(row[kind.key]);
        const event = latest.get(id);
        latest.delete(id);
        if (event === undefined) problems.push({ entity_type: type, entity_id: id, problem: `${kind.table} row ${id} has no audit event: it was inserted outside closeloop` });
        else if (event.digest !== digestOf(projectionOf(kind, row))) {
          problems.push({ entity_type: type, entity_id: id, problem: `${kind.table} row ${id} differs from the state its latest audit event (${event.seq}, ${event.action}) recorded: it was edited outside closeloop` });
        }
      }
    }
    for (const [id, event] of latest) {
      checked += 1;
      if (event.digest !== NULL_DIGEST) problems.push({ entity_type: type, entity_id: id, problem: `${kind.table} row ${id} is missing but its latest audit event (${event.seq}, ${event.action}) recorded it: it was deleted outside closeloop` });
    }
  }
  const stored = new Map((await setDigestRows(db)).map((r) => [r.entity_type, r]));
  for (const set of Object.keys(SET_KINDS) as SetType[]) {
    checked += 1;
    const table = SET_KINDS[set].table;
    const recorded = stored.get(set);
    const now = await setDigestNow(db, set);
    if (recorded === undefined) {
      // no writer has run yet (a deleted digest row is reported above, by its entity_set events)
      if (now.count > 0) problems.push({ entity_type: set, entity_id: '-', problem: `${table} holds ${now.count} rows but no set digest was ever recorded: they were written outside closeloop` });
      continue;
    }
    if (now.digest !== recorded.digest || now.count !== recorded.row_count) {
      problems.push({
        entity_type: set,
        entity_id: recorded.writer_id,
        problem: `${table} no longer match the set digest recorded by ${recorded.writer_type} ${recorded.writer_id} at ${recorded.at} (${recorded.row_count} rows then, ${now.count} now): a row was changed, added or deleted outside closeloop`,
      });
    }
  }
  return { ok: problems.length === 0, checked, problems };
}
