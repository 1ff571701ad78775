import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * What a repository function takes first: the store's connection or a use case's transaction, so
 * use cases compose several repository calls in one transaction.
 */
export type Db = Kysely<Database> | Transaction<Database>;
