/**
 * The health check on real engines: `ok` while the database answers, `unavailable` with the cause
 * (for the log only) once it does not.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/app/health.js';
import { openStore } from '../../src/store/db.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';

describe.each(ENGINES)('checkHealth on %s', (engine) => {
  let t: TestContext;
  afterEach(async () => t.cleanup());

  it('says ok while the database answers, and unavailable with the cause when it does not', async () => {
    t = await makeTestContext(engine, { label: 'health' });
    expect(await checkHealth(t.ctx)).toEqual({ health: { status: 'ok', db: { engine, reachable: true } } });

    // A second handle on the same database, closed: its database no longer answers.
    const url = testPgUrl();
    url.searchParams.set('schema', t.ctx.store.schema ?? '');
    const gone = await openStore({ url: engine === 'sqlite' ? path.join(t.dir, 'closeloop.db') : url.toString() });
    expect((await checkHealth({ ...t.ctx, store: gone })).health.status).toBe('ok');
    await gone.close();
    const r = await checkHealth({ ...t.ctx, store: gone });
    expect(r.health).toEqual({ status: 'unavailable', db: { engine, reachable: false } });
    expect(r.cause).toBeInstanceOf(Error);
  });
});
