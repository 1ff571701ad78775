/**
 * Signed checkpoints over HTTP, and the webhook witness: a checkpoint signed on demand through
 * `POST /api/v1/audit/checkpoints` is queued in its transaction to `audit.witness.webhook` and
 * delivered by the real webhook channel to a receiver on 127.0.0.1; `GET /audit/verify` reports it.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runDelivery } from '../../src/app/run-delivery.js';
import { DISPATCHER } from '../../src/app/system-caller.js';
import { listCheckpoints } from '../../src/audit/checkpoints.js';
import { channelsFromConfig } from '../../src/delivery/channels/index.js';
import { ENGINES } from '../helpers/context.js';
import { startHttpReceiver, type HttpReceiver } from '../helpers/receivers.js';
import { makeApi, type Api } from './harness.js';

const ENV = { WITNESS_SECRET: `whsec_${randomBytes(24).toString('base64')}` };

describe.each(ENGINES)('audit checkpoints over HTTP on %s', (engine) => {
  let api: Api | null = null;
  let receiver: HttpReceiver | null = null;
  afterEach(async () => {
    await api?.close();
    await receiver?.close();
    api = null;
    receiver = null;
  });

  it('signs a checkpoint on demand, witnesses it through the outbox to the webhook, lists and verifies it', async () => {
    receiver = await startHttpReceiver();
    api = await makeApi(engine, {
      signing: true,
      auditPeople: true,
      config: { delivery: { webhook: { endpoints: { witness: { url: `${receiver.url}/witness`, secret: 'env:WITNESS_SECRET' } } } }, audit: { witness: { webhook: 'witness' } } },
    });
    const a = api;
    const c = await a.ok<{ tree_size: number; root_hash: string; key_id: string }>('grc', 'POST', '/audit/checkpoints', undefined, 201);
    expect(c.key_id).toBe(a.tc.ctx.signer?.keyId);
    const stored = await listCheckpoints(a.tc.ctx.store.db);
    expect(stored.map((s) => s.root_hash)).toEqual([c.root_hash]);
    const queued = await a.tc.ctx.store.db.selectFrom('notifications').selectAll().where('purpose', '=', 'witness').execute();
    expect(queued.map((n) => [n.subject_ref, n.channel, n.address])).toEqual([[`checkpoint:${c.tree_size}`, 'webhook', 'witness']]);

    await runDelivery(a.tc.ctx, DISPATCHER, { channels: channelsFromConfig(a.tc.ctx.config, ENV, a.tc.ctx.configPath) });
    expect(receiver.requests).toHaveLength(1);
    const body = JSON.parse(receiver.requests[0]?.body ?? '{}') as { type: string; data: { details: Record<string, unknown> } };
    expect(body.type).toBe('audit.checkpoint');
    expect(body.data.details).toMatchObject({ tree_size: c.tree_size, root_hash: c.root_hash, key_id: c.key_id });

    const list = await a.ok<{ checkpoints: { tree_size: number }[] }>('auditor', 'GET', '/audit/checkpoints');
    expect(list.checkpoints.map((x) => x.tree_size)).toEqual([c.tree_size]);
    const v = await a.ok<{ ok: boolean; checkpoints: { latest: { tree_size: number } | null } }>('auditor', 'GET', '/audit/verify');
    expect(v.ok).toBe(true);
    expect(v.checkpoints.latest?.tree_size).toBe(c.tree_size);
    expect((await a.request('vm', 'POST', '/audit/checkpoints')).statusCode).toBe(403);
  });

  it('refuses a checkpoint with 409 when no signing key is configured', async () => {
    api = await makeApi(engine);
    const res = await api.request('grc', 'POST', '/audit/checkpoints');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('closeloop keys init');
  });
});
