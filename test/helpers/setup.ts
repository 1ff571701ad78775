/** Runs in every test file: its PostgreSQL test schemas are dropped when the file ends. */
import { afterAll } from 'vitest';
import { dropTestSchemas } from './context.js';

afterAll(dropTestSchemas);
