import { afterEach, describe, expect, it } from 'vitest';
import { bumpCounter, reserveCounter } from '../../src/store/counters.js';
import { ENGINES, makeTestContext, type TestContext } from '../helpers/context.js';

describe.each(ENGINES)('counters on %s', (engine) => {
  let t: TestContext | null = null;
  afterEach(async () => {
    await t?.cleanup();
    t = null;
  });

  it('counts from 1, each name on its own, and keeps what a failed transaction took', async () => {
    t = await makeTestContext(engine, { label: 'counters' });
    const db = t.ctx.store.db;
    expect(await bumpCounter(db, 'a')).toBe(1);
    expect(await bumpCounter(db, 'a')).toBe(2);
    expect(await bumpCounter(db, 'b')).toBe(1);
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await bumpCounter(trx, 'a')).toBe(3);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // the failed transaction's value is not taken
    expect(await bumpCounter(db, 'a')).toBe(3);
  });

  it('reserves several values at once: the first is returned, the next bump follows the last', async () => {
    t = await makeTestContext(engine, { label: 'counters' });
    const db = t.ctx.store.db;
    expect(await reserveCounter(db, 'r', 3)).toBe(1);
    expect(await bumpCounter(db, 'r')).toBe(4);
    expect(await reserveCounter(db, 'r', 500)).toBe(5);
    expect(await bumpCounter(db, 'r')).toBe(505);
    await expect(reserveCounter(db, 'r', 0)).rejects.toThrow(/positive integer/);
  });

  it('gives concurrent transactions distinct values', async () => {
    t = await makeTestContext(engine, { label: 'counters' });
    const db = t.ctx.store.db;
    const values = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction().execute(async (trx) => {
          const v = await bumpCounter(trx, 'c');
          await trx.selectFrom('counters').select('value').execute();
          return v;
        }),
      ),
    );
    expect([...values].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
