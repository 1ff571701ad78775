/**
 * Operations the server also does by itself, for scripts and the web application to run now: the
 * timers, a test message over a role's routes, and reading ticket statuses back from Jira and
 * ServiceNow.
 */
import { z } from 'zod';
import { testChannels, testChannelsInput } from '../app/test-channels.js';
import { syncConfiguredTickets } from '../app/tickets.js';
import { runTimers } from '../app/timers.js';
import { op, view, type ApiRoute } from './route-kit.js';

const timerSummary = z.object({
  incidents: z.number().int(),
  reminders: z.number().int(),
  escalations: z.number().int(),
  items_overdue: z.number().int(),
  risk_warnings: z.number().int(),
  risks_expired: z.number().int(),
});

const channelTestReport = z.object({
  role: z.string(),
  service: z.string().nullable(),
  results: z.array(
    z.object({
      channel: z.string(),
      address: z.string(),
      message: z.string(),
      ok: z.boolean(),
      messageId: z.string().optional(),
      status: z.number().int().optional(),
      response: z.string().optional(),
      error: z.string().optional(),
      retryable: z.boolean().optional(),
    }),
  ),
});

const ticketSync = z.object({
  results: z.array(
    z.union([
      z.object({ system: z.enum(['jira', 'servicenow']), ticket: z.string(), item: z.string().nullable(), status: z.string(), from: z.string().optional(), to: z.string().optional(), applied: z.boolean(), note: z.string().optional() }),
      z.object({ system: z.enum(['jira', 'servicenow']), ticket: z.string(), item: z.string().nullable(), error: z.string() }),
    ]),
  ),
});

export const OPS_ROUTES: readonly ApiRoute[] = [
  view({
    method: 'POST', path: '/timers/run', operationId: 'runTimers', tag: 'operations',
    summary: 'Fire the timers that are due, once each (acknowledgment reminders and escalations, overdue remediation, risk review dates); the server also does this continuously',
    response: timerSummary,
    handle: (ctx, caller) => runTimers(ctx, caller),
  }),
  op({
    method: 'POST', path: '/channels/:role/test', operationId: 'testChannels', tag: 'operations',
    params: { role: { description: 'the role whose routes to test, e.g. service_owner', field: 'role' } },
    summary: "Send a test message over each of a role's routes (through the outbox) and report what each receiver answered",
    schema: testChannelsInput, from: 'body',
    response: channelTestReport,
    handle: (ctx, caller, input) => testChannels(ctx, caller, input),
  }),
  view({
    method: 'POST', path: '/tickets/sync', operationId: 'syncTickets', tag: 'follow-through',
    summary: "Read each open ticket's status from Jira or ServiceNow and move its remediation item by tickets.status_map (the inbound webhooks do this as it happens)",
    response: ticketSync,
    handle: (ctx, caller) => syncConfiguredTickets(ctx, caller, { ...process.env }),
  }),
];
