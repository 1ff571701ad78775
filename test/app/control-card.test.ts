/**
 * The versioned control card on both engines: each version recorded once when a command or the
 * server starts with it (audited as control_card.changed, once, even when two processes start at
 * the same moment), an edited card with an unchanged version refused at start naming closeloop.yaml
 * and control_card.version, new incidents stamped with the version in force, and stores made by
 * 0012 and 0013 upgraded: nothing recorded by the migration, the card recorded on first start (and
 * said so), incidents opened before versioning left null, earlier control_card.initialized events
 * still verifying in the chain.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { controlCardDigest, controlCardHistory, controlCardVersion, showControlCard } from '../../src/app/control-card.js';
import { importFile } from '../../src/app/importer.js';
import { openIncident } from '../../src/app/incidents.js';
import { loadRuleset } from '../../src/app/load-ruleset.js';
import { triageStored } from '../../src/app/triage-stored.js';
import { closeContext, openContext, type ContextSource } from '../../src/app/open-context.js';
import { appendAudit, verifyChain } from '../../src/audit/chain.js';
import { ClError } from '../../src/errors.js';
import { migrateToLatest, type Store } from '../../src/store/db.js';
import type { IncidentsTable } from '../../src/store/tables/incidents.table.js';
import { ENGINES, makeTestContext, testPgUrl, type TestContext } from '../helpers/context.js';
import { corpusPath } from '../helpers/corpus.js';
import { dropMigratedStore, migrationsUpTo, storeMigratedTo } from '../helpers/migrated-store.js';

/** Where another process would open `store`. */
function storeUrl(store: Store): string {
  if (store.engine === 'sqlite') return store.location;
  const u = testPgUrl();
  u.searchParams.set('schema', store.schema ?? '');
  return u.toString();
}

describe.each(ENGINES)('the versioned control card on %s', (engine) => {
  let t: TestContext;
  let migrated: Store | null = null;
  afterEach(async () => {
    await dropMigratedStore(migrated);
    migrated = null;
    await t.cleanup();
  });

  const source = (dbUrl: string, notices: string[] = []): ContextSource => ({
    env: { CLOSELOOP_CONFIG: t.ctx.configPath, CLOSELOOP_DB: dbUrl },
    cwd: t.dir,
    now: () => t.clock.now(),
    notice: (line) => notices.push(line),
  });
  const editCard = (fn: (card: Record<string, unknown>) => void) => {
    const doc = parse(readFileSync(t.ctx.configPath, 'utf8')) as { control_card: Record<string, unknown> };
    fn(doc.control_card);
    writeFileSync(t.ctx.configPath, stringify(doc));
  };
  const changedEvents = (store: Store) => store.db.selectFrom('audit_events').select(['actor', 'action', 'entity_id']).where('action', '=', 'control_card.changed').orderBy('seq').execute();
  /** Opens a context on `url` and closes it again; the notices it gave. */
  async function start(url: string): Promise<string[]> {
    const notices: string[] = [];
    await closeContext(await openContext(source(url, notices)));
    return notices;
  }

  it('records the card at the first start, audited once with its version and digest; a later start records nothing', async () => {
    t = await makeTestContext(engine, { label: 'ccrec' });
    const url = storeUrl(t.ctx.store);
    expect(await start(url)).toEqual([]);
    await start(url);
    const rows = await t.ctx.store.db.selectFrom('control_card_versions').selectAll().execute();
    const { json, digest } = controlCardDigest(t.ctx.config.control_card);
    expect(rows).toEqual([{ version: 1, card: json, digest, recorded_at: t.clock.now().toISOString(), recorded_by: 'system:config' }]);
    expect(await changedEvents(t.ctx.store)).toEqual([{ actor: 'system:config', action: 'control_card.changed', entity_id: 'IR-6(2)@v1' }]);
    const recorded = await controlCardVersion(t.ctx.store.db, 1);
    expect(recorded?.card).toEqual(t.ctx.config.control_card);
    expect(await controlCardVersion(t.ctx.store.db, 2)).toBeNull();
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  it('two processes starting at once with a new card record it once', async () => {
    t = await makeTestContext(engine, { label: 'ccrace' });
    const url = storeUrl(t.ctx.store);
    const [a, b] = await Promise.all([openContext(source(url)), openContext(source(url))]);
    await Promise.all([closeContext(a), closeContext(b)]);
    expect(await t.ctx.store.db.selectFrom('control_card_versions').select('version').execute()).toEqual([{ version: 1 }]);
    expect(await changedEvents(t.ctx.store)).toHaveLength(1);
  });

  it('refuses a card edited without a new version at start, naming the file and control_card.version; a bumped version is recorded and audited', async () => {
    t = await makeTestContext(engine, { label: 'ccbump' });
    const url = storeUrl(t.ctx.store);
    await start(url);
    editCard((c) => (c.objective = 'Every incident yields a report-out, reviewed weekly.'));
    const refused = await openContext(source(url)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClError);
    expect((refused as ClError).code).toBe('CL_CONFIG_INVALID');
    expect((refused as ClError).message).toContain(t.ctx.configPath);
    expect((refused as ClError).message).toContain('control_card.version');
    expect((refused as ClError).message).toContain('bump the version');
    expect(await changedEvents(t.ctx.store)).toHaveLength(1);

    t.clock.advance({ days: 3 });
    editCard((c) => (c.version = 2));
    const notices = await start(url);
    expect(notices).toEqual([]);
    await start(url);
    expect(await changedEvents(t.ctx.store)).toEqual([
      { actor: 'system:config', action: 'control_card.changed', entity_id: 'IR-6(2)@v1' },
      { actor: 'system:config', action: 'control_card.changed', entity_id: 'IR-6(2)@v2' },
    ]);
    const ctx = await openContext(source(url));
    try {
      const history = await controlCardHistory(ctx, { actor: 'auditor' });
      expect(history.map((h) => [h.version, h.in_force, h.recorded_at])).toEqual([
        [1, false, '2026-11-28T12:00:00.000Z'],
        [2, true, '2026-12-01T12:00:00.000Z'],
      ]);
      expect(history[1]?.card.objective).toBe('Every incident yields a report-out, reviewed weekly.');
      expect((await showControlCard(ctx, { actor: 'so' }, { version: 1 })).card.objective).not.toContain('weekly');
      await expect(showControlCard(ctx, { actor: 'so' }, { version: 7 })).rejects.toMatchObject({ code: 'CL_NOT_FOUND' });
      expect((await verifyChain(ctx.store.db)).ok).toBe(true);
    } finally {
      await closeContext(ctx);
    }
  });

  it('stamps a new incident with the version in force, recording the card in the same transaction if no start did', async () => {
    t = await makeTestContext(engine, { label: 'ccstamp' });
    const inc = await openIncident(t.ctx, { actor: 'lead' }, { title: 'Phish', severity: 'moderate' });
    expect(inc.control_card_version).toBe(1);
    const row = await t.ctx.store.db.selectFrom('incidents').select('control_card_version').where('id', '=', inc.id).executeTakeFirstOrThrow();
    expect(row.control_card_version).toBe(1);
    expect(await changedEvents(t.ctx.store)).toEqual([{ actor: 'lead', action: 'control_card.changed', entity_id: 'IR-6(2)@v1' }]);
    await openIncident(t.ctx, { actor: 'lead' }, { title: 'Phish again', severity: 'low' });
    expect(await changedEvents(t.ctx.store)).toHaveLength(1);
    const opened = await t.ctx.store.db.selectFrom('audit_events').select('seq').where('action', '=', 'incident.opened').where('entity_id', '=', inc.id).executeTakeFirstOrThrow();
    const changed = await t.ctx.store.db.selectFrom('audit_events').select('seq').where('action', '=', 'control_card.changed').executeTakeFirstOrThrow();
    expect(changed.seq).toBeLessThan(opened.seq);
  });

  it('stamps incidents opened by escalation the same way', async () => {
    t = await makeTestContext(engine, { label: 'ccesc' });
    const vm = { actor: 'vm' };
    const write = (name: string, rows: unknown[]): string => {
      const file = join(t.dir, name);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      return file;
    };
    const image = 'image:noppaknopsta/example-app';
    await importFile(t.ctx, vm, { kind: 'assets', file: write('image.ndjson', [{ id: image, name: 'example-app', owner: 'app-team', exposure: 'internal' }]) });
    await importFile(t.ctx, vm, { kind: 'signals', file: write('webshell.ndjson', [{ id: 'S-webshell', time: '2026-11-27T23:10:00Z', asset: image, kind: 'webshell', source: 'edr', indicator: '/x.php' }]) });
    await importFile(t.ctx, vm, { kind: 'findings', file: corpusPath('scanners/trivy/all_statuses.json') });
    await triageStored(t.ctx, vm, { escalate: true }, await loadRuleset());
    const stamps = await t.ctx.store.db.selectFrom('incidents').select('control_card_version').execute();
    expect(stamps.length).toBeGreaterThan(0);
    expect(stamps.every((r) => r.control_card_version === 1)).toBe(true);
    expect(await changedEvents(t.ctx.store)).toEqual([{ actor: 'vm', action: 'control_card.changed', entity_id: 'IR-6(2)@v1' }]);
    expect((await verifyChain(t.ctx.store.db)).ok).toBe(true);
  });

  for (const last of ['0012-people-and-sessions', '0013-signed-checkpoints'] as const) {
    it(`upgrades a store made by ${last.slice(0, 4)}: nothing recorded by the migration, the card on first start (said so), earlier incidents null`, async () => {
      t = await makeTestContext(engine, { label: `ccup${last.slice(2, 4)}` });
      migrated = await storeMigratedTo(engine, `ccup${last.slice(2, 4)}`, migrationsUpTo(last));
      const old = migrated.db as unknown as Kysely<{ incidents: Omit<IncidentsTable, 'control_card_version'> }>;
      await old.insertInto('incidents').values({
        id: 'INC-2026-0001', title: 'Old one', severity: 'high', state: 'reported', service: null, ir_lead: null, determination: null, determination_rationale: null,
        none_identified_rationale: null, reportout_opened_at: null, reportout_sent_at: null, gate_flags: null, opened_by: 'lead', created_at: '2026-11-01T10:00:00.000Z', updated_at: '2026-11-01T10:00:00.000Z', closed_at: null,
      }).execute();
      if (last === '0013-signed-checkpoints') {
        // what `init` of an earlier version audited
        await migrated.transaction((trx) => appendAudit(trx, { at: '2026-11-01T09:00:00.000Z', actor: 'admin', action: 'control_card.initialized', entityType: 'control_card', entityId: 'IR-6(2)@v1', incidentId: null, state: t.ctx.config.control_card }));
      }
      await migrateToLatest(migrated);
      expect(await migrated.db.selectFrom('control_card_versions').selectAll().execute()).toEqual([]);
      expect(await migrated.db.selectFrom('incidents').select(['id', 'control_card_version']).execute()).toEqual([{ id: 'INC-2026-0001', control_card_version: null }]);

      const url = storeUrl(migrated);
      const notices = await start(url);
      expect(notices).toEqual([expect.stringContaining('control card IR-6(2) v1 recorded as in force from now on')]);
      expect(await start(url)).toEqual([]);
      expect(await migrated.db.selectFrom('control_card_versions').select(['version', 'recorded_at']).execute()).toEqual([{ version: 1, recorded_at: t.clock.now().toISOString() }]);
      expect(await changedEvents(migrated)).toHaveLength(1);
      const chain = await verifyChain(migrated.db);
      // the old incident's baseline (migration 0016) and the card recorded at start, after the initialized event of 0013's init
      expect(chain).toMatchObject({ ok: true, events: last === '0013-signed-checkpoints' ? 3 : 2 });
      expect(await migrated.db.selectFrom('incidents').select('control_card_version').where('id', '=', 'INC-2026-0001').executeTakeFirstOrThrow()).toEqual({ control_card_version: null });
    });
  }
});
