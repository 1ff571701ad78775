/**
 * The stored rows use cases hand back, as the edges see them: re-exported here so the API's and the
 * CLI's presenters name them without reaching into the store (edges depend on app/, never store/).
 */
export type { Incident, Weakness } from '../store/schema.js';
