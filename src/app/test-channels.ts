/**
 * `closeloop channels test ROLE`: a test message over every route of a role, and what each
 * receiver answered, so an operator sees a route work (or why it does not) before an incident
 * depends on it. The message goes straight through the channel, not the outbox: the outbox holds
 * only messages tied to an incident. Each test is audited with its results (channel and endpoint
 * names only, never a URL or a secret).
 */
import { z } from 'zod';
import { roleName, type Route } from '../config/schema.js';
import { ChannelError, type DeliveryEvent } from '../delivery/channel.js';
import { defaultChannels } from '../delivery/channels/index.js';
import { notificationRecord } from '../delivery/outbox.js';
import { notFound } from '../errors.js';
import type { Notification } from '../store/schema.js';
import { audit, authorize, inTransaction, isoNow, type AppContext, type Caller } from './context.js';
import { routesFor } from './reportout.js';
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

function testMessage(ctx: AppContext, role: string, route: Route, caller: Caller, n: number): { notification: Notification; event: DeliveryEvent } {
  const text = `A test message from closeloop to the ${role} role over ${route.channel} (${route.address}), sent by ${caller.actor}. No action is needed.`;
  const at = isoNow(ctx);
  const { row } = notificationRecord(
    ctx,
    { incident: '', purpose: 'reminder', role, route, subject: `[closeloop] test message for ${role}`, body: text, idempotencyKey: `channel.test:${at}:${role}:${route.channel}:${route.address}` },
    `TEST-${n + 1}`,
  );
  return { notification: row, event: { type: 'channel.test', incident: null, lines: [{ label: '', text }], data: { role, sent_by: caller.actor } } };
}

/** Sends a test message over each of the role's routes; never throws for a route that fails. */
export async function testChannels(ctx: AppContext, caller: Caller, props: TestChannelsProps): Promise<ChannelTestReport> {
  authorize(ctx, caller, 'channels.test');
  const input = parseInput(testChannelsInput, props);
  const routes = routesFor(ctx, input.role, input.service ?? null);
  if (routes.length === 0) throw notFound('a route (routing.roles) for role', input.role);
  const channels = ctx.channels ?? defaultChannels(ctx.configPath);
  const results: RouteTestResult[] = [];
  for (const [i, route] of routes.entries()) {
    const base = { channel: route.channel, address: route.address };
    const channel = channels[route.channel];
    if (channel === undefined) {
      results.push({ ...base, ok: false, error: `no channel: ${route.channel} delivery is not configured in this process`, retryable: true });
      continue;
    }
    try {
      const proof = await channel.deliver(testMessage(ctx, input.role, route, caller, i));
      results.push({ ...base, ok: true, messageId: proof.messageId, ...(proof.status === undefined ? {} : { status: proof.status }), ...(proof.response === undefined ? {} : { response: proof.response }) });
    } catch (err) {
      const retryable = err instanceof ChannelError ? err.retryable : true;
      const status = err instanceof ChannelError && err.status !== undefined ? { status: err.status } : {};
      results.push({ ...base, ok: false, error: err instanceof Error ? err.message : String(err), retryable, ...status });
    }
  }
  const report = { role: input.role, service: input.service ?? null, results };
  await inTransaction(ctx, (trx) => audit(trx, ctx, caller, { action: 'channel.tested', entityType: 'role', entityId: input.role, incidentId: null, state: report }));
  return report;
}
