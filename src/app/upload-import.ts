/**
 * An import uploaded over HTTP (`POST /imports`): the bytes stream to a private temporary file
 * (mode 0600, in a directory of its own; never whole in memory), a job is recorded, and the import
 * (`importFile`, the same use case as `closeloop import`) runs in the background with its progress
 * on the job. The temporary file is removed when the import ends, however it ends. A failed import
 * changes nothing (one transaction) and its job says why, naming the uploaded file, the record and
 * the field.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { IMPORT_KINDS } from '../ingest/index.js';
import { recentImports } from '../store/repositories/imports.js';
import { ClError } from '../errors.js';
import { authorize, type AppContext, type Caller } from './context.js';
import { importFile, presentImport } from './importer.js';
import { createJob, type JobRunner, type JobView } from './jobs.js';
import { nonEmpty, parseInput, recordInput, shortText } from './validate.js';

export const uploadImportInput = z.strictObject({
  kind: z.enum(IMPORT_KINDS),
  /** The uploaded file's own name (kept with the import; never a path on the server). */
  name: shortText('file name'),
  format: nonEmpty('format').optional(),
  /** Findings: decide the new and changed findings in the import's transaction, with the shipped ruleset. */
  triage: z.boolean().optional(),
  /** Import even when the same bytes were imported before. */
  force: z.boolean().optional(),
});
recordInput('upload', uploadImportInput);

/** Only the last part of a name a browser or script sends, without control characters. */
export function uploadName(given: string | undefined): string {
  const base = path.basename((given ?? '').replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').trim();
  return clean === '' ? 'upload' : clean;
}

/** The refusal of an upload over `server.upload_limit_mb`, naming the limit. */
export function uploadTooLarge(ctx: Pick<AppContext, 'config'>): ClError {
  const mb = ctx.config.server.upload_limit_mb;
  return new ClError('CL_TOO_LARGE', `the file is larger than this server takes: ${mb} MB (server.upload_limit_mb, ${uploadLimitBytes(ctx).toLocaleString('en')} bytes); nothing was imported. Split the file, or raise server.upload_limit_mb`, {
    limit: 'upload',
    limit_mb: mb,
  });
}

/** An upload's bytes: a stream, which says when it was cut at the size limit (`truncated`, as a multipart file part does). */
export type UploadContent = Readable & { readonly truncated?: boolean };

/** Streams `content` to a new private file; returns it and its size. The directory is removed on failure, or when the content was cut at the limit. */
async function receive(ctx: AppContext, content: UploadContent): Promise<{ dir: string; file: string; bytes: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'closeloop-upload-'));
  const file = path.join(dir, 'upload');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(content, counter, createWriteStream(file, { mode: 0o600, flags: 'wx' }));
    if (content.truncated === true || bytes > uploadLimitBytes(ctx)) throw uploadTooLarge(ctx);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, file, bytes };
}

/** A result or error naming the uploaded file where the importer named its temporary path. */
function named<T>(e: T, file: string, name: string): T {
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(file).join(name);
    if (Array.isArray(v)) return v.map(swap);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return swap(e) as T;
}

/**
 * `POST /imports`: receives the upload, records a job and starts the import in the background.
 * Authorized before a byte is stored.
 */
export async function startUploadImport(ctx: AppContext, caller: Caller, input: z.input<typeof uploadImportInput>, content: UploadContent, runner: JobRunner): Promise<JobView> {
  await authorize(ctx, caller, 'vr.import');
  const parsed = parseInput(uploadImportInput, input);
  const p = { ...parsed, name: uploadName(parsed.name) };
  if (p.triage === true) await authorize(ctx, caller, 'vr.triage');
  const { dir, file, bytes } = await receive(ctx, content);
  let job: JobView;
  try {
    job = await createJob(ctx, caller, 'import', { kind: p.kind, file: p.name, bytes, ...(p.format !== undefined ? { format: p.format } : {}), ...(p.triage === true ? { triage: true } : {}), ...(p.force === true ? { force: true } : {}) });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return runner.start(job, {
    run: (progress) =>
      importFile(
        ctx,
        caller,
        { kind: p.kind, file, format: p.format, ...(p.triage === true ? { triage: true } : {}), ...(p.force === true ? { force: true } : {}) },
        { fileName: p.name, progressIntervalMs: 0, onProgress: (x) => progress({ records: x.done, total_bytes: bytes, seconds: x.seconds, ...(x.counting !== undefined ? { counting: x.counting } : {}) }) },
      ),
    present: (r) => named(presentImport(r), file, p.name),
    describeError: (e) => named(e, file, p.name),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}

export const listImportsInput = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

/** An import as `GET /imports` lists it. */
export interface ListedImport {
  id: string;
  kind: string;
  format: string;
  file: string;
  sha256: string;
  counts: Record<string, unknown>;
  by: string;
  at: string;
}

/** `GET /imports`: the most recent imports, newest first, with their counts. */
export async function listImports(ctx: AppContext, caller: Caller, input: z.input<typeof listImportsInput>): Promise<ListedImport[]> {
  await authorize(ctx, caller, 'vr.triage');
  const p = parseInput(listImportsInput, input);
  const rows = await recentImports(ctx.store.db, p.limit);
  return rows.map((r) => ({ id: r.id, kind: r.kind, format: r.format, file: r.file, sha256: r.sha256, counts: JSON.parse(r.counts) as Record<string, unknown>, by: r.actor, at: r.at }));
}

/** The largest upload the server takes, in bytes (`server.upload_limit_mb`). */
export function uploadLimitBytes(ctx: Pick<AppContext, 'config'>): number {
  return ctx.config.server.upload_limit_mb * 1024 * 1024;
}
