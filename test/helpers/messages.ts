/** Outbound messages for channel tests, built with overrides. */
import { expect } from 'vitest';
import { ChannelError, type DeliveryEvent, type OutboundMessage } from '../../src/delivery/channel.js';
import type { Notification } from '../../src/store/schema.js';

export function notification(over: Partial<Notification> = {}): Notification {
  return {
    id: 'NT-0001',
    incident_id: 'INC-0007',
    purpose: 'reportout',
    role: 'service_owner',
    channel: 'email',
    address: 'owner@example.org',
    subject: '[closeloop] INC-0007 vulnerability report-out (service_owner)',
    body: 'Weaknesses found:\n- technical: unpatched OpenSSL on web-01\n',
    idempotency_key: 'reportout:INC-0007:r1:service_owner:email:owner@example.org',
    status: 'queued',
    attempts: 0,
    next_attempt_at: '2026-11-28T12:00:00.000Z',
    message_id: null,
    last_error: null,
    created_at: '2026-11-28T12:00:00.000Z',
    sent_at: null,
    delivered_at: null,
    event: null,
    subject_ref: null,
    proof: null,
    round_start: 0,
    ...over,
  };
}

export function reportOutEvent(over: Partial<DeliveryEvent> = {}): DeliveryEvent {
  return {
    type: 'reportout.sent',
    incident: { id: 'INC-0007', title: 'Web tier compromise', severity: 'high', state: 'eradication' },
    revision: 1,
    lines: [
      { label: 'technical (caused)', text: 'unpatched OpenSSL on web-01 — action: patch to 3.0.15' },
      { label: 'configuration (contributed)', text: 'admin port open on db-02; notes: found in triage — action: close port 8443' },
    ],
    links: { incident: 'https://closeloop.example.org/incidents/INC-0007', ack: 'https://closeloop.example.org/ack/abc.def' },
    ...over,
  };
}

export const message = (n: Partial<Notification> = {}, event: DeliveryEvent | null = reportOutEvent()): OutboundMessage => ({ notification: notification(n), event });

/** The ChannelError a delivery fails with (the test fails when it succeeds or throws anything else). */
export async function failure(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}
