import path from 'node:path';
import type { AppContext, Caller } from '../app/context.js';
import { audit, authorize, inTransaction, isoNow } from '../app/context.js';
import type { Notification } from '../store/schema.js';
import { fileChannel, type Channel } from './channels.js';

export interface DispatchSummary {
  delivered: number;
  failed: number;
  retrying: number;
  no_channel: number;
}

const SYSTEM: Caller = { actor: 'system:dispatcher' };
/** How long a claimed message is reserved for the dispatcher attempting it. */
const LEASE_MS = 5 * 60_000;

/** The channels available in this process; `file` always is, others arrive with their configuration. */
export function channelsFor(ctx: AppContext): Record<string, Channel> {
  return { file: fileChannel(path.dirname(path.resolve(ctx.configPath))) };
}

/**
 * Drains the outbox once: every queued notification whose time has come is attempted; each attempt
 * is recorded with its outcome, and the notification's new state is audited. A failure is retried
 * with exponential backoff up to `delivery.max_attempts`, then marked `failed`.
 */
export async function dispatchOnce(ctx: AppContext, opts: { limit?: number; channels?: Record<string, Channel> } = {}): Promise<DispatchSummary> {
  const channels = opts.channels ?? channelsFor(ctx);
  const now = isoNow(ctx);
  // `sending` rows whose lease ran out belong to a dispatcher that died mid-attempt: take them over.
  const due = await ctx.store.db
    .selectFrom('notifications')
    .selectAll()
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', now)
    .orderBy('created_at')
    .orderBy('id')
    .limit(opts.limit ?? 500)
    .execute();
  const summary: DispatchSummary = { delivered: 0, failed: 0, retrying: 0, no_channel: 0 };
  for (const candidate of due) {
    const channel = channels[candidate.channel];
    if (!channel) {
      summary.no_channel += 1;
      const msg = `no channel: ${candidate.channel} delivery is not configured in this process`;
      if (candidate.last_error !== msg) await ctx.store.db.updateTable('notifications').set({ last_error: msg }).where('id', '=', candidate.id).execute();
      continue;
    }
    // Claim the row with a conditional UPDATE: of several dispatchers (server instances sharing
    // PostgreSQL) exactly one sees a row count of 1, so no message is attempted twice at once.
    const lease = new Date(ctx.now().getTime() + LEASE_MS).toISOString();
    const claimed = await ctx.store.db
      .updateTable('notifications')
      .set({ status: 'sending', next_attempt_at: lease })
      .where('id', '=', candidate.id)
      .where('status', '=', candidate.status)
      .where('next_attempt_at', '=', candidate.next_attempt_at)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    const n: Notification = { ...candidate, status: 'queued' };
    const attempt = n.attempts + 1;
    let outcome: { ok: true; messageId: string } | { ok: false; error: string };
    try {
      const r = await channel.deliver(n);
      outcome = { ok: true, messageId: r.messageId };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    await inTransaction(ctx, async (trx) => {
      const at = isoNow(ctx);
      let next: Notification;
      if (outcome.ok) {
        next = { ...n, attempts: attempt, status: 'delivered', sent_at: at, delivered_at: at, message_id: outcome.messageId, last_error: null, next_attempt_at: null };
        summary.delivered += 1;
      } else if (attempt >= ctx.config.delivery.max_attempts) {
        next = { ...n, attempts: attempt, status: 'failed', last_error: outcome.error, next_attempt_at: null };
        summary.failed += 1;
      } else {
        const wait = ctx.config.delivery.backoff_seconds * 2 ** (attempt - 1);
        next = { ...n, attempts: attempt, last_error: outcome.error, next_attempt_at: new Date(ctx.now().getTime() + wait * 1000).toISOString() };
        summary.retrying += 1;
      }
      await trx
        .updateTable('notifications')
        .set({ attempts: next.attempts, status: next.status, sent_at: next.sent_at, delivered_at: next.delivered_at, message_id: next.message_id, last_error: next.last_error, next_attempt_at: next.next_attempt_at })
        .where('id', '=', n.id)
        .execute();
      await trx
        .insertInto('notification_attempts')
        .values({ notification_id: n.id, attempt, at, outcome: outcome.ok ? 'delivered' : 'error', detail: outcome.ok ? outcome.messageId : outcome.error })
        .execute();
      await audit(trx, ctx, SYSTEM, { action: `notification.${next.status === 'queued' ? 'retry' : next.status}`, entityType: 'notification', entityId: n.id, incidentId: n.incident_id, state: next });
    });
  }
  return summary;
}

/** `closeloop deliver`: a person runs the dispatcher once (the server runs it continuously). */
export async function runDelivery(ctx: AppContext, caller: Caller): Promise<DispatchSummary> {
  authorize(ctx, caller, 'delivery.run');
  return dispatchOnce(ctx);
}
