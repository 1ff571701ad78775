/**
 * The vulnerability side over HTTP, on both engines: an upload answers 202 with a job that runs the
 * import in the background (its counts those of `closeloop import` for the same file), a file over
 * the limit is 413, a bad file fails its job in words and stores nothing, a job is its actor's (or
 * an admin's) to read; stored triage as a job hands escalations to IR; the decisions list and its
 * filters, `why` and the handoff notes. Every 2xx body is checked against the OpenAPI document.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../src/api/openapi.js';
import { VR_ROUTES } from '../../src/api/routes-vr.js';
import { importFile, presentImport } from '../../src/app/importer.js';
import { startUploadImport } from '../../src/app/upload-import.js';
import { failInterruptedJobs, INTERRUPTED_MESSAGE, jobRunnerOf, type JobView } from '../../src/app/jobs.js';
import { corpusPath } from '../helpers/corpus.js';
import { ENGINES, makeTestContext } from '../helpers/context.js';
import { Documented } from './documented.js';
import { fullUrl, makeApi, type Api, type ErrorBody } from './harness.js';

const TRIVY = corpusPath('scanners/trivy/all_statuses.json');

/** A multipart/form-data body as a browser's FormData sends it. */
async function form(fields: Record<string, string>, file: { name: string; content: Buffer | string } | null): Promise<{ payload: Buffer; type: string }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file !== null) fd.append('file', new Blob([file.content]), file.name);
  const req = new Request('http://localhost/', { method: 'POST', body: fd });
  return { payload: Buffer.from(await req.arrayBuffer()), type: req.headers.get('content-type') ?? '' };
}

async function upload(api: Api, as: string, fields: Record<string, string>, file: { name: string; content: Buffer | string } | null) {
  const { payload, type } = await form(fields, file);
  return api.app.inject({ method: 'POST', url: fullUrl('/imports'), payload, headers: { 'content-type': type, authorization: `Bearer ${api.tokens[as] ?? ''}` } });
}

const uploadDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('closeloop-upload-'));

describe.each(ENGINES)('the vulnerability side over HTTP on %s', (engine) => {
  let api: Api;
  let doc: Documented;
  beforeAll(async () => {
    api = await makeApi(engine);
    doc = new Documented((await api.request(null, 'GET', '/openapi.json')).json<OpenApiDocument>());
  });
  afterAll(async () => {
    await api.close();
  });

  /** Polls a job until it ends, checking each answer against the document. */
  async function settled(as: string, id: string): Promise<JobView> {
    for (let i = 0; i < 400; i++) {
      const job = await doc.call<JobView>(api, as, 'GET', `/jobs/${id}`);
      if (job.state === 'succeeded' || job.state === 'failed') return job;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${id} did not end`);
  }

  it('an upload answers 202 with its job; the job succeeds with the counts `closeloop import` gives for the same file', async () => {
    const res = await upload(api, 'vm', { kind: 'findings' }, { name: 'all_statuses.json', content: readFileSync(TRIVY) });
    expect(res.statusCode, res.body).toBe(202);
    const { job } = doc.check<{ job: JobView }>('POST', '/imports', res);
    expect(job.id).toMatch(/^JB-\d{4}$/);
    expect(res.headers.location).toBe(`/api/v1/jobs/${job.id}`);
    expect(job.input).toMatchObject({ kind: 'findings', file: 'all_statuses.json', bytes: readFileSync(TRIVY).length });
    const done = await settled('vm', job.id);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.error).toBeNull();

    // the same file through the use case `closeloop import` runs, in a store of its own
    const other = await makeTestContext(engine, { label: 'vrcli' });
    try {
      const direct = presentImport(await importFile(other.ctx, { actor: 'vm' }, { kind: 'findings', file: TRIVY }, { fileName: 'all_statuses.json' }));
      expect(done.result).toEqual(direct);
      expect((done.result as { findings: number }).findings).toBeGreaterThan(0);
    } finally {
      await other.cleanup();
    }
    await jobRunnerOf(api.tc.ctx).idle();
    expect(uploadDirs()).toEqual([]);

    const listed = await doc.call<{ imports: { id: string; file: string; kind: string; by: string; counts: Record<string, unknown> }[] }>(api, 'so', 'GET', '/imports');
    expect(listed.imports[0]).toMatchObject({ file: 'all_statuses.json', kind: 'findings', by: 'vm' });
    expect(listed.imports[0]?.counts.count).toBe((done.result as { findings: number }).findings);
  });

  it('keeps the upload in a private file (0600, in a directory of its own) while it arrives, and removes it after', async () => {
    const modes: number[] = [];
    const content = Readable.from(
      (async function* () {
        yield Buffer.from(JSON.stringify([{ id: 'db-01', owner: 'data', exposure: 'internal' }]).slice(0, 10));
        await new Promise((r) => setTimeout(r, 50));
        for (const d of uploadDirs()) {
          modes.push(statSync(path.join(tmpdir(), d)).mode & 0o777, statSync(path.join(tmpdir(), d, 'upload')).mode & 0o777);
        }
        yield Buffer.from(JSON.stringify([{ id: 'db-01', owner: 'data', exposure: 'internal' }]).slice(10));
      })(),
    );
    const job = await startUploadImport(api.tc.ctx, { actor: 'vm' }, { kind: 'assets', name: '../../etc/assets.json' }, content, jobRunnerOf(api.tc.ctx));
    expect(modes).toEqual([0o700, 0o600]);
    expect(job.input.file).toBe('assets.json'); // a name, never a path
    await jobRunnerOf(api.tc.ctx).idle();
    expect(uploadDirs()).toEqual([]);
  });

  it("a job is its actor's and an admin's to read: anyone else is told it does not exist", async () => {
    const res = await upload(api, 'vm', { kind: 'assets' }, { name: 'assets.json', content: JSON.stringify([{ id: 'web-01', owner: 'web', exposure: 'internet' }]) });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ job: JobView }>().job.id;
    await settled('vm', id);
    const err = await api.fail('so', 'GET', `/jobs/${id}`, undefined, 404, 'CL_NOT_FOUND');
    expect(err.message).toContain(id);
    const seen = await doc.call<JobView>(api, 'admin', 'GET', `/jobs/${id}`);
    expect(seen).toMatchObject({ id, actor: 'vm', state: 'succeeded', kind: 'import' });
  });

  it('a bad file fails its job in words naming the file, and stores nothing', async () => {
    const count = async (table: 'imports' | 'findings') => Number((await api.tc.ctx.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = { imports: await count('imports'), findings: await count('findings'), audit: await api.auditCount() };
    const bad = [{ id: 'F-9', vulnerability: 'CVE-2099-0009', asset: 'web-01' }, { id: 'F-10', asset: 'web-01' }].map((r) => JSON.stringify(r)).join('\n');
    const res = await upload(api, 'vm', { kind: 'findings', format: 'native' }, { name: 'broken.ndjson', content: bad });
    expect(res.statusCode, res.body).toBe(202);
    const job = await settled('vm', res.json<{ job: JobView }>().job.id);
    expect(job.state).toBe('failed');
    expect(job.result).toBeNull();
    expect(job.error?.code).toBe('CL_IMPORT_INVALID');
    expect(job.error?.message).toContain('broken.ndjson');
    expect(job.error?.message).not.toContain(tmpdir());
    expect(job.error?.message).toMatch(/record 2/);
    expect({ imports: await count('imports'), findings: await count('findings'), audit: await api.auditCount() }).toEqual(before);
    await jobRunnerOf(api.tc.ctx).idle();
    expect(uploadDirs()).toEqual([]);
  });

  it('refuses an upload without a kind, of an unknown kind, or by a reader, before storing anything', async () => {
    const noKind = await upload(api, 'vm', {}, { name: 'x.json', content: '[]' });
    expect(noKind.statusCode).toBe(400);
    expect(noKind.json<ErrorBody>().message).toContain('kind');
    const wrong = await upload(api, 'vm', { kind: 'spreadsheets' }, { name: 'x.json', content: '[]' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<ErrorBody>().details?.fields?.map((f) => f.field)).toEqual(['kind']);
    const reader = await upload(api, 'auditor', { kind: 'findings' }, { name: 'x.json', content: '[]' });
    expect(reader.statusCode).toBe(403);
    const json = await api.request('vm', 'POST', '/imports', { kind: 'findings' });
    expect(json.statusCode).toBe(400);
    expect(uploadDirs()).toEqual([]);
  });

  it('stored triage as a job hands the escalations to IR; decisions, why and the handoff follow', async () => {
    const write = async (kind: 'vulnerabilities' | 'findings', name: string, rows: unknown[]) => {
      const res = await upload(api, 'vm', { kind }, { name, content: rows.map((r) => JSON.stringify(r)).join('\n') });
      expect(res.statusCode, res.body).toBe(202);
      const job = await settled('vm', res.json<{ job: JobView }>().job.id);
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    };
    await write('vulnerabilities', 'vulns.ndjson', [{ id: 'CVE-2099-0001', kev: { dateAdded: '2026-01-01' } }]);
    await write('findings', 'findings.ndjson', [
      { id: 'F-1', vulnerability: 'CVE-2099-0001', asset: 'web-01', validation: 'validated' },
      { id: 'F-2', vulnerability: 'CVE-2099-0001', asset: 'web-01', component: 'other', validation: 'false_positive' },
    ]);

    const res = await api.request('lead', 'POST', '/triage', { escalate: true });
    expect(res.statusCode, res.body).toBe(202);
    const { job } = doc.check<{ job: JobView }>('POST', '/triage', res);
    expect(res.headers.location).toBe(`/api/v1/jobs/${job.id}`);
    const done = await settled('lead', job.id);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    const summary = done.result as { escalations: { finding: string }[]; incidents: { incident: string; finding: string }[]; evaluated: number };
    expect(summary.escalations.map((e) => e.finding)).toContain('F-1');
    expect(summary.escalations.map((e) => e.finding)).not.toContain('F-2');
    const incident = summary.incidents.find((i) => i.finding === 'F-1')?.incident ?? '';
    expect(incident).toMatch(/^INC-/);

    type Page = { decisions: { finding: string; outcome: string; incident: string | null; triggers: string[]; stay_reasons: string[] }[]; next: string | null };
    const esc = await doc.call<Page>(api, 'vm', 'GET', '/decisions?outcome=escalate');
    expect(esc.decisions.map((d) => d.finding)).toContain('F-1');
    expect(esc.decisions.every((d) => d.outcome === 'escalate')).toBe(true);
    expect(esc.decisions.find((d) => d.finding === 'F-1')?.incident).toBe(incident);
    const stay = await doc.call<Page>(api, 'vm', 'GET', '/decisions?outcome=stay&stay_reason=ruled_out');
    expect(stay.decisions.map((d) => d.finding)).toContain('F-2');
    expect(stay.decisions.every((d) => d.outcome === 'stay' && d.stay_reasons.includes('ruled_out'))).toBe(true);
    const byTrigger = await doc.call<Page>(api, 'vm', 'GET', `/decisions?trigger=${esc.decisions[0]?.triggers[0] ?? ''}`);
    expect(byTrigger.decisions.map((d) => d.finding)).toContain('F-1');
    const byIncident = await doc.call<Page>(api, 'vm', 'GET', `/decisions?incident=${incident}`);
    expect(byIncident.decisions.map((d) => d.finding)).toEqual(['F-1']);
    // one finding a page, following `next`, gives the whole list once
    const all = await doc.call<Page>(api, 'vm', 'GET', '/decisions');
    const paged: string[] = [];
    let page = await doc.call<Page>(api, 'vm', 'GET', '/decisions?limit=1');
    for (;;) {
      paged.push(...page.decisions.map((d) => d.finding));
      if (page.next === null) break;
      page = await doc.call<Page>(api, 'vm', 'GET', `/decisions?limit=1&after=${encodeURIComponent(page.next)}`);
    }
    expect(paged).toEqual(all.decisions.map((d) => d.finding));
    expect(new Set(paged).size).toBe(paged.length);
    await api.fail('vm', 'GET', '/decisions?outcome=maybe', undefined, 400, 'CL_BAD_INPUT');
    await api.fail('vm', 'GET', '/decisions?after=%21%21', undefined, 400, 'CL_BAD_INPUT');

    const why = await doc.call<{ outcome: string; explanation: { rule: string; holds: boolean }[]; replay: { verified: boolean }; incident: string | null }>(api, 'so', 'GET', '/findings/F-1/why');
    expect(why).toMatchObject({ outcome: 'escalate', incident, replay: { verified: true } });
    expect(why.explanation.some((l) => l.holds)).toBe(true);
    await api.fail('so', 'GET', '/findings/F-404/why', undefined, 404, 'CL_NOT_FOUND');

    const handoff = await doc.call<{ incident: string; notes: { markdown: string; decision: string }[]; revisions: { revision: number; added: { finding: string }[] }[] }>(api, 'auditor', 'GET', `/incidents/${incident}/handoff`);
    expect(handoff.incident).toBe(incident);
    expect(handoff.notes).toHaveLength(1);
    expect(handoff.notes[0]?.markdown).toContain('CVE-2099-0001 on web-01');
    expect(handoff.revisions.map((r) => r.revision)).toEqual([1]);
    expect(handoff.revisions[0]?.added.map((a) => a.finding)).toEqual(['F-1']);
    await api.fail('auditor', 'GET', '/incidents/INC-2099-0001/handoff', undefined, 404, 'CL_NOT_FOUND');

    // a triage that only decides is a reader's to start no more than an escalation is
    await api.fail('auditor', 'POST', '/triage', {}, 403, 'CL_FORBIDDEN');
    await api.fail('lead', 'POST', '/triage', { ruleset: 'version: [' }, 400, 'CL_BAD_INPUT');
  });

  it('a job a stopped server left running is failed on start, saying to upload again', async () => {
    const db = api.tc.ctx.store.db;
    await db.insertInto('jobs').values({ id: 'JB-9999', kind: 'import', actor: 'vm', state: 'running', input: '{}', progress: null, result: null, error: null, created_at: '2026-11-28T12:00:00.000Z', updated_at: '2026-11-28T12:00:00.000Z' }).execute();
    expect(await failInterruptedJobs(api.tc.ctx)).toEqual(['JB-9999']);
    const job = await doc.call<JobView>(api, 'vm', 'GET', '/jobs/JB-9999');
    expect(job).toMatchObject({ state: 'failed', error: { message: INTERRUPTED_MESSAGE } });
    await jobRunnerOf(api.tc.ctx).idle();
  });

  it('drove every route of the vulnerability table, each answer matching the document', () => {
    expect(VR_ROUTES.map((r) => r.operationId).filter((id) => !doc.seen.has(id))).toEqual([]);
  });
});

describe.each(ENGINES)('the upload limit on %s', (engine) => {
  let api: Api;
  beforeAll(async () => {
    api = await makeApi(engine, { config: { server: { upload_limit_mb: 1 } } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('refuses a file over server.upload_limit_mb with 413 naming the limit, and records no job', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
    const res = await upload(api, 'vm', { kind: 'findings' }, { name: 'huge.json', content: big });
    expect(res.statusCode, res.body).toBe(413);
    const err = res.json<ErrorBody>();
    expect(err.code).toBe('CL_TOO_LARGE');
    expect(err.message).toContain('1 MB');
    expect(err.message).toContain('server.upload_limit_mb');
    const jobs = await api.tc.ctx.store.db.selectFrom('jobs').selectAll().execute();
    expect(jobs).toEqual([]);
    expect(uploadDirs()).toEqual([]);
  });
});

describe('uploads over a real socket', () => {
  let api: Api;
  let base: string;
  beforeAll(async () => {
    api = await makeApi('sqlite', { config: { server: { upload_limit_mb: 1 } } });
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await api.close();
  });

  const send = (fd: FormData) => fetch(`${base}/api/v1/imports`, { method: 'POST', body: fd, headers: { authorization: `Bearer ${api.tokens.vm ?? ''}` } });

  it('takes a FormData upload from fetch (202, then the job succeeds), and answers 413 to one over the limit', async () => {
    const fd = new FormData();
    fd.append('kind', 'findings');
    fd.append('file', new Blob([readFileSync(TRIVY)]), 'all_statuses.json');
    const res = await send(fd);
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: JobView };
    expect(res.headers.get('location')).toBe(`/api/v1/jobs/${job.id}`);
    await jobRunnerOf(api.tc.ctx).idle();
    const done = await fetch(`${base}${res.headers.get('location') ?? ''}`, { headers: { authorization: `Bearer ${api.tokens.vm ?? ''}` } });
    expect(((await done.json()) as JobView).state).toBe('succeeded');

    const big = new FormData();
    big.append('kind', 'findings');
    big.append('file', new Blob([Buffer.alloc(3 * 1024 * 1024, 0x20)]), 'huge.json');
    const refused = await send(big);
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as ErrorBody).message).toContain('1 MB');
    expect(uploadDirs()).toEqual([]);
  });
});

describe('a long import on a SQLite store', () => {
  it('answers while it runs: a poll sees the job running (from the server memory), and a read answers too', { timeout: 120_000 }, async () => {
    const api = await makeApi('sqlite', { label: 'vrlong' });
    try {
      // enough findings for the import to take a while: the native format, one asset and vulnerability
      const lines = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ id: `F-${i}`, vulnerability: 'CVE-2099-0001', asset: `host-${i % 500}` }));
      const res = await upload(api, 'vm', { kind: 'findings' }, { name: 'many.ndjson', content: lines.join('\n') });
      expect(res.statusCode, res.body).toBe(202);
      const { job } = res.json<{ job: JobView }>();
      const seen: string[] = [];
      let other = 0;
      for (let i = 0; i < 2000; i++) {
        const poll = await api.request('vm', 'GET', `/jobs/${job.id}`);
        expect(poll.statusCode).toBe(200);
        const state = poll.json<JobView>().state;
        seen.push(state);
        if (state === 'running') {
          // a request that needs the store (the caller's roles, a page of incidents) answers too
          other = (await api.request('so', 'GET', '/incidents')).statusCode;
        }
        if (state === 'succeeded' || state === 'failed') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen.at(-1)).toBe('succeeded');
      expect(seen).toContain('running');
      expect(other).toBe(200);
      await jobRunnerOf(api.tc.ctx).idle();
    } finally {
      await api.close();
    }
  });
});
