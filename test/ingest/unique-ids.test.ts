import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openItems, type ImportKind } from '../../src/ingest/index.js';
import { UniqueIds } from '../../src/ingest/unique-ids.js';
import { corpusPath } from '../helpers/corpus.js';

/** SPEC §2 input integrity: an id names one record, in a native file and across the files of one run. */
const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
async function drain(kind: ImportKind, f: string, ids?: UniqueIds): Promise<number> {
  const { items } = await openItems(kind, f, undefined, ids);
  let n = 0;
  for await (const _ of items) n += 1;
  return n;
}

describe('duplicate ids', () => {
  it('refuses a repeated vulnerability, signal or native finding id, naming both records', async () => {
    await expect(drain('vulnerabilities', file('v.json', '[{"id":"CVE-1"},{"id":"CVE-2"},{"id":"CVE-1"}]'))).rejects.toThrow(/v\.json, record 2, field id: duplicate vulnerability id "CVE-1": also .*v\.json record 0/);
    const signal = (id: string) => JSON.stringify({ id, time: '2026-11-28T10:00:00Z', asset: 'a', kind: 'webshell' });
    await expect(drain('signals', file('s.ndjson', [signal('S-1'), signal('S-1')].join('\n')))).rejects.toThrow(/s\.ndjson, record 2, field id: duplicate signal id "S-1": also .*s\.ndjson record 1/);
    await expect(drain('findings', file('f.csv', 'id,vulnerability,asset\nF-1,CVE-1,a\nF-1,CVE-2,b\n'))).rejects.toThrow(/duplicate finding id "F-1"/);
  });

  it('lets repeats merge where they are one record: a scanner report, native findings without an id', async () => {
    // a scanner report's findings are not native records: a repeat merges in the import, never refused here
    expect(await drain('findings', corpusPath('scanners/trivy/all_statuses.json'))).toBeGreaterThan(0);
    const same = '{"vulnerability":"CVE-1","asset":"a"}\n{"vulnerability":"CVE-1","asset":"a"}\n';
    expect(await drain('findings', file('same.ndjson', same))).toBeGreaterThan(0);
  });

  it('checks across the files of one run when they share the id set', async () => {
    const ids = new UniqueIds();
    await drain('assets', file('a1.csv', 'id\nweb01\n'), ids);
    await expect(drain('assets', file('a2.csv', 'id\ndb01\nweb01\n'), ids)).rejects.toThrow(/a2\.csv, record 3, field id: duplicate asset id "web01": also .*a1\.csv record 2/);
  });
});
