/**
 * OpenVEX importer (v0.2.0 and the legacy v0.0.1 layout). A supplier's `not_affected` statement
 * is what lets closeloop set a finding's validation to not_affected instead of escalating it, so
 * the importer accepts the layouts seen in the wild (the corpus has documents that do not
 * validate against the current schema) while still rejecting statements it cannot attribute:
 * a missing vulnerability or status is an error naming `statements[i]` and the field.
 *
 * Mapping, one `{kind:'advisory'}` item per (statement, product):
 * - vulnerability: `vulnerability.name`, else `vulnerability["@id"]`, or the string itself (v0.0.1).
 * - product: each `products[]` entry's `@id`, else `identifiers.purl`, `.cpe23`, `.cpe22`, or the
 *   string itself (v0.0.1 and vexctl's images.vex.json). A statement with no products gives one
 *   item with product null (the statement applies to every product). Subcomponents are not
 *   expanded: the statement is about the product (e.g. an image) as a whole, and turning it into a
 *   statement about the subcomponent everywhere would widen it.
 * - status: not_affected / affected / fixed / under_investigation (anything else is an error).
 * - justification: kept for not_affected (any string; the OpenVEX vocabulary is not enforced so
 *   older labels survive).
 * - statement: not_affected → impact_statement; affected → action_statement; then the free-text
 *   `statement` some tools write (vexctl samples), then `status_notes`.
 * - source: `openvex:<document @id>` (the file name when there is no @id).
 */
import type { AdvisoryStatement } from '../domain/records.js';
import { ImportError } from '../errors.js';
import { describe, isObject } from './record-fields.js';
import type { JsonObject } from './record-fields.js';
import { streamJson } from './stream/json-stream.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

const STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;

function fail(ctx: ParseContext, record: string, field: string, problem: string): never {
  throw new ImportError(ctx.file, record, field, problem);
}

function optionalText(v: unknown, ctx: ParseContext, record: string, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(ctx, record, field, `expected a string, got ${describe(v)}`);
  return v.trim() === '' ? null : v;
}

function vulnerabilityId(v: unknown, ctx: ParseContext, record: string): string {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (isObject(v)) {
    const name = optionalText(v.name, ctx, record, 'vulnerability.name');
    const id = optionalText(v['@id'], ctx, record, 'vulnerability.@id');
    const found = name ?? id;
    if (found !== null) return found;
    fail(ctx, record, 'vulnerability.name', 'missing: a vulnerability name (e.g. a CVE id) is required');
  }
  if (v === undefined || v === null) fail(ctx, record, 'vulnerability', 'missing: a vulnerability is required');
  return fail(ctx, record, 'vulnerability', `expected a string or an object with name, got ${describe(v)}`);
}

function productIds(v: unknown, ctx: ParseContext, record: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(ctx, record, 'products', `expected an array, got ${describe(v)}`);
  return v.map((p: unknown, i): string => {
    const field = `products[${i}]`;
    if (typeof p === 'string' && p.trim() !== '') return p;
    if (!isObject(p)) return fail(ctx, record, field, `expected a string or an object with @id, got ${describe(p)}`);
    const ids = p.identifiers;
    const idObj: JsonObject = isObject(ids) ? ids : {};
    const found =
      optionalText(p['@id'], ctx, record, `${field}.@id`) ??
      optionalText(idObj.purl, ctx, record, `${field}.identifiers.purl`) ??
      optionalText(idObj.cpe23, ctx, record, `${field}.identifiers.cpe23`) ??
      optionalText(idObj.cpe22, ctx, record, `${field}.identifiers.cpe22`);
    if (found === null) return fail(ctx, record, `${field}.@id`, 'missing: a product @id or identifiers.purl is required');
    return found;
  });
}

/** `https://openvex.dev/ns…`, alone or in a JSON-LD context array. */
function isOpenVexContext(v: unknown): boolean {
  const list: unknown[] = Array.isArray(v) ? v : [v];
  return list.some((c) => typeof c === 'string' && c.includes('openvex.dev'));
}

/** Maps one OpenVEX statement to advisory items. Exported for tests. */
export function openVexStatementItems(
  value: unknown,
  index: number,
  source: string,
  ctx: ParseContext,
): ImportItem[] {
  const record = `statements[${index}]`;
  if (!isObject(value)) fail(ctx, record, 'status', `expected a statement object, got ${describe(value)}`);
  const s = value;
  const vulnerability = vulnerabilityId(s.vulnerability, ctx, record);
  const rawStatus = s.status;
  if (rawStatus === undefined || rawStatus === null) {
    fail(ctx, record, 'status', `missing: one of ${STATUSES.join(', ')} is required`);
  }
  const status = STATUSES.find((w) => w === rawStatus);
  if (status === undefined) {
    fail(ctx, record, 'status', `expected one of ${STATUSES.join(', ')}; got ${describe(rawStatus)}`);
  }
  const justification = optionalText(s.justification, ctx, record, 'justification');
  const specific =
    status === 'not_affected'
      ? optionalText(s.impact_statement, ctx, record, 'impact_statement')
      : status === 'affected'
        ? optionalText(s.action_statement, ctx, record, 'action_statement')
        : null;
  const statement =
    specific ??
    optionalText(s.statement, ctx, record, 'statement') ??
    optionalText(s.status_notes, ctx, record, 'status_notes');
  const products = productIds(s.products, ctx, record);
  const targets: (string | null)[] = products.length > 0 ? [...new Set(products)] : [null];
  return targets.map((product): ImportItem => {
    const rec: AdvisoryStatement = {
      vulnerability,
      product,
      status,
      justification: status === 'not_affected' ? justification : null,
      statement,
      source,
    };
    return { kind: 'advisory', record: rec };
  });
}

/**
 * Streams advisory items from an OpenVEX document. Statements are emitted as they are read once
 * the document `@id` is known (it names the source); before that they are held.
 */
export async function* parseOpenVex(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  let docId: string | null = null;
  let idSettled = false;
  let context: unknown = undefined;
  let statements = 0;
  const pending: { i: number; value: unknown }[] = [];
  const patterns = [['@context'], ['@id'], ['statements', '*']];
  const sourceName = (): string => `openvex:${docId ?? ctx.file}`;
  for await (const m of streamJson(source, patterns, ctx)) {
    const key = m.path[0];
    if (key === '@context') {
      context = m.value;
      if (!isOpenVexContext(context)) {
        const problem = `expected an OpenVEX context (https://openvex.dev/ns…), got ${describe(context)}`;
        throw new ImportError(ctx.file, null, '@context', problem);
      }
    } else if (key === '@id') {
      docId = optionalText(m.value, ctx, '$', '@id');
      idSettled = true;
      for (const p of pending.splice(0)) yield* openVexStatementItems(p.value, p.i, sourceName(), ctx);
    } else if (key === 'statements') {
      const i = m.path[1];
      if (typeof i !== 'number') {
        throw new ImportError(ctx.file, null, 'statements', 'expected an array of statements, got an object');
      }
      statements++;
      if (idSettled) yield* openVexStatementItems(m.value, i, sourceName(), ctx);
      else pending.push({ i, value: m.value });
    }
  }
  if (context === undefined && statements === 0) {
    throw new ImportError(ctx.file, null, 'statements', 'missing: not an OpenVEX document (no @context and no statements)');
  }
  for (const p of pending) yield* openVexStatementItems(p.value, p.i, sourceName(), ctx);
}

/** `--format openvex`: OpenVEX v0.2.0 and legacy v0.0.1 documents. */
export const openVexParser: Parser = { format: 'openvex', parse: parseOpenVex };
