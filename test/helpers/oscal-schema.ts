/**
 * NIST's OSCAL 1.1.3 JSON schemas (in the shared corpus) as ajv validators, JSON Schema 2020-12
 * with Unicode regular expressions (the schemas' patterns use \p{L} and \p{N}). The schemas are
 * draft-07 documents: their `$schema` is dropped and their fragment-only `$id`s (plain anchors that
 * no `$ref` uses: every `$ref` is a JSON pointer) are removed, which 2020-12 does not allow.
 * The formats they name are checked by hand (ajv-formats is not a dependency).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { corpusPath } from './corpus.js';

function withoutAnchors(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutAnchors);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$schema' || (k === '$id' && typeof x === 'string' && x.startsWith('#'))) continue;
    out[k] = withoutAnchors(x);
  }
  return out;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The ajv instance with the schemas' formats. */
export function oscalAjv(): Ajv2020 {
  const ajv = new Ajv2020({ unicodeRegExp: true, strict: false, allErrors: true });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addFormat('date', (s: string) => /^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$/.test(s));
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s));
  ajv.addFormat('email', (s: string) => /^[^@\s]+@[^@\s]+$/.test(s));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('binary', true);
  ajv.addFormat('byte', true);
  return ajv;
}

/** A validator for one of the corpus's OSCAL 1.1.3 schemas, e.g. `oscal_poam_schema.json`. */
export function oscalValidator(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(corpusPath(`oscal/schemas/1.1.3/${file}`), 'utf8')) as unknown;
  return oscalAjv().compile(withoutAnchors(schema) as object);
}

/** The validator's errors, one line each, for an assertion's message. */
export function oscalErrors(v: ValidateFunction): string {
  return (v.errors ?? []).slice(0, 20).map((e) => `${e.instancePath} ${e.message ?? ''}`).join('\n');
}
