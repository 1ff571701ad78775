/**
 * A triage run over some findings only, in the caller's transaction: the findings an import
 * creates or changes (`import findings --triage`), or those an asset merge moved to another asset.
 * Recorded as a triage run of its own (src/app/decisions.ts); the other findings keep their last
 * decision (`closeloop triage` decides them all).
 */
import type { Ruleset } from '../domain/escalation/index.js';
import type { BulkSession, DecisionValues, FindingValues, KeyedRows, KeyedTable } from '../store/bulk/index.js';
import { findingFactsFromValues } from '../store/records.js';
import type { TriageRunSource } from '../store/schema.js';
import type { Caller, Trx } from './context.js';
import { StoreFacts, TriageRun } from './decisions.js';

/** Decision rows per write (kept small so the rows die young). */
const DECISION_CHUNK = 500;

/** What such a run decided, for the summary of the operation that ran it. */
export interface SomeFindingsTriageSummary {
  run: string;
  ruleset: string;
  evaluated: number;
  by_outcome: Record<string, number>;
  by_trigger: Record<string, number>;
}

export class SomeFindingsTriage {
  private constructor(
    private readonly run: TriageRun,
    private readonly facts: StoreFacts,
    private readonly bulk: BulkSession,
  ) {}

  static async start(trx: Trx, bulk: BulkSession, ruleset: Ruleset, at: string, source: TriageRunSource, importId: string | null = null): Promise<SomeFindingsTriage> {
    return new SomeFindingsTriage(await TriageRun.start(trx, ruleset, at, bulk.cacheBounds, source, importId), await StoreFacts.open(trx, bulk, bulk.cacheBounds), bulk);
  }

  /** Rows the caller has just written: the facts the next findings read, without reading them back. */
  written<T extends KeyedTable>(table: T, rows: ReadonlyMap<string, KeyedRows[T] | undefined>): void {
    this.facts.prime(table, rows);
  }

  /** Loads the facts a page of findings reads (before `decide`). */
  load(page: readonly FindingValues[]): Promise<void> {
    return this.facts.loadRows(page);
  }

  /** Decides a page of findings whose facts are loaded, and writes the decisions. */
  async decide(page: readonly FindingValues[]): Promise<void> {
    // Each finding's facts and input are made as it is decided, and its decision row is written a
    // chunk at a time, so they die young (built for a whole page, they outlived several scavenges
    // and were promoted).
    let rows: DecisionValues[] = [];
    for (const v of page) {
      rows.push(this.run.decide(this.facts.inputFor(findingFactsFromValues(v))).values);
      if (rows.length >= DECISION_CHUNK) {
        await this.bulk.insertDecisions(rows);
        rows = [];
      }
    }
    if (rows.length > 0) await this.bulk.insertDecisions(rows);
  }

  async finish(trx: Trx, caller: Caller): Promise<SomeFindingsTriageSummary> {
    await this.run.finish(trx, caller);
    const c = this.run.counts;
    return { run: this.run.id, ruleset: this.run.ruleset.version, evaluated: c.evaluated, by_outcome: c.by_outcome, by_trigger: c.by_trigger };
  }
}
