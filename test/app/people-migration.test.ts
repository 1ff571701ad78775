/**
 * Moving an earlier configuration's `people` section into the store, on both engines: imported
 * once (audited, file rewritten without the section with its comments kept, 0600, a notice), not
 * again on the next start nor by a second process starting at the same time, refused when the
 * store has people and the file names others, and the same from a store made by 0011.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize } from '../../src/app/context.js';
import { closeContext, openContext, type ContextSource } from '../../src/app/open-context.js';
import { ClError } from '../../src/errors.js';
import type { Store } from '../../src/store/db.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';

const OLD_PEOPLE = '# who may act\npeople:\n  alice: [admin]\n  bob: [ir_lead, service_owner]\n  # the approver\n  cara: [risk_approver]\n';

function storeUrl(store: Store, dir: string): string {
  if (store.engine === 'sqlite') return path.join(dir, 'closeloop.db');
  const u = testPgUrl();
  u.searchParams.set('schema', store.schema ?? '');
  return u.toString();
}

/** closeloop.yaml as an earlier version wrote it (readable by others, as could happen): with a people section. */
function writeOldConfig(file: string): void {
  writeFileSync(file, `${readFileSync(file, 'utf8')}${OLD_PEOPLE}`);
  chmodSync(file, 0o644);
}

describe.each(ENGINES)('moving the people section into the store on %s', (engine) => {
  let t: TestContext;
  let migrated: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(migrated);
    migrated = null;
    await t.cleanup();
  });

  const source = (dbUrl: string, notices: string[]): ContextSource => ({
    env: { CLOSELOOP_CONFIG: path.join(t.dir, 'closeloop.yaml'), CLOSELOOP_DB: dbUrl },
    cwd: t.dir,
    now: () => t.clock.now(),
    notice: (line) => notices.push(line),
  });

  /** A test context whose store's directory is empty, as a store made before people were in it. */
  async function emptyDirectory(): Promise<string> {
    t = await makeTestContext(engine, { label: 'pplmig' });
    await t.ctx.store.db.deleteFrom('people').execute();
    writeOldConfig(t.ctx.configPath);
    return storeUrl(t.ctx.store, t.dir);
  }

  const importEvents = (store: Store) => store.db.selectFrom('audit_events').select(['actor', 'action', 'entity_id']).where('action', '=', 'people.imported').execute();

  it('imports the people once, audited, rewrites the file without the section (comments kept, 0600) and says so', async () => {
    const url = await emptyDirectory();
    const notices: string[] = [];
    const ctx = await openContext(source(url, notices));
    try {
      expect(notices).toEqual([expect.stringContaining('moved 3 people from')]);
      expect(notices[0]).toContain('closeloop people');
      const text = readFileSync(ctx.configPath, 'utf8');
      expect(text).not.toMatch(/^people:/m);
      expect(text).toContain('# closeloop configuration');
      expect(text).toContain('control_card:');
      expect(statSync(ctx.configPath).mode & 0o777).toBe(0o600);
      expect(ctx.config.people).toBeUndefined();
      const rows = await ctx.store.db.selectFrom('people').select(['name', 'roles']).orderBy('name').execute();
      expect(rows).toEqual([
        { name: 'alice', roles: '["admin"]' },
        { name: 'bob', roles: '["ir_lead","service_owner"]' },
        { name: 'cara', roles: '["risk_approver"]' },
      ]);
      expect(await importEvents(ctx.store)).toEqual([{ actor: 'system:config', action: 'people.imported', entity_id: 'people' }]);
      await authorize(ctx, { actor: 'bob' }, 'incident.open');
    } finally {
      await closeContext(ctx);
    }

    const again: string[] = [];
    const second = await openContext(source(url, again));
    try {
      expect(again).toEqual([]);
      expect(await importEvents(second.store)).toHaveLength(1);
    } finally {
      await closeContext(second);
    }
  });

  it('two processes starting at once on the old file import once, and both start', async () => {
    const url = await emptyDirectory();
    const notices: string[] = [];
    const [a, b] = await Promise.all([openContext(source(url, notices)), openContext(source(url, notices))]);
    try {
      expect(notices).toHaveLength(1);
      expect(await importEvents(a.store)).toHaveLength(1);
      expect(await a.store.db.selectFrom('people').select('name').execute()).toHaveLength(3);
      expect(readFileSync(a.configPath, 'utf8')).not.toMatch(/^people:/m);
    } finally {
      await closeContext(a);
      await closeContext(b);
    }
  });

  it('refuses a people section beside a store that has people, naming the file and the field', async () => {
    t = await makeTestContext(engine, { label: 'pplmig' });
    writeOldConfig(t.ctx.configPath);
    const before = readFileSync(t.ctx.configPath, 'utf8');
    const err = await openContext(source(storeUrl(t.ctx.store, t.dir), [])).then(
      async (ctx) => {
        await closeContext(ctx);
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClError);
    expect((err as ClError).code).toBe('CL_CONFIG_INVALID');
    expect((err as ClError).message).toContain(`${t.ctx.configPath}: people:`);
    expect((err as ClError).message).toContain('closeloop people');
    expect(readFileSync(t.ctx.configPath, 'utf8')).toBe(before);
    expect(await importEvents(t.ctx.store)).toEqual([]);
  });

  it('a store made by 0011 is upgraded and takes the people from the old file', async () => {
    t = await makeTestContext(engine, { label: 'pplmig' });
    writeOldConfig(t.ctx.configPath);
    migrated = await storeMigratedTo(engine, 'ppl0011', migrationsUpTo('0011-timers-fire-once'));
    const url = engine === 'sqlite' ? migrated.location : storeUrl(migrated, t.dir);
    const notices: string[] = [];
    const ctx = await openContext(source(url, notices));
    try {
      expect(notices).toHaveLength(1);
      await authorize(ctx, { actor: 'alice' }, 'people.manage');
      await expect(authorize(ctx, { actor: 'cara' }, 'incident.open')).rejects.toThrow(/may not incident.open/);
    } finally {
      await closeContext(ctx);
    }
  });
});
