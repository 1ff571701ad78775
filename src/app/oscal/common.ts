/**
 * What every OSCAL document closeloop writes shares: the OSCAL version, deterministic UUIDs, the
 * metadata block with its parties and roles, and writing the file (0600, whole or not at all).
 */
import { createHash } from 'node:crypto';
import { writeAtomic } from '../../config/load.js';
import { badInput } from '../../errors.js';
import { auditHashAt } from '../../store/repositories/audit-events.js';
import { listPeopleRows, toPerson } from '../../store/repositories/people.js';
import type { Db } from '../../store/schema.js';

export const OSCAL_VERSION = '1.1.3';
/** The namespace of the properties closeloop defines itself (OSCAL's `ns`). */
export const CLOSELOOP_NS = 'urn:closeloop:oscal';
/** The namespace of FedRAMP's OSCAL extensions (POAM-ID, operational-requirement, …). */
export const FEDRAMP_NS = 'https://fedramp.gov/ns/oscal';

/** The RFC 4122 namespace closeloop's name-based UUIDs start from (itself a v5 UUID of the URL namespace). */
const ROOT_NAMESPACE = '0d4f6ae3-9b1c-5b6a-8a3e-4c1f0b7d2e51';

/** An RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = h.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Names UUIDs for one store: the same record of the same store always gets the same UUID, so two
 * exports are identical and a tool can follow an item from one export to the next; two stores
 * never share one (the namespace comes from the store's first audit event, which no other store has).
 */
export class OscalIds {
  constructor(readonly namespace: string) {}

  /** The UUID of record `id` of kind `kind` (e.g. `risk`, `WK-0001`). */
  of(kind: string, id: string): string {
    return uuidV5(this.namespace, `${kind}:${id}`);
  }

  party(actor: string): string {
    return this.of('party', actor);
  }
}

/** The store's OSCAL namespace: a v5 UUID of its first audit event's hash (a fixed one for a store with none). */
export async function oscalIdsOf(db: Db): Promise<OscalIds> {
  const genesis = (await auditHashAt(db, 1)) ?? 'empty-store';
  return new OscalIds(uuidV5(ROOT_NAMESPACE, `store:${genesis}`));
}

export interface OscalProperty {
  name: string;
  value: string;
  ns?: string;
  class?: string;
  remarks?: string;
}

/** A property, or none when the value is empty (OSCAL values are one line, neither empty nor padded). */
export function prop(name: string, value: string | null | undefined, ns: string = CLOSELOOP_NS): OscalProperty[] {
  const v = oscalValue(value);
  return v === null ? [] : [{ name, value: v, ns }];
}

/** `text` as an OSCAL string value (trimmed, non-empty), or null. */
export function oscalString(text: string | null | undefined): string | null {
  const v = (text ?? '').trim();
  return v === '' ? null : v;
}

/** `text` as a one-line OSCAL value (a property's, a party's name): white space runs become one space. */
export function oscalValue(text: string | null | undefined): string | null {
  return oscalString((text ?? '').replace(/\s+/g, ' '));
}

const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;

/**
 * `name` as an OSCAL token (an XML NCName: a role id), itself when it is one; else its letters,
 * digits and `.-_` with a short digest of the name, so two names never share a token.
 */
export function oscalToken(name: string): string {
  if (TOKEN.test(name)) return name;
  const kept = name.replace(/[^\p{L}\p{N}._-]+/gu, '_');
  return `${/^[\p{L}_]/u.test(kept) ? '' : '_'}${kept}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** A stored ISO time or YYYY-MM-DD date as an OSCAL date-time with its time zone. */
export function oscalDateTime(at: string): string {
  return at.length === 10 ? `${at}T00:00:00Z` : new Date(at).toISOString();
}

/** The newest of some ISO times (they compare as text); null for none. */
export function newest(times: readonly (string | null | undefined)[]): string | null {
  let best: string | null = null;
  for (const t of times) if (t != null && (best === null || t > best)) best = t;
  return best;
}

export interface OscalRole {
  id: string;
  title: string;
}

export interface OscalParty {
  uuid: string;
  type: 'person' | 'organization';
  name: string;
  'short-name'?: string;
  props?: OscalProperty[];
}

export interface OscalResponsibleParty {
  'role-id': string;
  'party-uuids': string[];
}

export interface OscalMetadata {
  title: string;
  'last-modified': string;
  version: string;
  'oscal-version': string;
  props?: OscalProperty[];
  roles?: OscalRole[];
  parties?: OscalParty[];
  'responsible-parties'?: OscalResponsibleParty[];
  remarks?: string;
}

/**
 * The parties and roles of a document: every actor it names (a person of the directory, removed or
 * not, or whoever the records say acted), every role it names, and which of the directory's active
 * people hold each role. Collect with `actor` and `role`, then `build` once.
 */
export class PartyBook {
  private readonly actors = new Set<string>();
  private readonly roles = new Set<string>();

  constructor(private readonly ids: OscalIds) {}

  /** The party UUID of `actor`, remembered for the metadata. */
  actor(actor: string): string {
    this.actors.add(actor);
    return this.ids.party(actor);
  }

  /** The role id (an OSCAL token) of a role, remembered for the metadata. */
  role(role: string): string {
    this.roles.add(role);
    return oscalToken(role);
  }

  /** An origin whose one actor is `actor` (a party). */
  origin(actor: string): { actors: { type: 'party'; 'actor-uuid': string }[] } {
    return { actors: [{ type: 'party', 'actor-uuid': this.actor(actor) }] };
  }

  async build(db: Db): Promise<Pick<OscalMetadata, 'roles' | 'parties' | 'responsible-parties'>> {
    const people = (await listPeopleRows(db, { includeRemoved: true })).map(toPerson);
    const byName = new Map(people.map((p) => [p.name, p]));
    const holders = new Map<string, string[]>();
    for (const role of [...this.roles].sort()) {
      const names = people.filter((p) => p.removed_at === null && p.roles.includes(role)).map((p) => p.name);
      for (const n of names) this.actors.add(n);
      if (names.length > 0) holders.set(role, names);
    }
    const parties: OscalParty[] = [...this.actors].sort().map((name) => {
      const person = byName.get(name);
      const display = oscalValue(person?.display_name);
      return {
        uuid: this.ids.party(name),
        type: 'person',
        name: display ?? oscalValue(name) ?? name,
        'short-name': oscalValue(name) ?? name,
        props: prop('directory-status', person === undefined ? 'not-in-directory' : person.removed_at === null ? 'active' : 'removed'),
      };
    });
    const roles: OscalRole[] = [...this.roles].sort().map((role) => ({ id: oscalToken(role), title: roleTitle(role) }));
    const responsible: OscalResponsibleParty[] = [...holders.entries()].map(([role, names]) => ({ 'role-id': oscalToken(role), 'party-uuids': names.map((n) => this.ids.party(n)) }));
    return {
      ...(roles.length > 0 ? { roles } : {}),
      ...(parties.length > 0 ? { parties } : {}),
      ...(responsible.length > 0 ? { 'responsible-parties': responsible } : {}),
    };
  }
}

/** `vuln_mgmt_owner` → `Vuln mgmt owner`. */
export function roleTitle(role: string): string {
  const words = role.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A digest of a document's content, as its `version`: the same content, the same version. */
export function contentVersion(content: unknown): string {
  return `sha256-${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}`;
}

/**
 * Writes an export to `file` whole or not at all: a temporary file (0600) beside it, renamed over
 * it. A file that cannot be written is bad input naming it (exit 2), and nothing is left behind.
 */
export function writeExportFile(file: string, text: string): void {
  try {
    writeAtomic(file, text);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw badInput(`cannot write ${file}: ${e.code ?? e.message}; name a file in a directory you can write`, { fields: [{ field: 'output', message: `cannot write ${file}` }] });
  }
}
