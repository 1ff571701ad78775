/**
 * The ticket systems closeloop opens tickets in, and the remediation statuses a ticket's status may
 * set: `verified` is left out on purpose, it stays a person's call in closeloop.
 */

export const TICKET_SYSTEMS = ['jira', 'servicenow'] as const;
export type TicketSystem = (typeof TICKET_SYSTEMS)[number];

export const TICKET_ITEM_STATES = ['open', 'in_progress', 'resolved'] as const;
export type TicketItemState = (typeof TICKET_ITEM_STATES)[number];
