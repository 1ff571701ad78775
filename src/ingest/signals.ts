/**
 * Native signal importer (FORMATS.md "signals"): NDJSON, one telemetry event a line. Signals are
 * the evidence behind `observed_exploitation` and `confirmed_compromise`, so `kind` must be one of
 * the SPEC §2 signal kinds and `time` a real RFC 3339 timestamp; a bad line is an error naming
 * the file, the line and the field rather than a silently dropped piece of evidence.
 *
 * `time` is kept exactly as written (after validation), so the stored evidence matches the source
 * log; consumers compare instants with `Date.parse`, never as strings.
 */
import { CONFIDENCES, SIGNAL_KINDS } from '../domain/records.js';
import type { SignalRecord } from '../domain/records.js';
import { FieldReader, describe, isRfc3339 } from './record-fields.js';
import type { JsonObject } from './record-fields.js';
import { batchParser, ndjsonItems } from './batches.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/**
 * Builds a SignalRecord from one native JSON record. Exported so tests and other signal sources
 * share the exact validation.
 */
export function signalFromObject(obj: JsonObject, ctx: ParseContext, record: string | number): SignalRecord {
  const r = new FieldReader(obj, { ctx, record });
  const id = r.requiredString('id');
  const time = r.requiredString('time');
  if (!isRfc3339(time)) {
    r.fail('time', `expected an RFC 3339 timestamp with offset (e.g. 2024-05-01T12:00:00Z), got ${describe(time)}`);
  }
  const asset = r.requiredString('asset');
  const kindRaw = r.raw('kind');
  if (kindRaw === undefined || kindRaw === null) {
    r.fail('kind', `missing: one of ${SIGNAL_KINDS.join(', ')} is required`);
  }
  const kind = r.vocabulary('kind', SIGNAL_KINDS, 'exploit_attempt');
  const signal: SignalRecord = {
    id,
    time,
    asset,
    kind,
    vulnerability: r.optionalString('vulnerability'),
    component: r.optionalString('component'),
    source: r.optionalString('source'),
    indicator: r.optionalString('indicator'),
    payload: r.optionalString('payload'),
    alert: r.optionalString('alert'),
    confidence: r.optionalVocabulary('confidence', CONFIDENCES),
    extra: {},
  };
  signal.extra = r.extra();
  return signal;
}

/** Streams native signals from NDJSON in batches (record = line number). */
export function parseSignalBatches(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem[]> {
  return ndjsonItems(source, ctx, (obj, line) => ({ kind: 'signal', record: signalFromObject(obj, ctx, line), place: line }));
}

/** `--format signals`: closeloop's own NDJSON signal shape. */
export const signalsParser: Parser = batchParser('signals', parseSignalBatches);
