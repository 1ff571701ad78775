import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types, shared with scripts/gen-api-types.mjs
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/api-types.mjs';
import { apiDocument } from '../../src/api/server.js';

describe('the web application API types', () => {
  it('are generated from the OpenAPI document the server publishes (run `npm run build && npm run gen:api` when this fails)', async () => {
    const fresh = (await (generateApiTypes as (d: unknown) => Promise<string>)(apiDocument()));
    expect(readFileSync(API_TYPES_FILE as string, 'utf8')).toBe(fresh);
    // a route of the document is in the types: the file is not empty boilerplate
    expect(fresh).toContain('"/api/v1/incidents/{id}"');
  });
});
