/**
 * CSAF 2.0 importer (csaf_vex, csaf_security_advisory, and any other document category with a
 * `vulnerabilities` list). A vendor's CSAF says, per CVE and product, whether the product is
 * affected, fixed, under investigation or known not affected; `not_affected` statements set the
 * validation of matching findings, which is what stops a vendor-cleared finding from escalating.
 *
 * Output, per vulnerabilities[] entry (record = `vulnerabilities[i]`):
 * - one `{kind:'vulnerability'}` item: id = cve (else ids[0].text), cvss = the highest
 *   scores[].cvss_v3 base score (else cvss_v2), title = title (else the description/summary
 *   note), references = references[].url plus the document's `self` references,
 *   vendor_advisory = true, fix_available = true when a product is fixed or a `vendor_fix`
 *   remediation exists (else null: unknown);
 * - one `{kind:'advisory'}` item per (product, status), deduplicated:
 *   known_not_affected → not_affected; fixed, first_fixed → fixed; known_affected,
 *   first_affected, last_affected → affected; under_investigation → under_investigation;
 *   `recommended` is a remediation hint, not a status, and gives no statement.
 *   For not_affected, justification = the flags[].label (a VEX justification such as
 *   component_not_present) and statement = the threats[category=impact].details naming the
 *   product (a document-wide impact threat is a severity rating, not an explanation); for
 *   other statuses, statement = the first remediation details covering the product.
 *   product = the product's purl, else its CPE, else its name, else the product_id as written.
 *   Products are resolved through product_tree: branches (recursively), full_product_names and
 *   relationships (a relationship product without its own helper inherits the purl of its
 *   product_reference, the component a scanner would report); product_groups expand group_ids
 *   used by flags, threats and remediations.
 *   source = `csaf:<document.tracking.id>`.
 *
 * The documents are small, but they are still read through the streaming reader (document,
 * product_tree and each vulnerability), with vulnerabilities held only until product_tree is seen.
 */
import type { AdvisoryStatement, Cvss, VulnerabilityRecord } from '../domain/records.js';
import { ImportError } from '../errors.js';
import { describe, isObject } from './record-fields.js';
import type { JsonObject } from './record-fields.js';
import { streamJson } from './stream/json-stream.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

type Status = AdvisoryStatement['status'];

/** CSAF product_status keys → closeloop advisory status (`recommended` has none). */
const CSAF_STATUS: Readonly<Record<string, Status>> = {
  known_not_affected: 'not_affected',
  fixed: 'fixed',
  first_fixed: 'fixed',
  known_affected: 'affected',
  first_affected: 'affected',
  last_affected: 'affected',
  under_investigation: 'under_investigation',
};

interface ProductInfo {
  name: string | null;
  purl: string | null;
  cpe: string | null;
  /** For relationship products: the product_reference (component) id. */
  component: string | null;
}

/** Where we are in the document, for error messages. */
class Place {
  constructor(
    readonly ctx: ParseContext,
    readonly record: string,
  ) {}

  fail(field: string, problem: string): never {
    throw new ImportError(this.ctx.file, this.record, field, problem);
  }

  object(v: unknown, field: string): JsonObject | null {
    if (v === undefined || v === null) return null;
    if (!isObject(v)) this.fail(field, `expected an object, got ${describe(v)}`);
    return v;
  }

  array(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(field, `expected an array, got ${describe(v)}`);
    return v;
  }

  objects(v: unknown, field: string): JsonObject[] {
    return this.array(v, field).map((item, i) => {
      if (!isObject(item)) this.fail(`${field}[${i}]`, `expected an object, got ${describe(item)}`);
      return item;
    });
  }

  strings(v: unknown, field: string): string[] {
    return this.array(v, field).map((item, i) => {
      if (typeof item !== 'string') this.fail(`${field}[${i}]`, `expected a string, got ${describe(item)}`);
      return item;
    });
  }

  string(v: unknown, field: string): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(field, `expected a string, got ${describe(v)}`);
    return v === '' ? null : v;
  }
}

/** The product_tree, flattened: product_id → identifiers, group_id → product_ids. */
interface ProductIndex {
  products: Map<string, ProductInfo>;
  groups: Map<string, string[]>;
}

function addProduct(index: ProductIndex, p: JsonObject, place: Place, field: string, component: string | null): void {
  const id = place.string(p.product_id, `${field}.product_id`);
  if (id === null) place.fail(`${field}.product_id`, 'missing: a product_id is required');
  const helper = place.object(p.product_identification_helper, `${field}.product_identification_helper`);
  index.products.set(id, {
    name: place.string(p.name, `${field}.name`),
    purl: helper === null ? null : place.string(helper.purl, `${field}.product_identification_helper.purl`),
    cpe: helper === null ? null : place.string(helper.cpe, `${field}.product_identification_helper.cpe`),
    component,
  });
}

function walkBranches(index: ProductIndex, branches: unknown, place: Place, field: string, depth: number): void {
  if (depth > 64) place.fail(field, 'branches nested deeper than 64 levels');
  place.objects(branches, field).forEach((b, i) => {
    const here = `${field}[${i}]`;
    const product = place.object(b.product, `${here}.product`);
    if (product !== null) addProduct(index, product, place, `${here}.product`, null);
    walkBranches(index, b.branches, place, `${here}.branches`, depth + 1);
  });
}

/** Flattens a CSAF product_tree. */
function indexProductTree(tree: JsonObject | null, ctx: ParseContext): ProductIndex {
  const index: ProductIndex = { products: new Map(), groups: new Map() };
  if (tree === null) return index;
  const place: Place = new Place(ctx, 'product_tree');
  walkBranches(index, tree.branches, place, 'branches', 0);
  place.objects(tree.full_product_names, 'full_product_names').forEach((p, i) =>
    addProduct(index, p, place, `full_product_names[${i}]`, null),
  );
  place.objects(tree.relationships, 'relationships').forEach((r, i) => {
    const field = `relationships[${i}]`;
    const fpn = place.object(r.full_product_name, `${field}.full_product_name`);
    if (fpn === null) return;
    addProduct(index, fpn, place, `${field}.full_product_name`, place.string(r.product_reference, `${field}.product_reference`));
  });
  place.objects(tree.product_groups, 'product_groups').forEach((g, i) => {
    const id = place.string(g.group_id, `product_groups[${i}].group_id`);
    if (id !== null) index.groups.set(id, place.strings(g.product_ids, `product_groups[${i}].product_ids`));
  });
  return index;
}

/** The identifier a statement names for a product: purl, CPE, name, else the id itself. */
function productIdentifier(index: ProductIndex, id: string): string {
  const p = index.products.get(id);
  if (p === undefined) return id;
  const component = p.component === null ? undefined : index.products.get(p.component);
  return p.purl ?? p.cpe ?? component?.purl ?? p.name ?? id;
}

/** Product ids an entry (flag, threat, remediation) covers; null = no product scope given. */
function coveredIds(entry: JsonObject, index: ProductIndex, place: Place, field: string): Set<string> | null {
  const ids = place.strings(entry.product_ids, `${field}.product_ids`);
  const groups = place.strings(entry.group_ids, `${field}.group_ids`);
  if (entry.product_ids === undefined && entry.group_ids === undefined) return null;
  const out = new Set(ids);
  for (const g of groups) for (const id of index.groups.get(g) ?? []) out.add(id);
  return out;
}

function covers(set: Set<string> | null, id: string): boolean {
  return set === null || set.has(id);
}

function cvssFrom(scores: JsonObject[], place: Place): Cvss | null {
  let best: Cvss | null = null;
  for (const key of ['cvss_v3', 'cvss_v2'] as const) {
    scores.forEach((s, i) => {
      const c = place.object(s[key], `scores[${i}].${key}`);
      if (c === null) return;
      const score = c.baseScore;
      if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) {
        place.fail(`scores[${i}].${key}.baseScore`, `expected a number from 0 to 10, got ${describe(score)}`);
      }
      const version = place.string(c.version, `scores[${i}].${key}.version`) ?? (key === 'cvss_v2' ? '2.0' : '3.x');
      if (best === null || score > best.base_score) {
        best = { version, base_score: score, vector: place.string(c.vectorString, `scores[${i}].${key}.vectorString`) };
      }
    });
    if (best !== null) return best;
  }
  return best;
}

interface DocumentInfo {
  source: string;
  selfRefs: string[];
  trackingId: string | null;
  category: string;
}

function readDocument(doc: unknown, ctx: ParseContext): DocumentInfo {
  const place: Place = new Place(ctx, 'document');
  if (doc === undefined) {
    throw new ImportError(ctx.file, null, 'document', 'missing: not a CSAF document (no "document" object)');
  }
  if (!isObject(doc)) place.fail('document', `expected an object, got ${describe(doc)}`);
  const category = place.string(doc.category, 'category');
  if (category === null) place.fail('category', 'missing: document.category is required (e.g. csaf_vex)');
  const tracking = place.object(doc.tracking, 'tracking');
  const trackingId = tracking === null ? null : place.string(tracking.id, 'tracking.id');
  const selfRefs = place
    .objects(doc.references, 'references')
    .filter((r) => r.category === 'self')
    .flatMap((r, i) => {
      const url = place.string(r.url, `references[${i}].url`);
      return url === null ? [] : [url];
    });
  return { source: `csaf:${trackingId ?? ctx.file}`, selfRefs, trackingId, category };
}

function noteText(notes: JsonObject[], place: Place): string | null {
  for (const wanted of ['description', 'summary']) {
    for (const [i, n] of notes.entries()) {
      if (n.category === wanted) {
        const t = place.string(n.text, `notes[${i}].text`);
        if (t !== null) return t;
      }
    }
  }
  return null;
}

/** Maps one CSAF vulnerabilities[] entry to its items. */
function csafVulnerabilityItems(
  value: unknown,
  i: number,
  doc: DocumentInfo,
  index: ProductIndex,
  ctx: ParseContext,
): ImportItem[] {
  const place: Place = new Place(ctx, `vulnerabilities[${i}]`);
  if (!isObject(value)) place.fail('cve', `expected a vulnerability object, got ${describe(value)}`);
  const v = value;
  const ids = place.objects(v.ids, 'ids');
  const firstId = ids.length > 0 ? place.string(ids[0]?.text, 'ids[0].text') : null;
  const id = place.string(v.cve, 'cve') ?? firstId;
  if (id === null) place.fail('cve', 'missing: a cve (or ids[].text) is required');

  const status = place.object(v.product_status, 'product_status') ?? {};
  const flags = place.objects(v.flags, 'flags');
  const threats = place.objects(v.threats, 'threats');
  const remediations = place.objects(v.remediations, 'remediations');
  const scores = place.objects(v.scores, 'scores');
  const notes = place.objects(v.notes, 'notes');
  const references = place.objects(v.references, 'references').flatMap((r, k) => {
    const url = place.string(r.url, `references[${k}].url`);
    return url === null ? [] : [url];
  });

  const flagScopes = flags.map((f, k) => ({
    label: place.string(f.label, `flags[${k}].label`),
    ids: coveredIds(f, index, place, `flags[${k}]`),
  }));
  const impactScopes = threats
    .map((t, k) => ({ t, k }))
    .filter(({ t }) => t.category === 'impact')
    .map(({ t, k }) => ({
      details: place.string(t.details, `threats[${k}].details`),
      ids: coveredIds(t, index, place, `threats[${k}]`),
    }));
  const remediationScopes = remediations.map((r, k) => ({
    category: place.string(r.category, `remediations[${k}].category`),
    details: place.string(r.details, `remediations[${k}].details`),
    ids: coveredIds(r, index, place, `remediations[${k}]`),
  }));

  const statements: ImportItem[] = [];
  const seen = new Set<string>();
  let fixed = remediationScopes.some((r) => r.category === 'vendor_fix');
  for (const [key, list] of Object.entries(status)) {
    const mapped = CSAF_STATUS[key];
    const productIds = place.strings(list, `product_status.${key}`);
    if (mapped === undefined) continue;
    if (mapped === 'fixed' && productIds.length > 0) fixed = true;
    for (const pid of productIds) {
      const product = productIdentifier(index, pid);
      const dedupe = `${mapped}\u0000${product}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      let justification: string | null = null;
      let statement: string | null;
      if (mapped === 'not_affected') {
        justification = flagScopes.find((f) => f.label !== null && covers(f.ids, pid))?.label ?? null;
        // Only impact threats scoped to products explain a not_affected status; a document-wide
        // one (Red Hat puts its severity rating there) says nothing about this product.
        statement = impactScopes.find((t) => t.details !== null && t.ids !== null && t.ids.has(pid))?.details ?? null;
      } else {
        statement = remediationScopes.find((r) => r.details !== null && covers(r.ids, pid))?.details ?? null;
      }
      statements.push({
        kind: 'advisory',
        record: { vulnerability: id, product, status: mapped, justification, statement, source: doc.source },
      });
    }
  }

  const title = place.string(v.title, 'title') ?? noteText(notes, place);
  const cwe = place.object(v.cwe, 'cwe');
  const vulnerability: VulnerabilityRecord = {
    id,
    cvss: cvssFrom(scores, place),
    exploitation: 'none',
    public_poc: false,
    vendor_advisory: true,
    fix_available: fixed ? true : null,
    kev: null,
    epss: null,
    title,
    references: [...new Set([...references, ...doc.selfRefs])],
    extra: {
      csaf: {
        document: doc.trackingId,
        category: doc.category,
        cwe: cwe === null ? null : (place.string(cwe.id, 'cwe.id') ?? null),
        aliases: ids.flatMap((x) => (typeof x.text === 'string' && x.text !== id ? [x.text] : [])),
      },
    },
  };
  return [{ kind: 'vulnerability', record: vulnerability }, ...statements];
}

/** Streams vulnerability and advisory items from a CSAF 2.0 document. */
export async function* parseCsaf(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  let document: unknown = undefined;
  let tree: JsonObject | null = null;
  let treeSeen = false;
  let index: ProductIndex | null = null;
  let doc: DocumentInfo | null = null;
  const pending: { i: number; value: unknown }[] = [];
  const patterns = [['document'], ['product_tree'], ['vulnerabilities', '*']];
  for await (const m of streamJson(source, patterns, ctx)) {
    const key = m.path[0];
    if (key === 'document') {
      document = m.value;
      doc = readDocument(document, ctx);
    } else if (key === 'product_tree') {
      if (m.value !== null && !isObject(m.value)) {
        throw new ImportError(ctx.file, null, 'product_tree', `expected an object, got ${describe(m.value)}`);
      }
      tree = m.value;
      treeSeen = true;
    } else if (key === 'vulnerabilities') {
      const i = m.path[1];
      if (typeof i !== 'number') {
        throw new ImportError(ctx.file, null, 'vulnerabilities', 'expected an array of vulnerabilities, got an object');
      }
      if (doc !== null && treeSeen) {
        index ??= indexProductTree(tree, ctx);
        yield* csafVulnerabilityItems(m.value, i, doc, index, ctx);
      } else {
        pending.push({ i, value: m.value });
      }
    }
  }
  const info = doc ?? readDocument(document, ctx);
  index ??= indexProductTree(tree, ctx);
  for (const { i, value } of pending) yield* csafVulnerabilityItems(value, i, info, index, ctx);
}

/** `--format csaf`: CSAF 2.0 advisories and VEX documents. */
export const csafParser: Parser = { format: 'csaf', parse: parseCsaf };
