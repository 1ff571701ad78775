/**
 * Streams selected elements out of an XML document as small trees, with `saxes` (a
 * non-validating SAX parser). Only selected subtrees are built, so memory stays bounded by the
 * largest selected element, as for `streamJson`. Element names are matched by local name
 * (namespace prefixes vary between report versions).
 *
 * Entities: a DOCTYPE is read and ignored (Qualys reports name a DTD). Nothing is ever fetched
 * and no entity declared in a DOCTYPE is ever expanded: a reference to one stays in the text as
 * written (`&name;`), so neither external entities (XXE) nor nested expansion (billion laughs)
 * can happen. Only XML's five predefined entities and character references are decoded.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { ImportError } from '../../errors.js';
import { toBuffer } from '../stream/json-stream.js';
import type { ByteSource, ParseContext } from '../types.js';

export interface XmlNode {
  /** Local name (no prefix). */
  name: string;
  /** Namespace URI ('' when none). */
  ns: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text and CDATA directly inside this element. */
  text: string;
}

export interface XmlMatch {
  node: XmlNode;
  /** Local names from the root to the element, inclusive. */
  path: string[];
}

/** First child with this local name. */
export function child(node: XmlNode | null | undefined, name: string): XmlNode | null {
  if (node === null || node === undefined) return null;
  return node.children.find((c) => c.name === name) ?? null;
}

/** All children with this local name. */
export function children(node: XmlNode | null | undefined, name: string): XmlNode[] {
  if (node === null || node === undefined) return [];
  return node.children.filter((c) => c.name === name);
}

/** Trimmed text of the first child with this name; null when absent or empty. */
export function childText(node: XmlNode | null | undefined, name: string): string | null {
  const c = child(node, name);
  const t = c?.text.trim() ?? '';
  return t === '' ? null : t;
}

/** Every descendant (depth first) with this local name. */
export function descendants(node: XmlNode, name: string): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (n: XmlNode): void => {
    for (const c of n.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(node);
  return out;
}

/**
 * Yields each element whose path `select` accepts, as a tree, in document order. Elements inside
 * a selected element are part of its tree and are not reported again. `select` also sees each
 * element's attributes (by local name), so a parser can keep what an enclosing element's
 * attributes say (a site's or host's name) without building that element's whole tree. `select`
 * runs as the text is read, ahead of the matches (a whole input chunk is read before its matches
 * are yielded): what it records must be queued per selected element, not read when the match
 * arrives. Malformed or truncated XML throws an ImportError naming the line/column and the path.
 */
export async function* streamXml(
  source: ByteSource,
  select: (path: readonly string[], attrs: Readonly<Record<string, string>>) => boolean,
  ctx: ParseContext,
): AsyncGenerator<XmlMatch> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  // With an error handler saxes goes on after an error: an undefined (DOCTYPE-declared) entity is
  // then kept as written; any other error is raised after the current chunk.
  let failure: Error | null = null;
  parser.on('error', (err: Error) => {
    if (/undefined entity/.test(err.message)) return;
    failure ??= err;
  });
  const path: string[] = [];
  const building: XmlNode[] = [];
  let rootDepth = -1;
  let ready: XmlMatch[] = [];
  let sawElement = false;

  parser.on('opentag', (tag: SaxesTagNS) => {
    sawElement = true;
    path.push(tag.local);
    const top = building[building.length - 1];
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) attrs[a.local] = a.value;
    if (top === undefined && !select(path, attrs)) return;
    const node: XmlNode = { name: tag.local, ns: tag.uri, attrs, children: [], text: '' };
    if (top === undefined) rootDepth = path.length;
    else top.children.push(node);
    building.push(node);
  });
  const onText = (t: string): void => {
    const top = building[building.length - 1];
    if (top !== undefined) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (building.length > 0) {
      const node = building.pop();
      if (building.length === 0 && node !== undefined && path.length === rootDepth) {
        ready.push({ node, path: [...path] });
        rootDepth = -1;
      }
    }
    path.pop();
  });

  const fail = (err: unknown): ImportError => {
    if (err instanceof ImportError) return err;
    const message = err instanceof Error ? err.message : String(err);
    // saxes starts its messages with `line:column:` (of where it failed, which may be earlier in the chunk)
    const at = /^(?:[^:]*:)?(\d+):(\d+): /.exec(message);
    return new ImportError(
      ctx.file,
      `line ${at?.[1] ?? parser.line}, column ${at?.[2] ?? parser.column}`,
      path.length > 0 ? `/${path.join('/')}` : null,
      `malformed XML: ${message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`,
    );
  };

  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    const text = decoder.decode(toBuffer(chunk), { stream: true });
    try {
      parser.write(text);
    } catch (err) {
      throw fail(err);
    }
    if (failure !== null) throw fail(failure);
    if (ready.length > 0) {
      const batch = ready;
      ready = [];
      yield* batch;
    }
  }
  try {
    const tail = decoder.decode();
    if (tail !== '') parser.write(tail);
    parser.close();
  } catch (err) {
    throw fail(err);
  }
  if (failure !== null) throw fail(failure);
  if (!sawElement) throw new ImportError(ctx.file, null, null, 'empty document: no XML element');
  yield* ready;
}
