import type { TicketSystem } from '../../domain/tickets.js';
import type { Db, Incident, RemediationItem, Ticket } from '../schema.js';

/** Tickets created in Jira and ServiceNow, and the remediation items they track. */

/**
 * Records a ticket for the message that created or found it. A message has at most one ticket: a
 * second delivery proof for it (a retry that found the same issue) updates the row instead.
 */
export async function saveTicket(db: Db, row: Ticket): Promise<void> {
  await db
    .insertInto('tickets')
    .values(row)
    .onConflict((oc) => oc.column('notification_id').doUpdateSet({ key: row.key, external_id: row.external_id, url: row.url }))
    .execute();
}

/** The tickets of a system whose key or own id is `ref` (a Jira key or issue id, a ServiceNow number or sys_id). */
export function ticketsByRef(db: Db, system: TicketSystem, ref: string): Promise<Ticket[]> {
  return db
    .selectFrom('tickets')
    .selectAll()
    .where('system', '=', system)
    .where((eb) => eb.or([eb('key', '=', ref), eb('external_id', '=', ref)]))
    .orderBy('notification_id')
    .execute();
}

/** Notes the status a ticket was last seen in, and when. */
export async function noteTicketStatus(db: Db, notificationId: string, status: string, at: string): Promise<void> {
  await db.updateTable('tickets').set({ external_status: status, synced_at: at }).where('notification_id', '=', notificationId).execute();
}

/** Tickets whose remediation item is not yet verified (what a sync polls), oldest first. */
export function openTickets(db: Db): Promise<Ticket[]> {
  return db
    .selectFrom('tickets')
    .innerJoin('remediation_items', 'remediation_items.id', 'tickets.item_id')
    .selectAll('tickets')
    .where('remediation_items.status', '!=', 'verified')
    .orderBy('tickets.created_at')
    .orderBy('tickets.notification_id')
    .execute();
}

/** Sets an item's ticket ref (the key people search for in the ticket system). */
export async function setItemTicket(db: Db, itemId: string, ticket: string, at: string): Promise<RemediationItem | undefined> {
  await db.updateTable('remediation_items').set({ ticket, updated_at: at }).where('id', '=', itemId).execute();
  return db.selectFrom('remediation_items').selectAll().where('id', '=', itemId).executeTakeFirst();
}

/** What a ticket says of each of these incidents (title, severity, state), and their service (routing overrides are per service). */
export async function incidentFactsForTickets(db: Db, ids: readonly string[]): Promise<Map<string, Pick<Incident, 'id' | 'service' | 'title' | 'severity' | 'state'>>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('incidents').select(['id', 'service', 'title', 'severity', 'state']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}
