import { createHash } from 'node:crypto';

import { canonicalJson } from '../domain/canonical.js';

export { canonicalJson };

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
