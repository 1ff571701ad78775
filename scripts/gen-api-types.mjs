// Writes web/src/api/schema.d.ts from the built server's OpenAPI document (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_TYPES_FILE, generateApiTypes } from './api-types.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { apiDocument } = await import(path.join(root, 'dist', 'api', 'server.js'));
writeFileSync(path.join(root, API_TYPES_FILE), await generateApiTypes(apiDocument()));
process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
