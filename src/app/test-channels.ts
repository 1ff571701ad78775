/**
 * `closeloop channels test ROLE`: a test message over every route of a role, and what each
 * receiver answered, so an operator sees a route work (or why it does not) before an incident
 * depends on it. Each test is audited with its results (channel and endpoint names only, never a
 * URL or a secret).
 */
import { z } from 'zod';
import { roleName, type Route } from '../config/schema.js';
import { notFound } from '../errors.js';
import type { Notification } from '../store/schema.js';
import { attemptsOf, findNotification } from '../store/repositories/notifications.js';
import { audit, authorize, inTransaction, isoNow, type AppContext, type Caller } from './context.js';
import { enqueueStandalone } from './outbox.js';
import { routesFor } from './reportout.js';
import { runDelivery } from './run-delivery.js';
import { DISPATCHER } from './system-caller.js';
import { parseInput } from './validate.js';

export const testChannelsInput = z.strictObject({
  role: roleName,
  /** Test the routes this service's override gives the role (default: the role's own routes). */
  service: z.string().min(1).optional(),
});
export type TestChannelsProps = z.input<typeof testChannelsInput>;

/** What one route answered. */
export interface RouteTestResult {
  channel: string;
  address: string;
  /** The outbox message that carried the test (`closeloop deliveries show` has its attempts). */
  message: string;
  ok: boolean;
  messageId?: string;
  status?: number;
  response?: string;
  error?: string;
  /** For a failure: whether the outbox would try again (false: a refusal for good). */
  retryable?: boolean;
}

export interface ChannelTestReport {
  role: string;
  service: string | null;
  results: RouteTestResult[];
}

/**
 * Sends a test message over each of the role's routes, through the outbox like every message: the
 * messages are queued (not tied to an incident), then attempted at once by the dispatcher, and each
 * route's answer is read back from its attempt. A route that fails keeps its message in the outbox,
 * retried and dead-lettered as any other (`closeloop deliveries show ID`). Never throws for a route that fails.
 */
export async function testChannels(ctx: AppContext, caller: Caller, props: TestChannelsProps): Promise<ChannelTestReport> {
  await authorize(ctx, caller, 'channels.test');
  const input = parseInput(testChannelsInput, props);
  const routes = routesFor(ctx, input.role, input.service ?? null);
  if (routes.length === 0) throw notFound('a route (routing.roles) for role', input.role);
  const at = isoNow(ctx);
  const text = (route: Route): string => `A test message from closeloop to the ${input.role} role over ${route.channel} (${route.address}), sent by ${caller.actor}. No action is needed.`;
  const queued = await inTransaction(ctx, async (trx) => {
    const rows: Notification[] = [];
    for (const route of routes) {
      rows.push(
        await enqueueStandalone(trx, ctx, caller, {
          subjectRef: `channel:${route.channel}`,
          purpose: 'channel_test',
          role: input.role,
          route,
          subject: `[closeloop] test message for ${input.role}`,
          body: text(route),
          event: { type: 'channel.test', incident: null, lines: [{ label: '', text: text(route) }], data: { role: input.role, sent_by: caller.actor } },
          idempotencyKey: `channel.test:${at}:${input.role}:${route.channel}:${route.address}`,
        }),
      );
    }
    return rows;
  });
  await runDelivery(ctx, DISPATCHER, { only: queued.map((n) => n.id) });
  const results: RouteTestResult[] = [];
  for (const n of queued) {
    const base = { channel: n.channel, address: n.address, message: n.id };
    const last = (await attemptsOf(ctx.store.db, n.id)).at(-1);
    if (last === undefined) {
      const row = await findNotification(ctx.store.db, n.id);
      results.push({ ...base, ok: false, error: row?.last_error ?? `no channel: ${n.channel} delivery is not configured in this process`, retryable: true });
      continue;
    }
    const status = last.status === null ? {} : { status: last.status };
    if (last.outcome === 'delivered') results.push({ ...base, ok: true, ...(last.message_id === null ? {} : { messageId: last.message_id }), ...status, ...(last.detail === null ? {} : { response: last.detail }) });
    else results.push({ ...base, ok: false, error: last.detail ?? 'failed', retryable: last.outcome === 'error', ...status });
  }
  const report = { role: input.role, service: input.service ?? null, results };
  await inTransaction(ctx, (trx) => audit(trx, ctx, caller, { action: 'channel.tested', entityType: 'role', entityId: input.role, incidentId: null, state: report }));
  return report;
}
