/**
 * Which stored records the audit chain vouches for, and how: each audited entity type's table, its
 * key and the projection of its row that an audited change sets. The chain keeps only a digest of
 * a state (audit/chain.ts); for the types here that state is the row's projection read back after
 * the write, so `audit verify` recomputes it from the row as it is now and reports a row edited,
 * deleted or inserted behind closeloop's back (audit/entity-state.ts).
 *
 * Findings, assets and decisions are written by the thousand in one import or triage run: they are
 * vouched for as sets, one additive multiset digest a table (domain/audit-hash.ts MultisetHash) kept
 * in `entity_set_digests`, itself an entity here, so the digest row is checked like any other.
 *
 * Web sessions are outside the check: a session row is touched on every request (`last_seen_at`)
 * and proves nothing an assessor asks for.
 */
import type { Kysely } from 'kysely';
import { digestOf, eventHash, GENESIS_HASH, MultisetHash } from '../domain/audit-hash.js';
import { reserveCounter } from './counters.js';
import { insertRows, slices } from './insert.js';
import type { AuditEvent, Database, Db } from './schema.js';

type Row = Record<string, unknown>;

/** One entity type the chain vouches for row by row. */
export interface EntityKind {
  table: keyof Database;
  /** The column holding the id events name (`entity_id`). */
  key: string;
  /**
   * Columns left out of the projection: operational values written without a change of the
   * record's state (and so without an audit event). Every other column, including any added later,
   * is covered.
   */
  omit: readonly string[];
  /** Maps an operational value to the state it stands for (see `notification`). */
  normalize?: (row: Row) => Row;
}

/** The entity types checked row by row, by the `entity_type` their audit events carry. */
export const ENTITY_KINDS = {
  incident: { table: 'incidents', key: 'id', omit: [] },
  weakness: { table: 'weaknesses', key: 'id', omit: [] },
  /**
   * Left out: `next_attempt_at` and `last_error`, which the dispatcher's claim (a lease: status
   * `sending` until the lease time) and its "waiting for a channel" note write without a change of
   * state. A claimed message is a queued one, so `sending` counts as `queued`. Every attempt's
   * outcome (status, attempts, times, message id, proof) is covered: the dispatcher audits it.
   */
  notification: {
    table: 'notifications',
    key: 'id',
    omit: ['next_attempt_at', 'last_error'],
    normalize: (r: Row): Row => (r.status === 'sending' ? { ...r, status: 'queued' } : r),
  },
  acknowledgment: { table: 'acknowledgments', key: 'id', omit: [] },
  remediation_item: { table: 'remediation_items', key: 'id', omit: [] },
  risk_acceptance: { table: 'risk_acceptances', key: 'id', omit: [] },
  third_party_notice: { table: 'third_party_notices', key: 'id', omit: [] },
  person: { table: 'people', key: 'name', omit: [] },
  /** Left out: `last_used_at`, written (at most once a minute) on use, not by a change of the token. */
  api_token: { table: 'api_tokens', key: 'id', omit: ['last_used_at'] },
  /** The set digests of findings, assets and decisions (one row a table, keyed by `SET_KINDS` name). */
  entity_set: { table: 'entity_set_digests', key: 'entity_type', omit: [] },
} as const satisfies Record<string, EntityKind>;

export type EntityType = keyof typeof ENTITY_KINDS;

export function isEntityType(t: string): t is EntityType {
  return Object.hasOwn(ENTITY_KINDS, t);
}

/** The tables vouched for as sets, by the name of their `entity_set_digests` row. */
export const SET_KINDS = {
  finding: { table: 'findings', key: 'id' },
  asset: { table: 'assets', key: 'id' },
  decision: { table: 'decisions', key: 'id' },
} as const satisfies Record<string, { table: keyof Database; key: string }>;

export type SetType = keyof typeof SET_KINDS;

/**
 * The audited writers of findings, assets and decisions, by the entity type of their event: an
 * import, a triage run, an analyst's verdict on a finding, an asset merge. Their event is followed
 * by an `entity_set.updated` event for each set they changed.
 */
export const SET_WRITERS: ReadonlySet<string> = new Set(['import', 'triage_run', 'finding', 'asset']);

const ROWS_PER_PAGE = 2000;
const IDS_PER_QUERY = 500;

// The registry names its tables at run time; Kysely's typed builder needs them at compile time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (db: Db | Kysely<any>): Kysely<any> => db;

/** A column value as both engines agree on it (a 64-bit count arrives as bigint or string). */
function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** The row's projection: what an audited change of it sets (see EntityKind). */
export function projectionOf(kind: EntityKind, row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) if (!kind.omit.includes(k)) out[k] = plain(v);
  return kind.normalize ? kind.normalize(out) : out;
}

/** The projections of the rows with these ids (absent ids are absent from the map). */
export async function projectionsOf(db: Db, type: EntityType, ids: readonly string[]): Promise<Map<string, Row>> {
  const kind: EntityKind = ENTITY_KINDS[type];
  const out = new Map<string, Row>();
  for (const part of slices([...new Set(ids)], IDS_PER_QUERY)) {
    const rows = (await loose(db).selectFrom(kind.table).selectAll().where(kind.key, 'in', part).execute()) as Row[];
    for (const r of rows) out.set(String(r[kind.key]), projectionOf(kind, r));
  }
  return out;
}

/** Every row of a table, in pages ordered by its key. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function* allRows(db: Db | Kysely<any>, table: string, key: string): AsyncGenerator<Row[]> {
  let after: string | null = null;
  for (;;) {
    let q = loose(db).selectFrom(table).selectAll().orderBy(key).limit(ROWS_PER_PAGE);
    if (after !== null) q = q.where(key, '>', after);
    const rows = (await q.execute()) as Row[];
    if (rows.length === 0) return;
    yield rows;
    after = String(rows[rows.length - 1]![key]);
    if (rows.length < ROWS_PER_PAGE) return;
  }
}

/** The projection of a set member: every column (an import or triage run audits the whole row). */
function memberOf(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = plain(v);
  return out;
}

/** The multiset digest of a set's rows as they are now. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function setDigestNow(db: Db | Kysely<any>, set: SetType): Promise<{ digest: string; count: number }> {
  const h = new MultisetHash();
  for await (const page of allRows(db, SET_KINDS[set].table, SET_KINDS[set].key)) for (const r of page) h.add(memberOf(r));
  return { digest: h.hex(), count: h.count };
}

/** One row of `entity_set_digests`. */
export interface SetDigestRow {
  entity_type: string;
  digest: string;
  row_count: number;
  writer_type: string;
  writer_id: string;
  at: string;
}

export async function setDigestRows(db: Db): Promise<SetDigestRow[]> {
  const rows = (await loose(db).selectFrom('entity_set_digests').selectAll().execute()) as SetDigestRow[];
  return rows.map((r) => ({ ...r, row_count: Number(r.row_count) }));
}

export async function saveSetDigest(db: Db, row: SetDigestRow): Promise<void> {
  await loose(db)
    .insertInto('entity_set_digests')
    .values(row)
    .onConflict((oc) => oc.column('entity_type').doUpdateSet({ digest: row.digest, row_count: row.row_count, writer_type: row.writer_type, writer_id: row.writer_id, at: row.at }))
    .execute();
}

/** The latest event of each entity of a type: its sequence number, action and state digest. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function latestEventsOf(db: Db | Kysely<any>, type: string): Promise<Map<string, { seq: number; action: string; digest: string }>> {
  const rows = (await loose(db).selectFrom('audit_events').select(['seq', 'entity_id', 'action', 'digest']).where('entity_type', '=', type).orderBy('seq').execute()) as {
    seq: number | string;
    entity_id: string;
    action: string;
    digest: string;
  }[];
  const out = new Map<string, { seq: number; action: string; digest: string }>();
  for (const r of rows) out.set(r.entity_id, { seq: Number(r.seq), action: r.action, digest: r.digest });
  return out;
}

/** The incident an entity's events are filed under: the incident itself, or the one its row names. */
export function incidentOf(type: string, row: Row | null): string | null {
  if (row === null) return null;
  if (type === 'incident') return String(row.id);
  return typeof row.incident_id === 'string' ? row.incident_id : null;
}

/**
 * The baseline of a store that kept no state digests before (migration 0016): one
 * `audit.baseline` event per row of every entity type and per entity whose row is gone (digest of
 * null), and the set digests of findings, assets and decisions that have rows, with an event each, appended to the
 * chain as the system. From here on the chain vouches for the records as they were at the upgrade.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function appendBaseline(db: Kysely<any>, at: string): Promise<number> {
  const events: { type: string; id: string; incident: string | null; state: unknown }[] = [];
  for (const set of Object.keys(SET_KINDS) as SetType[]) {
    const { digest, count } = await setDigestNow(db, set);
    // an empty set needs no digest (verification takes a missing one for empty): a new store's chain starts empty
    if (count === 0) continue;
    const row: SetDigestRow = { entity_type: set, digest, row_count: count, writer_type: 'audit', writer_id: 'baseline', at };
    await loose(db).insertInto('entity_set_digests').values(row).execute();
    events.push({ type: 'entity_set', id: set, incident: null, state: row });
  }
  for (const [type, kind] of Object.entries(ENTITY_KINDS) as [EntityType, EntityKind][]) {
    if (type === 'entity_set') continue;
    const seen = new Set<string>();
    for await (const page of allRows(db, kind.table, kind.key)) {
      for (const r of page) {
        const id = String(r[kind.key]);
        seen.add(id);
        events.push({ type, id, incident: incidentOf(type, r), state: projectionOf(kind, r) });
      }
    }
    for (const id of [...(await latestEventsOf(db, type)).keys()].sort()) if (!seen.has(id)) events.push({ type, id, incident: null, state: null });
  }
  if (events.length === 0) return 0;
  const first = await reserveCounter(db as Db, 'audit_seq', events.length);
  const head = await (db as Db).selectFrom('audit_events').select('hash').where('seq', '=', first - 1).executeTakeFirst();
  let prev: string = head?.hash ?? GENESIS_HASH;
  const rows: AuditEvent[] = events.map((e, i) => {
    const base = { seq: first + i, at, actor: 'closeloop', action: 'audit.baseline', entity_type: e.type, entity_id: e.id, incident_id: e.incident, digest: digestOf(e.state), prev_hash: prev };
    const row: AuditEvent = { ...base, hash: eventHash(base), key_id: null, signature: null };
    prev = row.hash;
    return row;
  });
  await insertRows(db as Db, 'audit_events', rows);
  return rows.length;
}
