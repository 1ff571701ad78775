/**
 * Moved: the dispatch use case is `runDelivery` in app/run-delivery.ts (delivery/ holds only the
 * channels and the outbox table's access). This re-export keeps the CLI's import working until it
 * imports from app/; it is the one place delivery/ still reaches into app/.
 */
export { runDelivery, type DispatchSummary } from '../app/run-delivery.js';
