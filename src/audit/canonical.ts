import { canonicalJson } from '../domain/canonical.js';

export { canonicalJson };
export { digestOf, sha256Hex } from '../domain/audit-hash.js';
