/**
 * Parsing an import file off the main thread. The worker runs the ordinary streaming parser
 * (`openItems`) and sends items back in batches, findings already turned into row values
 * (FINDING_COLUMNS order), so the main thread only binds values to the store. At most WINDOW
 * batches are in flight: the worker waits for the main thread's acknowledgements, so a fast parser
 * never piles batches up in memory (flat RSS, whatever the file's size).
 *
 * The same module is the worker's entry point and the main thread's client. The worker needs the
 * compiled JavaScript (dist/); under a TypeScript loader (tests) parsing stays on the main thread,
 * through the same batch interface.
 */
import { stat } from 'node:fs/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { FindingRecord } from '../domain/records.js';
import { ClError, ImportError, type ErrorCode } from '../errors.js';
import { openBatches, type ImportKind } from '../ingest/index.js';
import type { ImportItem } from '../ingest/types.js';
import { findingValues, type FindingValues } from '../store/bulk/index.js';
import { findingToRow } from '../store/records.js';
import { envInt } from '../runtime.js';

/** One parsed item as it crosses the thread boundary. */
export type WireItem =
  | { kind: 'finding_row'; values: FindingValues; scanKey: string | null }
  | Exclude<ImportItem, { kind: 'finding' }>;

/**
 * Items per batch, and unacknowledged batches the worker may have in flight. Small batches keep
 * what the worker holds between scavenges small, so a small young generation will do (see
 * fromWorker): ~25–30 MiB less at the million for a second or two (docs/decisions/memory-budget.md).
 */
const BATCH_ITEMS = 250;
const WINDOW = 16;
/** Files at least this large are parsed in a worker (unless CLOSELOOP_PARSE_WORKER says otherwise). */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/**
 * A finding as row values; the importer fills in `last_import_id`, `first_seen` and `last_seen`
 * (the import id and time are not known to the parser).
 */
export function findingWire(record: FindingRecord, scanKey: string | null): WireItem {
  return { kind: 'finding_row', values: findingValues(findingToRow(record, { at: '', scanKey, importId: null })), scanKey };
}

function toWire(item: ImportItem): WireItem {
  return item.kind === 'finding' ? findingWire(item.record, item.scanKey) : item;
}

/** Wire batches of about BATCH_ITEMS items from the parser's own batches. */
async function* inThread(batches: AsyncGenerator<ImportItem[]>): AsyncGenerator<WireItem[]> {
  let batch: WireItem[] = [];
  for await (const items of batches) {
    for (const item of items) batch.push(toWire(item));
    if (batch.length >= BATCH_ITEMS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

interface WorkerInput {
  closeloopParse: true;
  kind: ImportKind;
  file: string;
  format: string;
}

type WorkerMessage =
  | { type: 'batch'; items: WireItem[] }
  | { type: 'done' }
  | { type: 'error'; error: { name: string; message: string; code: ErrorCode | null; details: unknown; file?: string; record?: string | number | null; field?: string | null; problem?: string } };

function serializeError(err: unknown): Extract<WorkerMessage, { type: 'error' }>['error'] {
  if (err instanceof ImportError) {
    const problem = (err.details as { problem?: unknown } | null)?.problem;
    return { name: 'ImportError', message: err.message, code: err.code, details: err.details, file: err.file, record: err.record, field: err.field, problem: typeof problem === 'string' ? problem : err.message };
  }
  if (err instanceof ClError) return { name: err.name, message: err.message, code: err.code, details: err.details };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.stack ?? e.message, code: null, details: null };
}

function deserializeError(e: Extract<WorkerMessage, { type: 'error' }>['error']): Error {
  if (e.name === 'ImportError' && e.file !== undefined) return new ImportError(e.file, e.record ?? null, e.field ?? null, e.problem ?? e.message);
  if (e.code !== null) return new ClError(e.code, e.message, e.details);
  return new Error(`parser worker: ${e.message}`);
}

/** The worker's side: parse, send batches, wait for acknowledgements. */
async function runWorker(input: WorkerInput): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    inFlight--;
    const w = wake;
    wake = null;
    w?.();
  });
  try {
    const { batches } = await openBatches(input.kind, input.file, input.format, BATCH_ITEMS);
    for await (const batch of inThread(batches)) {
      while (inFlight >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      inFlight++;
      port.postMessage({ type: 'batch', items: batch } satisfies WorkerMessage);
    }
    port.postMessage({ type: 'done' } satisfies WorkerMessage);
  } catch (err) {
    port.postMessage({ type: 'error', error: serializeError(err) } satisfies WorkerMessage);
  } finally {
    port.removeAllListeners('message');
  }
}

/** The main thread's side: batches from a worker (started now), acknowledged as they are taken. */
function fromWorker(kind: ImportKind, file: string, format: string): ParsedBatches {
  const input: WorkerInput = { closeloopParse: true, kind, file, format };
  // The worker holds one small batch and one matched value at a time: a modest old generation
  // keeps V8 from growing it (and the process's RSS) far beyond what is live. Its young generation
  // is 3 × the semi-space. Parsing turns every report element into short-lived objects; what
  // survives a scavenge is the batch being built, so with batches of BATCH_ITEMS an 8 MiB
  // semi-space will do; a young generation too small for the batch makes the worker the
  // bottleneck (docs/decisions/memory-budget.md).
  const semi = envInt(process.env, 'CLOSELOOP_PARSER_SEMI_SPACE_MB', 8, 1, 256);
  const worker = new Worker(new URL(import.meta.url), { workerData: input, resourceLimits: { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 3 * semi } });
  const queue: WorkerMessage[] = [];
  let failure: Error | null = null;
  let exited = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (m: WorkerMessage) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  async function* batches(): AsyncGenerator<WireItem[]> {
    try {
      for (;;) {
        const m = queue.shift();
        if (m === undefined) {
          if (failure !== null) throw failure;
          if (exited) throw new Error('parser worker stopped before the end of the file');
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (m.type === 'done') return;
        if (m.type === 'error') throw deserializeError(m.error);
        yield m.items;
        worker.postMessage('ack');
      }
    } finally {
      await worker.terminate();
    }
  }
  const it = batches();
  return {
    [Symbol.asyncIterator]: () => it,
    close: async () => {
      await it.return(undefined);
      await worker.terminate();
    },
  };
}

/** Batches of parsed items; `close` stops the parser (safe to call more than once, or after the end). */
export interface ParsedBatches extends AsyncIterable<WireItem[]> {
  close(): Promise<void>;
}

function workerWanted(size: number): boolean {
  if (!import.meta.url.endsWith('.js')) return false;
  const mode = process.env.CLOSELOOP_PARSE_WORKER;
  if (mode === 'never') return false;
  if (mode === 'always') return true;
  return size >= WORKER_MIN_BYTES;
}

/**
 * The items of an import file in batches, parsed in a worker thread for large files (see the
 * module comment) and on this thread otherwise. The format must already be resolved.
 */
export async function parsedBatches(kind: ImportKind, file: string, format: string): Promise<ParsedBatches> {
  const size = (await stat(file)).size;
  if (workerWanted(size)) return fromWorker(kind, file, format);
  const { batches } = await openBatches(kind, file, format, BATCH_ITEMS);
  const it = inThread(batches);
  return {
    [Symbol.asyncIterator]: () => it,
    close: async () => {
      await it.return(undefined);
      await batches.return(undefined);
    },
  };
}

if (!isMainThread && (workerData as Partial<WorkerInput> | null)?.closeloopParse === true) {
  void runWorker(workerData as WorkerInput);
}
